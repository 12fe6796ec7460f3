"""Inpainting over HTTP: ``mask_image`` (an upload) beside ``input_image`` on /execute and /generation.

The photo and the mask are uploaded like any image (multipart), then named by image_id; the run folder keeps
both, the PNG's provenance says how it was made, and everything outside the mask is the photo's own pixels.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image, ImageFilter

from devserver.generation.png import read_png_text

SMALL = {"width": 64, "height": 64, "steps": 3}


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def photo() -> Image.Image:
    return Image.fromarray((np.random.RandomState(5).rand(64, 64, 3) * 255).astype(np.uint8))


def mask(box=(16, 20, 40, 44), size=(64, 64)) -> Image.Image:
    image = Image.new("L", size, 0)
    image.paste(255, box)
    return image


def upload(client, data: bytes, name: str = "x.png") -> str:
    res = client.post("/api/media/upload/image", data={"file": (io.BytesIO(data), name)},
                      content_type="multipart/form-data")
    assert res.status_code == 200, res.get_json()
    return res.get_json()["image_id"]


@pytest.fixture
def images(client) -> dict[str, str]:
    """A photo and a mask, uploaded."""
    return {"input_image": upload(client, png_bytes(photo()), "photo.png"),
            "mask_image": upload(client, png_bytes(mask()), "mask.png")}


def run_files(app, run_id: str) -> dict[str, str]:
    """entity type -> file name of a run folder."""
    meta = json.loads((app.extensions["devserver"].settings.runs_dir / run_id / "metadata.json").read_text())
    return {entity["type"]: entity["file"] for entity in meta["entities"]}


def test_generation_inpaints_keeps_the_rest_and_records_the_mask(client, app, images):
    res = client.post("/api/schema/pipeline/generation", json={
        "prompt": "a red balloon", "seed": 5, "language": "en", **images,
        "parameters": {**SMALL, "mask_blur": 2, "strength": 0.9}})

    assert res.status_code == 200, res.get_json()
    body = res.get_json()
    stage4 = body["stages"]["stage4"]
    assert (stage4["mode"], stage4["mask_blur"], stage4["strength"]) == ("inpaint", 2, 0.9)
    assert stage4["padding_mask_crop"] is None and 0.1 < stage4["mask_coverage"] < 0.2
    png = client.get(body["media_output"]["url"]).data
    out = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    far = np.asarray(mask().filter(ImageFilter.MaxFilter(2 * 7 + 1))) == 0  # 3 x blur + 1 px beyond the edge
    assert (out[far] == np.asarray(photo()).astype(int)[far]).all()
    # the run keeps the photo and the mask; the PNG says how it was made
    files = run_files(app, body["run_id"])
    folder = app.extensions["devserver"].settings.runs_dir / body["run_id"]
    assert np.array_equal(np.asarray(Image.open(folder / files["input_mask"]).convert("L")), np.asarray(mask()))
    meta = json.loads((folder / "metadata.json").read_text())
    assert meta["mask_image"] == images["mask_image"] and meta["parameters"]["mask_blur"] == 2
    text = read_png_text(png)
    assert "Mask blur: 2" in text["parameters"] and "Denoising strength: 0.9" in text["parameters"]
    assert json.loads(text["devserver"])["mode"] == "inpaint"
    # the gallery and the run's own copy of the mask
    detail = client.get(f"/api/runs/{body['run_id']}/detail").get_json()["run"]
    assert detail["mode"] == "inpaint" and detail["mask_image"] == images["mask_image"]
    assert client.get(detail["mask_image_url"]).data == (folder / files["input_mask"]).read_bytes()


def test_same_seed_reproduces_the_inpainting(client, images):
    body = {"prompt": "a red balloon", "seed": 9, "language": "en", **images, "parameters": SMALL}
    first = client.post("/api/schema/pipeline/generation", json=body).get_json()
    second = client.post("/api/schema/pipeline/generation", json=body).get_json()

    a = Image.open(io.BytesIO(client.get(first["media_output"]["url"]).data))
    b = Image.open(io.BytesIO(client.get(second["media_output"]["url"]).data))
    assert a.tobytes() == b.tobytes()


def test_image_mode_execute_inpaints_with_the_padding_crop(client, app, images):
    res = client.post("/api/schema/pipeline/execute", json={
        "schema": "image_transformation", "language": "en", "seed": 3, **images,
        "parameters": {**SMALL, "padding_mask_crop": 8}})

    assert res.status_code == 200, res.get_json()
    stage4 = res.get_json()["stages"]["stage4"]
    assert (stage4["mode"], stage4["padding_mask_crop"], stage4["mask_blur"]) == ("inpaint", 8, 4)
    files = run_files(app, res.get_json()["run_id"])
    assert {"input_image", "input_mask", "output_image"} <= set(files)
    text = read_png_text(client.get(res.get_json()["media_output"]["url"]).data)["parameters"]
    assert "Inpaint area: Only masked" in text and "Masked area padding: 8" in text


def test_a_mask_of_another_size_and_mode_is_resized(client):
    photo_id = upload(client, png_bytes(photo()))
    small_rgb = upload(client, png_bytes(mask((8, 10, 20, 22), (32, 32)).convert("RGB")))

    res = client.post("/api/schema/pipeline/generation", json={
        "prompt": "a kite", "language": "en", "input_image": photo_id, "mask_image": small_rgb,
        "parameters": {**SMALL, "mask_blur": 0}})

    assert res.status_code == 200, res.get_json()
    assert (res.get_json()["media_output"]["width"], res.get_json()["media_output"]["height"]) == (64, 64)


def test_an_all_black_mask_is_refused_and_nothing_is_written(client, app):
    photo_id = upload(client, png_bytes(photo()))
    black = upload(client, png_bytes(Image.new("L", (64, 64), 0)))

    res = client.post("/api/schema/pipeline/generation", json={
        "prompt": "a kite", "language": "en", "input_image": photo_id, "mask_image": black, "parameters": SMALL})

    assert res.status_code == 422
    error = res.get_json()["error"]
    assert error["code"] == "mask_empty" and "nothing to repaint" in error["message"]
    runs = app.extensions["devserver"].settings.runs_dir
    assert not runs.exists() or not any(runs.iterdir())


def test_a_mask_that_is_not_an_image_is_refused_like_any_upload(client):
    res = client.post("/api/media/upload/image", data={"file": (io.BytesIO(b"white means repaint"), "mask.png")},
                      content_type="multipart/form-data")
    assert res.status_code == 400 and res.get_json()["error"]["code"] == "upload_invalid"


@pytest.mark.parametrize(("body", "status", "code", "field"), [
    pytest.param({"mask_image": "MASK"}, 422, "validation_error", "mask_image", id="mask_without_photo"),
    pytest.param({"input_image": "PHOTO", "parameters": {**SMALL, "mask_blur": 3}}, 422, "validation_error",
                 "parameters.mask_blur", id="blur_without_mask"),
    pytest.param({"input_image": "PHOTO", "mask_image": "00000000-0000-4000-8000-000000000000"}, 404,
                 "upload_not_found", None, id="unknown_mask"),
    pytest.param({"input_image": "PHOTO", "mask_image": "../mask"}, 422, "validation_error", None,
                 id="mask_id_not_a_uuid"),
    pytest.param({"input_image": "PHOTO", "mask_image": "MASK", "parameters": {**SMALL, "mask_blur": 65}}, 422,
                 "validation_error", None, id="blur_too_large"),
])
def test_bad_inpainting_requests(client, images, body, status, code, field):
    body = {k: images["input_image"] if v == "PHOTO" else images["mask_image"] if v == "MASK" else v
            for k, v in body.items()}
    res = client.post("/api/schema/pipeline/generation", json={"prompt": "a kite", "parameters": SMALL, **body})

    assert res.status_code == status, res.get_json()
    assert res.get_json()["error"]["code"] == code
    if field is not None:
        assert res.get_json()["error"]["details"]["field"] == field


def test_a_dedicated_inpainting_model_inpaints_and_refuses_txt2img(client, images):
    res = client.post("/api/schema/pipeline/generation", json={
        "prompt": "a kite", "output_config": "tiny_sd_inpaint", **images, "parameters": SMALL})
    assert res.status_code == 200, res.get_json()
    assert res.get_json()["stages"]["stage4"]["mode"] == "inpaint"

    refused = client.post("/api/schema/pipeline/generation", json={
        "prompt": "a kite", "output_config": "tiny_sd_inpaint", "parameters": SMALL})
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert error["code"] == "mode_unsupported"
    assert error["details"]["family"] == "sd" and error["details"]["mode"] == "txt2img"
    assert "tiny_sd_inpaint" in error["message"] and "txt2img" in error["message"]


def test_output_configs_list_family_and_modes(client):
    listing = {c["id"]: c for c in client.get("/api/schema/output-configs").get_json()["output_configs"]}

    assert listing["tiny_sd"]["family"] == "sd"
    assert {name: mode["available"] for name, mode in listing["tiny_sd"]["modes"].items()} == {
        "txt2img": True, "img2img": True, "inpaint": True}
    inpainting = listing["tiny_sd_inpaint"]["modes"]
    assert inpainting["inpaint"] == {"available": True, "reason": None}
    assert inpainting["txt2img"]["available"] is False and "inpainting model" in inpainting["txt2img"]["reason"]
    assert (listing["sd21"]["family"], listing["sd21"]["defaults"]["width"]) == ("sd2", 768)
    assert (listing["tiny_sdxl_turbo"]["defaults"]["cfg"], listing["tiny_sdxl_turbo"]["max_steps"]) == (0.0, 4)
    assert listing["tiny_flux"]["family"] == "flux" and listing["tiny_flux"]["available"] is True
    assert listing["flux_schnell"]["available"] is False


@pytest.mark.parametrize("output_config", ["tiny_sd2", "tiny_sdxl_turbo", "tiny_sd3", "tiny_flux"])
def test_each_family_inpaints_over_http(client, images, output_config):
    res = client.post("/api/schema/pipeline/generation", json={
        "prompt": "a kite", "output_config": output_config, "language": "en", **images,
        "parameters": {"width": 64, "height": 64, "steps": 2, "strength": 1.0}})

    assert res.status_code == 200, res.get_json()
    stage4 = res.get_json()["stages"]["stage4"]
    assert (stage4["mode"], stage4["output_config"], stage4["width"]) == ("inpaint", output_config, 64)


def test_flow_matching_model_refuses_a_scheduler_over_http(client):
    res = client.post("/api/schema/pipeline/generation", json={
        "prompt": "a kite", "output_config": "tiny_sd3", "parameters": {**SMALL, "scheduler": "DDIM"}})
    assert res.status_code == 422 and res.get_json()["error"]["details"]["field"] == "scheduler"


def test_sd3_saved_without_t5_loads_by_the_admin_and_serves_the_learner(client, generation_backend):
    """The model page's load and a learner's image share one cache entry, also for a folder saved without T5
    (it needs text_encoder_3=None, tokenizer_3=None to load)."""
    loaded = client.post("/api/models/tiny-sd3-no-t5/load", json={"configuration": {"precision": "float32"}})
    assert loaded.status_code == 200, loaded.json
    count = generation_backend.load_count()

    res = client.post("/api/schema/pipeline/generation", json={
        "prompt": "a lighthouse", "output_config": "tiny_sd3_no_t5", "parameters": {"width": 64, "height": 64,
                                                                                   "steps": 2}})

    assert res.status_code == 200, res.get_json()
    assert generation_backend.load_count() == count, "the admin-loaded pipeline served the learner"
    assert client.post("/api/models/tiny-sd3-no-t5/unload").status_code == 200
