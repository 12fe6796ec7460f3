"""Image mode: paint over an area of the photo ("Bereich übermalen") and only that area is repainted.

The learner paints with the mouse (or places a rectangle with the keyboard), undoes and clears; the mask goes to
the server as an upload (multipart), the run names its image_id, and everything outside the painted area of the
result is the photo's own pixels.
"""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from PIL import Image, ImageFilter
from playwright.sync_api import Page, Request, expect

from tests.e2e.studio import TRANSFORM, Studio

pytestmark = pytest.mark.e2e

PHOTO = (320, 240)


def photo_png() -> bytes:
    width, height = PHOTO
    image = Image.new("RGB", PHOTO)
    image.putdata([(x * 255 // width, y * 255 // height, 90) for y in range(height) for x in range(width)])
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def open_painter(studio: Studio) -> Page:
    """Image mode with the photo uploaded, few steps, and the painter opened."""
    page = studio.page
    studio.open_image_view()
    with page.expect_response("**/api/media/upload/image"):
        studio.drop_file(photo_png(), "hof.png", "image/png")
    studio.set_steps(4)
    opener = page.get_by_role("button", name="Bereich übermalen")
    expect(opener).to_have_attribute("aria-expanded", "false")
    expect(mask_status(page)).to_have_text("Nichts übermalt: Das ganze Foto wird verwandelt.")
    opener.click()
    expect(page.get_by_role("button", name="Übermalen schließen")).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("application", name="Foto zum Übermalen")).to_be_visible()
    return page


def mask_status(page: Page):  # type: ignore[no-untyped-def]
    return page.get_by_test_id("mask-status")


def painted_percent(page: Page) -> int:
    match = re.search(r"Übermalt: (\d+) %", mask_status(page).text_content() or "")
    assert match, mask_status(page).text_content()
    return int(match[1])


def stroke(page: Page, start: tuple[float, float], end: tuple[float, float], steps: int = 12) -> None:
    """Drag the mouse over the photo from `start` to `end` (shares of its width and height)."""
    canvas = page.get_by_test_id("mask-canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None

    def at(share: tuple[float, float]) -> tuple[float, float]:
        return box["x"] + box["width"] * share[0], box["y"] + box["height"] * share[1]

    page.mouse.move(*at(start))
    page.mouse.down()
    for i in range(1, steps + 1):
        page.mouse.move(*at((start[0] + (end[0] - start[0]) * i / steps, start[1] + (end[1] - start[1]) * i / steps)))
    page.mouse.up()


def generate_capturing_the_mask(studio: Studio) -> tuple[dict, dict, Request | None]:
    """Click "Bild verwandeln"; returns what the studio sent, the run's status and the mask's upload request."""
    uploads: list[Request] = []
    studio.page.on("request", lambda r: uploads.append(r) if r.url.endswith("/api/media/upload/image") else None)
    sent, run = studio.generate(TRANSFORM, "execute")
    return sent, run, uploads[-1] if uploads else None


def pixels(studio: Studio, url: str, mode: str = "RGB") -> np.ndarray:
    with Image.open(io.BytesIO(studio.image_bytes(url))) as image:
        return np.asarray(image.convert(mode)).astype(int)


def test_paint_with_the_mouse_and_only_that_area_changes(studio: Studio) -> None:
    page = open_painter(studio)

    stroke(page, (0.2, 0.3), (0.6, 0.5))

    expect(mask_status(page)).to_contain_text("Übermalt:")
    assert 3 <= painted_percent(page) <= 40
    expect(page.get_by_role("button", name="Rückgängig")).to_be_enabled()
    sent, run, mask_upload = generate_capturing_the_mask(studio)

    # the mask went as an upload (multipart PNG), and the run names it; no image inside the JSON
    assert mask_upload is not None and "multipart/form-data" in (mask_upload.headers.get("content-type") or "")
    assert mask_upload.response().json()["image_id"] == sent["mask_image"]
    assert re.fullmatch(r"[0-9a-f-]{36}", sent["mask_image"]) and "data:" not in str(sent)
    assert run["stages"]["stage4"]["mode"] == "inpaint"
    detail = page.request.get(f"{studio.base_url}/api/runs/{run['run_id']}/detail").json()["run"]
    assert detail["mode"] == "inpaint" and detail["mask_image"] == sent["mask_image"]
    # the result: the photo's own pixels outside the painted area (beyond the feathered edge)
    # (image mode fits the photo into the model's size box: 320 x 240 -> 256 x 192, resized as the server does)
    output = pixels(studio, run["media_output"]["url"])
    size = (output.shape[1], output.shape[0])
    with Image.open(io.BytesIO(studio.image_bytes(detail["input_image_url"]))) as stored:
        assert stored.size == PHOTO
        photo = np.asarray(stored.convert("RGB").resize(size, Image.Resampling.LANCZOS)).astype(int)
    with Image.open(io.BytesIO(studio.image_bytes(detail["mask_image_url"]))) as stored:
        assert stored.size == PHOTO, "the mask has the photo's size"
        mask = np.asarray(stored.convert("L").resize(size, Image.Resampling.BILINEAR)).astype(int)
    far = np.asarray(Image.fromarray((mask >= 128).astype(np.uint8) * 255).filter(ImageFilter.MaxFilter(27))) == 0
    assert far.mean() > 0.4
    assert (output[far] == photo[far]).all(), "outside the painted area the photo stays as it was"
    assert np.abs(output[mask >= 128] - photo[mask >= 128]).max() > 30, "the painted area is repainted"
    # the result is shown, the painted mask stays for the next image
    expect(studio.output_image()).to_be_visible()
    expect(mask_status(page)).to_contain_text("Übermalt:")
    painted = mask_status(page).text_content()

    # a reload brings back the run, its photo and the painted mask; nothing is out of date
    page.reload()
    expect(studio.output_image()).to_have_attribute("src", re.compile(f"^/api/media/image/{run['run_id']}/"))
    expect(mask_status(page)).to_have_text(painted or "")
    expect(page.locator("[data-stage='4']")).to_have_attribute("data-status", "done")


def test_keyboard_users_place_and_resize_a_rectangle(studio: Studio) -> None:
    from tests.e2e.test_accessibility import axe_violations

    page = open_painter(studio)
    assert axe_violations(page) == [], "the open painter has no serious or critical accessibility problems"
    rect_button = page.get_by_role("button", name="Rechteck mit der Tastatur")
    rect_button.focus()
    page.keyboard.press("Enter")

    stage = page.get_by_role("application", name="Foto zum Übermalen")
    expect(stage).to_be_focused()
    expect(mask_status(page)).to_have_text(
        "Rechteck: 38 % von links, 38 % von oben, 25 % breit, 25 % hoch. Enter übermalt es, Escape bricht ab.")
    for key in ["ArrowLeft"] * 5 + ["ArrowUp"] * 3 + ["Shift+ArrowRight"] * 4 + ["Alt+Shift+ArrowDown"]:
        page.keyboard.press(key)
    # steps of 2 % of the longer side (6.4 px), Alt: 10 % (32 px)
    expect(mask_status(page)).to_contain_text("Rechteck: 28 % von links, 30 % von oben, 33 % breit, 38 % hoch.")
    assert axe_violations(page) == []
    page.keyboard.press("Enter")
    expect(mask_status(page)).to_have_text("Übermalt: 12 % des Fotos. Nur dieser Bereich wird neu gemalt.")
    expect(stage).to_be_focused()

    sent, run, _ = generate_capturing_the_mask(studio)

    mask = pixels(studio, f"/api/media/mask/{run['run_id']}", "L")
    rows, cols = np.nonzero(mask >= 128)
    # the rectangle in the photo's pixels: x 90..193 (104 wide), y 72..163 (92 high), as placed above
    assert (cols.min(), rows.min(), cols.max(), rows.max()) == (90, 72, 193, 163)
    assert (mask >= 128).sum() == 104 * 92, "exactly the rectangle, sharp edges"
    assert run["stages"]["stage4"]["mode"] == "inpaint" and sent["mask_image"]


def test_escape_leaves_the_rectangle_unpainted(studio: Studio) -> None:
    page = open_painter(studio)
    stage = page.get_by_role("application", name="Foto zum Übermalen")
    stage.focus()
    page.keyboard.press("ArrowRight")  # an arrow key on the photo shows the rectangle too
    expect(mask_status(page)).to_contain_text("Rechteck:")
    page.keyboard.press("Escape")
    expect(mask_status(page)).to_have_text("Nichts übermalt: Das ganze Foto wird verwandelt.")


def test_undo_and_clear_and_without_a_mask_it_stays_img2img(studio: Studio) -> None:
    page = open_painter(studio)
    undo = page.get_by_role("button", name="Rückgängig")
    clear = page.get_by_role("button", name="Alles löschen")
    expect(undo).to_be_disabled()
    expect(clear).to_be_disabled()

    stroke(page, (0.1, 0.2), (0.4, 0.2))
    expect(mask_status(page)).to_contain_text("Übermalt:")
    one = painted_percent(page)
    stroke(page, (0.1, 0.7), (0.9, 0.7))
    expect(mask_status(page)).not_to_have_text(re.compile(f"Übermalt: {one} %"))
    two = painted_percent(page)
    assert two > one
    undo.click()
    expect(mask_status(page)).to_contain_text(f"Übermalt: {one} %")
    # the eraser takes paint away
    page.get_by_label("Radierer").check()
    stroke(page, (0.05, 0.2), (0.45, 0.2))
    expect(mask_status(page)).to_have_text("Nichts übermalt: Das ganze Foto wird verwandelt.")
    undo.click()
    expect(mask_status(page)).to_contain_text(f"Übermalt: {one} %")
    clear.click()
    expect(mask_status(page)).to_have_text("Nichts übermalt: Das ganze Foto wird verwandelt.")
    undo.click()  # "Alles löschen" can be taken back too
    expect(mask_status(page)).to_contain_text(f"Übermalt: {one} %")
    page.get_by_test_id("mask-stage").focus()
    page.keyboard.press("Control+z")
    expect(mask_status(page)).to_have_text("Nichts übermalt: Das ganze Foto wird verwandelt.")

    sent, run, mask_upload = generate_capturing_the_mask(studio)

    assert "mask_image" not in sent and mask_upload is None
    assert run["stages"]["stage4"]["mode"] == "img2img"


def test_an_inpainting_model_is_offered_only_for_a_painted_area(studio: Studio) -> None:
    page = open_painter(studio)
    option = page.locator("[data-output-config='tiny_sd_inpaint'] input[type=radio]")
    expect(option).to_be_disabled()
    expect(page.locator("[data-output-config='tiny_sd_inpaint']")).to_contain_text(
        "Es kann kein ganzes Foto verwandeln")

    stroke(page, (0.3, 0.3), (0.5, 0.5))

    expect(option).to_be_enabled()
    option.check(force=True)
    sent, run, _ = generate_capturing_the_mask(studio)
    assert sent["output_config"] == "tiny_sd_inpaint" and run["stages"]["stage4"]["mode"] == "inpaint"
    page.get_by_role("button", name="Alles löschen").click()
    expect(studio.button(TRANSFORM)).to_be_disabled()
    expect(page.get_by_text("Das gewählte Modell kann das nicht")).to_be_visible()


def test_while_an_area_is_painted_the_outline_is_greyed_out_with_the_reason(studio: Studio) -> None:
    """Refiner and ControlNet do not inpaint (the server answers 422): the studio says so where they are chosen,
    sends neither while the mask is painted, and keeps the choice for when the mask is cleared."""
    page = open_painter(studio)
    outline = page.get_by_role("checkbox", name="Umriss übernehmen", exact=True)
    outline.check()
    expect(page.get_by_role("radio", name="vom Foto")).to_be_checked()
    hint = page.get_by_test_id("inpaint-extras-hint")
    expect(hint).to_have_count(0)

    stroke(page, (0.3, 0.3), (0.6, 0.6))

    expect(hint).to_be_visible()
    expect(hint).to_have_text(re.compile("Beim Übermalen eines Bereichs gibt es keinen Refiner und keinen Umriss"))
    expect(outline).to_be_disabled()
    expect(outline).to_be_checked()
    expect(page.get_by_test_id("edge-preview")).to_have_count(0)
    sent, run, _ = generate_capturing_the_mask(studio)
    assert "controlnets" not in sent["parameters"] and run["stages"]["stage4"]["mode"] == "inpaint"

    page.get_by_role("button", name="Alles löschen").click()
    expect(hint).to_have_count(0)
    expect(outline).to_be_enabled()
    expect(page.get_by_test_id("edge-preview")).to_be_visible()


def test_a_batch_of_two_inpaintings_shows_both_in_the_studio_and_in_meine_bilder(studio: Studio) -> None:
    page = open_painter(studio)
    page.get_by_role("radio", name="2 Bilder").check()
    stroke(page, (0.3, 0.3), (0.6, 0.6))

    sent, run, _ = generate_capturing_the_mask(studio)

    assert sent["parameters"]["batch_size"] == 2 and run["stages"]["stage4"]["mode"] == "inpaint"
    seeds = [media["seed"] for media in run["media_outputs"]]
    assert len(seeds) == 2 and seeds[1] == seeds[0] + 1
    expect(page.get_by_text("Klick auf das Bild, mit dem du weiterarbeiten willst")).to_be_visible()

    studio.open(f"/meine-bilder/{run['run_id']}")
    stage4 = page.locator("[data-stage='4']")
    expect(stage4).to_contain_text("Das Modell malt den übermalten Bereich deines Fotos nach den Regeln neu")
    expect(stage4.get_by_test_id("run-image")).to_have_count(2)
    for index, seed in enumerate(seeds):
        expect(stage4.get_by_role("img", name=re.compile(f"Seed {seed}"))).to_be_visible()
        expect(stage4.locator("figcaption").nth(index + 1)).to_contain_text(f"Seed {seed}")
    expect(stage4.get_by_role("img", name="Dein Foto vorher")).to_be_visible()
