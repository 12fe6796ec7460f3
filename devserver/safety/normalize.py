"""Text normalisation for the term filters: Unicode folding, look-alike letters, digit tricks, tokens.

Both the listed terms and the learner's text go through the same folding, so the comparison is
between canonical spellings:

1. Unicode NFKC (fullwidth and styled letters become plain: "ｇｕｎ", "𝐠𝐮𝐧" -> "gun"), then homoglyph
   folding: every letter that Unicode's confusables data (UTS #39, https://www.unicode.org/reports/tr39/,
   read from the ``confusable_homoglyphs`` package) lists as a look-alike of plain Latin letters becomes
   them (Cyrillic "ѕех" -> "sex", Greek "Νazi", small capitals "ᴋɪʟʟ", "ø" -> "o", "æ" -> "ae"), then
   ``str.casefold`` ("ß" -> "ss"); https://docs.python.org/3/library/unicodedata.html
2. German umlauts become "ae", "oe", "ue" (the usual transliteration); a *term* also gets the plain
   vowel form ("Mörder" matches "Moerder" and "Morder"), a text word only the "ae" form, so an innocent
   word with an umlaut never loses it ("Blüte" stays "bluete" and is not "blut" + "e").
3. Other accents are stripped (NFKD, combining marks removed): "é" -> "e".
4. In a text word that has letters and digits/symbols, the usual letter substitutes are undone:
   0->o, 1->i (and, as a second variant, 1->l), 3->e, 4->a, 5->s, 7->t, @->a, $->s, !->i ("k1ll", "$ex").
   Words of digits only stay as they are ("1990", "47").
5. A letter repeated three times or more is a stretch, not a spelling: "guuuun" -> "gun", "killll" ->
   "kill" (variants with the run collapsed to one and to two letters). Double letters are kept, so
   "Fagott" stays different from "faggot".

Before tokenising, :func:`clean` composes each letter with its accents (NFC), then removes what is
invisible or decorative: combining marks left over ("H\u0301akenkreuz", "Z̷a̷l̷g̷o̷"), format characters
(zero-width space, soft hyphen, bidi controls: Unicode category Cf), variation selectors and control
characters (category Cc; line breaks and tabs stay as white space). It keeps a map back to the original
positions for the UI. Words split by separators ("Haken-Kreuz", "Haken kreuz", "Ha.ken.kreuz") are
joined again by the matcher (:func:`joined_runs`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

TOKEN_RE = re.compile(r"[\w@$!]+")
"""A word: letters, digits, underscore and the substitute symbols @ $ ! (``\\w`` is Unicode-aware)."""

HYPHENS = frozenset("-\u2010\u2011")
"""Characters that join the parts of a hyphenated compound ("Blut-Orange")."""

_UMLAUT_AE = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})
_UMLAUT_PLAIN = str.maketrans({"ä": "a", "ö": "o", "ü": "u"})
_LOOKALIKES_EXTRA = {
    # Cyrillic and Greek lower-case letters that confusables.txt maps only in their upper-case form or to
    # another look-alike, but that learners type as Latin letters ("ѕех", "κill", "βomb")
    "в": "b", "ё": "e", "к": "k", "м": "m", "н": "h", "т": "t", "β": "b", "ε": "e", "κ": "k", "τ": "t",
    "χ": "x",
    # LATIN LETTER SMALL CAPITAL A..Z (Unicode names; confusables.txt lists only some of them)
    "ᴀ": "a", "ʙ": "b", "ᴄ": "c", "ᴅ": "d", "ᴇ": "e", "ꜰ": "f", "ɢ": "g", "ʜ": "h", "ɪ": "i", "ᴊ": "j", "ᴋ": "k",
    "ʟ": "l", "ᴍ": "m", "ɴ": "n", "ᴏ": "o", "ᴘ": "p", "ʀ": "r", "ꜱ": "s", "ᴛ": "t", "ᴜ": "u", "ᴠ": "v", "ᴡ": "w",
    "ʏ": "y", "ᴢ": "z",
}
"""Look-alikes added to Unicode's confusables data (checked by tests/unit/test_safety_normalize.py)."""


@lru_cache(maxsize=1)
def lookalike_table() -> dict[int, str]:
    """``str.translate`` table: non-ASCII letters -> the plain Latin letters they look like.

    Source: the Unicode Consortium's confusables.txt (UTS #39 "Unicode Security Mechanisms", section 4),
    as shipped in the ``confusable_homoglyphs`` package's ``confusables.json``; kept are single letters
    whose confusable is one or two ASCII letters once combining marks are removed ("ø" is "o̸" -> "o").
    Letters with accents that NFKD decomposes ("é", "ä") are not in the data and are handled by
    :func:`fold` (umlauts transliterated, other accents stripped).
    """
    import json
    from importlib import resources

    data = json.loads((resources.files("confusable_homoglyphs") / "confusables.json").read_text(encoding="utf-8"))
    table: dict[int, str] = {}
    for char, entries in data.items():
        if len(char) != 1 or char.isascii() or not unicodedata.category(char).startswith("L"):
            continue
        if unicodedata.normalize("NFD", char) != char:
            continue  # accented letters ("Ö", confusable with "Ő") are folded by fold(): umlauts transliterated
        for entry in entries:
            plain = "".join(ch for ch in unicodedata.normalize("NFD", entry["c"]) if not unicodedata.combining(ch))
            if plain.isascii() and plain.isalpha() and 1 <= len(plain) <= 2:
                table[ord(char)] = plain.lower()
                break
    table.update({ord(char): plain for char, plain in _LOOKALIKES_EXTRA.items()})
    return table

_SUBSTITUTES = "013457@$!"
_LEET_I = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"})
_LEET_L = str.maketrans({"0": "o", "1": "l", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"})
_STRETCH_RE = re.compile(r"(.)\1{2,}")
_REMOVED = frozenset({"\ufe0e", "\ufe0f"})
"""Variation selectors (text/emoji presentation), removed like format characters."""
_KEPT_CONTROLS = frozenset("\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85")
"""Control characters that are white space (line and field separators): kept, they separate words."""


@dataclass(frozen=True)
class Token:
    """One word of a text.

    Attributes:
        start, end: character span in the cleaned text (see :func:`clean`).
        raw: the word as written (without leading/trailing "!").
        forms: its normalised spellings (see the module docstring), the first being the plain one.
        hyphen_next: the word is directly followed by a hyphen and another word ("Blut" in "Blut-Orange").
    """

    start: int
    end: int
    raw: str
    forms: tuple[str, ...]
    hyphen_next: bool


def _invisible(char: str) -> bool:
    """True for characters :func:`clean` removes: combining marks, format and control characters, selectors."""
    if char in _REMOVED:
        return True
    category = unicodedata.category(char)
    if category in ("Mn", "Me", "Cf"):
        return True
    return category == "Cc" and char not in _KEPT_CONTROLS


def clean_spans(text: str) -> tuple[str, list[int], list[int]]:
    """Compose accents (NFC per letter), then remove invisible characters (see the module docstring).

    Returns:
        (cleaned text, starts, ends): cleaned character ``i`` comes from ``text[starts[i]:ends[i]]`` (a letter
        together with the marks that followed it).
    """
    kept: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    index = 0
    while index < len(text):
        end = index + 1
        while end < len(text) and unicodedata.combining(text[end]):
            end += 1  # a letter and its combining marks form one cluster
        cluster = unicodedata.normalize("NFC", text[index:end]) if end - index > 1 else text[index]
        for char in cluster:
            if not _invisible(char):
                kept.append(char)
                starts.append(index)
                ends.append(end)
        index = end
    return "".join(kept), starts, ends


def clean(text: str) -> tuple[str, list[int]]:
    """:func:`clean_spans` without the end positions.

    Returns:
        (cleaned text, index map): ``index_map[i]`` is the position in `text` where cleaned character ``i``
        (or the letter it was composed from) starts.
    """
    cleaned, starts, _ = clean_spans(text)
    return cleaned, starts


def fold(word: str, *, plain_umlauts: bool = False) -> str:
    """Canonical spelling of one word: steps 1-3 of the module docstring.

    Args:
        word: a word or phrase as written.
        plain_umlauts: map "ä ö ü" to "a o u" instead of "ae oe ue".
    Returns:
        lower-case ASCII-ish text; "_" removed ("k_i_l_l" -> "kill").
    """
    folded = unicodedata.normalize("NFKC", word).translate(lookalike_table()).casefold()
    folded = folded.translate(_UMLAUT_PLAIN if plain_umlauts else _UMLAUT_AE)
    if not folded.isascii():
        folded = "".join(ch for ch in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(ch))
    return folded.replace("_", "")


def term_forms(word: str) -> tuple[str, ...]:
    """Spellings a listed word is matched by: the "ae" form and, if different, the plain-vowel form."""
    return tuple(dict.fromkeys((fold(word), fold(word, plain_umlauts=True))))


@lru_cache(maxsize=8192)
def text_forms(raw: str) -> tuple[str, ...]:
    """Spellings of one text word: folded, substitutes undone (steps 4-5), stretches collapsed.

    Args:
        raw: a word as found by :data:`TOKEN_RE` (without leading/trailing "!").
    Returns:
        unique forms, the plain folded one first; empty when nothing is left ("__").
    """
    base = fold(raw)
    forms = [base]
    if any(ch.isalpha() for ch in base) and any(ch in _SUBSTITUTES for ch in base):
        forms += [base.translate(_LEET_I), base.translate(_LEET_L)]
    for form in list(forms):
        if _STRETCH_RE.search(form):
            forms += [_STRETCH_RE.sub(r"\1", form), _STRETCH_RE.sub(r"\1\1", form)]
    return tuple(form for form in dict.fromkeys(forms) if form)


def tokenize(cleaned: str) -> list[Token]:
    """Split a cleaned text into words with their forms.

    Leading and trailing "!" belong to the sentence, not the word ("gun!" -> "gun"); inside a word "!" is
    the letter i ("k!ll").
    """
    tokens: list[Token] = []
    for match in TOKEN_RE.finditer(cleaned):
        start, end = match.span()
        while start < end and cleaned[start] == "!":
            start += 1
        while end > start and cleaned[end - 1] == "!":
            end -= 1
        raw = cleaned[start:end]
        forms = text_forms(raw) if raw else ()
        if not forms:
            continue
        hyphen_next = (end + 1 < len(cleaned) and cleaned[end] in HYPHENS
                       and TOKEN_RE.match(cleaned, end + 1) is not None)
        tokens.append(Token(start, end, raw, forms, hyphen_next))
    return tokens


def spaced_runs(cleaned: str, tokens: list[Token], *, min_letters: int = 3, max_gap: int = 3) -> list[list[int]]:
    """Runs of single-character words separated only by short gaps of punctuation or spaces.

    "g u n", "k.i.l.l" and "n-a-z-i" are runs; the caller joins their characters into one word.

    Args:
        cleaned: the cleaned text the tokens come from.
        tokens: its words.
        min_letters: shortest run reported.
        max_gap: longest gap (in characters, no letters or digits) between two characters of a run.
    Returns:
        lists of token indices, in text order.
    """
    runs: list[list[int]] = []
    current: list[int] = []
    for index, token in enumerate(tokens):
        if token.end - token.start == 1:
            if current:
                gap = cleaned[tokens[current[-1]].end:token.start]
                if len(gap) > max_gap or "\n" in gap:
                    if len(current) >= min_letters:
                        runs.append(current)
                    current = []
            current.append(index)
            continue
        if len(current) >= min_letters:
            runs.append(current)
        current = []
    if len(current) >= min_letters:
        runs.append(current)
    return runs


SEPARATORS = frozenset(" \u00a0\u2009\u202f-\u2010\u2011\u2012\u2013\u2014.*\u00b7\u2022|/\\'`\u00b4~+:^\"\u2019")
"""Characters that may split a word without ending it ("Haken-Kreuz", "Haken kreuz", "Ha.ken.kreuz", "Ha|ken")."""
CLAUSE_MARKS = frozenset(".,;:!?\n\r")
"""Characters that end a clause (used by the separable-verb rule)."""
JOIN_MIN_SPACED = 4
"""Fewest letters of each part of a word split by white space ("Haken kreuz")."""
JOIN_MAX_GAP = 3
"""Longest run of separators between two parts of a split word, in characters."""


def gap(cleaned: str, left: Token, right: Token) -> str:
    """The characters between two tokens."""
    return cleaned[left.end:right.start]


def joined_runs(cleaned: str, tokens: list[Token]) -> list[tuple[int, int, bool]]:
    """Groups of neighbouring words that may be one split word: "Haken kreuz", "Hak-enkreuz", "Ha.ken.kreuz".

    Two words may be joined when only separators (:data:`SEPARATORS`, at most :data:`JOIN_MAX_GAP`
    characters, no line break) stand between them. Groups are at most 3 words when every gap is tight (no
    white space: "Ha.ken.kreuz") and 2 words otherwise ("Haken kreuz", "Haken - kreuz"); words joined across
    white space need at least :data:`JOIN_MIN_SPACED` letters each, so a pronoun and a verb never become one
    word ("Er hängt das Bild auf" is not "erhängt", "Er sticht mit der Nadel" not "ersticht").

    Returns:
        (first token index, last token index, tight) for every group of 2 or 3 words.
    """
    groups: list[tuple[int, int, bool]] = []
    for first in range(len(tokens) - 1):
        tight = True
        for last in range(first + 1, min(len(tokens), first + 3)):
            between = gap(cleaned, tokens[last - 1], tokens[last])
            if not between or len(between) > JOIN_MAX_GAP or not set(between) <= SEPARATORS:
                break
            tight = tight and not any(ch.isspace() for ch in between)
            shortest = min(len(tokens[first].raw), len(tokens[last].raw))
            if not tight and (last - first == 2 or shortest < JOIN_MIN_SPACED):
                break
            groups.append((first, last, tight))
    return groups


def sound_key(form: str) -> str:
    """A spelling-insensitive key of a folded word: c/k, ph/f, tz/z, y/i and th/t merged.

    "cocain" and "Kokain" share "kokain", "swastica" and "swastika" share "swastika", "Hakenkreutz" and
    "Hakenkreuz" share "hakenkreuz". "ch" and "sch" keep their c ("Schlacht" stays "schlacht"). Doubled
    letters are kept: merging them would make "Fagott" a slur and "Niger" another.
    """
    key = form.replace("ph", "f").replace("ck", "k").replace("qu", "kw").replace("ch", "\x01")
    return key.replace("c", "k").replace("\x01", "ch").replace("tz", "z").replace("th", "t").replace("y", "i")


def interior_swaps(form: str) -> set[str]:
    """Every spelling of `form` with two neighbouring inner letters swapped; first and last letter stay.

    "porn" -> {"pron"}; "Hitler" -> {"Hilter", ...}: the most common typing slip of short words, which the
    fuzzy ratio does not catch below 8 letters (a swap costs two Indel edits).
    """
    swaps = set()
    for index in range(1, len(form) - 2):
        if form[index] != form[index + 1]:
            swaps.add(form[:index] + form[index + 1] + form[index] + form[index + 2:])
    return swaps
