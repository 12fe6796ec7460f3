"""axe-core (frontend/node_modules/axe-core) finds no serious or critical violations in either view."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Route, expect

from tests.e2e.studio import Studio

pytestmark = pytest.mark.e2e

AXE_JS = Path(__file__).resolve().parents[2] / "frontend" / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(studio: Studio) -> list[str]:
    """Run axe in the page; returns one line per serious/critical violation with the offending nodes."""
    assert AXE_JS.is_file(), f"{AXE_JS} is missing: run `npm ci` in frontend/"
    # evaluated through the DevTools protocol: a <script> tag with inline content would be refused by the server's
    # CSP (script-src 'self'), as any injected script should be
    studio.page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;undefined")
    results = studio.page.evaluate("() => axe.run(document, { resultTypes: ['violations'] })")
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
    assert axe_violations(studio) == []

    studio.text_flow_until_optimized()
    held: list[Route] = []
    page.route("**/api/runs/*/events", lambda route: held.append(route))  # the run stays "in progress"
    studio.run_pipeline("Bild erzeugen", "generation", status=202)
    expect(studio.button("Abbrechen")).to_be_visible()
    expect(studio.progress_bar()).to_be_visible()
    assert axe_violations(studio) == []

    assert len(held) == 1
    held[0].continue_()
    expect(studio.output_image()).to_be_visible(timeout=30_000)
    assert axe_violations(studio) == []


def test_image_view_before_and_after_an_upload(studio: Studio) -> None:
    page = studio.page
    studio.open_image_view()
    expect(page.get_by_role("radio", name="Foto verwandeln", exact=True)).to_be_checked()
    assert axe_violations(studio) == []

    studio.drop_sized_file(100, "falsch.txt", "text/plain")
    expect(page.get_by_text("„falsch.txt“ ist kein PNG-, JPEG- oder WebP-Bild.")).to_be_visible()
    assert axe_violations(studio) == []
