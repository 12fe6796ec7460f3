"""Queued generation in the browser: the progress bar to the image, cancel, and a reload while a job runs."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.e2e.studio import GENERATE, GO, PROMPT_LABEL, TIMEOUT_MS, Studio
from tests.e2e.test_image_flow import jpeg

pytestmark = pytest.mark.e2e

MAX_STEPS = 50
"""tiny_sd's max_steps, the most the steps field allows: at 256 px a run takes ~2.5 s, at 384 px ~5 s."""
CANCELED = "Abgebrochen – es wurde kein neues Bild erzeugt. Du kannst es noch einmal versuchen."
ANNOUNCEMENT = re.compile(
    r"^(In der Warteschlange: Platz \d+( – es geht in etwa \d+ s los\.)?|Läuft gerade: Stufe [1-4] – .+"
    r"|Stufe [1-4] – .+: (25|50|75|100) %)$"
)
"""What the status region may say during and after a run: milestones only, never a single step."""


def text_view_ready(studio: Studio) -> tuple[str, str]:
    """Text mode with an idea and a perspective; returns the one-click button and its pipeline endpoint."""
    studio.text_ready()
    return GO, "execute"


def image_view_ready(studio: Studio) -> tuple[str, str]:
    """Image mode with an uploaded photo; returns the transform button and its pipeline endpoint."""
    studio.open_image_view()
    with studio.page.expect_response("**/api/media/upload/image"):
        studio.drop_file(jpeg(320, 240), "hof.jpg", "image/jpeg")
    return "Bild verwandeln", "execute"


@pytest.mark.parametrize("ready", [pytest.param(text_view_ready, id="text"),
                                   pytest.param(image_view_ready, id="image")])
def test_the_progress_bar_shows_step_k_of_n_until_the_image(studio: Studio,
                                                            ready: Callable[[Studio], tuple[str, str]]) -> None:
    button, endpoint = ready(studio)
    studio.set_steps(MAX_STEPS)
    studio.record_progress()
    _, run = studio.generate(button, endpoint)

    progress, announcements = studio.recorded_progress()
    total = progress[-1]["max"]
    assert progress, "the bar never showed a step"
    assert [entry["now"] for entry in progress] == sorted(entry["now"] for entry in progress), "steps went back"
    for entry in progress:
        assert entry["max"] == total and 1 <= entry["now"] <= total, entry
        assert entry["text"] == f"Schritt {entry['now']} von {total}", entry
        assert re.fullmatch(r"(Läuft gerade: Stufe 4 – Bilderzeugung|Stufe 4 – Bilderzeugung: (25|50|75|100) %)",
                            entry["label"]), entry
    assert total == run["stages"]["stage4"]["total_steps"], "N is what really ran"
    assert run["progress"]["total_steps"] == total
    assert "Läuft gerade: Stufe 4 – Bilderzeugung" in announcements
    assert all(ANNOUNCEMENT.fullmatch(text) for text in announcements), announcements
    quarters = [int(text.split(": ")[1].rstrip(" %")) for text in announcements if text.endswith("%")]
    assert quarters == sorted(set(quarters)) and len(announcements) < total, (
        "the status region announces stages and quarters of the steps, not every step", announcements)
    expect(studio.notice(4)).to_have_text(f"Fertig! Dein Bild ist da (Seed {run['media_output']['seed']}).")
    expect(studio.progress_bar()).to_have_count(0)
    studio.wait_for_image(studio.output_image())


def test_cancel_ends_the_run_without_an_image_and_the_learner_can_generate_again(studio: Studio) -> None:
    page = studio.page
    studio.text_ready(steps=MAX_STEPS)
    run_id = studio.run_pipeline(GO, "execute", status=202).json()["run_id"]
    expect(studio.progress_bar()).to_be_visible()
    with page.expect_response(f"**/api/runs/{run_id}/cancel") as answer:
        studio.button("Abbrechen").click()
    assert answer.value.status in (200, 202), answer.value.text()  # canceled while queued / stops at the next step

    canceled = page.get_by_test_id("notice")
    expect(canceled).to_have_text(CANCELED)
    expect(canceled).to_be_focused()
    expect(page.locator("[data-testid=blocked], [data-testid=error]")).to_have_count(0)
    expect(studio.progress_bar()).to_have_count(0)
    expect(studio.output_image()).to_have_count(0)
    assert studio.run_status(run_id)["status"] == "canceled"
    assert studio.remembered_run("text") is None

    studio.set_steps(4)
    sent, run = studio.generate(GENERATE, "execute")
    assert run["run_id"] != run_id, "the next image is a new run"
    expect(studio.stage(4)).to_have_attribute("data-status", "done")


def test_a_reload_finds_the_running_job_and_follows_it_to_the_image(studio: Studio) -> None:
    page = studio.page
    studio.text_ready(steps=MAX_STEPS)
    studio.set_size(384)
    run_id = studio.run_pipeline(GO, "execute", status=202).json()["run_id"]
    step_text = re.compile(r"^Schritt \d+ von \d+$")
    expect(studio.progress_bar()).to_have_attribute("aria-valuetext", step_text, timeout=TIMEOUT_MS)
    assert json.loads(studio.remembered_run("text"))["runId"] == run_id

    with page.expect_request(f"**/api/runs/{run_id}/events") as followed:
        page.reload()
    assert followed.value.method == "GET"
    expect(studio.progress_bar()).to_have_attribute("aria-valuetext", step_text)
    expect(page.get_by_label("Deine Idee (WAS)")).to_have_value("Ein Fuchs tanzt im Regen")
    expect(page.get_by_role("radio", name="Dada", exact=True)).to_be_checked()
    expect(page.get_by_label(PROMPT_LABEL)).not_to_have_value("")
    expect(page.locator("[data-stage='4']")).to_have_attribute("data-status", "running")

    image = studio.output_image()
    expect(image).to_have_attribute("src", re.compile(f"^/api/media/image/{run_id}/"), timeout=TIMEOUT_MS)
    media = studio.run_status(run_id)["media_output"]
    assert studio.wait_for_image(image)["naturalWidth"] == media["width"] == 384
    expect(studio.seed()).to_have_text(str(media["seed"]))
    expect(page.locator("[data-stage='4']")).to_have_attribute("data-status", "done")
    assert studio.remembered_run("text") is None
