"""Pydantic model of a safety term list: ``schemas/filters/<name>.json``.

A filter file names the safety levels it applies to and its terms per language; optional ``match`` knobs
tune how German compounds are treated, which innocent words the list must never block, and a
co-occurrence rule. The matching itself (normalisation, fuzzy matching, the compound rule) lives in
:mod:`devserver.safety.filters`, which also checks what depends on normalisation (duplicates, compound
terms that are not in the list); this module checks the structure only.

Example::

    {"name": "weapons", "description": "Weapons (kids).", "source": "Compiled by ...", "levels": ["kids"],
     "terms": {"de": ["Waffe", "Gewehr"], "en": ["gun", "rifle"]},
     "match": {"compound_heads": ["Gewehr"], "allow": {"de": ["Waffel"], "en": ["glue gun"]}}}

A second kind of file, ``schemas/filters/allow/<name>.json`` (:class:`AllowListFile`), is a reviewed list of
innocent words (children's-book words such as "Ritter", "Schwert", "Drache") that no filter list may block.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from devserver.contracts.common import SafetyLevel

FILTER_NAME_PATTERN = r"^[a-z][a-z0-9_]{1,63}$"
"""Filter names: lowercase snake_case, 2-64 characters; the file is ``<name>.json``."""

Term = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
"""One listed word, phrase ("shoot someone") or symbol ("🔫"), as a teacher would read it."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LanguageTerms(_Strict):
    """Words or phrases per language. Every list is checked against every text, whatever its language."""

    de: list[Term] = Field(default_factory=list, description="German words or phrases, written as in a dictionary.")
    en: list[Term] = Field(default_factory=list, description="English words or phrases, written as in a dictionary.")

    def indexed(self) -> list[tuple[str, int, str]]:
        """Every entry with its language and position: ``[("de", 0, "Waffe"), ..., ("en", 0, "gun"), ...]``."""
        return [(language, index, term) for language in ("de", "en")
                for index, term in enumerate(getattr(self, language))]


class NearRule(_Strict):
    """Block when a word of `first` and a word of `second` occur close together.

    Used where neither word is a problem on its own but the pair is ("Kind" near "nackt").
    """

    window: int = Field(5, ge=1, le=20, description="Largest distance between the two words, in words.")
    first: LanguageTerms = Field(description="First group: single words, e.g. words for children.")
    second: LanguageTerms = Field(description="Second group: single words, e.g. words for nudity.")

    @model_validator(mode="after")
    def _groups_not_empty(self) -> NearRule:
        for group in ("first", "second"):
            if not getattr(self, group).indexed():
                raise ValueError(f"near.{group} needs at least one word")
        return self


class SeparableVerb(_Strict):
    """A German separable verb whose parts stand apart in a sentence: "Er bringt ihn um" (umbringen).

    Matches when a conjugated form of the verb is followed, within `window` words of the same clause, by the
    particle at the end of the clause (before . , ; : ! ? or a conjunction, or at the end of the text), and
    (if `between` is given) one of the `between` words stands in between ("bringt sich um" for self-harm).
    Source of the rule: German verb-second word order with the separated particle closing the clause
    ("Satzklammer", Duden Grammatik, section on separable verbs).
    """

    term: Term = Field(description="The listed German term this rule reports, written exactly as in terms.de.")
    particle: Term = Field(description="The separated particle, e.g. 'um', 'auf', 'ab', 'nieder', 'tot'.")
    forms: list[Term] = Field(min_length=1, description="Conjugated forms of the verb without the particle "
                                                        "('bringe', 'bringst', 'bringt', 'brachte', ...).")
    between: list[Term] = Field(default_factory=list, description="Words one of which must stand between verb and "
                                                                  "particle (e.g. reflexive pronouns); empty: any.")
    window: int = Field(6, ge=1, le=12, description="Most words from the verb to the particle.")


class MatchOptions(_Strict):
    """Optional knobs of one list; the defaults match whole words (with spelling variants) only."""

    compound_heads: list[Term] = Field(
        default_factory=list,
        description=(
            "German terms of this list (as written in terms.de, at least 4 letters) that also match as the LAST "
            "part of a compound: 'Gewehr' blocks 'Maschinengewehr' and 'Sturmgewehren' (at least 3 letters "
            "before it, optionally an ending -e, -n, -en, -s, -es, -er, -ern)."
        ),
    )
    compound_modifiers: list[Term] = Field(
        default_factory=list,
        description=(
            "German terms of this list (as written in terms.de, at least 4 letters) that also match as the "
            "FIRST part of a compound: 'Gewehr' blocks 'Gewehrkolben' (at least 3 letters after it). Other "
            "terms at the start of a word never match ('Schwert' does not block 'Schwertwal')."
        ),
    )
    allow: LanguageTerms = Field(
        default_factory=LanguageTerms,
        description=(
            "Innocent words and phrases this list must never block: a hit is dropped when its word contains "
            "an allowed word ('Wasserpistole', 'Waffel') or lies inside an allowed phrase ('glue gun')."
        ),
    )
    near: NearRule | None = Field(None, description="Optional co-occurrence rule, see NearRule.")
    exact_only: list[Term] = Field(
        default_factory=list,
        description="Terms of this list (as written in terms) matched exactly only (no fuzzy ratio, sound key or "
                    "swapped letters), because a real word lies that close ('strangle' ~ 'strange', 'verblutet' ~ "
                    "'verblüht', 'abgehackt' ~ 'abgehakt').",
    )
    separable_verbs: list[SeparableVerb] = Field(
        default_factory=list, description="German separable verbs matched across the sentence, see SeparableVerb.")


class FilterFile(_Strict):
    """``schemas/filters/<name>.json``: one term list and the safety levels it applies to."""

    name: str = Field(pattern=FILTER_NAME_PATTERN, description="List name; equals the file name without .json.")
    description: str = Field(min_length=1, description="What the list covers, for teachers and admins.")
    source: str = Field(min_length=10, description="Where the terms come from and who reviewed them.")
    levels: list[SafetyLevel] = Field(
        min_length=1, description="Safety levels at which the list applies (kids, youth, adult, research)."
    )
    terms: LanguageTerms = Field(description="The blocked words and phrases per language.")
    match: MatchOptions = Field(default_factory=MatchOptions, description="Optional matching knobs.")

    @field_validator("levels")
    @classmethod
    def _unique_levels(cls, levels: list[str]) -> list[str]:
        seen = [level for index, level in enumerate(levels) if level in levels[:index]]
        if seen:
            raise ValueError(f"level {seen[0]!r} is given twice")
        return levels

    @model_validator(mode="after")
    def _has_terms(self) -> FilterFile:
        if not self.terms.indexed() and self.match.near is None:
            raise ValueError("the list has no terms and no near rule")
        return self


class AllowListFile(_Strict):
    """``schemas/filters/allow/<name>.json``: reviewed innocent words that no filter list blocks at `levels`.

    At load time a listed term of a filter list that equals an allowed word is an error (the two lists would
    contradict each other); at match time a hit whose word is an allowed word is dropped (a fuzzy or compound
    match must not turn "Drachen" or "Schwerter" into a block).
    """

    name: str = Field(pattern=FILTER_NAME_PATTERN, description="List name; equals the file name without .json.")
    description: str = Field(min_length=1, description="What the words have in common and why they are allowed.")
    source: str = Field(min_length=10, description="Where the words come from and who reviewed them.")
    reviewed: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="Date of the last review, YYYY-MM-DD.")
    levels: list[SafetyLevel] = Field(min_length=1, description="Safety levels at which the words are allowed.")
    words: LanguageTerms = Field(description="The allowed single words per language (plural forms included).")
