"""Loading and validating filter files, level selection, the result shape and the matching rules' edges."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from devserver.errors import SchemaFileError
from devserver.safety.filters import SAFETY_LEVELS, FilterHit, SafetyFilter, fuzzy_threshold
from devserver.settings import PROJECT_ROOT

SHIPPED = PROJECT_ROOT / "schemas" / "filters"


def valid_file(name: str = "weapons", levels: list[str] | None = None) -> dict[str, Any]:
    """A small valid filter file."""
    return {
        "name": name,
        "description": "Test list.",
        "source": "Written for this test.",
        "levels": levels or ["kids"],
        "terms": {"de": ["Waffe", "Gewehr", "Schwert", "Mörder"], "en": ["gun", "shoot someone", "🔫"]},
        "match": {"compound_heads": ["Gewehr"], "allow": {"de": ["Waffel"], "en": ["glue gun"]}},
    }


def write(folder: Path, data: dict[str, Any] | str, file_name: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (file_name or f"{data['name']}.json")  # type: ignore[index]
    path.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def broken(change) -> dict[str, Any]:
    data = valid_file()
    change(data)
    return data


# --- loading ------------------------------------------------------------------------------------------------

EXPECTED_LISTS = {
    "kids": ["extremism", "gore", "graphic_violence", "hard_drugs", "hate", "nazi_figures", "nudity", "self_harm",
             "sexual", "sexualised_minors", "substances", "suggestive", "violence", "weapons"],
    "youth": ["extremism", "gore", "hard_drugs", "hate", "nudity", "self_harm", "sexual", "sexualised_minors"],
    "adult": ["sexualised_minors"],
    "research": ["sexualised_minors"],
}


@pytest.mark.parametrize("level", SAFETY_LEVELS)
def test_shipped_lists_per_level(level: str) -> None:
    safety = SafetyFilter.load(SHIPPED, level)
    assert safety.level == level
    assert safety.lists == EXPECTED_LISTS[level]
    assert safety.check("nothing to see here").lists_checked == EXPECTED_LISTS[level]


def test_levels_select_lists(tmp_path: Path) -> None:
    write(tmp_path, valid_file("weapons", ["kids", "youth"]))
    write(tmp_path, {"name": "minors", "description": "x", "source": "Written for this test.",
                     "levels": ["kids", "youth", "adult", "research"],
                     "terms": {"en": ["csam"]}})
    kids = SafetyFilter.load(tmp_path, "kids")
    adult = SafetyFilter.load(tmp_path, "adult")
    assert kids.lists == ["minors", "weapons"]
    assert adult.lists == ["minors"]
    assert kids.check("a gun").blocked
    assert not adult.check("a gun").blocked
    assert adult.check("CSAM").found_terms == ["csam"]


BROKEN_FILES = [
    pytest.param(lambda d: d["terms"]["de"].__setitem__(3, "   "), "terms.de.3", "at least 1 character",
                 id="blank_term"),
    pytest.param(lambda d: d.__setitem__("levels", ["kids", "teens"]), "levels.1", "'kids'", id="unknown_level"),
    pytest.param(lambda d: d.__setitem__("levels", ["kids", "kids"]), "levels", "twice", id="level_twice"),
    pytest.param(lambda d: d.__setitem__("levels", []), "levels", "at least 1", id="no_level"),
    pytest.param(lambda d: d.__setitem__("colour", "red"), "colour", "Extra inputs", id="unknown_key"),
    pytest.param(lambda d: d["match"].__setitem__("fuzzy", False), "match.fuzzy", "Extra inputs",
                 id="unknown_match_knob"),
    pytest.param(lambda d: d.pop("description"), "description", "Field required", id="missing_description"),
    pytest.param(lambda d: d.pop("source"), "source", "Field required", id="missing_source"),
    pytest.param(lambda d: d.__setitem__("source", "me"), "source", "at least 10 characters", id="source_too_short"),
    pytest.param(lambda d: d["terms"].__setitem__("fr", ["arme"]), "terms.fr", "Extra inputs",
                 id="unknown_language"),
    pytest.param(lambda d: d["terms"]["en"].append(42), "terms.en.3", "string", id="term_not_a_string"),
    pytest.param(lambda d: d.__setitem__("name", "Weapons"), "name", "pattern", id="bad_name"),
    pytest.param(lambda d: d["terms"]["de"].append("Moerder"), "terms.de.4", "terms.de.3", id="duplicate_umlaut"),
    pytest.param(lambda d: d["terms"]["en"].append("Shoot-Someone"), "terms.en.3", "terms.en.1",
                 id="duplicate_phrase"),
    pytest.param(lambda d: d["terms"]["en"].append("!!!"), "terms.en.3", "not a symbol", id="punctuation_term"),
    pytest.param(lambda d: d["match"].__setitem__("compound_heads", ["Gewehr", "Pistole"]),
                 "match.compound_heads.1", "not one of terms.de", id="head_not_listed"),
    pytest.param(lambda d: d["match"].__setitem__("compound_modifiers", ["gun"]),
                 "match.compound_modifiers.0", "not one of terms.de", id="modifier_english"),
    pytest.param(lambda d: (d["terms"]["de"].append("Axt"), d["match"].__setitem__("compound_heads", ["Axt"])),
                 "match.compound_heads.0", "at least 4 letters", id="head_too_short"),
    pytest.param(lambda d: d["match"].__setitem__("near", {"first": {"en": ["little girl"]},
                                                           "second": {"en": ["nude"]}}),
                 "match.near.first.en.0", "single word", id="near_phrase"),
    pytest.param(lambda d: d["match"].__setitem__("near", {"first": {"en": ["child"]}, "second": {}}),
                 "match.near", "second needs at least one word", id="near_empty_group"),
    pytest.param(lambda d: d["match"].__setitem__("near", {"window": 0, "first": {"en": ["a"]},
                                                           "second": {"en": ["b"]}}),
                 "match.near.window", "greater than or equal to 1", id="near_window_zero"),
]


@pytest.mark.parametrize(("change", "field", "problem"), BROKEN_FILES)
def test_broken_file_names_file_and_field(tmp_path: Path, change, field: str, problem: str) -> None:
    folder = tmp_path / "filters"
    write(folder, broken(change), "weapons.json")
    with pytest.raises(SchemaFileError) as info:
        SafetyFilter.load(folder, "kids")
    assert (info.value.path, info.value.field) == ("filters/weapons.json", field)
    assert problem in info.value.problem
    assert "filters/weapons.json" in str(info.value) and field in str(info.value)


@pytest.mark.parametrize(("content", "file_name", "field", "problem"), [
    pytest.param('{"name": "weapons",', "weapons.json", "(json)", "invalid JSON at line 1", id="bad_json"),
    pytest.param(json.dumps(valid_file("other")), "weapons.json", "name", "must equal the file name",
                 id="name_not_file_name"),
    pytest.param(b"\xff\xfe".decode("latin-1"), "weapons.json", "(json)", "invalid JSON", id="not_json_text"),
])
def test_unparseable_file(tmp_path: Path, content: str, file_name: str, field: str, problem: str) -> None:
    folder = tmp_path / "filters"
    write(folder, content, file_name)
    with pytest.raises(SchemaFileError) as info:
        SafetyFilter.load(folder, "kids")
    assert (info.value.path, info.value.field) == (f"filters/{file_name}", field)
    assert problem in info.value.problem


def test_broken_file_is_found_at_any_level(tmp_path: Path) -> None:
    """All files are validated, also those the level does not use."""
    write(tmp_path, valid_file("weapons", ["kids"]))
    write(tmp_path, broken(lambda d: (d.__setitem__("name", "minors"), d.__setitem__("levels", ["adult", "x"]))),
          "minors.json")
    with pytest.raises(SchemaFileError) as info:
        SafetyFilter.load(tmp_path, "kids")
    assert (info.value.path, info.value.field) == (f"{tmp_path.name}/minors.json", "levels.1")


@pytest.mark.parametrize(("setup", "field", "problem"), [
    pytest.param(lambda folder: None, "(folder)", "no filter files", id="missing_folder"),
    pytest.param(lambda folder: folder.mkdir(), "(folder)", "no filter files", id="empty_folder"),
    pytest.param(lambda folder: write(folder, valid_file("weapons", ["kids"])), "levels",
                 "no filter file applies to safety level 'adult'", id="no_list_for_level"),
])
def test_folder_problems(tmp_path: Path, setup, field: str, problem: str) -> None:
    folder = tmp_path / "filters"
    setup(folder)
    with pytest.raises(SchemaFileError) as info:
        SafetyFilter.load(folder, "adult")
    assert (info.value.path, info.value.field) == ("filters", field)
    assert problem in info.value.problem


@pytest.mark.parametrize("level", ["teens", "", "KIDS"])
def test_unknown_level_rejected(level: str) -> None:
    with pytest.raises(ValueError, match="unknown safety level"):
        SafetyFilter.load(SHIPPED, level)


# --- the result -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kids() -> SafetyFilter:
    return SafetyFilter.load(SHIPPED, "kids")


def test_to_dict_shape(kids: SafetyFilter) -> None:
    result = kids.check("Ein Hakenkreutz und MASCHINENGEWEHRE")
    data = result.to_dict()
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
    assert set(data) == {"blocked", "level", "lists_checked", "found_terms", "hits"}
    assert data["blocked"] is True and data["level"] == "kids"
    assert data["lists_checked"] == EXPECTED_LISTS["kids"]
    assert data["found_terms"] == ["Hakenkreuz", "Gewehr"]
    assert data["hits"][0] == {"term": "Hakenkreuz", "matched": "Hakenkreutz", "list_name": "extremism",
                               "language": "de", "score": 95.2}
    assert data["hits"][1] == {"term": "Gewehr", "matched": "MASCHINENGEWEHRE", "list_name": "weapons",
                               "language": "de", "score": 100.0}


@pytest.mark.parametrize("text", [
    pytest.param("Ein Drache fliegt über das Meer", id="sentence"),
    pytest.param("", id="empty"),
    pytest.param(" \n\t!!! ... \u200b", id="only_noise"),
])
def test_passing_text_result(kids: SafetyFilter, text: str) -> None:
    result = kids.check(text)
    assert result.to_dict() == {"blocked": False, "level": "kids", "lists_checked": EXPECTED_LISTS["kids"],
                                "found_terms": [], "hits": []}


def test_hits_keep_original_spelling_and_order(kids: SafetyFilter) -> None:
    text = "zuerst g\u200b.u.n, dann 💣\ufe0f und ein Gewehr, dann nochmal gun"
    result = kids.check(text)
    assert result.hits == [
        FilterHit(term="gun", matched="g\u200b.u.n", list_name="weapons", language="en", score=100.0),
        FilterHit(term="💣", matched="💣", list_name="weapons", language="en", score=100.0),
        FilterHit(term="Gewehr", matched="Gewehr", list_name="weapons", language="de", score=100.0),
        FilterHit(term="gun", matched="gun", list_name="weapons", language="en", score=100.0),
    ]
    assert result.found_terms == ["gun", "💣", "Gewehr"]


def test_found_terms_unique_across_languages(kids: SafetyFilter) -> None:
    """"Sex" (de) and "sex" (en) both hit; the learner sees the term once, the hits keep both."""
    result = kids.check("s e x")
    assert result.found_terms == ["Sex"]
    assert [(hit.term, hit.language) for hit in result.hits] == [("Sex", "de"), ("sex", "en")]


def test_fuzzy_hit_has_rapidfuzz_score(kids: SafetyFilter) -> None:
    hit = kids.check("Hakenkreutz").hits[0]
    assert hit.term == "Hakenkreuz" and 90 < hit.score < 100


# --- matching rules on a small list ------------------------------------------------------------------------


@pytest.fixture
def small(tmp_path: Path) -> SafetyFilter:
    write(tmp_path, valid_file())
    return SafetyFilter.load(tmp_path, "kids")


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param("Sturmgewehr", ["Gewehr"], id="head"),
    pytest.param("Sturmgewehren", ["Gewehr"], id="head_with_ending"),
    pytest.param("Gewehrkolben", [], id="not_a_modifier"),
    pytest.param("Schwertwal", [], id="term_at_start"),
    pytest.param("Lichtschwert", [], id="not_a_head"),
    pytest.param("Waffen", ["Waffe"], id="german_plural_n"),
    pytest.param("Waffel", [], id="near_miss"),
    pytest.param("Gewehr-Feuer", [], id="hyphen_first_part"),
    pytest.param("Moerder Morder Mörder", ["Mörder"], id="umlaut_spellings"),
    pytest.param("guns", ["gun"], id="plural_s"),
    pytest.param("a glue gun", [], id="allowed_phrase"),
    pytest.param("a glue gun and a gun", ["gun"], id="allowed_phrase_only_covers_itself"),
    pytest.param("shoots someone", ["shoot someone"], id="phrase_word_ending"),
    pytest.param("🔫", ["🔫"], id="symbol"),
])
def test_matching_rules(small: SafetyFilter, text: str, expected: list[str]) -> None:
    assert small.check(text).found_terms == expected


def test_near_rule(tmp_path: Path) -> None:
    write(tmp_path, {"name": "pairs", "description": "x", "source": "Written for this test.", "levels": ["adult"],
                     "terms": {},
                     "match": {"near": {"window": 2, "first": {"en": ["child"]}, "second": {"en": ["naked"]}},
                               "allow": {"en": ["naked eye"]}}})
    safety = SafetyFilter.load(tmp_path, "adult")
    assert safety.check("naked child").found_terms == ["naked", "child"]
    assert safety.check("a child , naked").blocked
    assert not safety.check("a child sees two naked trees").blocked  # 3 words apart, window 2
    assert not safety.check("a child with the naked eye").blocked  # allowed phrase
    assert not safety.check("a naked tree").blocked and not safety.check("a child").blocked


@pytest.mark.parametrize(("length", "threshold"), [
    (4, None), (7, None), (8, 90.0), (9, 88.0), (11, 88.0), (12, 85.0), (20, 85.0),
])
def test_fuzzy_threshold(length: int, threshold: float | None) -> None:
    assert fuzzy_threshold(length) == threshold
