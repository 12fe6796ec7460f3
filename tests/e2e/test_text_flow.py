"""Text mode end to end, step by step: the four stages, editing, seeds, the fullscreen viewer, a blocked idea."""

from __future__ import annotations

import pytest
from playwright.sync_api import Route, expect

from tests.e2e.studio import GENERATE, GO, PROMPT_LABEL, STAGE2_LABEL, Studio, image_pixels

pytestmark = pytest.mark.e2e

FIRST_SEED = 123456789


def test_step_by_step_pick_config_edit_interception_optimize_generate(studio: Studio) -> None:
    page = studio.page
    studio.text_ready("Ein Fuchs tanzt im Regen")
    dada = page.request.get(studio.base_url + "/api/schema/configs/dada").json()["config"]
    expect(page.get_by_label("Regeln (WIE)")).to_have_value(dada["summary"]["de"])

    stage2 = studio.run_pipeline("Schritt für Schritt", "stage2")
    assert stage2.request.post_data_json == {"schema": "dada", "input_text": "Ein Fuchs tanzt im Regen",
                                             "language": "de"}, "unchanged rules are the config's: not sent"
    result_box = page.get_by_label(STAGE2_LABEL)
    expect(result_box).to_have_value(stage2.json()["interception_result"])
    intercepted = studio.notice(2)
    expect(intercepted).to_be_focused()
    expect(intercepted).to_be_in_viewport()
    stage1_card = studio.stage(1)
    expect(stage1_card).to_have_attribute("data-status", "done")
    expect(stage1_card).to_contain_text("Begriffsfilter")
    expect(stage1_card).to_contain_text("bestanden")

    edited = "Ein Fuchs aus Zeitungsschnipseln tanzt im Regen, wild zusammengeklebt"
    result_box.fill(edited)
    optimized = studio.run_pipeline("Weiter zu Stufe 3", "optimize")
    assert optimized.request.post_data_json["prompt"] == edited
    assert optimized.request.post_data_json["run_id"] == stage2.json()["run_id"]
    prompt_box = page.get_by_label(PROMPT_LABEL)
    expect(prompt_box).to_have_value(optimized.json()["optimized_prompt"])
    expect(studio.notice(3)).to_be_focused()

    prompt_box.fill("paper collage of a fox dancing in the rain, dada")
    sent, run = studio.generate(GENERATE, "execute")
    media = run["media_output"]
    assert sent["async"] is True, "generation is queued and followed"
    assert sent["interception_result"] == edited
    assert sent["optimized_prompt"] == "paper collage of a fox dancing in the rain, dada"
    assert sent["seed"] == FIRST_SEED and sent["parameters"]["steps"] == 4
    assert media["seed"] == FIRST_SEED
    assert run["stages"]["stage3"]["prompt"] == "paper collage of a fox dancing in the rain, dada"

    image = studio.output_image()
    expect(image).to_have_attribute("src", media["url"])
    expect(studio.seed()).to_have_text(str(FIRST_SEED))
    size = studio.wait_for_image(image)
    assert size == {"naturalWidth": media["width"], "naturalHeight": media["height"],
                    "width": media["width"], "height": media["height"]}
    expect(page.get_by_test_id("download")).to_have_attribute("download", f"dada-{FIRST_SEED}.png")
    for stage in (1, 2, 3, 4):
        expect(studio.stage(stage)).to_have_attribute("data-status", "done")


def test_retry_draws_a_new_seed_and_a_locked_seed_reproduces_the_pixels(studio: Studio) -> None:
    page = studio.page
    studio.text_ready()
    first = studio.generate(GO, "execute")[1]["media_output"]
    expect(studio.seed()).to_have_text(str(FIRST_SEED))

    retry, run = studio.generate("Neuer Versuch mit neuem Seed", "execute")
    retried = run["media_output"]
    assert retry["seed"] == retried["seed"] != FIRST_SEED
    assert retry["optimized_prompt"] == page.get_by_label(PROMPT_LABEL).input_value()
    assert retried["run_id"] != first["run_id"], "every image is a run of its own"
    expect(studio.seed()).to_have_text(str(retried["seed"]))
    expect(studio.output_image()).to_have_attribute("src", retried["url"])
    assert image_pixels(studio.image_bytes(retried["url"])) != image_pixels(studio.image_bytes(first["url"]))

    page.get_by_label("Seed festhalten").check()
    locked = studio.generate(GENERATE, "execute")[1]["media_output"]
    assert locked["seed"] == retried["seed"]
    assert locked["run_id"] != retried["run_id"]
    assert image_pixels(studio.image_bytes(locked["url"])) == image_pixels(studio.image_bytes(retried["url"]))


def test_a_typed_seed_makes_a_classmates_image_again(studio: Studio) -> None:
    page = studio.page
    studio.text_ready()
    first = studio.generate(GO, "execute")[1]["media_output"]
    studio.generate("Neuer Versuch mit neuem Seed", "execute")

    seed_field = page.get_by_test_id("seed-input")
    seed_field.fill(str(first["seed"]))
    seed_field.press("Tab")
    expect(page.get_by_label("Seed festhalten")).to_be_checked()
    again = studio.generate(GENERATE, "execute")[1]["media_output"]
    assert again["seed"] == first["seed"]
    assert image_pixels(studio.image_bytes(again["url"])) == image_pixels(studio.image_bytes(first["url"]))


def test_unlocked_same_prompt_draws_a_new_seed_changed_prompt_keeps_it(studio: Studio) -> None:
    page = studio.page
    studio.text_ready()
    studio.generate(GO, "execute")
    again = studio.generate(GENERATE, "execute")[1]["media_output"]
    assert again["seed"] != FIRST_SEED
    page.get_by_label(PROMPT_LABEL).fill("a fox made of paper, in blue")
    changed = studio.generate(GENERATE, "execute")[1]["media_output"]
    assert changed["seed"] == again["seed"]


def test_fullscreen_opens_closes_on_escape_and_click_and_returns_focus(studio: Studio) -> None:
    page = studio.page
    studio.text_ready()
    studio.generate(GO, "execute")
    trigger = studio.button("Vollbild")
    dialog = page.get_by_role("dialog", name="Bild im Vollbild")

    trigger.click()
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Schließen")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(trigger).to_be_focused()

    trigger.press("Enter")
    expect(dialog).to_be_visible()
    dialog.get_by_role("img").click()
    expect(dialog).to_be_hidden()
    expect(trigger).to_be_focused()


def test_blocked_idea_is_explained_in_german_in_stage1_and_the_learner_can_try_again(studio: Studio) -> None:
    page = studio.page
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    studio.text_ready("a bloody gore scene")
    idea = page.get_by_label("Deine Idee (WAS)")

    blocked = studio.run_pipeline("Schritt für Schritt", "stage2", status=403).json()
    assert blocked["status"] == "blocked" and blocked["stage"] == 1
    report = blocked["stages"]["stage1"]
    assert report["level"] == "youth"
    terms = ", ".join(blocked["found_terms"])
    problem = studio.problem(1)
    expect(problem).to_contain_text(
        f"Stufe 1 hat angehalten: Diese Wörter sind auf der Sicherheitsstufe Jugendliche nicht erlaubt: {terms}. "
        "Ändere den Text, in dem das Wort steht")
    expect(problem).to_be_focused()
    expect(problem).to_be_in_viewport()
    stage1_card = studio.stage(1)
    expect(stage1_card).to_have_attribute("data-status", "blocked")
    expect(stage1_card).to_contain_text(f"Auf der Sicherheitsstufe Jugendliche (13-17) nicht erlaubt: {terms}")
    for stage in (2, 3, 4):
        expect(studio.stage(stage)).to_have_attribute("data-status", "halted")
    expect(page.get_by_label(STAGE2_LABEL)).to_have_count(0)
    assert dialogs == [], "blocks are shown inline, never with alert()"

    # The server's English words are no learner's sentence: only under "Technische Details", closed.
    english = [blocked["reason"], *(check["detail"] for check in report["checks"])]
    for sentence in english:
        expect(problem).not_to_contain_text(sentence, use_inner_text=True)
        expect(stage1_card).not_to_contain_text(sentence, use_inner_text=True)
    studio.technical_details(problem).click()
    expect(problem.get_by_text(blocked["reason"], exact=True)).to_be_visible()

    idea.fill("a quiet forest at dawn")
    studio.run_pipeline("Schritt für Schritt", "stage2")
    expect(studio.problem(1)).to_have_count(0)
    expect(stage1_card).to_have_attribute("data-status", "done")
    expect(stage1_card).to_contain_text("Keine verbotenen Wörter gefunden (Sicherheitsstufe Jugendliche (13-17)).")
    expect(page.get_by_label(STAGE2_LABEL)).not_to_have_value("")


def test_a_model_without_weights_says_so_in_german_and_keeps_the_reason_for_teachers(studio: Studio) -> None:
    page = studio.page
    studio.open("/text-transformation")
    configs = page.request.get(studio.base_url + "/api/schema/output-configs").json()["output_configs"]
    missing = [config for config in configs if not config["available"]]
    assert missing and all(config["reason"] for config in missing), "the e2e server only has the tiny model"
    picker = page.get_by_role("group", name="Modell")
    picker.get_by_text(f"Nicht installierte Modelle ({len(missing)})").click()

    for config in missing:
        radio = picker.get_by_role("radio", name=config["name"]["de"], exact=True)
        expect(radio).to_be_disabled()
        expect(radio).to_have_accessible_description("Nicht installiert: die Modelldateien fehlen auf diesem Computer.")
        expect(picker).not_to_contain_text(config["reason"], use_inner_text=True)

    first = picker.locator(f"[data-output-config='{missing[0]['id']}']")
    studio.technical_details(first).click()
    expect(first.get_by_text(missing[0]["reason"], exact=True)).to_be_visible()


def test_test_builds_of_other_families_are_folded_away_and_can_still_be_chosen(studio: Studio) -> None:
    """The tiny builds of the other model families (display.folded) do not crowd the learner's choice."""
    page = studio.page
    studio.open("/text-transformation")
    configs = page.request.get(studio.base_url + "/api/schema/output-configs").json()["output_configs"]
    folded = [c for c in configs if c["folded"] and c["available"] and c["modes"]["txt2img"]["available"]]
    assert {c["id"] for c in folded} >= {"tiny_sd2", "tiny_sdxl_turbo", "tiny_sd3", "tiny_flux"}
    picker = page.get_by_role("group", name="Modell")
    expect(picker.get_by_role("radio", name="Tiny SD (Testmodell, offline)", exact=True)).to_be_visible()
    turbo = picker.get_by_role("radio", name=next(c["name"]["de"] for c in folded if c["id"] == "tiny_sdxl_turbo"),
                               exact=True)
    expect(turbo).to_be_hidden()

    picker.get_by_text(f"Weitere Testmodelle ({len(folded)})").click()
    turbo.check()

    expect(turbo).to_be_checked()
    page.wait_for_function("() => (localStorage.getItem('devserver.studio.text') || '').includes('tiny_sdxl_turbo')")
    page.reload()  # the choice survives (the draft, saved shortly after a change), and its fold opens to show it
    expect(turbo).to_be_visible()
    expect(turbo).to_be_checked()


def test_buttons_that_start_a_second_run_are_disabled_while_one_runs(studio: Studio) -> None:
    page = studio.page
    studio.text_ready()
    held: list[Route] = []
    page.route("**/api/schema/pipeline/execute", lambda route: held.append(route))  # held until checked

    studio.button(GO).click()
    expect(studio.status_message()).to_have_text("Läuft gerade: Stufe 1 – Sicherheitsprüfung")
    expect(studio.stage(1).get_by_role("progressbar")).to_be_in_viewport()
    expect(studio.stage(1)).to_have_attribute("data-status", "running")
    for name in (GO, "Schritt für Schritt", GENERATE):
        expect(studio.button(name)).to_be_disabled()
    expect(studio.button("Abbrechen")).to_have_count(0)  # nothing to cancel before the run is queued
    assert len(held) == 1

    with page.expect_response("**/api/schema/pipeline/execute", timeout=30_000) as answer:
        held[0].continue_()
    assert answer.value.status == 202
    expect(studio.output_image()).to_be_visible(timeout=30_000)
    expect(studio.button(GENERATE)).to_be_enabled()
    expect(studio.stage(4)).to_have_attribute("data-status", "done")
    expect(studio.progress_bar()).to_have_count(0)
