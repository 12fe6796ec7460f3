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
    expect(page.get_by_label("Regeln (WIE)")).to_have_value(dada["summary"]["de"])

    english = page.get_by_role("button", name="English")
    english.click()
    expect(english).to_have_attribute("aria-pressed", "true")
    expect(html).to_have_attribute("lang", "en")
    expect(page).to_have_title("Text transformation – devserver Studio")
    expect(page.get_by_role("heading", level=1)).to_have_text("Text transformation")
    expect(page.get_by_label("Your idea (WHAT)")).to_be_visible()
    expect(page.get_by_role("group", name="Mode").get_by_role("link", name="Image", exact=True)).to_be_visible()
    expect(page.get_by_role("group", name="Art movements")).to_be_visible()
    expect(page.get_by_role("button", name="Step by step", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Safety: Youth (13-17)")).to_be_visible()
    expect(page.get_by_label("Rules (HOW)")).to_have_value(dada["summary"]["en"])

    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Text transformation")
    expect(html).to_have_attribute("lang", "en")

    page.get_by_role("button", name="Deutsch").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Text-Transformation")
    expect(html).to_have_attribute("lang", "de")


def test_the_header_shows_the_safety_level_and_explains_it(studio: Studio) -> None:
    page = studio.page
    studio.open("/text-transformation")
    level = page.get_by_role("button", name="Sicherheit: Jugendliche (13-17)")
    expect(level).to_have_attribute("aria-expanded", "false")
    level.click()
    expect(level).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_text("Für Jugendliche von 13 bis 17: Gewalt, Sexuelles, Drogen und Hass werden angehalten.")
           ).to_be_visible()
    expect(page.get_by_text("Die Lehrkraft stellt die Stufe am Server ein; sie gilt für alle.")).to_be_visible()


def test_the_header_links_to_meine_bilder_and_the_teacher_view(studio: Studio) -> None:
    page = studio.page
    studio.open("/text-transformation")
    nav = page.get_by_role("navigation", name="Bereiche")
    nav.get_by_role("link", name="Meine Bilder").click()
    expect(page).to_have_url(re.compile(r"/meine-bilder$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Meine Bilder")
    expect(page.get_by_text("Noch keine Bilder.")).to_be_visible()
    nav.get_by_role("link", name="Lehrkraft").click()
    expect(page).to_have_url(re.compile(r"/lehrkraft$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Lehrkraft")
