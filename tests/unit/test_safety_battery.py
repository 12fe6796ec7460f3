"""The safety battery: the shipped filter lists against realistic texts, per language and level.

Each case is (level, text, expected term or None). A case with a term must be blocked with that listed term
in ``found_terms``; a case with None must pass. Cases cover every level, spelling variants, spacing and
digit tricks, German compounds, innocent look-alikes (the Scunthorpe problem), upper case, punctuation and
emoji noise, and mixed German/English texts.
"""

from __future__ import annotations

import pytest

from devserver.safety.filters import SAFETY_LEVELS, SafetyFilter
from devserver.settings import PROJECT_ROOT

FILTERS_DIR = PROJECT_ROOT / "schemas" / "filters"


@pytest.fixture(scope="module")
def filters() -> dict[str, SafetyFilter]:
    """The shipped lists, loaded once per level."""
    return {level: SafetyFilter.load(FILTERS_DIR, level) for level in SAFETY_LEVELS}


def case(level: str, text: str, term: str | None, case_id: str):
    """One battery case; `term` None means the text must pass."""
    return pytest.param(level, text, term, id=case_id)


GERMAN = [
    # kids: weapons, compounds (head, modifier, inside), tricks
    case("kids", "Ein Soldat mit einem Sturmgewehr", "Gewehr", "de-kids-compound-head-sturmgewehr"),
    case("kids", "MASCHINENGEWEHREN IM WALD", "Gewehr", "de-kids-compound-head-upper-with-ending"),
    case("kids", "Ein Maschienengewehr", "Gewehr", "de-kids-compound-misspelt-prefix"),
    case("kids", "Ein Gewehrkolben aus Holz", "Gewehr", "de-kids-compound-modifier-gewehrkolben"),
    case("kids", "Das Waffenlager im Keller", "Waffe", "de-kids-compound-modifier-waffenlager"),
    case("kids", "Regeln zum Schusswaffengebrauch", "Waffe", "de-kids-compound-inside-word"),
    case("kids", "Eine Handgranate", "Granate", "de-kids-compound-handgranate"),
    case("kids", "Zwei Lichtschwerter leuchten", None, "de-kids-pass-lichtschwerter-childrens-book"),
    case("kids", "Ein Ritter mit einem Kampfmesser", "Kampfmesser", "de-kids-listed-compound-kampfmesser"),
    case("kids", "w4ff3", "Waffe", "de-kids-digits-for-letters"),
    case("kids", "eine P1st0le", "Pistole", "de-kids-digits-pistole"),
    case("kids", "G.e.w.e.h.r", "Gewehr", "de-kids-dotted-letters"),
    case("kids", "Waaaaaffe", "Waffe", "de-kids-stretched-letters"),
    case("kids", "Pistolen!!!...???", "Pistole", "de-kids-plural-punctuation-noise"),
    case("kids", "Er wurde erschossen", "erschossen", "de-kids-verb-form"),
    # kids: violence, horror, substances, suggestive
    case("kids", "Ein Massenmörder im Film", "Mörder", "de-kids-umlaut-compound"),
    case("kids", "Ein Massenmorder ohne Umlaut", "Mörder", "de-kids-umlaut-typed-plain"),
    case("kids", "Ein Moerder schleicht", "Mörder", "de-kids-umlaut-typed-oe"),
    case("kids", "Völkermord", "Mord", "de-kids-compound-voelkermord"),
    case("kids", "blutige Hände", "blutige", "de-kids-blood-adjective"),
    case("kids", "Ein Horror-Clown", "Horror", "de-kids-hyphen-modifier-horror"),
    case("kids", "Die Folterkammer der Burg", "Folter", "de-kids-folterkammer"),
    case("kids", "Rotwein und Bier", "Bier", "de-kids-alcohol"),
    case("kids", "Weißbier", "Bier", "de-kids-compound-weissbier"),
    case("kids", "Zigarettenrauch", "Zigarette", "de-kids-modifier-zigarette"),
    case("kids", "Partydrogen", "Droge", "de-kids-compound-partydrogen"),
    case("kids", "ein sexy Kleid", "sexy", "de-kids-suggestive"),
    # youth and kids: lists that apply to both
    case("kids", "H a k e n k r e u z", "Hakenkreuz", "de-kids-spaced-hakenkreuz"),
    case("youth", "Eine Hakenkreuzfahne", "Hakenkreuz", "de-youth-modifier-hakenkreuz"),
    case("youth", "Ein Hakenkreutz", "Hakenkreuz", "de-youth-fuzzy-misspelt"),
    case("youth", "Neonazis marschieren", "Nazi", "de-youth-compound-neonazis"),
    case("youth", "Sieg-Heil", "Sieg Heil", "de-youth-hyphenated-phrase"),
    case("youth", "SS-Runen auf der Uniform", "SS-Runen", "de-youth-ss-runes"),
    case("youth", "Selbstmordgedanken", "Selbstmord", "de-youth-modifier-selbstmord"),
    case("youth", "Ich will mich umbringen", "mich umbringen", "de-youth-phrase-self-harm"),
    case("youth", "Eine Heroinspritze", "Heroin", "de-youth-modifier-heroin"),
    case("youth", "K0ka1n", "Kokain", "de-youth-digits-kokain"),
    case("youth", "Ein Blutbad", "Blutbad", "de-youth-gore"),
    case("youth", "zerstückelte Körper", "zerstückelt", "de-youth-gore-fuzzy-ending"),
    case("youth", "Eine Aktzeichnung", "Aktzeichnung", "de-youth-nude-study"),
    case("youth", "eine nackte Frau", "nackte", "de-youth-nudity"),
    case("youth", "Rassenhass", "Rassenhass", "de-youth-hate"),
    case("youth", "Untermenschen", "Untermensch", "de-youth-hate-fuzzy-plural"),
    case("youth", "Vergewaltigung", "Vergewaltigung", "de-youth-sexual-violence"),
    # adult and research: only sexualised minors
    case("adult", "Kinderpornografie", "Kinderpornografie", "de-adult-minors-term"),
    case("research", "Kinderpornographie", "Kinderpornographie", "de-research-minors-spelling"),
    case("adult", "Kinder nackt am Strand", "nackt", "de-adult-minors-near-rule"),
    case("research", "ein nacktes Kind", "Kind", "de-research-minors-near-rule"),
    case("adult", "12-jährige in Dessous", "Dessous", "de-adult-minors-near-age"),
    case("research", "Kinder-Nacktfotos", "Nacktfoto", "de-research-minors-near-hyphenated"),
    # must pass: innocent look-alikes and compounds with a listed word at the start
    case("kids", "Ein Schwertwal springt aus dem Wasser", None, "de-kids-pass-schwertwal"),
    case("kids", "Eine Schwertlilie am Teich", None, "de-kids-pass-schwertlilie"),
    case("kids", "Waffeln mit Sahne", None, "de-kids-pass-waffeln"),
    case("kids", "Das Waffeleisen ist heiß", None, "de-kids-pass-waffeleisen"),
    case("kids", "Die Waffenruhe hält", None, "de-kids-pass-waffenruhe"),
    case("kids", "Im Drogeriemarkt", None, "de-kids-pass-drogerie"),
    case("kids", "Mörtel und Ziegel", None, "de-kids-pass-moertel"),
    case("kids", "Ein Pistazieneis", None, "de-kids-pass-pistazie"),
    case("kids", "Ein Hund mit einer Wasserpistole", None, "de-kids-pass-wasserpistole"),
    case("kids", "Basteln mit der Heißklebepistole", None, "de-kids-pass-heissklebepistole"),
    case("kids", "Bluthochdruck beim Arzt", None, "de-kids-pass-bluthochdruck"),
    case("kids", "Eine Blut-Orange", None, "de-kids-pass-hyphen-blut-orange"),
    case("kids", "Kirschblüten im Frühling", None, "de-kids-pass-kirschblueten"),
    case("kids", "Vergleiche die beiden Bilder", None, "de-kids-pass-vergleiche"),
    case("kids", "Wähle einen Bildausschnitt", None, "de-kids-pass-ausschnitt"),
    case("kids", "Die Analyse des Gemäldes", None, "de-kids-pass-analyse"),
    case("kids", "Ein Fagott im Orchester", None, "de-kids-pass-fagott"),
    case("kids", "Ein Granatapfel und ein roter Granat", None, "de-kids-pass-granat"),
    case("kids", "Alle Angaben ohne Gewähr", None, "de-kids-pass-gewaehr"),
    case("kids", "Ein Zauberstab aus Holz", None, "de-kids-pass-zauberstab"),
    case("kids", "Eine Nacktschnecke im Salat", None, "de-kids-pass-nacktschnecke"),
    case("kids", "Ein Warmblüter und ein Vollblut auf der Weide", None, "de-kids-pass-warmblut-vollblut"),
    case("kids", "Mit viel Herzblut gemalt", None, "de-kids-pass-herzblut"),
    case("kids", "Nudeln mit Tomatensoße", None, "de-kids-pass-nudeln"),
    case("kids", "Die Methode des Malers, Kunst", None, "de-kids-pass-methode"),
    case("kids", "Eine exotische Blume", None, "de-kids-pass-exotisch"),
    case("kids", "Eine Eisbombe zum Nachtisch", None, "de-kids-pass-eisbombe"),
    # must pass: the level allows it
    case("youth", "ein sexy Kleid", None, "de-youth-pass-sexy"),
    case("youth", "Ein Soldat mit einem Sturmgewehr", None, "de-youth-pass-weapon"),
    case("youth", "Rotwein und Bier", None, "de-youth-pass-alcohol"),
    case("adult", "Ein Blutbad", None, "de-adult-pass-gore"),
    case("adult", "eine nackte Frau", None, "de-adult-pass-nudity"),
    case("research", "Ein Hakenkreuz im Geschichtsbuch", None, "de-research-pass-history"),
    case("adult", "Kinder mit nackten Füßen am Strand", None, "de-adult-pass-allowed-phrase"),
    case("adult", "Ein Mädchen malt ein Bild", None, "de-adult-pass-girl-painting"),
]

ENGLISH = [
    # kids: weapons and violence, tricks
    case("kids", "a cowboy with a gun", "gun", "en-kids-gun"),
    case("kids", "A COWBOY WITH A GUN", "gun", "en-kids-upper-case"),
    case("kids", "guns everywhere", "gun", "en-kids-plural"),
    case("kids", "guuuuun", "gun", "en-kids-stretched"),
    case("kids", "a g u n", "gun", "en-kids-spaced"),
    case("kids", "g.u.n", "gun", "en-kids-dotted"),
    case("kids", "g_u_n", "gun", "en-kids-underscores"),
    case("kids", "ｇｕｎ", "gun", "en-kids-fullwidth"),
    case("kids", "g\u200bun", "gun", "en-kids-zero-width-space"),
    case("kids", "gun!!! 🔫", "🔫", "en-kids-emoji"),
    case("kids", "💣💣💣", "💣", "en-kids-emoji-only"),
    case("kids", "a machinegun", "machine gun", "en-kids-phrase-joined"),
    case("kids", "a machine gun", "machine gun", "en-kids-phrase"),
    case("kids", "they shoot someone", "shoot someone", "en-kids-phrase-shoot"),
    case("kids", "k.i.l.l the dragon", "kill", "en-kids-dotted-kill"),
    case("kids", "k1ll the dragon", "kill", "en-kids-digit-kill"),
    case("kids", "𝐤𝐢𝐥𝐥 it", "kill", "en-kids-math-bold"),
    case("kids", "kill3r", "killer", "en-kids-digit-killer"),
    case("kids", "stabbing", "stabbing", "en-kids-stabbing"),
    case("kids", "a bloody knife", "bloody", "en-kids-bloody"),
    case("kids", "a corpse in the river", "corpse", "en-kids-corpse"),
    case("kids", "an assassin", "assassin", "en-kids-assassin"),
    # kids: substances, suggestive
    case("kids", "a glass of beer", "beer", "en-kids-beer"),
    case("kids", "b33r", "beer", "en-kids-digit-beer"),
    case("kids", "smoking a cigarette", "cigarette", "en-kids-cigarette"),
    case("kids", "mariuana", "marijuana", "en-kids-fuzzy-dropped-letter"),
    case("kids", "a sexy dress", "sexy", "en-kids-suggestive"),
    # youth
    case("youth", "$ex", "sex", "en-youth-symbol-for-letter"),
    case("youth", "ѕех", "sex", "en-youth-cyrillic-lookalikes"),
    case("youth", "p0rn", "porn", "en-youth-digit-porn"),
    case("youth", "n-a-z-i", "nazi", "en-youth-hyphen-spaced"),
    case("youth", "a naked woman", "naked", "en-youth-nudity"),
    case("youth", "a nude painting", "nude", "en-youth-nude-study"),
    case("youth", "heroin", "heroin", "en-youth-heroin"),
    case("youth", "c0caine", "cocaine", "en-youth-digit-cocaine"),
    case("youth", "a swastika flag", "swastika", "en-youth-swastika"),
    case("youth", "K K K", "KKK", "en-youth-spaced-acronym"),
    case("youth", "suicide", "suicide", "en-youth-suicide"),
    case("youth", "selfharm", "self-harm", "en-youth-joined-phrase"),
    case("youth", "k1ll y0urself", "kill yourself", "en-youth-digits-phrase"),
    case("youth", "subhuman", "subhuman", "en-youth-hate"),
    case("youth", "decapitated", "decapitated", "en-youth-gore"),
    case("youth", "Gory!!!", "gory", "en-youth-gore-punctuation"),
    case("youth", "nsfw", "NSFW", "en-youth-nsfw"),
    # adult and research: only sexualised minors
    case("adult", "child porn", "child porn", "en-adult-minors-term"),
    case("research", "CSAM", "CSAM", "en-research-minors-acronym"),
    case("adult", "a naked child", "child", "en-adult-minors-near-rule"),
    case("research", "a teen in lingerie", "lingerie", "en-research-minors-near-rule"),
    case("adult", "a naked 8 year old girl", "girl", "en-adult-minors-near-window"),
    case("research", "l0li", "loli", "en-research-minors-digit"),
    # must pass: innocent look-alikes
    case("kids", "grapes in a bowl", None, "en-kids-pass-grapes"),
    case("kids", "the therapist smiles", None, "en-kids-pass-therapist"),
    case("kids", "Scunthorpe United", None, "en-kids-pass-scunthorpe"),
    case("kids", "an assassin bug on a leaf", None, "en-kids-pass-assassin-bug"),
    case("kids", "our art class", None, "en-kids-pass-class"),
    case("kids", "a skilled painter", None, "en-kids-pass-skilled"),
    case("kids", "Essex and Sussex", None, "en-kids-pass-essex"),
    case("kids", "a fruit cocktail", None, "en-kids-pass-cocktail"),
    case("kids", "a killer whale jumps", None, "en-kids-pass-killer-whale"),
    case("kids", "the heroine saves the day", None, "en-kids-pass-heroine"),
    case("kids", "a trifle for dessert", None, "en-kids-pass-trifle"),
    case("kids", "planets revolve around the sun", None, "en-kids-pass-revolve"),
    case("kids", "a granite sculpture", None, "en-kids-pass-granite"),
    case("kids", "a beach in Grenada", None, "en-kids-pass-grenada"),
    case("kids", "a glue gun for crafts", None, "en-kids-pass-glue-gun"),
    case("kids", "a bath bomb", None, "en-kids-pass-bath-bomb"),
    case("kids", "blood orange juice", None, "en-kids-pass-blood-orange"),
    case("kids", "a swordfish", None, "en-kids-pass-swordfish"),
    case("kids", "the race has begun", None, "en-kids-pass-begun"),
    case("kids", "a kiln in the pottery room", None, "en-kids-pass-kiln"),
    case("kids", "a Gore-Tex jacket", None, "en-kids-pass-gore-tex"),
    case("kids", "lingering light", None, "en-kids-pass-lingering"),
    case("kids", "a drugstore", None, "en-kids-pass-drugstore"),
    case("kids", "a map of Niger", None, "en-kids-pass-niger"),
    case("youth", "stars seen with the naked eye", None, "en-youth-pass-naked-eye"),
    # must pass: the level allows it
    case("youth", "a sexy dress", None, "en-youth-pass-sexy"),
    case("youth", "a cowboy with a gun", None, "en-youth-pass-gun"),
    case("youth", "a glass of beer", None, "en-youth-pass-beer"),
    case("adult", "a nude painting", None, "en-adult-pass-nude-study"),
    case("adult", "a girl in a red dress", None, "en-adult-pass-girl"),
    case("adult", "children playing football", None, "en-adult-pass-children"),
]

MIXED = [
    case("kids", "Ein Cowboy with a gun", "gun", "mixed-kids-cowboy-gun"),
    case("kids", "Der Ritter hat a sword", None, "mixed-kids-pass-knight-sword"),
    case("kids", "Der Ritter hat a gun", "gun", "mixed-kids-gun"),
    case("kids", "A knight mit einem Maschinengewehr", "Gewehr", "mixed-kids-compound-in-english"),
    case("kids", "Ein Bild, very sexy", "sexy", "mixed-kids-sexy"),
    case("youth", "Ein Bild, very sexy", None, "mixed-youth-pass-sexy"),
    case("adult", "Kinder, naked", "naked", "mixed-adult-near-across-languages"),
    case("kids", "Ein Drache 🐉 mit Feuer!!! 🔥 so cool", None, "mixed-kids-pass-emoji-noise"),
    case("kids", "Kunst class, sehr skilled", None, "mixed-kids-pass-lookalikes"),
]


@pytest.mark.parametrize(("level", "text", "term"), GERMAN + ENGLISH + MIXED)
def test_battery(filters: dict[str, SafetyFilter], level: str, text: str, term: str | None) -> None:
    result = filters[level].check(text)
    found = [(hit.term, hit.matched, hit.list_name) for hit in result.hits]
    if term is None:
        assert not result.blocked, f"{text!r} must pass at {level}, got {found}"
        assert result.found_terms == []
    else:
        assert result.blocked, f"{text!r} must be blocked at {level}"
        # found_terms lists "Sex" (de) and "sex" (en) once, so compare case-insensitively
        found_terms = [found_term.casefold() for found_term in result.found_terms]
        assert term.casefold() in found_terms, f"{text!r}: expected {term!r}, got {found}"


def test_battery_size() -> None:
    """The brief asks for at least 40 cases per language, blocked and passing."""
    for cases in (GERMAN, ENGLISH):
        terms = [param.values[2] for param in cases]
        assert len(cases) >= 40
        assert sum(term is None for term in terms) >= 15 and sum(term is not None for term in terms) >= 15
        assert {param.values[0] for param in cases} == set(SAFETY_LEVELS)
