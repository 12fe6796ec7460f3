"""Whole classroom scenarios (issue 8, acceptance 1): what a learner does and sees, asserting what is in the
viewport and where focus is, in real Chromium against the real server with the tiny model.

Each scenario follows a learner's path from the first click: one click to the image; editing stage 2; a long
run with its progress and Cancel; a refused setting; "Direkt"; a mode switch and a reload; a stage-3 block;
"Meine Bilder" and "Vergleichen"; the truncation marker; a phone.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from devserver.generation.png import read_png_text
from tests.e2e.studio import GENERATE, GO, PROMPT_LABEL, STAGE2_LABEL, TIMEOUT_MS, TRANSFORM, Studio
from tests.e2e.test_image_flow import jpeg

pytestmark = pytest.mark.e2e

FIRST_SEED = 123456789
IDEA = "Ein Fuchs tanzt im Regen"


def go(studio: Studio, button: str = GO) -> dict:
    """Click `button`; the studio queues one /execute run and follows it. Returns what it sent."""
    with studio.page.expect_response("**/api/schema/pipeline/execute", timeout=TIMEOUT_MS) as answer:
        studio.button(button).click()
    assert answer.value.status == 202, answer.value.text()
    return answer.value.request.post_data_json


def expect_done(studio: Studio) -> None:
    """The run ended with an image: the message in stage 4 has focus and is on screen, every stage is done."""
    done = studio.notice(4)
    expect(done).to_have_text(re.compile(r"^Fertig! Dein Bild ist da \(Seed \d+\)\.$"), timeout=TIMEOUT_MS)
    expect(done).to_be_focused()
    expect(done).to_be_in_viewport()
    expect(studio.output_image()).to_be_visible()
    for stage in (1, 3, 4):
        expect(studio.stage(stage)).to_have_attribute("data-status", "done")


@pytest.fixture
def held_generation(generation_backend) -> Iterator[threading.Event]:
    """Hold every generation after its first diffusion step until the test sets the returned event (set at the
    end in any case), so a long run is caught running without depending on timing."""
    release = threading.Event()
    original = generation_backend.generate

    def held(model, request, *, on_step=None, **kwargs):  # type: ignore[no-untyped-def]
        def step(k: int, total: int) -> bool | None:
            stop = on_step(k, total) if on_step is not None else None
            if k == 1:
                release.wait(TIMEOUT_MS / 1000)
            return stop

        return original(model, request, on_step=step, **kwargs)

    generation_backend.generate = held
    try:
        yield release
    finally:
        release.set()
        del generation_backend.generate  # back to the class's method


def test_one_click_from_the_idea_to_the_image(studio: Studio) -> None:
    page = studio.page
    studio.text_ready(IDEA)
    sent = go(studio)
    assert sent["schema"] == "dada" and sent["input_text"] == IDEA and sent["async"] is True
    assert "interception_result" not in sent and "optimized_prompt" not in sent, "a first run makes every text"

    expect_done(studio)
    expect(page.get_by_label(STAGE2_LABEL)).to_have_value(re.compile("^Ein Fuchs tanzt im Regen, als Dada-Collage"))
    expect(page.get_by_label(PROMPT_LABEL)).not_to_have_value("")
    expect(studio.seed()).to_have_text(str(FIRST_SEED))
    download = page.get_by_test_id("download")
    expect(download).to_have_attribute("download", f"dada-{FIRST_SEED}.png")


def test_an_edited_stage2_text_reaches_the_image(studio: Studio) -> None:
    page = studio.page
    studio.text_ready(IDEA)
    go(studio)
    expect_done(studio)

    edited = "Ein Fuchs aus Zeitungspapier tanzt zwischen roten Regenschirmen"
    page.get_by_label(STAGE2_LABEL).fill(edited)
    expect(studio.stage(3)).to_have_attribute("data-status", "stale")
    expect(studio.stage(4)).to_have_attribute("data-status", "stale")
    expect(studio.stage(4)).to_contain_text("nicht mehr aktuell")
    expect(page.get_by_text("Du hast diesen Text geändert. Stufe 3 und 4 werden damit neu gemacht.")).to_be_visible()

    sent = go(studio, GENERATE)
    assert sent["interception_result"] == edited, "the edited stage-2 text is sent"
    assert "optimized_prompt" not in sent, "stage 3 is out of date: the server makes it again from the edit"
    expect_done(studio)
    expect(page.get_by_label(PROMPT_LABEL)).to_have_value(re.compile(f"^{edited}"))

    url = studio.output_image().get_attribute("src")
    provenance = read_png_text(studio.image_bytes(url))
    assert provenance["parameters"].startswith(edited), provenance["parameters"]
    stages = json.loads(provenance["devserver"])["stages"]
    assert stages["stage2"] == {**stages["stage2"], "status": "edited", "output": edited}


def test_a_40_step_run_shows_progress_and_cancel_in_view(studio: Studio, held_generation: threading.Event) -> None:
    page = studio.page
    studio.text_ready(IDEA, steps=40)
    go(studio)

    bar = studio.progress_bar()
    expect(bar).to_have_attribute("aria-valuetext", "Schritt 1 von 41", timeout=TIMEOUT_MS)
    progress = studio.stage(4).get_by_test_id("stage-progress")
    expect(progress).to_be_in_viewport()
    expect(studio.stage(4)).to_have_attribute("data-status", "running")
    cancel = studio.stage(4).get_by_role("button", name="Abbrechen")
    expect(cancel).to_be_focused()
    expect(cancel).to_be_in_viewport()
    expect(progress).to_contain_text("Du hast 40 Schritte eingestellt. Das Malverfahren dieses Modells macht einen "
                                     "Schritt extra.")

    with page.expect_response(re.compile(r"/api/runs/[0-9a-f-]+/cancel$")) as answer:
        cancel.click()
    assert answer.value.status == 202, answer.value.text()
    held_generation.set()
    canceled = studio.notice(4)
    expect(canceled).to_have_text("Abgebrochen – es wurde kein neues Bild erzeugt. Du kannst es noch einmal versuchen.")
    expect(canceled).to_be_focused()
    expect(canceled).to_be_in_viewport()
    expect(studio.output_image()).to_have_count(0)
    expect(bar).to_have_count(0)


def test_a_refused_setting_names_its_range_next_to_the_field(studio: Studio) -> None:
    page = studio.page
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url) if "/pipeline/" in request.url else None)
    studio.text_ready(IDEA, steps=80)
    studio.button(GO).click()

    steps = page.get_by_label("Schritte", exact=True)
    expect(steps).to_be_focused()
    expect(steps).to_be_in_viewport()
    expect(steps).to_have_attribute("aria-invalid", "true")
    expect(steps).to_have_accessible_description("Erlaubt sind 1 bis 50 Schritte.")
    expect(page.get_by_test_id("steps-problem")).to_be_in_viewport()
    assert requests == [], "nothing is sent while a setting is out of range"

    steps.fill("4")
    go(studio, GENERATE)
    expect_done(studio)
    expect(page.get_by_test_id("steps-problem")).to_have_count(0)


def test_direkt_works_in_one_click_and_step_by_step(studio: Studio) -> None:
    page = studio.page
    studio.text_ready("grüne Dreiecke auf blauem Grund", config="Direkt")
    expect(page.get_by_test_id("rules-none")).to_be_visible()
    with page.expect_response("**/api/schema/pipeline/stage2") as answer:
        studio.button("Schritt für Schritt").click()
    assert answer.value.status == 200, answer.value.text()
    checked = studio.notice(2)
    expect(checked).to_have_text("Stufe 1 ist fertig. Bei „Direkt“ geht deine Idee so, wie sie ist, weiter zu Stufe 3.")
    expect(checked).to_be_focused()
    expect(studio.stage(2)).to_have_attribute("data-status", "skipped")
    expect(studio.problem(1)).to_have_count(0)

    studio.run_pipeline("Weiter zu Stufe 3", "optimize")
    expect(page.get_by_label(PROMPT_LABEL)).to_have_value("grüne Dreiecke auf blauem Grund")
    go(studio, GENERATE)
    expect_done(studio)


def test_mode_switch_and_reload_keep_idea_rules_and_image(studio: Studio) -> None:
    page = studio.page
    studio.text_ready(IDEA)
    rules = page.get_by_label("Regeln (WIE)")
    rules.fill("Alles ist aus Papier geschnitten.")
    go(studio)
    expect_done(studio)
    image = studio.output_image().get_attribute("src")

    studio.mode_link("Bild").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bild-Transformation")
    studio.mode_link("Text").click()
    expect(page.get_by_label("Deine Idee (WAS)")).to_have_value(IDEA)
    expect(rules).to_have_value("Alles ist aus Papier geschnitten.")
    expect(studio.output_image()).to_have_attribute("src", image)

    stored = page.evaluate("() => JSON.parse(localStorage.getItem('devserver.studio.text'))")
    assert stored["lastRunId"] and stored["sentAs"] == stored["lastRunId"], "nothing changed since the run"
    page.evaluate("() => sessionStorage.clear()")
    page.reload()
    expect(page.get_by_label("Deine Idee (WAS)")).to_have_value(IDEA)
    expect(rules).to_have_value("Alles ist aus Papier geschnitten.")
    expect(page.get_by_role("radio", name="Dada", exact=True)).to_be_checked()
    expect(studio.output_image()).to_have_attribute("src", image)
    expect(page.get_by_label("Schritte", exact=True)).to_have_value("4")
    for stage in (1, 2, 3, 4):
        expect(studio.stage(stage)).to_have_attribute("data-status", "done")


def test_an_image_run_and_its_photo_survive_a_reload(studio: Studio) -> None:
    page = studio.page
    studio.open_image_view()
    with page.expect_response("**/api/media/upload/image"):
        studio.drop_file(jpeg(320, 240), "hof.jpg", "image/jpeg")
    page.get_by_label("Notiz zum Foto (freiwillig)").fill("Unser Schulhof")
    studio.set_steps(4)
    go(studio, TRANSFORM)
    expect_done(studio)
    result = studio.output_image().get_attribute("src")
    before = page.get_by_role("img", name="Dein Foto vorher")
    expect(before).to_be_visible()

    page.reload()
    expect(page.get_by_label("Notiz zum Foto (freiwillig)")).to_have_value("Unser Schulhof")
    expect(studio.output_image()).to_have_attribute("src", result)
    expect(before).to_be_visible()
    expect(page.get_by_test_id("upload-preview")).to_be_visible()
    expect(studio.button(TRANSFORM)).to_be_enabled()


def test_a_stage3_block_resets_stage4(studio: Studio) -> None:
    page = studio.page
    studio.text_ready(IDEA)
    go(studio)
    expect_done(studio)

    page.get_by_label(STAGE2_LABEL).fill("a bloody gore scene")
    with page.expect_response("**/api/schema/pipeline/optimize") as answer:
        studio.button("Weiter zu Stufe 3").click()
    assert answer.value.status == 403 and answer.value.json()["stage"] == 3
    block = studio.problem(3)
    expect(block).to_contain_text("Stufe 3 hat angehalten")
    expect(block).to_contain_text("gore")
    expect(block).to_be_focused()
    expect(block).to_be_in_viewport()
    expect(studio.stage(1)).to_have_attribute("data-status", "done")
    expect(studio.stage(3)).to_have_attribute("data-status", "blocked")
    expect(studio.stage(4)).to_have_attribute("data-status", "halted")
    expect(studio.stage(4)).to_contain_text("nicht gelaufen")
    expect(studio.output_image()).to_have_count(0)


def test_a_card_click_over_typed_rules_offers_undo(studio: Studio) -> None:
    page = studio.page
    studio.open("/text-transformation")
    rules = page.get_by_label("Regeln (WIE)")
    rules.fill("Alles leuchtet im Dunkeln.")
    studio.pick_config("Bauhaus")
    expect(rules).not_to_have_value("Alles leuchtet im Dunkeln.")
    undo = page.get_by_role("button", name="Rückgängig: meine Regeln zurück")
    expect(undo).to_be_visible()
    undo.click()
    expect(rules).to_have_value("Alles leuchtet im Dunkeln.")
    expect(undo).to_have_count(0)


def test_the_gallery_lists_this_browsers_runs_and_compares_two(studio: Studio) -> None:
    page = studio.page
    studio.text_ready(IDEA)
    go(studio)
    expect_done(studio)
    page.get_by_label("Deine Idee (WAS)").fill("Ein Fuchs tanzt im Schnee")
    go(studio)
    expect_done(studio)

    page.get_by_role("link", name="Meine Bilder").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Meine Bilder")
    cards = page.locator(".run-card")
    expect(cards).to_have_count(2)
    expect(cards.nth(0)).to_contain_text("Ein Fuchs tanzt im Schnee")
    expect(cards.nth(1)).to_contain_text(IDEA)
    expect(cards.nth(0)).to_contain_text("Dada")
    expect(cards.nth(0).get_by_test_id("gallery-seed")).to_have_text(str(FIRST_SEED))
    expect(cards.nth(0).locator("img.run-card__thumb")).to_have_attribute("src", re.compile("/api/media/thumbnail/"))

    cards.nth(0).get_by_role("checkbox").check()
    cards.nth(1).get_by_role("checkbox").check()
    page.get_by_test_id("compare").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Zwei Bilder vergleichen")
    items = page.get_by_test_id("compare-item")
    expect(items).to_have_count(2)
    for index in range(2):
        expect(items.nth(index).get_by_role("img")).to_be_in_viewport()
    expect(page.locator("tr[data-row='idea']")).to_contain_text("anders")
    expect(page.locator("tr[data-row='seed']")).to_contain_text("gleich")

    page.go_back()
    cards.nth(1).locator(".run-card__link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dein Bild mit allen Stufen")
    expect(page.get_by_test_id("run-interception")).to_contain_text(IDEA)
    expect(page.get_by_test_id("run-image")).to_be_visible()
    page.get_by_role("button", name="Weiterarbeiten").click()
    expect(page.get_by_label("Deine Idee (WAS)")).to_have_value(IDEA)
    expect(studio.output_image()).to_be_visible()


def test_the_truncation_marker_shows_what_the_model_ignores(studio: Studio) -> None:
    page = studio.page
    studio.text_ready("ab", config="Direkt")
    go(studio)
    expect_done(studio)
    marker = page.get_by_test_id("token-marker")
    expect(marker).to_have_text(re.compile(r"Das Modell liest deinen ganzen Prompt \(\d+ von 77 Tokens\)"))
    expect(page.get_by_test_id("token-ignored")).to_have_count(0)

    long_prompt = "a red fox dancing in the rain, paper collage, newspaper scraps, " * 3
    with page.expect_response("**/api/schema/prompt-tokens") as answer:
        page.get_by_label(PROMPT_LABEL).fill(long_prompt)
    counted = answer.value.json()
    assert counted["truncated"] and counted["max_tokens"] == 77
    ignored = page.get_by_test_id("token-ignored")
    expect(ignored).to_have_text(long_prompt[counted["ignored_from"]:])
    expect(marker).to_contain_text(f"Das Modell liest 77 Tokens. Dein Prompt hat {counted['token_count']}.")


def test_the_model_is_being_prepared_says_how_long(studio: Studio) -> None:
    page = studio.page

    def not_ready(route):  # type: ignore[no-untyped-def]
        answer = route.fetch().json()
        answer["default_model"] = {"output_config": "tiny_sd", "ready": False, "loading": True,
                                   "estimated_wait_s": 12}
        route.fulfill(json=answer)

    page.route("**/api/health", not_ready)
    studio.open("/text-transformation")
    expect(page.get_by_test_id("model-ready")).to_have_text(
        re.compile("Das Modell wird vorbereitet – noch etwa 12 s. Du kannst schon loslegen."))


@pytest.mark.parametrize("viewport", [pytest.param({"width": 390, "height": 844}, id="phone"),
                                      pytest.param({"width": 820, "height": 1180}, id="tablet")])
def test_on_phones_and_tablets_los_is_within_one_screen_of_the_idea(page: Page, base_url: str,
                                                                     viewport: dict) -> None:
    page.set_viewport_size(viewport)
    studio = Studio(page, base_url)
    studio.open("/text-transformation")
    idea = page.get_by_label("Deine Idee (WAS)")
    picker = page.get_by_label("Perspektive", exact=True)
    expect(picker).to_be_visible()
    expect(page.get_by_role("radio", name="Dada", exact=True)).to_have_count(0)
    picker.select_option("dada")
    idea.fill(IDEA)
    idea.evaluate("element => element.scrollIntoView({block: 'start'})")
    los = studio.button(GO)
    expect(los).to_be_in_viewport()
    top = idea.bounding_box()["y"]
    bottom = los.bounding_box()["y"] + los.bounding_box()["height"]
    assert bottom - top <= viewport["height"], (top, bottom)
    expect(los).to_be_enabled()
