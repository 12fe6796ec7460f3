"""Relevance scoring and highlights for model search (rapidfuzz, https://rapidfuzz.github.io/RapidFuzz/).

A field scores 1.0 when it contains the whole query, else rapidfuzz's ``partial_ratio`` / 100 (the best
matching substring, so a typo such as "tyni" still finds "tiny"); the model's relevance is the best field score
times the field's weight (name 1.0, tags 0.9, author 0.8, version 0.7, description 0.7). Highlights are
character ranges, so the client marks them up without HTML from the server.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz

FIELD_WEIGHTS = {"name": 1.0, "tags": 0.9, "author": 0.8, "version": 0.7, "description": 0.7}
MIN_RELEVANCE = 0.55
"""Hits below this relevance are dropped."""
MIN_FUZZY_CHARS = 4
"""Queries shorter than this match exactly (as substrings) only."""
MIN_FUZZY = 0.65
"""A fuzzy (not exact) field match counts only from this partial_ratio / 100 on (a swapped pair of letters in a
four-letter word scores 0.67)."""


@dataclass(frozen=True)
class FieldMatch:
    """How one field matched: score 0..1 and the character ranges to highlight."""

    field: str
    text: str
    score: float
    ranges: list[list[int]]


def match_field(query: str, field: str, text: str) -> FieldMatch | None:
    """Score `text` of `field` against `query` (case-insensitive); None when it does not match."""
    if not text or not query:
        return None
    lower, needle = text.lower(), query.lower().strip()
    ranges: list[list[int]] = []
    start = lower.find(needle)
    while start >= 0 and needle:
        ranges.append([start, start + len(needle)])
        start = lower.find(needle, start + len(needle))
    if ranges:
        return FieldMatch(field, text, 1.0, ranges)
    for word in needle.split():
        position = lower.find(word)
        if len(word) > 1 and position >= 0:
            ranges.append([position, position + len(word)])
    if ranges:
        return FieldMatch(field, text, 0.85, sorted(ranges))
    if len(needle) < MIN_FUZZY_CHARS:
        return None  # "vae" must not fuzzily match "safetensors"
    score = fuzz.partial_ratio(needle, lower) / 100
    if score < MIN_FUZZY:
        return None
    alignment = fuzz.partial_ratio_alignment(needle, lower)
    if alignment is not None:
        start, end = alignment.dest_start, alignment.dest_end
        while start > 0 and lower[start - 1].isalnum():  # widen to whole words for a readable highlight
            start -= 1
        while end < len(lower) and lower[end].isalnum():
            end += 1
        ranges.append([start, end])
    return FieldMatch(field, text, score * 0.9, ranges)


def relevance(query: str, fields: dict[str, str]) -> tuple[float, list[FieldMatch]]:
    """The weighted best score over `fields` (name -> text) and every field's match."""
    matches = [m for name, text in fields.items() if (m := match_field(query, name, text)) is not None]
    best = max((m.score * FIELD_WEIGHTS.get(m.field, 0.7) for m in matches), default=0.0)
    return round(best, 4), matches
