"""Text mode end to end: the four stages, editing, seeds, the fullscreen viewer, a blocked idea."""

from __future__ import annotations

import pytest
from playwright.sync_api import Route, expect

from tests.e2e.studio import Studio, image_pixels

pytestmark = pytest.mark.e2e

FIRST_SEED = 123456789


def test_pick_config_edit_interception_optimize_generate(studio: Studio) -> None:
    page = studio.page
    studio.open("/text-transformation")
    page.get_by_label("Deine Idee (WAS)").fill("Ein Fuchs tanzt im Regen")
    studio.pick_config("Dada")
    dada = page.request.get(studio.base_url + "/api/schema/configs/dada").json()["config"]
    expect(page.get_by_label("Regeln (WIE)")).to_have_value(dada["context"]["de"])

    stage2 = studio.run_pipeline("Start", "stage2")
    assert stage2.request.post_data_json == {"schema": "dada", "input_text": "Ein Fuchs tanzt im Regen",
                                             "language": "de"}
    result_box = page.get_by_label("Ergebnis der Interception (du kannst es ändern)")
    expect(result_box).to_have_value(stage2.json()["interception_result"])
    stage1_card = page.locator("[data-stage='1']")
    expect(stage1_card).to_have_attribute("data-status", "done")
    expect(stage1_card).to_contain_text("Begriffsfilter")
    expect(stage1_card).to_contain_text("bestanden")

    edited = "Ein Fuchs aus Zeitungsschnipseln tanzt im Regen, wild zusammengeklebt"
    result_box.fill(edited)
    optimized = studio.run_pipeline("Optimieren", "optimize")
    assert optimized.request.post_data_json["prompt"] == edited
    assert optimized.request.post_data_json["run_id"] == stage2.json()["run_id"]
    prompt_box = page.get_by_label("Optimierter Prompt (du kannst ihn ändern)")
    expect(prompt_box).to_have_value(optimized.json()["optimized_prompt"])

    prompt_box.fill("paper collage of a fox dancing in the rain, dada")
    studio.set_steps(4)
    sent, run = studio.generate("Bild erzeugen", "generation")
    media = run["media_output"]
    assert sent["async"] is True, "generation is queued and followed"
    assert sent["prompt"] == "paper collage of a fox dancing in the rain, dada"
    assert sent["seed"] == FIRST_SEED and sent["run_id"] == stage2.json()["run_id"]
    assert sent["parameters"]["steps"] == 4
    assert media["seed"] == FIRST_SEED and media["run_id"] == stage2.json()["run_id"]

    image = studio.output_image()
    expect(image).to_have_attribute("src", media["url"])
    expect(studio.seed()).to_have_text(str(FIRST_SEED))
    size = studio.wait_for_image(image)
    assert size == {"naturalWidth": media["width"], "naturalHeight": media["height"],
                    "width": media["width"], "height": media["height"]}
    download = page.get_by_role("link", name="Herunterladen")
    expect(download).to_have_attribute("download", f"devserver_{media['run_id']}_0.png")
    for stage in ("1", "2", "3", "4"):
        expect(page.locator(f"[data-stage='{stage}']")).to_have_attribute("data-status", "done")


def test_retry_draws_a_new_seed_and_a_locked_seed_reproduces_the_pixels(studio: Studio) -> None:
    page = studio.page
    studio.text_flow_until_optimized()
    first = studio.generate("Bild erzeugen", "generation")[1]["media_output"]
    expect(studio.seed()).to_have_text(str(FIRST_SEED))

    retry, run = studio.generate("Neuer Versuch mit neuem Seed", "generation")
    retried = run["media_output"]
    assert retry["seed"] == retried["seed"] != FIRST_SEED
    assert retry["prompt"] == page.get_by_label("Optimierter Prompt (du kannst ihn ändern)").input_value()
    assert "run_id" not in retry, "a retry is a new run"
    assert retried["run_id"] != first["run_id"]
    expect(studio.seed()).to_have_text(str(retried["seed"]))
    expect(studio.output_image()).to_have_attribute("src", retried["url"])
    assert image_pixels(studio.image_bytes(retried["url"])) != image_pixels(studio.image_bytes(first["url"]))

    page.get_by_label("Seed festhalten").check()
    locked = studio.generate("Bild erzeugen", "generation")[1]["media_output"]
    assert locked["seed"] == retried["seed"]
    assert locked["run_id"] != retried["run_id"]
    expect(studio.output_image()).to_have_attribute("src", locked["url"])
    assert image_pixels(studio.image_bytes(locked["url"])) == image_pixels(studio.image_bytes(retried["url"]))


def test_unlocked_same_prompt_draws_a_new_seed_changed_prompt_keeps_it(studio: Studio) -> None:
    page = studio.page
    studio.text_flow_until_optimized()
    studio.generate("Bild erzeugen", "generation")
    again = studio.generate("Bild erzeugen", "generation")[1]["media_output"]
    assert again["seed"] != FIRST_SEED
    page.get_by_label("Optimierter Prompt (du kannst ihn ändern)").fill("a fox made of paper, in blue")
    changed = studio.generate("Bild erzeugen", "generation")[1]["media_output"]
    assert changed["seed"] == again["seed"]


def test_fullscreen_opens_closes_on_escape_and_click_and_returns_focus(studio: Studio) -> None:
    page = studio.page
    studio.text_flow_until_optimized()
    studio.generate("Bild erzeugen", "generation")
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


def test_blocked_idea_is_explained_in_german_and_the_learner_can_try_again(studio: Studio) -> None:
    page = studio.page
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    studio.open("/text-transformation")
    idea = page.get_by_label("Deine Idee (WAS)")
    idea.fill("a bloody gore scene")
    studio.pick_config("Dada")

    blocked = studio.run_pipeline("Start", "stage2", status=403).json()
    assert blocked["status"] == "blocked" and blocked["stage"] == 1
    report = blocked["stages"]["stage1"]
    assert report["level"] == "youth"
    terms = ", ".join(blocked["found_terms"])
    alert = studio.alert()
    expect(alert).to_contain_text(
        f"Stufe 1 hat angehalten: Diese Wörter sind auf der Sicherheitsstufe Jugendliche nicht erlaubt: {terms}. "
        "Ändere deine Idee und versuch es noch einmal.")
    stage1_card = page.locator("[data-stage='1']")
    expect(stage1_card).to_have_attribute("data-status", "blocked")
    expect(stage1_card).to_contain_text(f"Auf der Sicherheitsstufe Jugendliche (13-17) nicht erlaubt: {terms}")
    expect(page.get_by_label("Ergebnis der Interception (du kannst es ändern)")).to_have_count(0)
    assert dialogs == [], "blocks are shown inline, never with alert()"

    # The server's English words are no learner's sentence: only under "Technische Details", closed.
    english = [blocked["reason"], *(check["detail"] for check in report["checks"])]
    for sentence in english:
        expect(alert).not_to_contain_text(sentence, use_inner_text=True)
        expect(stage1_card).not_to_contain_text(sentence, use_inner_text=True)
    studio.technical_details(alert).click()
    expect(alert.get_by_text(blocked["reason"], exact=True)).to_be_visible()

    idea.fill("a quiet forest at dawn")
    studio.run_pipeline("Start", "stage2")
    expect(alert).to_be_empty()
    expect(stage1_card).to_have_attribute("data-status", "done")
    expect(stage1_card).to_contain_text("Keine verbotenen Wörter gefunden (Sicherheitsstufe Jugendliche (13-17)).")
    expect(page.get_by_label("Ergebnis der Interception (du kannst es ändern)")).not_to_have_value("")


def test_a_model_without_weights_says_so_in_german_and_keeps_the_reason_for_teachers(studio: Studio) -> None:
    page = studio.page
    studio.open("/text-transformation")
    configs = page.request.get(studio.base_url + "/api/schema/output-configs").json()["output_configs"]
    missing = [config for config in configs if not config["available"]]
    assert missing and all(config["reason"] for config in missing), "the e2e server only has the tiny model"
    picker = page.get_by_role("group", name="Modell")

    for config in missing:
        radio = picker.get_by_role("radio", name=config["name"]["de"], exact=True)
        expect(radio).to_be_disabled()
        expect(radio).to_have_accessible_description("Nicht installiert: die Modelldateien fehlen auf diesem Computer.")
        expect(picker).not_to_contain_text(config["reason"], use_inner_text=True)

    first = picker.locator(f"[data-output-config='{missing[0]['id']}']")
    studio.technical_details(first).click()
    expect(first.get_by_text(missing[0]["reason"], exact=True)).to_be_visible()


def test_buttons_that_start_a_second_run_are_disabled_while_one_runs(studio: Studio) -> None:
    page = studio.page
    studio.text_flow_until_optimized()
    held: list[Route] = []
    page.route("**/api/schema/pipeline/generation", lambda route: held.append(route))  # held until checked

    studio.button("Bild erzeugen").click()
    expect(studio.status_message()).to_have_text("Läuft gerade: Stufe 3 – Optimierung")
    expect(studio.progress_bar()).to_be_visible()
    expect(page.locator("[data-stage='4']")).to_have_attribute("data-status", "running")
    for name in ("Start", "Optimieren", "Bild erzeugen"):
        expect(studio.button(name)).to_be_disabled()
    expect(studio.button("Abbrechen")).to_have_count(0)  # nothing to cancel before the run is queued
    assert len(held) == 1

    with page.expect_response("**/api/schema/pipeline/generation", timeout=30_000) as answer:
        held[0].continue_()
    assert answer.value.status == 202
    expect(studio.output_image()).to_be_visible(timeout=30_000)
    expect(studio.button("Bild erzeugen")).to_be_enabled()
    expect(page.locator("[data-stage='4']")).to_have_attribute("data-status", "done")
    expect(studio.progress_bar()).to_have_count(0)
