"""Text normalisation for the term filters: Unicode folding, look-alike letters, digit tricks, tokens.

Both the listed terms and the learner's text go through the same folding, so the comparison is
between canonical spellings:

1. Unicode NFKC (fullwidth and styled letters become plain: "ｇｕｎ", "𝐠𝐮𝐧" -> "gun"), then
   ``str.casefold`` ("ß" -> "ss"), then a small table of Cyrillic/Greek letters that look Latin
   ("ѕех" -> "sex"); https://docs.python.org/3/library/unicodedata.html
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

Invisible format characters (zero-width space, soft hyphen, ...) and emoji variation selectors are
removed before tokenising; :func:`clean` keeps a map back to the original positions for the UI.
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
_LOOKALIKES = str.maketrans({
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "і": "i", "ј": "j", "к": "k", "м": "m", "н": "h", "о": "o",
    "р": "p", "с": "c", "ѕ": "s", "т": "t", "у": "y", "х": "x", "ԁ": "d",
    # Greek
    "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u",
    "χ": "x",
})
_SUBSTITUTES = "013457@$!"
_LEET_I = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"})
_LEET_L = str.maketrans({"0": "o", "1": "l", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"})
_STRETCH_RE = re.compile(r"(.)\1{2,}")
_REMOVED = frozenset({"\ufe0e", "\ufe0f"})
"""Variation selectors (text/emoji presentation), removed like format characters."""


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


def clean(text: str) -> tuple[str, list[int]]:
    """Remove invisible format characters (Unicode category Cf) and variation selectors.

    Returns:
        (cleaned text, index map): ``index_map[i]`` is the position in `text` of cleaned character ``i``.
    """
    kept: list[str] = []
    index_map: list[int] = []
    for index, char in enumerate(text):
        if char in _REMOVED or unicodedata.category(char) == "Cf":
            continue
        kept.append(char)
        index_map.append(index)
    return "".join(kept), index_map


def fold(word: str, *, plain_umlauts: bool = False) -> str:
    """Canonical spelling of one word: steps 1-3 of the module docstring.

    Args:
        word: a word or phrase as written.
        plain_umlauts: map "ä ö ü" to "a o u" instead of "ae oe ue".
    Returns:
        lower-case ASCII-ish text; "_" removed ("k_i_l_l" -> "kill").
    """
    folded = unicodedata.normalize("NFKC", word).casefold().translate(_LOOKALIKES)
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
