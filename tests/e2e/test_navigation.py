"""Header: mode switcher with history, language switch, the not-found page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.studio import Studio

pytestmark = pytest.mark.e2e


def test_mode_switcher_navigates_and_back_button_works(studio: Studio) -> None:
    page = studio.page
    studio.open("/")
    expect(page).to_have_url(re.compile(r"/text-transformation$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Text-Transformation")
    expect(studio.mode_link("Text")).to_have_attribute("aria-current", "page")
    expect(studio.mode_link("Bild")).not_to_have_attribute("aria-current", "page")

    studio.mode_link("Bild").click()
    expect(page).to_have_url(re.compile(r"/image-transformation$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Bild-Transformation")
    expect(studio.mode_link("Bild")).to_have_attribute("aria-current", "page")
    expect(page).to_have_title("Bild-Transformation – devserver Studio")

    page.go_back()
    expect(page).to_have_url(re.compile(r"/text-transformation$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Text-Transformation")
    expect(studio.mode_link("Text")).to_have_attribute("aria-current", "page")

    page.go_forward()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bild-Transformation")


def test_unknown_route_shows_not_found(studio: Studio) -> None:
    page = studio.page
    studio.open("/gibt-es-nicht")
    expect(page.get_by_role("heading", level=1)).to_have_text("Seite nicht gefunden")
    page.get_by_role("link", name="Zum Textmodus").click()
    expect(page).to_have_url(re.compile(r"/text-transformation$"))


def test_language_switch_changes_the_visible_strings_and_is_remembered(studio: Studio) -> None:
    page = studio.page
    studio.open("/text-transformation")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "de")
    studio.pick_config("Dada")
    dada = page.request.get(studio.base_url + "/api/schema/configs/dada").json()["config"]
    expect(page.get_by_label("Regeln (WIE)")).to_have_value(dada["context"]["de"])

    english = page.get_by_role("button", name="English")
    english.click()
    expect(english).to_have_attribute("aria-pressed", "true")
    expect(html).to_have_attribute("lang", "en")
    expect(page).to_have_title("Text transformation – devserver Studio")
    expect(page.get_by_role("heading", level=1)).to_have_text("Text transformation")
    expect(page.get_by_label("Your idea (WHAT)")).to_be_visible()
    expect(page.get_by_role("navigation", name="Mode").get_by_role("link", name="Image")).to_be_visible()
    expect(page.get_by_role("group", name="Art movements")).to_be_visible()
    expect(page.get_by_role("button", name="Optimize", exact=True)).to_be_visible()
    expect(page.get_by_label("Rules (HOW)")).to_have_value(dada["context"]["en"])

    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Text transformation")
    expect(html).to_have_attribute("lang", "en")

    page.get_by_role("button", name="Deutsch").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Text-Transformation")
    expect(html).to_have_attribute("lang", "de")
