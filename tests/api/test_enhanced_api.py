"""The enhanced stage-4 contract through the studio API: parameters -> media_outputs, run folder, metadata.json and
each image's provenance; interception configs that bring LoRAs; the clear errors (issue 10)."""

from __future__ import annotations

import io
import json
import shutil

import numpy as np
import pytest
from PIL import Image, ImageDraw

from devserver.generation.image_files import read_provenance
from devserver.settings import PROJECT_ROOT

SMALL = {"width": 64, "height": 64, "steps": 2}


def upload_drawing(client) -> str:
    """Upload a white outline on black (a learner's drawing); returns its image_id."""
    drawing = Image.new("RGB", (64, 64), "black")
    ImageDraw.Draw(drawing).rectangle((12, 12, 52, 52), outline="white", width=3)
    buffer = io.BytesIO()
    drawing.save(buffer, "PNG")
    buffer.seek(0)
    res = client.post("/api/media/upload/image", data={"file": (buffer, "drawing.png")},
                      content_type="multipart/form-data")
    assert res.status_code == 200, res.json
    return res.json["image_id"]


def generate(client, parameters: dict, **body):
    return client.post("/api/schema/pipeline/generation",
                       json={"prompt": "a red fox", "language": "en", "seed": 5, **body,
                             "parameters": {**SMALL, **parameters}})


def test_a_batch_with_every_add_on_is_recorded_and_served_with_its_provenance(client, app):
    image_id = upload_drawing(client)
    res = generate(client, {
        "loras": [{"id": "loras:tiny-lora.safetensors", "weight": 0.6}], "vae": "vae:tiny-vae",
        "controlnets": [{"id": "controlnet:tiny-controlnet", "image_id": image_id, "preprocessor": "canny"}],
        "post_processing": [{"type": "upscale", "model": "upscalers:tiny-upscaler.safetensors", "factor": 2}],
        "batch_size": 2, "output_format": "jpeg", "quality": 80})
    assert res.status_code == 200, res.json
    body = res.json
    run_id, media = body["run_id"], body["media_outputs"]
    assert [(m["index"], m["seed"], m["width"], m["mime_type"]) for m in media] == [
        (0, 5, 128, "image/jpeg"), (1, 6, 128, "image/jpeg")]
    assert body["media_output"] == media[0]
    enhanced = body["stages"]["stage4"]["enhancements"]
    assert enhanced["base_model"] == "tiny-sd" and enhanced["vae"] == "vae:tiny-vae"
    assert enhanced["loras"] == [{"id": "loras:tiny-lora.safetensors", "weight": 0.6, "source": "request"}]
    assert enhanced["controlnets"][0]["preprocessor"] == "canny" and enhanced["controlnets"][0]["image_id"] == image_id
    assert enhanced["post_processing"][0]["width"] == 128 and enhanced["seeds"] == [5, 6]
    # the run folder: the edge map the ControlNet got, both images, and the enhancements in metadata.json
    folder = app.extensions["devserver"].settings.runs_dir / run_id
    meta = json.loads((folder / "metadata.json").read_text())
    files = [e["file"] for e in meta["entities"]]
    assert any(f.endswith("_controlnet_condition.png") for f in files)
    assert [f for f in files if "output_image" in f] == [m["file"] for m in meta["media"]]
    assert all(f.endswith(".jpg") for f in (m["file"] for m in meta["media"]))
    assert [m["seed"] for m in meta["media"]] == [5, 6]
    assert meta["backends"]["stage4"]["enhancements"]["vae"] == "vae:tiny-vae"
    edges = np.asarray(Image.open(folder / next(f for f in files if f.endswith("_controlnet_condition.png"))))
    assert set(np.unique(edges)) == {0, 255}  # a Canny edge map
    # every served image carries its own seed and the add-ons in its provenance
    for item in media:
        served = client.get(item["url"])
        assert served.status_code == 200 and served.mimetype == "image/jpeg"
        infotext, devserver_meta = read_provenance(served.data)
        assert f"Seed: {item['seed']}" in infotext and "VAE: vae:tiny-vae" in infotext
        assert "Lora: loras:tiny-lora.safetensors:0.6" in infotext and "ControlNet 0:" in infotext
        assert "Postprocess upscale by: 2" in infotext
        assert devserver_meta["seed"] == item["seed"] and devserver_meta["run_id"] == run_id


def test_an_async_batch_completes_with_all_its_media_outputs(client):
    queued = generate(client, {"batch_size": 2}, **{"async": True})
    assert queued.status_code == 202
    queue = client.application.extensions["devserver"].queue
    stream = queue.stream(queued.json["run_id"], after_id=0, heartbeat_s=1.0)
    try:
        complete = next(e for e in stream if e is not None and e.type in ("complete", "error"))
    finally:
        stream.close()
    assert complete.type == "complete"
    assert [m["seed"] for m in complete.data["media_outputs"]] == [5, 6]
    assert complete.data["media_output"] == complete.data["media_outputs"][0]
    status = client.get(f"/api/runs/{queued.json['run_id']}").json  # a polling client sees every image too
    assert status["media_outputs"] == complete.data["media_outputs"] and status["media_output"] == status[
        "media_outputs"][0]


def test_webp_output_and_a_plain_png_run_without_enhancements(client):
    webp = generate(client, {"output_format": "webp"})
    assert webp.json["media_output"]["mime_type"] == "image/webp"
    assert client.get(webp.json["media_output"]["url"]).mimetype == "image/webp"
    plain = generate(client, {})
    assert plain.json["stages"]["stage4"]["enhancements"] is None
    assert plain.json["media_outputs"] == [plain.json["media_output"]]


@pytest.mark.parametrize("parameters, status, code, words", [
    pytest.param({"loras": [{"id": "/models/loras/x.safetensors"}]}, 422, "validation_error",
                 ["parameters.loras.0.id", "file path"], id="absolute_path"),
    pytest.param({"vae": "..\\vae\\x"}, 422, "validation_error", ["parameters.vae", "file path"], id="windows_path"),
    pytest.param({"loras": [{"id": "path/to/lora.safetensors"}]}, 422, "unknown_model",
                 ["path/to/lora.safetensors", "registry id or alias"], id="unknown_name"),
    pytest.param({"loras": [{"id": "loras:tiny-sdxl-lora.safetensors"}]}, 422, "family_mismatch",
                 ["loras:tiny-sdxl-lora.safetensors", "sdxl", "tiny-sd", "sd1"], id="wrong_family_lora"),
    pytest.param({"refiner": {"id": "tiny-sdxl-refiner"}}, 422, "family_mismatch", ["tiny-sdxl-refiner", "sd1"],
                 id="refiner_for_sd"),
    pytest.param({"vae": "controlnet:tiny-controlnet"}, 422, "wrong_model_type", ["not a vae"], id="wrong_type"),
    pytest.param({"loras": [{"id": "loras:tiny-lora.safetensors", "weight": 2.5}]}, 422, "validation_error",
                 ["weight"], id="weight_out_of_range"),
    pytest.param({"batch_size": 9}, 422, "validation_error", ["batch_size"], id="batch_too_big"),
    pytest.param({"post_processing": [{"type": "upscale", "factor": 3}]}, 422, "validation_error", ["factor"],
                 id="factor_3"),
    pytest.param({"width": 512, "height": 512, "post_processing": [{"type": "upscale", "factor": 4},
                                                                   {"type": "upscale", "factor": 4}]},
                 422, "output_too_large", ["8192", "4096"], id="too_large"),
    pytest.param({"output_format": "gif"}, 422, "validation_error", ["output_format"], id="bad_format"),
    pytest.param({"controlnets": [{"id": "controlnet:tiny-controlnet",
                                   "image_id": "3f0c4a4e-0d7b-4a8e-9c1d-2b3a4c5d6e7f"}]}, 404, "upload_not_found",
                 [], id="missing_condition_image"),
])
def test_bad_enhanced_parameters_are_clear_errors_and_nothing_is_queued(client, parameters, status, code, words):
    res = generate(client, parameters)
    assert res.status_code == status, res.json
    error = res.json["error"]
    assert error["code"] == code
    assert all(word in error["message"] for word in words), error["message"]
    queue = client.get("/api/queue").json
    assert queue["running"] == queue["queued"] == 0


def test_the_output_side_limit_is_a_setting(make_app):
    client = make_app(output_max_side_px=256).test_client()
    ok = generate(client, {"post_processing": [{"type": "upscale", "factor": 4}]})
    assert ok.status_code == 200 and ok.json["media_output"]["width"] == 256
    refused = generate(client, {"post_processing": [{"type": "upscale", "factor": 4},
                                                    {"type": "upscale", "factor": 2}]})
    assert refused.status_code == 422 and "256 px" in refused.json["error"]["message"]


@pytest.fixture
def lora_schemas(tmp_path):
    """The shipped schemas with bauhaus bringing two LoRAs: one that fits tiny_sd, one that is not installed."""
    folder = tmp_path / "schemas"
    shutil.copytree(PROJECT_ROOT / "schemas", folder)
    path = folder / "configs" / "interception" / "bauhaus.json"
    config = json.loads(path.read_text(encoding="utf-8"))
    config["loras"] = [{"id": "loras:tiny-lora.safetensors", "weight": 0.5},
                       {"id": "loras:bauhaus-style.safetensors", "weight": 0.8}]
    path.write_text(json.dumps(config), encoding="utf-8")
    return folder


def test_an_interception_config_brings_its_loras(make_app, lora_schemas):
    client = make_app(schemas_dir=lora_schemas).test_client()
    res = client.post("/api/schema/pipeline/execute", json={"schema": "bauhaus", "input_text": "a cat",
                                                             "language": "en", "seed": 3, "parameters": SMALL})
    assert res.status_code == 200, res.json
    enhanced = res.json["stages"]["stage4"]["enhancements"]
    assert enhanced["loras"] == [{"id": "loras:tiny-lora.safetensors", "weight": 0.5, "source": "config"}]
    assert len(enhanced["notes"]) == 1 and "loras:bauhaus-style.safetensors" in enhanced["notes"][0]
    # on an SDXL model the SD LoRA does not fit: reported, and the run goes on
    sdxl = client.post("/api/schema/pipeline/execute", json={"schema": "bauhaus", "input_text": "a cat",
                                                              "language": "en", "output_config": "tiny_sdxl",
                                                              "parameters": SMALL})
    assert sdxl.status_code == 200, sdxl.json
    notes = sdxl.json["stages"]["stage4"]["enhancements"]["notes"]
    assert any("loras:tiny-lora.safetensors" in note and "sd1" in note for note in notes)
    assert sdxl.json["stages"]["stage4"]["enhancements"]["loras"] == []


def test_a_config_with_a_broken_lora_list_is_a_start_up_error(make_app, lora_schemas):
    from devserver.errors import SchemaFileError

    path = lora_schemas / "configs" / "interception" / "bauhaus.json"
    config = json.loads(path.read_text(encoding="utf-8"))
    config["loras"] = [{"id": "/abs/path.safetensors", "weight": 0.5}]
    path.write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(SchemaFileError, match="bauhaus.json.*loras"):
        make_app(schemas_dir=lora_schemas)


def test_the_studio_is_offered_only_add_ons_that_fit_the_model(client):
    sd = client.get("/api/schema/output-configs/tiny_sd/addons").json
    assert sd["base_model"] == "tiny-sd" and sd["families"] == ["sd1"] and sd["refiners"] == []
    assert {a["id"] for a in sd["loras"]} == {"loras:tiny-lora.safetensors", "loras:tiny-lora-b.safetensors"}
    assert {a["id"] for a in sd["controlnets"]} >= {"controlnet:tiny-controlnet", "controlnet:tiny-controlnet-b"}
    assert "controlnet:tiny-sdxl-controlnet" not in {a["id"] for a in sd["controlnets"]}
    assert {(a["id"], a["scale"]) for a in sd["upscalers"]} == {("upscalers:tiny-upscaler.safetensors", 2),
                                                                ("upscalers:tiny-upscaler-x4.safetensors", 4)}
    xl = client.get("/api/schema/output-configs/tiny_sdxl/addons").json
    assert [a["id"] for a in xl["refiners"]] == ["tiny-sdxl-refiner"]
    assert [a["id"] for a in xl["loras"]] == ["loras:tiny-sdxl-lora.safetensors"]
    assert client.get("/api/schema/output-configs/nope/addons").status_code == 404


def test_upscaling_a_finished_image_adds_it_to_the_run(client):
    made = generate(client, {"output_format": "webp"}).json
    run_id = made["run_id"]
    res = client.post("/api/media/upscale", json={"run_id": run_id, "index": 0, "factor": 4})
    assert res.status_code == 200, res.json
    body = res.json
    assert body["model"] == "upscalers:tiny-upscaler-x4.safetensors"  # an installed x4 model is preferred for 4x
    media = body["media_output"]
    assert (media["index"], media["width"], media["height"], media["seed"], media["mime_type"]) == (
        1, 256, 256, 5, "image/webp")
    served = client.get(media["url"])
    infotext, meta = read_provenance(served.data)
    assert "Seed: 5" in infotext and "Postprocess upscale by: 4" in infotext
    assert meta["upscaled_from"] == 0 and meta["upscaler"] == body["model"]
    lanczos = client.post("/api/media/upscale", json={"run_id": run_id, "index": 0, "factor": 2, "model": "lanczos"})
    assert lanczos.json["media_output"]["width"] == 128 and lanczos.json["model"] == "lanczos"
    listing = client.get(f"/api/media/info/{run_id}").json["run"]["media"]
    assert [m["width"] for m in listing] == [64, 256, 128]


@pytest.mark.parametrize("body, status, code", [
    pytest.param({"index": 3, "factor": 2}, 404, "media_not_found", id="no_such_image"),
    pytest.param({"index": 0, "factor": 3}, 422, "validation_error", id="factor_3"),
    pytest.param({"index": 0, "factor": 2, "model": "vae:tiny-vae"}, 422, "wrong_model_type", id="not_an_upscaler"),
    pytest.param({"index": 0, "factor": 2, "model": "/upscalers/x.pth"}, 422, "validation_error", id="a_path"),
])
def test_bad_upscale_requests(client, body, status, code):
    run_id = generate(client, {}).json["run_id"]
    res = client.post("/api/media/upscale", json={"run_id": run_id, **body})
    assert res.status_code == status and res.json["error"]["code"] == code, res.json


def test_upscaling_past_the_output_limit_is_refused(make_app):
    client = make_app(output_max_side_px=256).test_client()
    run_id = generate(client, {"width": 128}).json["run_id"]
    res = client.post("/api/media/upscale", json={"run_id": run_id, "index": 0, "factor": 4})
    assert res.status_code == 422 and res.json["error"]["code"] == "output_too_large"


def test_the_edge_map_preview_of_an_upload(client):
    image_id = upload_drawing(client)
    res = client.get(f"/api/media/uploads/{image_id}/edges")
    assert res.status_code == 200 and res.mimetype == "image/png"
    edges = np.asarray(Image.open(io.BytesIO(res.data)))
    assert set(np.unique(edges)) == {0, 255} and edges.shape == (64, 64, 3)
    strict = np.asarray(Image.open(io.BytesIO(client.get(
        f"/api/media/uploads/{image_id}/edges?low_threshold=250&high_threshold=255").data)))
    assert (strict > 0).sum() <= (edges > 0).sum()
    bad = client.get(f"/api/media/uploads/{image_id}/edges?low_threshold=200&high_threshold=100")
    assert bad.status_code == 422
