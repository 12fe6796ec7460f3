"""The enhanced settings in the studio (issue 10): a LoRA with its weight slider, "Umriss übernehmen" from an
uploaded drawing (and from the photo in image mode) with the edge-map preview, a batch of 4 as a grid to pick
from, and "Vergrößern" on a finished image; operated with the keyboard where a learner would, in German and
English."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from tests.e2e.studio import GO, TIMEOUT_MS, TRANSFORM, Studio
from tests.support.images import encode, quadrant_image

pytestmark = pytest.mark.e2e


def drawing_png() -> bytes:
    """A child's drawing: a dark outline of a house on white paper."""
    image = Image.new("RGB", (200, 160), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 60, 160, 150), outline="black", width=5)
    draw.polygon([(30, 62), (100, 10), (170, 62)], outline="black", width=5)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def ready(studio: Studio, side: int = 256) -> None:
    """Text mode with an idea, few steps and a small size, the settings open."""
    studio.text_ready(steps=3)
    studio.set_size(side)


def focused(studio: Studio) -> str:
    """The accessible label (or id) of the focused element."""
    return studio.page.evaluate("() => document.activeElement.labels?.[0]?.textContent.trim() "
                                "|| document.activeElement.id")


def test_a_lora_is_switched_on_and_weighted_with_the_keyboard(studio: Studio) -> None:
    page = studio.page
    ready(studio)
    lora = page.get_by_role("checkbox", name="tiny-lora.safetensors", exact=True)
    slider = page.get_by_role("slider", name=re.compile(r"^Stärke von tiny-lora\.safetensors"))
    expect(slider).to_be_disabled()
    lora.focus()
    page.keyboard.press("Space")
    expect(lora).to_be_checked()
    expect(slider).to_be_enabled()
    page.keyboard.press("Tab")  # the slider is the next stop
    assert focused(studio).startswith("Stärke von tiny-lora.safetensors")
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    expect(page.get_by_text("Stärke von tiny-lora.safetensors: 1,2")).to_be_visible()
    expect(slider).to_have_attribute("aria-valuetext", "1,2")
    sent, status = studio.generate(GO, "execute")
    assert sent["parameters"]["loras"] == [{"id": "loras:tiny-lora.safetensors", "weight": 1.2}]
    assert status["stages"]["stage4"]["enhancements"]["loras"] == [
        {"id": "loras:tiny-lora.safetensors", "weight": 1.2, "source": "request"}]


def test_umriss_uebernehmen_from_an_uploaded_drawing_shows_the_edge_map(studio: Studio) -> None:
    page = studio.page
    ready(studio)
    outline = page.get_by_role("checkbox", name="Umriss übernehmen", exact=True)
    outline.focus()
    page.keyboard.press("Space")
    expect(page.get_by_text("Lade eine Zeichnung hoch: Ihr Umriss wird dann hier gezeigt.")).to_be_visible()
    expect(page.get_by_role("button", name="Zeichnung hochladen")).to_be_visible()
    with page.expect_response("**/api/media/upload/image") as answer:
        page.get_by_test_id("drawing-input").set_input_files(
            files=[{"name": "haus.png", "mimeType": "image/png", "buffer": drawing_png()}])
    image_id = answer.value.json()["image_id"]
    preview = page.get_by_role("img", name="Der Umriss, dem das Bild folgt: weiße Linien auf Schwarz")
    expect(preview).to_have_attribute("src", f"/api/media/uploads/{image_id}/edges")
    assert studio.wait_for_image(preview)["naturalWidth"] == 200
    edges = np.asarray(Image.open(io.BytesIO(studio.image_bytes(f"/api/media/uploads/{image_id}/edges"))))
    assert set(np.unique(edges)) == {0, 255}  # white lines on black: what the ControlNet gets
    expect(page.get_by_role("button", name="Andere Zeichnung hochladen")).to_be_visible()
    sent, status = studio.generate(GO, "execute")
    (controlnet,) = sent["parameters"]["controlnets"]
    assert controlnet == {"id": "controlnet:tiny-controlnet", "image_id": image_id, "weight": 1,
                          "preprocessor": "canny"}
    assert status["stages"]["stage4"]["enhancements"]["controlnets"][0]["preprocessor"] == "canny"


def test_umriss_uebernehmen_from_the_photo_in_image_mode(studio: Studio) -> None:
    page = studio.page
    studio.open_image_view()
    with page.expect_response("**/api/media/upload/image") as answer:
        studio.drop_file(encode(quadrant_image((128, 96)), "PNG"), "foto.png", "image/png")
    photo = answer.value.json()["image_id"]
    studio.set_steps(4)
    page.get_by_role("checkbox", name="Umriss übernehmen", exact=True).check()
    expect(page.get_by_role("radio", name="vom Foto")).to_be_checked()  # the photo is the natural outline
    preview = page.get_by_test_id("edge-preview")
    expect(preview).to_have_attribute("src", f"/api/media/uploads/{photo}/edges")
    sent, _ = studio.generate(TRANSFORM, "execute")
    assert sent["parameters"]["controlnets"][0]["image_id"] == photo == sent["input_image"]


def test_a_batch_of_four_is_a_grid_and_a_click_picks_the_one_to_keep(studio: Studio) -> None:
    page = studio.page
    ready(studio)
    four = page.get_by_role("radio", name="4 Bilder")
    four.focus()
    page.keyboard.press("Space")
    expect(four).to_be_checked()
    sent, status = studio.generate(GO, "execute")
    assert sent["parameters"]["batch_size"] == 4
    seed = sent["seed"]
    grid = page.get_by_role("list", name="Deine 4 Bilder")
    picks = grid.get_by_role("button")
    expect(picks).to_have_count(4)
    for position in range(4):
        expect(picks.nth(position).get_by_role("img")).to_have_attribute(
            "alt", f"Bild {position + 1} von 4, Seed {seed + position}")
    expect(picks.nth(0)).to_have_attribute("aria-pressed", "true")
    picks.nth(2).focus()
    page.keyboard.press("Enter")  # the keyboard picks as a click does
    expect(picks.nth(2)).to_have_attribute("aria-pressed", "true")
    expect(picks.nth(0)).to_have_attribute("aria-pressed", "false")
    expect(studio.output_image()).to_have_attribute("src", re.compile(rf"/{status['run_id']}/2$"))
    expect(studio.seed()).to_have_text(str(seed + 2))
    expect(page.get_by_label("Seed", exact=True)).to_have_value(str(seed + 2))
    # working on with a change keeps the picked image's seed (the seed rule, as for a single image)
    page.get_by_role("checkbox", name="tiny-lora.safetensors", exact=True).check()
    sent_again, _ = studio.generate("Bild erzeugen", "execute")
    assert sent_again["seed"] == seed + 2


def test_vergroessern_makes_the_finished_image_twice_as_large(studio: Studio) -> None:
    page = studio.page
    ready(studio, side=256)
    _, status = studio.generate(GO, "execute")
    assert studio.wait_for_image(studio.output_image())["naturalWidth"] == 256
    with page.expect_response("**/api/media/upscale", timeout=TIMEOUT_MS) as answer:
        studio.button("Vergrößern 2x").click()
    assert answer.value.ok, answer.value.text()
    expect(page.get_by_role("status").filter(has_text="Vergrößert: jetzt 512 × 512 px.")).to_be_visible()
    expect(studio.output_image()).to_have_attribute("src", re.compile(rf"/{status['run_id']}/1$"))
    assert studio.wait_for_image(studio.output_image())["naturalWidth"] == 512
    expect(page.get_by_text("512 × 512 px", exact=True)).to_be_visible()


def test_the_enhanced_settings_speak_english(studio: Studio) -> None:
    page = studio.page
    ready(studio)
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("group", name="More options")).to_be_visible()
    expect(page.get_by_role("radio", name="2 images")).to_be_visible()
    expect(page.get_by_role("checkbox", name="Use an outline", exact=True)).to_be_visible()
    expect(page.get_by_role("slider", name=re.compile(r"^Strength of tiny-lora\.safetensors: 0\.8"))).to_be_disabled()
