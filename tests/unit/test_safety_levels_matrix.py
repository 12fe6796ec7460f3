"""The safety battery, part 2 (issue 7): every spelling the hostile-input review found, and a matrix of
German and English texts with the expected outcome at each of the four levels.

Each row is ``(text, kids, youth, adult, research)``: a listed term the text must be blocked with at that level,
or None where it must pass. Rows expand into one case per level, so every row tests what the level is for:
kids (8-12) block graphic violence, weapons, Nazi figures and substances, but not the knights, pirates and
dragons of picture books; youth (13-17) keep extremism, gore, self-harm, drugs, nudity and sex blocked;
adult and research block only sexualised depictions of children.
"""

from __future__ import annotations

import pytest

from devserver.safety.filters import SAFETY_LEVELS, SafetyFilter
from devserver.settings import PROJECT_ROOT

FILTERS_DIR = PROJECT_ROOT / "schemas" / "filters"
HK = "Hakenkreuz"


@pytest.fixture(scope="module")
def filters() -> dict[str, SafetyFilter]:
    return {level: SafetyFilter.load(FILTERS_DIR, level) for level in SAFETY_LEVELS}


def row(text: str, kids: str | None, youth: str | None, adult: str | None, research: str | None, row_id: str):
    return (text, dict(zip(SAFETY_LEVELS, (kids, youth, adult, research), strict=True)), row_id)


# the spellings of the review (issue 7), German and English
REVIEW = [
    row("Ha\u0301kenkreuz", HK, HK, None, None, "review-combining-accent"),
    row("H\u0301akenkreuz", HK, HK, None, None, "review-combining-accent-on-unaccentable-letter"),
    row("Hákenkreuz", HK, HK, None, None, "review-precomposed-accent"),
    row("Haken-Kreuz", HK, HK, None, None, "review-hyphen-split"),
    row("Haken kreuz", HK, HK, None, None, "review-space-split"),
    row("Hak-enkreuz", HK, HK, None, None, "review-hyphen-inside"),
    row("Haken\x00kreuz", HK, HK, None, None, "review-nul-inside"),
    row("Haken\x07kreuz", HK, HK, None, None, "review-bell-inside"),
    row("Haken\x1bkreuz", HK, HK, None, None, "review-escape-inside"),
    row("Haken\u200dkreuz", HK, HK, None, None, "review-zero-width-joiner"),
    row("Ha.ken.kreuz", HK, HK, None, None, "review-dots-inside"),
    row("Ha|ken|kreuz", HK, HK, None, None, "review-bars-inside"),
    row("swastica", "swastika", "swastika", None, None, "review-swastica"),
    row("swästika", "swastika", "swastika", None, None, "review-swaestika"),
    row("cocain", "Kokain", "Kokain", None, None, "review-cocain"),
    row("pr0n", "porn", "porn", None, None, "review-pr0n"),
    row("bringe dich um", "sich umbringen", "sich umbringen", None, None, "review-split-verb"),
    row("Eine Riesenhakenkreuzfahne", HK, HK, None, None, "review-term-inside-compound"),
    row("Die Maschinengewehrstellung", "Gewehr", None, None, None, "review-weapon-inside-compound"),
    row("Adolf Hitler", "Adolf Hitler", None, None, None, "review-hitler-at-kids"),
    row("Er ersticht ihn mit einem Messer", "ersticht", None, None, None, "review-stabbing-at-kids"),
    row("Ein Mann erhängt sich", "erhängt sich", "erhängt sich", None, None, "review-hanging-self-harm"),
    row("Kopf abgeschlagen", "Kopf abgeschlagen", None, None, None, "review-beheading-at-kids"),
    row("Ritter mit Schwert", None, None, None, None, "review-knight-with-sword-passes"),
    row("Ein Soldat mit einer Waffe", "Waffe", None, None, None, "review-soldier-weapon-youth-passes"),
    row("Blut", "Blut", None, None, None, "review-blood-youth-passes"),
]

GERMAN = [
    # kids: graphic violence, split verbs, Nazi figures; youth passes
    row("Er schlägt dem Drachen den Kopf ab", "Kopf abschlagen", None, None, None, "de-split-verb-kopf-ab"),
    row("Er bringt den Räuber um.", "umbringen", None, None, None, "de-split-verb-umbringen"),
    row("Sie bringt ihn um, weil sie wütend ist", "umbringen", None, None, None, "de-split-verb-before-comma"),
    row("Er schießt ihn nieder.", "niederschießen", None, None, None, "de-split-verb-niederschiessen"),
    row("Sie sticht den Wächter nieder", "niederstechen", None, None, None, "de-split-verb-niederstechen"),
    row("Ein Mann verblutet auf der Straße", "verblutet", None, None, None, "de-bleeding"),
    row("Er wird am Galgen gehängt", "Galgen", None, None, None, "de-gallows"),
    row("Ein geköpfter König", "geköpft", None, None, None, "de-beheaded-king"),
    row("Der Vampir trinkt Blut", "Blut", None, None, None, "de-vampire-blood"),
    row("Goebbels hält eine Rede", "Goebbels", None, None, None, "de-goebbels"),
    row("Ein Bild vom Dritten Reich", "Dritten Reich", None, None, None, "de-third-reich"),
    row("Ein Hitlerbart", "Hitler", None, None, None, "de-hitler-compound"),
    row("Eine Gaskammer", "Gaskammer", None, None, None, "de-gas-chamber"),
    row("Die Folterkammer der Burg", "Folter", None, None, None, "de-torture-chamber"),
    row("Ein Cowboy mit Revolver", "Revolver", None, None, None, "de-revolver"),
    # kids and youth: self-harm, extremism, drugs, nudity
    row("Er hängt sich auf", "sich aufhängen", "sich aufhängen", None, None, "de-split-verb-self-harm"),
    row("Bring dich um", "sich umbringen", "sich umbringen", None, None, "de-imperative-self-harm"),
    row("Sie hat sich die Pulsadern aufgeschnitten", "Pulsadern aufgeschnitten", "Pulsadern aufgeschnitten", None,
        None, "de-wrists"),
    row("Er schneidet sich die Pulsadern auf", "sich die Pulsadern aufschneiden", "sich die Pulsadern aufschneiden",
        None, None, "de-split-verb-wrists"),
    row("Nazi-Symbole an der Wand", "Nazi", "Nazi", None, None, "de-nazi-hyphen-compound"),
    row("N\u0430zis", "Nazi", "Nazi", None, None, "de-cyrillic-a-plural"),
    row("Ko-kain", "Kokain", "Kokain", None, None, "de-kokain-hyphen"),
    row("K o k a i n", "Kokain", "Kokain", None, None, "de-kokain-spaced"),
    row("Er hat Kokain geschnupft", "Kokain", "Kokain", None, None, "de-kokain-sentence"),
    row("Selbst-mord", "Selbstmord", "Selbstmord", None, None, "de-selbstmord-hyphen"),
    row("Eine nackte Frau", "nackte", "nackte", None, None, "de-nudity-youth"),
    row("Ein Blutbad im Film", "Blutbad", "Blutbad", None, None, "de-gore-youth"),
    # every level: sexualised minors
    row("Kinderpornografie", "Kinderpornografie", "Kinderpornografie", "Kinderpornografie", "Kinderpornografie",
        "de-all-levels-term"),
    row("K1nderp0rno", "Kinderporno", "Kinderporno", "Kinderporno", "Kinderporno", "de-all-levels-digits"),
    row("Kinder-porno", "Kinderporno", "Kinderporno", "Kinderporno", "Kinderporno", "de-all-levels-hyphen"),
    row("Kinder nackt am Strand", "nackt", "nackt", "nackt", "nackt", "de-all-levels-near"),
    row("Ein nacktes Baby", "Baby", "Baby", "Baby", "Baby", "de-all-levels-near-baby"),
    row("12-jährige in Unterwäsche", "Unterwäsche", "Unterwäsche", "Unterwäsche", "Unterwäsche",
        "de-all-levels-near-age"),
    # must pass everywhere: picture books, history lessons, look-alikes of the new rules
    row("Der Pirat schwingt seinen Säbel", None, None, None, None, "de-pass-pirate-sabre"),
    row("Ein Drache speit Feuer auf die Burg", None, None, None, None, "de-pass-dragon-castle"),
    row("Ein Ritter mit Pfeil und Bogen", None, None, None, None, "de-pass-bow-and-arrow"),
    row("Die Kanone auf dem Piratenschiff", None, None, None, None, "de-pass-cannon"),
    row("Zwei Ritter kämpfen mit Schwertern im Turnier", None, None, None, None, "de-pass-tournament"),
    row("Der Wikinger mit Speer und Schild", None, None, None, None, "de-pass-viking"),
    row("Zinnsoldaten auf dem Tisch", None, None, None, None, "de-pass-tin-soldiers"),
    row("Die Hexe fliegt auf dem Besen", None, None, None, None, "de-pass-witch"),
    row("Ein Skelett im Museum", None, None, None, None, "de-pass-skeleton"),
    row("Ein Drache mit Drachenblut", None, None, None, None, "de-pass-dragon-blood"),
    row("Er bringt das Buch um acht Uhr zurück", None, None, None, None, "de-pass-um-preposition"),
    row("Sie hängt das Bild an die Wand", None, None, None, None, "de-pass-hangs-picture"),
    row("Er hängt die Wäsche auf", None, None, None, None, "de-pass-hangs-laundry"),
    row("Er hängt das Bild auf", None, None, None, None, "de-pass-er-haengt-not-erhaengt"),
    row("Er sticht mit der Nadel", None, None, None, None, "de-pass-er-sticht-not-ersticht"),
    row("Die Blumen sind verblüht", None, None, None, None, "de-pass-verblueht"),
    row("Erschließen Sie neue Welten", None, None, None, None, "de-pass-erschliessen"),
    row("Ein geknöpftes Hemd", None, None, None, None, "de-pass-geknoepft"),
    row("Galgenmännchen spielen", None, None, None, None, "de-pass-hangman-game"),
    row("Die Mutation im Labor", None, None, None, None, "de-pass-mutation"),
    row("Eine Wasser-Pistole im Garten", None, None, None, None, "de-pass-hyphenated-toy"),
    row("Eine Wasserpistole im Garten", None, None, None, None, "de-pass-wasserpistole"),
    row("Mit dem Bogen schießt er auf die Zielscheibe", None, None, None, None, "de-pass-archery"),
]

ENGLISH = [
    # kids only
    row("he stabs the guard", "stabs", None, None, None, "en-stabs"),
    row("his head cut off", "head cut off", None, None, None, "en-head-cut-off"),
    row("he bled to death", "bled to death", None, None, None, "en-bled-to-death"),
    row("a man was hanged at dawn", "hanged", None, None, None, "en-hanged"),
    row("burned alive", "burned alive", None, None, None, "en-burned-alive"),
    row("a portrait of Hitler", "Hitler", None, None, None, "en-hitler"),
    row("the Third Reich", "Third Reich", None, None, None, "en-third-reich"),
    row("a gas chamber", "gas chamber", None, None, None, "en-gas-chamber"),
    row("a glass of beer", "beer", None, None, None, "en-beer"),
    row("a shotgun", "shotgun", None, None, None, "en-shotgun"),
    row("a bloody battlefield", "bloody", None, None, None, "en-bloody"),
    row("cigarettes", "cigarette", None, None, None, "en-cigarettes"),
    row("he was shot dead", "shot dead", None, None, None, "en-shot-dead"),
    # kids and youth
    row("a man hangs himself", "hangs himself", "hangs himself", None, None, "en-hangs-himself"),
    row("she slits her wrists", "slits her wrists", "slits her wrists", None, None, "en-wrists"),
    row("kill yourself", "kill yourself", "kill yourself", None, None, "en-kill-yourself"),
    row("a severed head", "severed head", "severed head", None, None, "en-severed-head"),
    row("n\u0430zi", "nazi", "nazi", None, None, "en-cyrillic-a"),
    row("\u0274\u1d00\u1d22\u026a", "nazi", "nazi", None, None, "en-small-capitals"),
    row("N.A.Z.I", "nazi", "nazi", None, None, "en-dotted"),
    row("na-zi", "nazi", "nazi", None, None, "en-hyphen-inside"),
    row("swas tika", "swastika", "swastika", None, None, "en-space-inside"),
    row("s w a s t i k a", "swastika", "swastika", None, None, "en-spaced"),
    row("h\u0336e\u0336r\u0336o\u0336i\u0336n\u0336", "heroin", "heroin", None, None, "en-strikethrough-marks"),
    row("he\u00adroin", "heroin", "heroin", None, None, "en-soft-hyphen"),
    row("c\u043ecaine", "cocaine", "cocaine", None, None, "en-cyrillic-o"),
    row("cokaine", "cocaine", "cocaine", None, None, "en-k-for-c"),
    row("pornographic", "pornographic", "pornographic", None, None, "en-pornographic"),
    row("nsfw art", "NSFW", "NSFW", None, None, "en-nsfw"),
    row("a decapitated statue", "decapitated", "decapitated", None, None, "en-decapitated"),
    # every level
    row("a naked child", "child", "child", "child", "child", "en-all-near"),
    row("child porn", "child porn", "child porn", "child porn", "child porn", "en-all-child-porn"),
    row("a toddler in lingerie", "lingerie", "lingerie", "lingerie", "lingerie", "en-all-toddler"),
    row("underage sex", "underage sex", "underage sex", "underage sex", "underage sex", "en-all-underage"),
    row("ch1ld p0rn", "child porn", "child porn", "child porn", "child porn", "en-all-digits"),
    row("l\u043eli", "loli", "loli", "loli", "loli", "en-all-cyrillic"),
    # must pass everywhere
    row("the knight draws his sword", None, None, None, None, "en-pass-knight-sword"),
    row("a pirate with a cutlass", None, None, None, None, "en-pass-pirate"),
    row("a dragon guards the castle", None, None, None, None, "en-pass-dragon"),
    row("a wizard casts a spell", None, None, None, None, "en-pass-wizard"),
    row("a skeleton at Halloween", None, None, None, None, "en-pass-skeleton"),
    row("a bow and arrow", None, None, None, None, "en-pass-bow"),
    row("a ghost in the attic", None, None, None, None, "en-pass-ghost"),
    row("a teen in a swimsuit at the beach", None, None, None, None, "en-pass-teen-swimsuit"),
    row("a strange old house", None, None, None, None, "en-pass-strange"),
    row("strangers in the night", None, None, None, None, "en-pass-strangers"),
    row("a mutation in the lab", None, None, None, None, "en-pass-mutation"),
    row("the heroine rides a horse", None, None, None, None, "en-pass-heroine"),
    row("a heron by the lake", None, None, None, None, "en-pass-heron"),
    row("a map of Niger", None, None, None, None, "en-pass-niger"),
    row("the pronoun of the sentence", None, None, None, None, "en-pass-pronoun"),
    row("a cocoa drink", None, None, None, None, "en-pass-cocoa"),
    row("a viking warrior with a shield", None, None, None, None, "en-pass-viking"),
]


def _cases(rows: list) -> list:
    return [pytest.param(level, text, expected[level], id=f"{row_id}-{level}")
            for text, expected, row_id in rows for level in SAFETY_LEVELS]


@pytest.mark.parametrize(("level", "text", "term"), _cases(REVIEW + GERMAN + ENGLISH))
def test_matrix(filters: dict[str, SafetyFilter], level: str, text: str, term: str | None) -> None:
    result = filters[level].check(text)
    found = [(hit.term, hit.matched, hit.list_name) for hit in result.hits]
    if term is None:
        assert not result.blocked, f"{text!r} must pass at {level}, got {found}"
    else:
        assert result.blocked, f"{text!r} must be blocked at {level}"
        found_terms = [t.casefold() for t in result.found_terms]
        assert term.casefold() in found_terms, f"{text!r}: expected {term!r}, got {found}"


def test_matrix_size() -> None:
    """Issue 7: at least 40 new cases per language per level, blocked and passing at every level."""
    for rows in (GERMAN, ENGLISH):
        assert len(rows) >= 40
        for level in SAFETY_LEVELS:
            outcomes = [expected[level] for _, expected, _ in rows]
            assert sum(o is None for o in outcomes) >= 5 and sum(o is not None for o in outcomes) >= 5, level
