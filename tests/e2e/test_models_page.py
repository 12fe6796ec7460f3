"""The teacher's /models page in real Chromium against the real server: list, search and filter, load, unload,
validate with its results, a benchmark with its progress bar and chart, metadata editing, the admin token field.

Screenshots of the page's states go to test-results/e2e/models-*.png (looked at during development)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, expect

from tests.e2e.studio import TIMEOUT_MS, Studio

pytestmark = pytest.mark.e2e

SHOTS = Path(__file__).resolve().parents[2] / "test-results" / "e2e"


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"models-{name}.png"), full_page=True)


def row(page: Page, model_id: str):
    return page.locator(f"tr[data-model-id='{model_id}']")


def test_teacher_manages_models(studio: Studio):
    page = studio.page
    studio.open("/text-transformation")
    page.get_by_role("link", name="Modelle").click()
    expect(page.get_by_role("heading", level=1, name="Modelle verwalten")).to_be_visible()
    expect(page).to_have_title(re.compile("Modelle verwalten"))

    # 1. the list: every tiny model with type, family, size, status and the reason when unusable
    tiny = row(page, "tiny-sd")
    expect(tiny).to_contain_text("Checkpoint")
    expect(tiny).to_contain_text("SD 1.x")
    expect(tiny.locator(".status-badge")).to_have_text(re.compile("nicht geladen|geladen"))
    expect(row(page, "loras:tiny-lora.safetensors")).to_contain_text("LoRA")
    single = row(page, "tiny-sd1.safetensors")
    expect(single.locator(".status-badge")).to_have_text("nicht nutzbar")
    expect(single).to_contain_text("diffusers folder with the same layout")
    expect(single.get_by_role("button", name="tiny-sd1.safetensors laden")).to_be_disabled()
    shot(page, "list")

    # 2. search (fuzzy: a typo still finds it) and filter by type
    with page.expect_response(re.compile(r"/api/models/search\?query=tyni")):
        page.get_by_label("Suchen").fill("tyni")
    expect(row(page, "tiny-sdxl")).to_be_visible()
    with page.expect_response(re.compile(r"model_types=lora")):
        page.get_by_label("Typ").select_option("lora")
    expect(page.locator("tbody tr")).to_have_count(3)  # tiny-lora, tiny-lora-b, tiny-sdxl-lora (build-tiny --all)
    expect(row(page, "loras:tiny-lora.safetensors")).to_be_visible()
    page.get_by_label("Typ").select_option("")
    with page.expect_response(re.compile(r"/api/models\?")):
        page.get_by_label("Suchen").fill("")
    expect(row(page, "vae:tiny-vae")).to_be_visible()

    # 3. load and unload: the status badge follows, the live region says what happened
    sdxl = row(page, "tiny-sdxl")
    with page.expect_response(re.compile(r"/api/models/tiny-sdxl/load$")) as answer:
        sdxl.get_by_role("button", name="tiny-sdxl laden").click()
    assert answer.value.status == 200, answer.value.text()
    expect(sdxl.locator(".status-badge")).to_have_text("geladen")
    expect(page.get_by_test_id("models-notice")).to_contain_text("tiny-sdxl ist geladen")
    unload = sdxl.get_by_role("button", name="tiny-sdxl entladen")
    expect(unload).to_be_focused()  # the same button, now "Entladen": focus stays where the teacher is
    with page.expect_response(re.compile(r"/api/models/tiny-sdxl/unload$")):
        unload.click()
    expect(sdxl.locator(".status-badge")).to_have_text("nicht geladen")
    expect(page.get_by_test_id("models-notice")).to_contain_text("Speicher ist frei")

    # 4. validate: the checks are listed in the details panel, in view
    with page.expect_response(re.compile(r"/api/models/tiny-sd/validate$")):
        tiny.get_by_role("button", name="tiny-sd prüfen").click()
    results = page.get_by_test_id("validation-results")
    expect(results).to_be_visible()
    expect(results.locator("li")).to_have_count(11)
    expect(results.locator("li.check--pass").first).to_contain_text("ok")
    expect(results).to_contain_text("not_truncated")
    expect(page.get_by_test_id("models-notice")).to_contain_text("alles in Ordnung")
    expect(results).to_be_in_viewport()
    shot(page, "validate")

    # 5. benchmark: queued job, progress bar (its event stream held back until we have seen the bar), then a chart
    #    of seconds per image for each resolution
    held: list[Route] = []
    page.route("**/api/runs/*/events", lambda route: held.append(route))
    with page.expect_response(re.compile(r"/api/models/tiny-sd/benchmark$")) as answer:
        tiny.get_by_role("button", name="Benchmark für tiny-sd").click()
    assert answer.value.status == 202, answer.value.text()
    bar = page.get_by_test_id("model-details").get_by_role("progressbar")
    expect(bar).to_be_visible()
    expect(bar).to_have_attribute("aria-valuenow", "0")
    expect(page.get_by_test_id("models-notice")).to_contain_text("in der Warteschlange")
    shot(page, "benchmark-running")
    assert len(held) == 1
    held[0].continue_()
    chart = page.get_by_test_id("benchmark-chart")
    expect(chart).to_be_visible(timeout=TIMEOUT_MS)
    expect(chart.locator("rect")).to_have_count(3)
    expect(chart).to_have_attribute("aria-label", re.compile(r"64x64: [\d,]+ s; 128x128: [\d,]+ s; 256x256"))
    expect(page.get_by_test_id("models-notice")).to_contain_text("Benchmark für tiny-sd ist fertig")
    shot(page, "benchmark")

    # 6. metadata: edit and save; the table shows the new name
    details = page.get_by_test_id("model-details")
    details.get_by_label("Anzeigename").fill("Tiny SD (Test)")
    details.get_by_label("Tags (durch Kommas getrennt)").fill("test, klasse 7b")
    details.get_by_label("Bewertung (0–5)").fill("4")
    with page.expect_response(re.compile(r"/api/models/tiny-sd/metadata$")) as answer:
        details.get_by_role("button", name="Metadaten speichern").click()
    assert answer.value.status == 200, answer.value.text()
    assert set(answer.value.json()["updated_fields"]) >= {"display_name", "tags", "rating"}
    expect(page.get_by_test_id("models-notice")).to_contain_text("Metadaten von tiny-sd gespeichert")
    expect(tiny.get_by_role("button", name="Tiny SD (Test)", exact=True)).to_be_visible()
    shot(page, "metadata")


def test_admin_token_is_kept_in_session_storage(studio: Studio):
    page = studio.page
    studio.open("/models")
    page.get_by_label("Admin-Token").fill("teacher-secret")
    assert page.evaluate("() => sessionStorage.getItem('devserver.adminToken')") == "teacher-secret"
    assert page.evaluate("() => localStorage.getItem('devserver.adminToken')") is None
    page.reload()
    expect(page.get_by_label("Admin-Token")).to_have_value("teacher-secret")


def test_models_page_has_no_serious_accessibility_violations(studio: Studio):
    from tests.e2e.test_accessibility import axe_violations

    page = studio.page
    studio.open("/models")
    expect(row(page, "tiny-sd")).to_be_visible()
    assert axe_violations(studio.page) == []
    with page.expect_response(re.compile(r"/api/models/vae(:|%3A)tiny-vae/validate$")):
        row(page, "vae:tiny-vae").get_by_role("button", name="tiny-vae prüfen").click()
    expect(page.get_by_test_id("validation-results")).to_be_visible()
    assert axe_violations(studio.page) == []
