"""axe-core (frontend/node_modules/axe-core) finds no serious or critical violations on any view: both studio modes
before, during and after a run, "Meine Bilder", a run's detail, "Vergleichen", the teacher view and a phone."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, expect

from tests.e2e.studio import GENERATE, GO, Studio

pytestmark = pytest.mark.e2e

AXE_JS = Path(__file__).resolve().parents[2] / "frontend" / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page: Page) -> list[str]:
    """Run axe in the page; returns one line per serious/critical violation with the offending nodes."""
    assert AXE_JS.is_file(), f"{AXE_JS} is missing: run `npm ci` in frontend/"
    # evaluated through the DevTools protocol: a <script> tag with inline content would be refused by the server's
    # CSP (script-src 'self'), as any injected script should be
    page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;undefined")
    results = page.evaluate("() => axe.run(document, { resultTypes: ['violations'] })")
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} -> "
        + "; ".join(node["target"][0] for node in violation["nodes"])
        for violation in results["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


def test_text_view_before_during_and_after_a_run(studio: Studio) -> None:
    page = studio.page
    studio.open("/text-transformation")
    expect(page.get_by_role("radio", name="Dada", exact=True)).to_be_visible()
    assert axe_violations(page) == []

    studio.text_ready()
    held: list[Route] = []
    page.route("**/api/runs/*/events", lambda route: held.append(route))  # the run stays "in progress"
    studio.run_pipeline(GO, "execute", status=202)
    expect(studio.button("Abbrechen")).to_be_visible()
    expect(studio.progress_bar()).to_be_visible()
    assert axe_violations(page) == []

    assert len(held) == 1
    held[0].continue_()
    expect(studio.output_image()).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Was ist das? (Seed)").click()
    assert axe_violations(page) == []

    page.get_by_label("Schritte", exact=True).fill("80")
    studio.button(GENERATE).click()
    expect(page.get_by_test_id("steps-problem")).to_be_visible()
    assert axe_violations(page) == []


def test_image_view_before_and_after_an_upload(studio: Studio) -> None:
    page = studio.page
    studio.open_image_view()
    expect(page.get_by_role("radio", name="Foto verwandeln", exact=True)).to_be_checked()
    assert axe_violations(page) == []

    studio.drop_sized_file(100, "falsch.txt", "text/plain")
    expect(page.get_by_text("„falsch.txt“ ist kein PNG-, JPEG- oder WebP-Bild.")).to_be_visible()
    assert axe_violations(page) == []


def test_gallery_detail_and_compare(studio: Studio) -> None:
    page = studio.page
    studio.text_ready()
    studio.generate(GO, "execute")
    page.get_by_label("Deine Idee (WAS)").fill("Ein Fuchs tanzt im Schnee")
    studio.generate(GO, "execute")

    page.get_by_role("link", name="Meine Bilder").click()
    cards = page.locator(".run-card")
    expect(cards).to_have_count(2)
    assert axe_violations(page) == []

    cards.nth(0).get_by_role("checkbox").check()
    cards.nth(1).get_by_role("checkbox").check()
    page.get_by_test_id("compare").click()
    expect(page.get_by_test_id("compare-item")).to_have_count(2)
    assert axe_violations(page) == []

    page.go_back()
    cards.nth(0).locator(".run-card__link").click()
    expect(page.get_by_test_id("run-image")).to_be_visible()
    assert axe_violations(page) == []


def test_teacher_view(studio: Studio) -> None:
    page = studio.page
    studio.text_ready()
    studio.generate(GO, "execute")
    page.get_by_role("link", name="Lehrkraft").click()
    expect(page.get_by_role("heading", name="Bilder von heute")).to_be_visible()
    expect(page.get_by_test_id("teacher-level")).to_contain_text("Jugendliche (13-17)")
    assert axe_violations(page) == []


def test_teacher_view_asking_for_the_token(studio: Studio) -> None:
    page = studio.page
    page.route(re.compile(r".*/api/teacher/.*"), lambda route: route.fulfill(
        status=401, json={"status": "error", "error": {"code": "admin_token_required", "message": "token",
                                                       "details": {}}}))
    studio.open("/lehrkraft")
    expect(page.get_by_role("textbox", name="Admin-Token")).to_be_visible()
    assert axe_violations(page) == []


def test_phone_view(page: Page, base_url: str) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    studio = Studio(page, base_url)
    studio.open("/text-transformation")
    expect(page.get_by_label("Perspektive", exact=True)).to_be_visible()
    assert axe_violations(page) == []
