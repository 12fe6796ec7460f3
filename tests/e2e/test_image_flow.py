"""Image mode end to end: drag and drop a real JPEG, img2img, and client-side file checks."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import Request, expect

from tests.e2e.studio import Studio

pytestmark = pytest.mark.e2e


def gradient(width: int, height: int, image_format: str) -> bytes:
    """A photo stand-in: a colour gradient of `width` x `height` pixels, encoded as `image_format`."""
    image = Image.new("RGB", (width, height))
    image.putdata([(x * 255 // width, y * 255 // height, 128) for y in range(height) for x in range(width)])
    buffer = io.BytesIO()
    image.save(buffer, image_format)
    return buffer.getvalue()


def jpeg(width: int, height: int) -> bytes:
    """A real JPEG of `width` x `height` pixels."""
    return gradient(width, height, "JPEG")


def png(width: int, height: int) -> bytes:
    """A real PNG of `width` x `height` pixels."""
    return gradient(width, height, "PNG")


def test_drop_a_jpeg_and_transform_it(studio: Studio) -> None:
    page = studio.page
    studio.open_image_view()
    config = page.request.get(studio.base_url + "/api/schema/configs/image_transformation").json()["config"]
    expect(page.get_by_label("Regeln (WIE)")).to_have_value(config["summary"]["de"])

    with page.expect_response("**/api/media/upload/image") as answer:
        studio.drop_file(jpeg(1280, 960), "fahrrad.jpg", "image/jpeg")
    upload = answer.value.json()
    assert upload["original_size"] == [1280, 960] and upload["resized_size"] == [1024, 768]
    expect(page.get_by_test_id("upload-preview")).to_have_attribute("src", upload["url"])
    expect(page.get_by_test_id("original-size")).to_have_text("Original: 1280 × 960 px")
    expect(page.get_by_test_id("resized-size")).to_have_text("Verwendet: 1024 × 768 px")

    page.get_by_label("Notiz zum Foto (freiwillig)").fill("Mein Fahrrad")
    studio.set_steps(4)
    sent, run = studio.generate("Bild verwandeln", "execute")
    assert sent["async"] is True, "the run is queued and followed"
    assert sent["schema"] == "image_transformation"
    assert sent["input_image"] == upload["image_id"]
    assert sent["input_text"] == "Mein Fahrrad"
    assert "context_prompt" not in sent, "the picked config's own rules are not sent as the learner's"
    assert sent["parameters"]["steps"] == 4
    media = run["media_output"]
    assert run["stages"]["stage4"]["mode"] == "img2img"
    assert media["seed"] == 123456789

    image = studio.output_image()
    expect(image).to_have_attribute("src", media["url"])
    expect(studio.seed()).to_have_text("123456789")
    size = studio.wait_for_image(image)
    assert (size["naturalWidth"], size["naturalHeight"]) == (media["width"], media["height"])
    expect(page.locator("[data-stage='2']")).to_have_attribute("data-status", "skipped")
    for stage in ("1", "3", "4"):
        expect(page.locator(f"[data-stage='{stage}']")).to_have_attribute("data-status", "done")
    expect(page.get_by_label("Prompt für das Modell (du kannst ihn ändern)")).to_have_value(
        run["stages"]["stage3"]["optimization"]["output"])
    expect(page.get_by_role("img", name="Dein Foto vorher")).to_be_visible()
    expect(page.get_by_test_id("download")).to_have_attribute("download", f"foto-verwandeln-{media['seed']}.png")

    studio.button("Foto entfernen").click()
    expect(page.get_by_test_id("drop-zone")).to_be_focused()
    expect(studio.button("Bild verwandeln")).to_be_disabled()


@pytest.mark.parametrize("how", [pytest.param("click", id="click"), pytest.param("Enter", id="enter"),
                                 pytest.param("Space", id="space")])
def test_the_drop_zone_opens_the_file_chooser_by_click_and_keyboard(studio: Studio, how: str) -> None:
    page = studio.page
    studio.open_image_view()
    zone = page.get_by_role("button", name=re.compile("Foto hierher ziehen"))
    with page.expect_file_chooser() as chooser:
        if how == "click":
            zone.click()
        else:
            zone.focus()
            page.keyboard.press(how)
    with page.expect_response("**/api/media/upload/image") as answer:
        chooser.value.set_files(files=[{"name": "klein.png", "mimeType": "image/png", "buffer": png(300, 200)}])
    assert answer.value.json()["resized_size"] == [300, 200]
    expect(page.get_by_test_id("original-size")).to_have_text("Original: 300 × 200 px")


def test_own_rules_are_sent_with_the_image(studio: Studio) -> None:
    page = studio.page
    studio.open_image_view()
    with page.expect_response("**/api/media/upload/image"):
        studio.drop_file(jpeg(320, 240), "hof.jpg", "image/jpeg")
    studio.pick_config("Selbst schreiben")
    rules = page.get_by_label("Regeln (WIE)")
    expect(rules).to_have_value("")
    expect(studio.button("Bild verwandeln")).to_be_disabled()
    rules.fill("Mach daraus eine Nachtszene mit Sternen.")
    studio.set_steps(4)
    sent = studio.generate("Bild verwandeln", "execute")[0]
    assert sent["schema"] == "image_transformation"
    assert sent["context_prompt"] == "Mach daraus eine Nachtszene mit Sternen."


@pytest.mark.parametrize(
    ("name", "mime_type", "size_bytes", "message"),
    [
        pytest.param("notizen.txt", "text/plain", 2048, "„notizen.txt“ ist kein PNG-, JPEG- oder WebP-Bild.",
                     id="wrong_type"),
        pytest.param("animation.gif", "image/gif", 2048, "„animation.gif“ ist kein PNG-, JPEG- oder WebP-Bild.",
                     id="gif"),
        pytest.param("riesig.png", "image/png", 12_582_912,
                     "„riesig.png“ ist 12 MB groß – erlaubt sind höchstens 10 MB.", id="over_the_limit"),
    ],
)
def test_bad_files_show_an_error_and_send_no_request(studio: Studio, name: str, mime_type: str, size_bytes: int,
                                                      message: str) -> None:
    page = studio.page
    uploads: list[Request] = []
    page.on("request", lambda request: uploads.append(request) if "/api/media/upload" in request.url else None)
    studio.open_image_view()  # limits from /api/health

    studio.drop_sized_file(size_bytes, name, mime_type)
    expect(page.get_by_role("alert").filter(has_text=message)).to_be_visible()
    expect(page.get_by_test_id("drop-zone")).to_be_visible()
    assert uploads == []
