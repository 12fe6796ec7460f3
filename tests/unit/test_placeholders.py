"""Placeholder resolution in chunk and config templates."""

from __future__ import annotations

import pytest

from devserver.pipeline.placeholders import MissingPlaceholderError, placeholders_in, render


@pytest.mark.parametrize("template, values, expected", [
    pytest.param("{{INPUT_TEXT}}, Bauhaus", {"INPUT_TEXT": "a cat"}, "a cat, Bauhaus", id="simple"),
    pytest.param("{{A}} {{A}}", {"A": "x"}, "x x", id="repeated"),
    pytest.param("  {{A}}  ", {"A": "x"}, "x", id="stripped"),
    pytest.param("{{A}}", {"A": "{{B}}", "B": "no"}, "{{B}}", id="values_not_expanded_again"),
    pytest.param("{{ A }} {a}", {"A": "x"}, "{{ A }} {a}", id="not_placeholders"),
])
def test_render(template, values, expected):
    assert render(template, values) == expected


def test_missing_value_is_an_error():
    with pytest.raises(MissingPlaceholderError, match="CONTEXT"):
        render("{{INPUT_TEXT}} {{CONTEXT}}", {"INPUT_TEXT": "x"})


def test_placeholders_in():
    assert placeholders_in("{{INPUT_TEXT}} and {{PREVIOUS_OUTPUT}} {{INPUT_TEXT}}") == {"INPUT_TEXT", "PREVIOUS_OUTPUT"}
