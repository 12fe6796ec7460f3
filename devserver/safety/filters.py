"""Safety term filters (stages 1 and 3c): bilingual term lists, matched with spelling tricks undone.

The server's safety level (``kids``, ``youth``, ``adult``, ``research``) selects the lists under
``schemas/filters/`` whose ``levels`` contain it; every selected list, German and English, is checked
against every text. A hit blocks the run.

How a text word matches a listed term (both normalised by :mod:`devserver.safety.normalize`):

1. Exactly, also with the ending "-s" ("guns"), and for German terms ending in "e" with "-n" ("Waffen").
2. Spelling variants: rapidfuzz's ``fuzz.ratio`` (normalised Indel similarity, 0-100;
   https://rapidfuzz.github.io/RapidFuzz/Usage/fuzz.html#ratio) on whole words, only for terms of at
   least 8 letters. Thresholds (:func:`fuzzy_threshold`): 8 letters 90 (one letter inserted or dropped,
   no substitution: "erotisch" must not match "exotisch", ratio 87.5), 9-11 letters 88 (one substitution:
   "marihuana" ~ "marijuana", 88.9), 12 and more 85. The first letter must agree, and a shorter word must
   end like the term ("revolve" is not "revolver", "Granat" is not "Granate"). Shorter terms match exactly
   only: "Waffel" is not "Waffe", "heroine" not "heroin", "trifle" not "rifle".
3. Phrases ("shoot someone") match consecutive words; their joined form ("shootsomeone") matches one word.
4. German compounds (explicit, per list, see :class:`~devserver.contracts.filter_files.MatchOptions`):
   a term in ``compound_heads`` also matches as the last part of a word with at least 3 letters before it
   and an optional ending (-e, -n, -en, -s, -es, -er, -ern): "Maschinengewehren"; a term in
   ``compound_modifiers`` also matches as the first part with at least 3 letters after it:
   "Gewehrkolben"; a term in both also matches inside a word with 3 letters on each side:
   "Schusswaffengebrauch". Any other term at the start of a word never matches ("Schwertwal",
   "Drogerie", "Bluthochdruck"). A German term directly followed by "-word" is the first part of a
   hyphenated compound and, like in a closed compound, counts only if it is a compound modifier
   ("Blut-Orange" passes, "Nazi-Symbol" is blocked).
5. Spaced-out letters ("g u n", "k.i.l.l", "n-a-z-i") are joined and matched exactly (the whole run also
   fuzzily); symbol terms ("🔫") match anywhere in the text.
6. ``allow`` entries of a list remove its hits: a hit whose word contains an allowed word ("Wasserpistole",
   "Waffeleisen" contains "Waffel") or that lies inside an allowed phrase ("glue gun", "killer whale").
7. A ``near`` rule blocks a word of its first group within ``window`` words of a word of its second group
   ("nacktes Kind"), matched exactly like rule 1.
8. Split words: neighbouring words separated only by a hyphen, a space or another separator are joined and
   matched again ("Haken-Kreuz", "Haken kreuz", "Hak-enkreuz", "Ha.ken.kreuz"; see
   :func:`~devserver.safety.normalize.joined_runs`); compounds only for joins without white space.
9. Common misspellings of short terms: a shared sound key (:func:`~devserver.safety.normalize.sound_key`:
   c/k, ph/f, tz/z, y/i, doubled letters) for terms of at least 5 letters ("cocain" ~ "Kokain", "swastica"),
   and two neighbouring inner letters swapped for single-word terms of 4-7 letters ("pr0n" -> "pron" ~
   "porn", "Hilter" ~ "Hitler").
10. German separable verbs (``match.separable_verbs``): "Er bringt ihn um", "Bring dich um" (see
    :class:`~devserver.contracts.filter_files.SeparableVerb`).
11. A reviewed allow-list (``schemas/filters/allow/*.json``, children's-book words such as "Ritter",
    "Schwert", "Drache") removes every hit on an allowed word, and no list may list such a word.

Everything that depends only on the lists is precomputed by :meth:`SafetyFilter.load`.
"""

from __future__ import annotations

import itertools
import typing
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from devserver.contracts.common import SafetyLevel
from devserver.contracts.filter_files import AllowListFile, FilterFile
from devserver.contracts.json_files import load_json_file
from devserver.errors import SchemaFileError
from devserver.safety.normalize import (
    CLAUSE_MARKS,
    TOKEN_RE,
    Token,
    clean,
    clean_spans,
    fold,
    gap,
    interior_swaps,
    joined_runs,
    sound_key,
    spaced_runs,
    term_forms,
    text_forms,
    tokenize,
)

SAFETY_LEVELS: tuple[str, ...] = typing.get_args(SafetyLevel)
"""All safety levels, strictest first."""

COMPOUND_ENDINGS = ("", "e", "n", "en", "s", "es", "er", "ern")
"""German endings a compound head may carry ("Sturmgewehr-e", "Atombombe-n", "Völkermord-es")."""
COMPOUND_MIN_TERM = 4
"""Shortest compound head/modifier, in letters (normalised)."""
COMPOUND_MIN_REST = 3
"""Fewest letters the rest of a compound must have ("gewehrt" is a verb form, "Gewehrkolben" a compound)."""
FUZZY_MIN_LENGTH = 8
"""Shortest term (normalised letters) matched fuzzily; shorter ones match exactly only."""
FUZZY_CUTOFF = 85.0
"""Lowest threshold of :func:`fuzzy_threshold`, used as rapidfuzz's ``score_cutoff``."""
SOUND_MIN_LENGTH = 5
"""Shortest term (normalised letters) matched by its sound key (rule 9)."""
SWAP_LENGTHS = range(4, 8)
"""Lengths of single-word terms matched with two neighbouring inner letters swapped (rule 9)."""
NEAR_MISS_SCORE = 95.0
"""Score reported for sound-key and swapped-letter matches."""
CONJUNCTIONS = frozenset({"und", "oder", "aber", "weil", "denn", "dass", "als", "wenn", "waehrend", "bevor",
                          "nachdem", "obwohl", "damit", "sondern"})
"""German conjunctions that start a new clause (the separated particle stands before them)."""
SPACED_MAX_LETTERS = 24
"""Longest part of a spaced-out run that is tried as one word ("k i l l" inside "a k i l l e r ...")."""
EXACT_SCORE = 100.0


def fuzzy_threshold(length: int) -> float | None:
    """The rapidfuzz ``fuzz.ratio`` a word needs to match a term of `length` letters; None: exact only.

    Calibrated on the Indel ratio 2*matches/(len_a+len_b)*100: for 8 letters one inserted or dropped
    letter scores 93-94 and one substituted letter 87.5 (too close to real words: "exotisch"/"erotisch"),
    for 9 letters one substitution scores 88.9, for 12 letters two edits score 83-88.
    """
    if length < FUZZY_MIN_LENGTH:
        return None
    if length == FUZZY_MIN_LENGTH:
        return 90.0
    if length < 12:
        return 88.0
    return FUZZY_CUTOFF


@dataclass(frozen=True)
class FilterHit:
    """One match of a listed term in a text.

    Attributes:
        term: the listed term, as written in the filter file.
        matched: the text fragment that matched, in its original spelling (for the UI).
        list_name: the filter file's name, e.g. "violence".
        language: the term's language in the file, "de" or "en".
        score: 100.0 for exact, compound, phrase, near and symbol matches; the rapidfuzz ratio otherwise.
    """

    term: str
    matched: str
    list_name: str
    language: str
    score: float


@dataclass(frozen=True)
class FilterResult:
    """The outcome of one :meth:`SafetyFilter.check`.

    Attributes:
        blocked: True when there is at least one hit.
        found_terms: unique listed terms (case-insensitively: "Sex"/"sex" once), in order of first appearance.
        hits: every hit, in text order.
        level: the safety level the filter was loaded for.
        lists_checked: names of the lists that apply to `level`.
    """

    blocked: bool
    found_terms: list[str]
    hits: list[FilterHit]
    level: str
    lists_checked: list[str]

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form, as written to the run folder's ``03_safety_stage1.json``.

        Returns:
            ``{"blocked", "level", "lists_checked", "found_terms", "hits": [{"term", "matched", "list_name",
            "language", "score"}]}``; scores rounded to one decimal.
        """
        return {
            "blocked": self.blocked,
            "level": self.level,
            "lists_checked": list(self.lists_checked),
            "found_terms": list(self.found_terms),
            "hits": [{"term": hit.term, "matched": hit.matched, "list_name": hit.list_name,
                      "language": hit.language, "score": round(hit.score, 1)} for hit in self.hits],
        }


# --- compiled lists -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    """A listed term (or a near-rule word) of one list."""

    term: str
    list_name: str
    language: str
    role: str = "term"
    """"term", or "first"/"second" for the two groups of a near rule."""
    modifier: bool = False
    phrase: bool = False


@dataclass(frozen=True)
class _Phrase:
    words: tuple[frozenset[str], ...]
    """Accepted forms of each word, in order."""
    entry: _Entry


@dataclass(frozen=True)
class _Separable:
    """A compiled separable-verb rule (see SeparableVerb)."""

    forms: frozenset[str]
    particle: frozenset[str]
    between: frozenset[str]
    window: int
    entry: _Entry


@dataclass
class _CompiledList:
    """One filter file, prepared for matching."""

    name: str
    levels: tuple[str, ...]
    rel: str = ""
    description: str = ""
    near_miss: list[tuple[str, _Entry]] = field(default_factory=list)
    separable: list[_Separable] = field(default_factory=list)
    exact: list[tuple[str, _Entry]] = field(default_factory=list)
    fuzzy: list[tuple[str, _Entry]] = field(default_factory=list)
    phrases: list[_Phrase] = field(default_factory=list)
    symbols: list[tuple[str, _Entry]] = field(default_factory=list)
    heads: list[tuple[str, _Entry]] = field(default_factory=list)
    modifiers: list[tuple[str, _Entry]] = field(default_factory=list)
    allow_words: tuple[str, ...] = ()
    allow_phrases: tuple[tuple[frozenset[str], ...], ...] = ()
    near_window: int | None = None


PARTICIPLE_ENDINGS = ("e", "en", "er", "es", "em")
"""Adjective endings of German participles ("geköpft" -> "geköpfter König", "verblutete")."""


def _form_keys(form: str, language: str) -> set[str]:
    """Words a normalised term form matches exactly: itself, "-s", "-n" for German forms ending in "e", and the
    adjective endings -e, -en, -er, -es, -em for German words of 6+ letters ending in "t" (participles)."""
    keys = {form, form + "s"}
    if language == "de" and form.endswith("e"):
        keys.add(form + "n")
    if language == "de" and form.endswith("t") and len(form) >= 6:
        keys.update(form + ending for ending in PARTICIPLE_ENDINGS)
    return keys


def _word_keys(word: str, language: str) -> set[str]:
    """:func:`_form_keys` of every spelling of a listed word ("Mörder": "moerder", "morder", ...)."""
    return set().union(*(_form_keys(form, language) for form in term_forms(word)))


def _split_words(term: str) -> list[str]:
    return [word.strip("!") for word in TOKEN_RE.findall(term) if word.strip("!")]


def _compile(model: FilterFile, rel: str) -> _CompiledList:
    """Prepare one validated file; checks what depends on normalisation.

    Raises:
        SchemaFileError: a term normalises to nothing or duplicates another of its language; a compound
            term is not one of terms.de or too short; a near-rule word is not a single word.
    """
    compiled = _CompiledList(name=model.name, levels=tuple(model.levels), rel=rel, description=model.description)
    heads = _compound_terms(model, rel, "compound_heads")
    modifiers = _compound_terms(model, rel, "compound_modifiers")
    listed = {term for _, _, term in model.terms.indexed()}
    exact_only = set(model.match.exact_only)
    for index, term in enumerate(model.match.exact_only):
        if term not in listed:
            raise SchemaFileError(rel, f"match.exact_only.{index}",
                                  f"{term!r} is not one of terms (write it exactly as there)")
    # 1. terms
    seen: dict[tuple[str, str], str] = {}
    for language, index, term in model.terms.indexed():
        where = f"terms.{language}.{index}"
        words = _split_words(term)
        symbol = clean(term)[0].replace(" ", "")
        key = (language, "".join(fold(word) for word in words) or symbol)
        if key in seen:
            raise SchemaFileError(rel, where, f"{term!r} is the same as {seen[key]} after normalisation")
        seen[key] = where
        entry = _Entry(term, model.name, language, modifier=language == "de" and term in modifiers,
                       phrase=len(words) > 1)
        if not words:
            if symbol.isascii():
                raise SchemaFileError(rel, where, f"{term!r} has no letters and is not a symbol (emoji)")
            compiled.symbols.append((symbol, entry))
            continue
        if len(words) > 1:
            compiled.phrases.append(_Phrase(tuple(frozenset(_word_keys(w, language)) for w in words), entry))
        for form in {"".join(parts) for parts in itertools.product(*(term_forms(w) for w in words))}:
            compiled.exact += [(key_form, entry) for key_form in _form_keys(form, language)]
            if fuzzy_threshold(len(form)) is not None and term not in exact_only:
                compiled.fuzzy.append((form, entry))
        if len(words) == 1 and term not in exact_only:
            for form in term_forms(term):
                near = {sound_key(form)} - {form} if len(form) >= SOUND_MIN_LENGTH else set()
                near |= interior_swaps(form) if len(form) in SWAP_LENGTHS and form.isalpha() else set()
                compiled.near_miss += [(key, entry) for variant in near for key in _form_keys(variant, language)]
        if term in heads:
            compiled.heads += [(form, entry) for form in term_forms(term)]
        if term in modifiers:
            compiled.modifiers += [(form, entry) for form in term_forms(term)]
    # 2. allowed words (matched by containment) and phrases (matched word by word)
    allowed = [(language, _split_words(item)) for language, _, item in model.match.allow.indexed()]
    compiled.allow_words = tuple(sorted({form for _, words in allowed if len(words) == 1
                                         for form in term_forms(words[0])}))
    compiled.allow_phrases = tuple(tuple(frozenset(_word_keys(word, language)) for word in words)
                                   for language, words in allowed if len(words) > 1)
    # 3. near rule: its words match exactly and are paired after matching
    near = model.match.near
    if near is not None:
        compiled.near_window = near.window
        for role in ("first", "second"):
            for language, index, word in getattr(near, role).indexed():
                if len(_split_words(word)) != 1:
                    raise SchemaFileError(rel, f"match.near.{role}.{language}.{index}",
                                          f"{word!r} must be a single word")
                entry = _Entry(word, model.name, language, role=role)
                compiled.exact += [(key, entry) for key in _word_keys(word, language)]
    # 4. separable verbs
    for index, rule in enumerate(model.match.separable_verbs):
        where = f"match.separable_verbs.{index}"
        if rule.term not in model.terms.de:
            raise SchemaFileError(rel, f"{where}.term",
                                  f"{rule.term!r} is not one of terms.de (write it exactly as there)")
        for knob in ("particle", "forms", "between"):
            values = getattr(rule, knob)
            for value in values if isinstance(values, list) else [values]:
                if len(_split_words(value)) != 1:
                    raise SchemaFileError(rel, f"{where}.{knob}", f"{value!r} must be a single word")
        entry = _Entry(rule.term, model.name, "de", phrase=True)
        compiled.separable.append(_Separable(
            forms=frozenset(form for word in rule.forms for form in term_forms(word)),
            particle=frozenset(term_forms(rule.particle)),
            between=frozenset(form for word in rule.between for form in term_forms(word)),
            window=rule.window, entry=entry))
    return compiled


def _compound_terms(model: FilterFile, rel: str, knob: str) -> set[str]:
    """The terms named in ``match.<knob>``, checked against terms.de."""
    names: list[str] = getattr(model.match, knob)
    for index, term in enumerate(names):
        where = f"match.{knob}.{index}"
        if term not in model.terms.de:
            raise SchemaFileError(rel, where, f"{term!r} is not one of terms.de (write it exactly as there)")
        if len(_split_words(term)) != 1 or len(fold(term)) < COMPOUND_MIN_TERM:
            raise SchemaFileError(rel, where, f"{term!r} must be a single word of at least "
                                              f"{COMPOUND_MIN_TERM} letters")
    return set(names)


@dataclass(frozen=True)
class _AllowList:
    """A reviewed allow-list (schemas/filters/allow/<name>.json), compiled."""

    rel: str
    levels: tuple[str, ...]
    keys: frozenset[str]
    """Normalised spellings of the allowed words, with the plural endings of rule 1."""


def load_allow_lists(folder: Path) -> list[_AllowList]:
    """Read and validate every ``allow/*.json`` of a filters folder (none is fine).

    Raises:
        SchemaFileError: a file is broken ("filters/allow/<file>", field), a name differs from its file name,
            or an entry is not a single word.
    """
    lists = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        rel = f"{folder.parent.name}/{folder.name}/{path.name}"
        model = load_json_file(path, rel, AllowListFile.model_validate)
        if model.name != path.stem:
            raise SchemaFileError(rel, "name", f"name {model.name!r} must equal the file name {path.stem!r}")
        keys: set[str] = set()
        for language, index, word in model.words.indexed():
            if len(_split_words(word)) != 1:
                raise SchemaFileError(rel, f"words.{language}.{index}", f"{word!r} must be a single word")
            keys |= _word_keys(word, language)
        lists.append(_AllowList(rel=rel, levels=tuple(model.levels), keys=frozenset(keys)))
    return lists


def _check_allowed(compiled: _CompiledList, model: FilterFile, allow_lists: list[_AllowList]) -> None:
    """A filter list must not list a word that a reviewed allow-list allows at one of its levels.

    Raises:
        SchemaFileError: naming the filter file, the term and the allow-list.
    """
    for language, index, term in model.terms.indexed():
        words = _split_words(term)
        if len(words) != 1:
            continue
        for allow in allow_lists:
            if set(allow.levels) & set(model.levels) and set(term_forms(words[0])) & allow.keys:
                raise SchemaFileError(compiled.rel, f"terms.{language}.{index}",
                                      f"{term!r} is allowed by the reviewed allow-list {allow.rel}; remove it from "
                                      "one of the two files")


def load_filter_file(path: Path, rel: str | None = None) -> FilterFile:
    """Read and validate one filter file (structure only; :meth:`SafetyFilter.load` checks the rest).

    Args:
        path: the ``<name>.json`` file.
        rel: the path shown in errors; defaults to ``filters/<file name>``.
    Raises:
        SchemaFileError: unreadable file ("(file)"), bad JSON ("(json)"), a model error (the first
            error's dotted field, e.g. "terms.de.3"), or a name that differs from the file name ("name").
    """
    rel = rel or f"{path.parent.name}/{path.name}"
    model = load_json_file(path, rel, FilterFile.model_validate)
    if model.name != path.stem:
        raise SchemaFileError(rel, "name", f"name {model.name!r} must equal the file name {path.stem!r}")
    return model


# --- matching -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    first: int
    """Index of the first token of the match; -1 for symbols."""
    last: int
    forms: tuple[str, ...]
    """Normalised forms of the matched word (for allowed-word checks); empty for phrases and symbols."""
    entry: _Entry
    score: float
    hyphen_next: bool = False


class SafetyFilter:
    """The term lists of one safety level, precomputed for fast checks.

    Build it with :meth:`load`. Immutable after loading, so one instance serves all requests and threads.

    Attributes:
        level: the safety level ("kids", "youth", "adult" or "research").
        lists: names of the lists that apply to `level`, in file-name order.
    """

    def __init__(self, level: str, lists: list[_CompiledList], allowed: frozenset[str] = frozenset()) -> None:
        self.level = level
        self.lists = [item.name for item in lists]
        self._allowed = allowed
        self._near_miss: dict[str, list[_Entry]] = defaultdict(list)
        self._separable: dict[str, list[_Separable]] = defaultdict(list)
        for item in lists:
            for key, entry in item.near_miss:
                self._near_miss[key].append(entry)
            for rule in item.separable:
                for form in rule.forms:
                    self._separable[form].append(rule)
        self._lists = {item.name: item for item in lists}
        self._exact: dict[str, list[_Entry]] = defaultdict(list)
        self._heads: dict[str, list[_Entry]] = defaultdict(list)
        self._modifiers: dict[str, list[_Entry]] = defaultdict(list)
        self._phrases: dict[str, list[_Phrase]] = defaultdict(list)
        fuzzy: dict[str, list[tuple[str, _Entry]]] = defaultdict(list)
        self._symbols: list[tuple[str, _Entry]] = []
        for item in lists:
            for key, entry in item.exact:
                self._exact[key].append(entry)
            for key, entry in item.heads:
                self._heads[key].append(entry)
            for key, entry in item.modifiers:
                self._modifiers[key].append(entry)
            for phrase in item.phrases:
                for key in phrase.words[0]:
                    self._phrases[key].append(phrase)
            for form, entry in item.fuzzy:
                fuzzy[form[0]].append((form, entry))
            self._symbols += item.symbols
        heads = {(form, entry) for form, entries in self._heads.items() for entry in entries}
        self._anywhere = sorted({(form, entry) for form, entries in self._modifiers.items() for entry in entries
                                 if (form, entry) in heads}, key=lambda pair: (pair[0], pair[1].list_name))
        self._fuzzy = {first: ([form for form, _ in pairs], [entry for _, entry in pairs])
                       for first, pairs in fuzzy.items()}

    @classmethod
    def load(cls, filters_dir: Path, level: str) -> SafetyFilter:
        """Validate every ``*.json`` in `filters_dir` and keep the lists that apply to `level`.

        All files are validated whatever the level, so a broken file is found at start-up.

        Args:
            filters_dir: the folder of filter files (``schemas/filters``).
            level: "kids", "youth", "adult" or "research".
        Raises:
            ValueError: `level` is not a safety level.
            SchemaFileError: the folder is missing or empty ("(folder)"), a file is broken (file and field
                named, e.g. "filters/violence.json", "terms.de.3"), or no list applies to `level` ("levels").
        """
        if level not in SAFETY_LEVELS:
            raise ValueError(f"unknown safety level {level!r}; expected one of {', '.join(SAFETY_LEVELS)}")
        folder = filters_dir.name
        paths = sorted(filters_dir.glob("*.json")) if filters_dir.is_dir() else []
        if not paths:
            raise SchemaFileError(folder, "(folder)", f"no filter files (expected {folder}/<name>.json)")
        allow_lists = load_allow_lists(filters_dir / "allow")
        compiled = []
        for path in paths:
            rel = f"{folder}/{path.name}"
            model = load_filter_file(path, rel)
            compiled.append(_compile(model, rel))
            _check_allowed(compiled[-1], model, allow_lists)
        selected = [item for item in compiled if level in item.levels]
        if not selected:
            raise SchemaFileError(folder, "levels", f"no filter file applies to safety level {level!r}")
        allowed = frozenset().union(*(allow.keys for allow in allow_lists if level in allow.levels))
        return cls(level, selected, allowed)

    def descriptions(self) -> dict[str, str]:
        """``{list name: its description}`` of the lists that apply to the level, in file-name order."""
        return {name: self._lists[name].description for name in self.lists}

    def check(self, text: str) -> FilterResult:
        """Check `text` against every list of the level, German and English.

        Args:
            text: any text (idea, rules, a prompt), in any language or a mix.
        Returns:
            the result; ``blocked`` is True when any term matched.
        """
        # 1. normalise and split into words
        cleaned, starts, ends = clean_spans(text)
        tokens = tokenize(cleaned)
        hits: list[_Hit] = []
        # 2. words, phrases, split words, separable verbs, spaced-out runs, symbols
        for index, token in enumerate(tokens):
            self._match_word(token.forms, token.start, token.end, index, index, hits, token.hyphen_next)
            self._match_phrases(tokens, index, hits)
            self._match_separable(cleaned, tokens, index, hits)
        chains: dict[int, tuple[str, ...]] = {}
        for first, last, tight in joined_runs(cleaned, tokens):
            forms = text_forms("".join(tokens[i].raw for i in range(first, last + 1)))
            self._match_word(forms, tokens[first].start, tokens[last].end, first, last, hits, compounds=tight)
            if tight:
                for i in range(first, last + 1):
                    chains[i] = chains.get(i, ()) + forms
        for run in spaced_runs(cleaned, tokens):
            self._match_run(tokens, run, hits)
        for symbol, entry in self._symbols:
            position = cleaned.find(symbol)
            while position >= 0:
                hits.append(_Hit(position, position + len(symbol), -1, -1, (), entry, EXACT_SCORE))
                position = cleaned.find(symbol, position + 1)
        # 3. drop allowed, hyphen-modifier and unpaired near hits
        hits = [hit for hit in hits if not self._dropped(hit, tokens, chains)]
        hits = self._pair_near(hits)
        # 4. report in text order, original spelling
        best: dict[tuple[int, int, str, str, str], _Hit] = {}
        for hit in hits:
            key = (hit.start, hit.end, hit.entry.term, hit.entry.list_name, hit.entry.language)
            if key not in best or hit.score > best[key].score:
                best[key] = hit
        ordered = sorted(best.values(), key=lambda hit: (hit.start, hit.end, self.lists.index(hit.entry.list_name)))
        result_hits = [FilterHit(term=hit.entry.term, matched=text[starts[hit.start]:ends[hit.end - 1]],
                                 list_name=hit.entry.list_name, language=hit.entry.language, score=hit.score)
                       for hit in ordered]
        found: dict[str, str] = {}  # "Sex" (de) and "sex" (en) are one term for the learner
        for hit in result_hits:
            found.setdefault(hit.term.casefold(), hit.term)
        return FilterResult(blocked=bool(result_hits), found_terms=list(found.values()), hits=result_hits,
                            level=self.level, lists_checked=list(self.lists))

    # -- word matching -----------------------------------------------------------------------------------

    def _match_word(self, forms: tuple[str, ...], start: int, end: int, first: int, last: int,
                    hits: list[_Hit], hyphen_next: bool = False, *, fuzzy: bool = True,
                    compounds: bool = True) -> None:
        """Exact, compound and fuzzy matches of one word (or one joined spaced-out run)."""

        def add(entries: Iterable[_Entry], score: float = EXACT_SCORE) -> None:
            hits.extend(_Hit(start, end, first, last, forms, entry, score, hyphen_next) for entry in entries)

        for form in forms:
            add(self._exact.get(form, ()))
            add(self._near_miss.get(form, ()), NEAR_MISS_SCORE)
            if len(form) >= SOUND_MIN_LENGTH:
                add(self._near_miss.get(sound_key(form), ()), NEAR_MISS_SCORE)
                add(self._exact.get(sound_key(form), ()), NEAR_MISS_SCORE)
            if compounds and len(form) >= COMPOUND_MIN_TERM + COMPOUND_MIN_REST:
                add(self._compound_entries(form))
            if fuzzy and len(form) >= FUZZY_MIN_LENGTH - 1:
                for entry, score in self._fuzzy_entries(form):
                    add((entry,), score)

    def _compound_entries(self, form: str) -> list[_Entry]:
        """Entries whose compound head, modifier or anywhere-term `form` contains (module docstring, rule 4)."""
        found: list[_Entry] = []
        for ending in COMPOUND_ENDINGS:
            if not form.endswith(ending):
                continue
            stem = form[:len(form) - len(ending)]
            for cut in range(COMPOUND_MIN_REST, len(stem) - COMPOUND_MIN_TERM + 1):
                found += self._heads.get(stem[cut:], ())
        for cut in range(COMPOUND_MIN_TERM, len(form) - COMPOUND_MIN_REST + 1):
            found += self._modifiers.get(form[:cut], ())
        for term_form, entry in self._anywhere:
            position = form.find(term_form, COMPOUND_MIN_REST)  # the leftmost occurrence leaves the most room
            if 0 <= position <= len(form) - len(term_form) - COMPOUND_MIN_REST:
                found.append(entry)
        return found

    def _fuzzy_entries(self, form: str) -> list[tuple[_Entry, float]]:
        """Fuzzy matches of a word (module docstring, rule 2)."""
        group = self._fuzzy.get(form[0])
        if group is None:
            return []
        choices, entries = group
        found = []
        for choice, score, index in process.extract(form, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF,
                                                    limit=None):
            threshold = fuzzy_threshold(len(choice))
            if choice == form or threshold is None or score < threshold:
                continue
            if len(form) < len(choice) and form[-1] != choice[-1]:
                continue
            found.append((entries[index], score))
        return found

    def _match_phrases(self, tokens: list[Token], index: int, hits: list[_Hit]) -> None:
        """Phrases starting at token `index`."""
        candidates = {id(phrase): phrase for form in tokens[index].forms for phrase in self._phrases.get(form, ())}
        for phrase in candidates.values():
            last = index + len(phrase.words) - 1
            if last >= len(tokens):
                continue
            if all(set(tokens[index + offset].forms) & words for offset, words in enumerate(phrase.words)):
                hits.append(_Hit(tokens[index].start, tokens[last].end, index, last, (), phrase.entry, EXACT_SCORE))

    def _match_separable(self, cleaned: str, tokens: list[Token], index: int, hits: list[_Hit]) -> None:
        """Separable verbs whose conjugated form is token `index` (module docstring, rule 10)."""
        rules = {id(rule): rule for form in tokens[index].forms for rule in self._separable.get(form, ())}
        for rule in rules.values():
            between_seen = not rule.between
            for j in range(index + 1, min(len(tokens), index + rule.window + 1)):
                if set(gap(cleaned, tokens[j - 1], tokens[j])) & CLAUSE_MARKS:
                    break  # the clause ended before a particle came
                forms = set(tokens[j].forms)
                if forms & rule.particle and between_seen and self._clause_ends_after(cleaned, tokens, j):
                    hits.append(_Hit(tokens[index].start, tokens[j].end, index, j, (), rule.entry, EXACT_SCORE))
                    break
                between_seen = between_seen or bool(forms & rule.between)

    @staticmethod
    def _clause_ends_after(cleaned: str, tokens: list[Token], index: int) -> bool:
        """True when token `index` closes its clause: end of text, clause punctuation or a conjunction follows."""
        if index + 1 >= len(tokens):
            return True
        return bool(set(gap(cleaned, tokens[index], tokens[index + 1])) & CLAUSE_MARKS) or bool(
            set(tokens[index + 1].forms) & CONJUNCTIONS)

    def _match_run(self, tokens: list[Token], run: list[int], hits: list[_Hit]) -> None:
        """Spaced-out letters: every part of 3+ letters exactly, the whole run also fuzzily."""
        for a in range(len(run)):
            for b in range(a + 3, min(len(run), a + SPACED_MAX_LETTERS) + 1):
                part = run[a:b]
                joined = "".join(tokens[i].raw for i in part)
                whole = a == 0 and b == len(run)
                self._match_word(text_forms(joined), tokens[part[0]].start, tokens[part[-1]].end, part[0], part[-1],
                                 hits, fuzzy=whole, compounds=whole)

    # -- filtering -----------------------------------------------------------------------------------------

    def _dropped(self, hit: _Hit, tokens: list[Token], chains: dict[int, tuple[str, ...]]) -> bool:
        """True for hits removed by the reviewed allow-list, the list's allow entries or the hyphenated-compound
        rule. `chains` maps a token to the spellings of the hyphen/separator-joined word it is part of."""
        entry = hit.entry
        if (hit.hyphen_next and entry.role == "term" and entry.language == "de" and not entry.phrase
                and not entry.modifier):
            return True
        if any(form in self._allowed for form in hit.forms):
            return True
        compiled = self._lists[entry.list_name]
        forms = hit.forms + (chains.get(hit.first, ()) if hit.first == hit.last and hit.first >= 0 else ())
        if any(allowed in form for form in forms for allowed in compiled.allow_words):
            return True
        if hit.first < 0:
            return False
        for words in compiled.allow_phrases:
            for begin in range(max(0, hit.last - len(words) + 1), hit.first + 1):
                end = begin + len(words)
                if end <= len(tokens) and all(set(tokens[begin + k].forms) & words[k] for k in range(len(words))):
                    return True
        return False

    def _pair_near(self, hits: list[_Hit]) -> list[_Hit]:
        """Keep near-rule hits only where a first-group and a second-group word are within the window."""
        kept = [hit for hit in hits if hit.entry.role == "term"]
        by_list: dict[str, list[_Hit]] = defaultdict(list)
        for hit in hits:
            if hit.entry.role != "term" and hit.first >= 0 and hit.first == hit.last:
                by_list[hit.entry.list_name].append(hit)
        for name, near_hits in by_list.items():
            window = self._lists[name].near_window or 0
            firsts = [hit for hit in near_hits if hit.entry.role == "first"]
            seconds = [hit for hit in near_hits if hit.entry.role == "second"]
            for a, b in itertools.product(firsts, seconds):
                if a.first != b.first and abs(a.first - b.first) <= window:
                    kept += [a, b]
        return kept
