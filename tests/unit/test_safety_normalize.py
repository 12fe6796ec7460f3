"""The normalisation before matching (issue 7) and the validation of the new filter-file knobs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devserver.errors import SchemaFileError
from devserver.safety.filters import SafetyFilter
from devserver.safety.normalize import (
    clean_spans,
    fold,
    interior_swaps,
    joined_runs,
    lookalike_table,
    sound_key,
    tokenize,
)


@pytest.mark.parametrize(("text", "cleaned"), [
    pytest.param("Ha\u0301kenkreuz", "H\u00e1kenkreuz", id="accent-composed"),
    pytest.param("H\u0301akenkreuz", "Hakenkreuz", id="stray-mark-removed"),
    pytest.param("Z\u0337a\u0337l\u0337g\u0337o\u0337", "Zalgo", id="overlay-marks-removed"),
    pytest.param("Ha\x00ken\x1bkreuz", "Hakenkreuz", id="controls-removed"),
    pytest.param("Ha\u200bken\u2060kreuz\ufe0f", "Hakenkreuz", id="format-and-selectors-removed"),
    pytest.param("eins\nzwei\tdrei", "eins\nzwei\tdrei", id="line-breaks-and-tabs-kept"),
    pytest.param("Mu\u0308ller", "M\u00fcller", id="decomposed-umlaut-composed"),
])
def test_clean(text: str, cleaned: str) -> None:
    assert clean_spans(text)[0] == cleaned


def test_clean_maps_back_to_the_original() -> None:
    text = "a H\u0301ak"
    cleaned, starts, ends = clean_spans(text)
    assert cleaned == "a Hak"
    assert [text[starts[i]:ends[i]] for i in range(len(cleaned))] == ["a", " ", "H\u0301", "a", "k"]


@pytest.mark.parametrize(("word", "folded"), [
    pytest.param("\u0455\u0435\u0445", "sex", id="cyrillic"),
    pytest.param("\u039dazi", "nazi", id="greek-capital"),
    pytest.param("\u1d0b\u026a\u029f\u029f", "kill", id="small-capitals"),
    pytest.param("\u0261un", "gun", id="script-g"),
    pytest.param("h\u00f8rror", "horror", id="o-with-stroke"),
    pytest.param("M\u00f6rder", "moerder", id="umlaut-transliterated"),
    pytest.param("Stra\u00dfe", "strasse", id="sharp-s"),
])
def test_fold_homoglyphs(word: str, folded: str) -> None:
    assert fold(word) == folded


def test_lookalike_table_comes_from_unicode_confusables() -> None:
    table = lookalike_table()
    assert len(table) > 1000  # confusables.txt lists over a thousand letters that look Latin
    assert all(value.isascii() and value.isalpha() and value.islower() for value in table.values())
    for char in "äöüßéÄÖÜ":  # real German letters are never folded away
        assert ord(char) not in table


def test_joined_runs() -> None:
    cleaned = "Haken kreuz, Ha.ken.kreuz, Er hängt"
    tokens = tokenize(cleaned)
    words = [" ".join(tokens[i].raw for i in range(a, b + 1)) for a, b, _ in joined_runs(cleaned, tokens)]
    assert "Haken kreuz" in words and "Ha ken kreuz" in words
    assert "Er hängt" not in words  # a two-letter word is never joined across a space
    assert "kreuz Ha" not in words  # a comma ends a word


def test_sound_key_and_swaps() -> None:
    assert sound_key("cocain") == sound_key("kokain")
    assert sound_key("swastica") == "swastika"
    assert sound_key("fagott") != sound_key("faggot")  # doubled letters are kept
    assert interior_swaps("porn") == {"pron"}
    assert "hilter" in interior_swaps("hitler")


# --- the new filter-file knobs ---------------------------------------------------------------------------


def _write(folder: Path, name: str, data: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _list(**match) -> dict:
    return {"name": "violence", "description": "Test.", "source": "Written for this test.", "levels": ["kids"],
            "terms": {"de": ["umbringen", "Schwert"], "en": ["kill"]}, "match": match}


def test_allow_list_conflict_is_a_startup_error(tmp_path: Path) -> None:
    _write(tmp_path, "violence", _list())
    _write(tmp_path / "allow", "books", {"name": "books", "description": "Test.", "source": "Written for this test.",
                                         "reviewed": "2026-11-29", "levels": ["kids"], "words": {"de": ["Schwert"]}})
    with pytest.raises(SchemaFileError) as info:
        SafetyFilter.load(tmp_path, "kids")
    assert (info.value.path, info.value.field) == (f"{tmp_path.name}/violence.json", "terms.de.1")
    assert "allow/books.json" in info.value.problem


def test_allow_list_needs_review_date_and_source(tmp_path: Path) -> None:
    _write(tmp_path, "violence", _list())
    _write(tmp_path / "allow", "books", {"name": "books", "description": "Test.", "source": "Written for this test.",
                                         "levels": ["kids"], "words": {"de": ["Drache"]}})
    with pytest.raises(SchemaFileError) as info:
        SafetyFilter.load(tmp_path, "kids")
    assert (info.value.path, info.value.field) == (f"{tmp_path.name}/allow/books.json", "reviewed")


def test_allowed_word_drops_fuzzy_hits(tmp_path: Path) -> None:
    _write(tmp_path, "violence", {**_list(), "terms": {"de": ["Drachenmord"], "en": []}})
    assert SafetyFilter.load(tmp_path, "kids").check("Drachenmorde").blocked
    _write(tmp_path / "allow", "books", {"name": "books", "description": "Test.", "source": "Written for this test.",
                                         "reviewed": "2026-11-29", "levels": ["kids"],
                                         "words": {"de": ["Drachenmorde"]}})
    assert not SafetyFilter.load(tmp_path, "kids").check("Drachenmorde").blocked


@pytest.mark.parametrize(("match", "field", "problem"), [
    pytest.param({"separable_verbs": [{"term": "töten", "particle": "um", "forms": ["bringt"]}]},
                 "match.separable_verbs.0.term", "not one of terms.de", id="separable-term-not-listed"),
    pytest.param({"separable_verbs": [{"term": "umbringen", "particle": "um herum", "forms": ["bringt"]}]},
                 "match.separable_verbs.0.particle", "single word", id="separable-particle-phrase"),
    pytest.param({"exact_only": ["murder"]}, "match.exact_only.0", "not one of terms", id="exact-only-not-listed"),
])
def test_new_knobs_are_validated(tmp_path: Path, match: dict, field: str, problem: str) -> None:
    _write(tmp_path, "violence", _list(**match))
    with pytest.raises(SchemaFileError) as info:
        SafetyFilter.load(tmp_path, "kids")
    assert info.value.field == field and problem in info.value.problem


def test_separable_verb_needs_the_particle_at_the_clause_end(tmp_path: Path) -> None:
    _write(tmp_path, "violence", _list(separable_verbs=[{"term": "umbringen", "particle": "um",
                                                         "forms": ["bringt", "bringe"], "window": 4}]))
    safety = SafetyFilter.load(tmp_path, "kids")
    assert safety.check("Er bringt ihn um").found_terms == ["umbringen"]
    assert safety.check("Er bringt ihn um und lacht").blocked
    assert not safety.check("Er bringt ihn um acht Uhr nach Hause").blocked
    assert not safety.check("Er bringt ihn. Um acht").blocked
    assert not safety.check("Er bringt das alte rote Buch heute um").blocked  # beyond the window of 4 words
