"""The worker protocol over HTTP (POST /api/v1/worker): seed 000's example request end to end, both request forms,
seed 001's model actions, safety, and the errors a client must understand (issue 10, acceptance 2)."""

from __future__ import annotations

import base64
import copy
import io
import json

import pytest
from jsonschema import Draft7Validator
from PIL import Image, ImageDraw

from devserver.contracts.worker import SEED_SCHEMA_FILES, draft07_schema
from devserver.generation.image_files import read_provenance
from devserver.settings import PROJECT_ROOT
from devserver.worker.transform import csharp_to_flat
from tests.support.seed000 import CSHARP_EXAMPLE, FLAT_EXAMPLE, SEED_REQUEST_SCHEMA, SEED_RESPONSE_SCHEMA

WORKER = "/api/v1/worker"
SEED_ALIASES = {
    "tiny-sdxl-fast": "stabilityai/sdxl-base-1.0",
    "tiny-sdxl-refiner": "stabilityai/sdxl-refiner-1.0",
    "vae:tiny-sdxl-vae": "custom/vae-ft-mse-840000-ema",
    "loras:tiny-sdxl-lora.safetensors": "path/to/lora.safetensors",
    "controlnet:tiny-sdxl-controlnet": "path/to/controlnet.safetensors",
    "upscalers:tiny-upscaler.safetensors": "ESRGAN",
}
"""The model names of seed 000's example, aliased to the tiny models of the test's registry."""
SCHEMAS = PROJECT_ROOT / "schemas" / "json"


def request_schema() -> Draft7Validator:
    return Draft7Validator(json.loads((SCHEMAS / "enhanced_sdxl_request_schema.json").read_text()))


def response_schema() -> Draft7Validator:
    return Draft7Validator(json.loads((SCHEMAS / "enhanced_sdxl_response_schema.json").read_text()))


def drawing_base64(size: int = 256) -> str:
    """A learner's drawing (white outline on black) as base64 PNG."""
    image = Image.new("RGB", (size, size), "black")
    ImageDraw.Draw(image).ellipse((size // 8, size // 8, size * 7 // 8, size * 7 // 8), outline="white", width=4)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def seed_example() -> dict:
    """Seed 000's C# example as it is, but with a real image where it says "base64_image_data"."""
    message = copy.deepcopy(CSHARP_EXAMPLE)
    message["request_data"]["Conditioning"]["ControlNets"][0]["ConditioningImage"] = drawing_base64()
    return message


def set_aliases(send) -> None:
    for model_id, alias in SEED_ALIASES.items():
        answer = send({"Action": "update_metadata", "ModelId": model_id, "Metadata": {"Aliases": [alias]}})
        assert answer["success"], answer


@pytest.fixture
def send(client):
    def post(message, **kwargs):
        res = client.post(WORKER, json=message, **kwargs)
        assert res.status_code == 200, res.json
        return res.json
    return post


def test_the_seed_files_schemas_are_draft07_generated_from_the_models():
    for name, (model, title) in SEED_SCHEMA_FILES.items():
        on_disk = json.loads((SCHEMAS / name).read_text())
        assert on_disk == draft07_schema(model, title)
        assert on_disk["$schema"] == "http://json-schema.org/draft-07/schema#"
        Draft7Validator.check_schema(on_disk)


def test_every_example_of_the_seed_validates_against_the_request_schema():
    validator = request_schema()
    flat, _ = csharp_to_flat(CSHARP_EXAMPLE)
    for example in (CSHARP_EXAMPLE, FLAT_EXAMPLE, flat):
        assert list(validator.iter_errors(example)) == []
    # the transformation's output is also what the seed's own schema asks the C# side to send
    assert list(Draft7Validator(SEED_REQUEST_SCHEMA).iter_errors(flat)) == []


def test_the_transformation_is_the_seeds_mapping_table():
    flat, warnings = csharp_to_flat(CSHARP_EXAMPLE)
    assert flat["message_type"] == "inference_request" and flat["request_id"]
    assert flat["data"] == {
        "worker_type": "enhanced_sdxl_worker", "prompt": "A beautiful sunset over mountains",
        "negative_prompt": "blurry, low quality", "model_name": "stabilityai/sdxl-base-1.0",
        "refiner_model": "stabilityai/sdxl-refiner-1.0", "vae_model": "custom/vae-ft-mse-840000-ema",
        "scheduler_type": "DPMSolverMultistep", "steps": 50, "guidance_scale": 7.5, "width": 1024, "height": 1024,
        "seed": 123456, "batch_size": 1, "output_format": "png", "quality": 95,
        "loras": [{"model_path": "path/to/lora.safetensors", "weight": 0.8}],
        "controlnets": [{"model_path": "path/to/controlnet.safetensors", "conditioning_image": "base64_image_data",
                         "weight": 1.0}],
        "post_processing": [{"type": "upscale", "factor": 2, "model": "ESRGAN"}]}
    assert warnings == ["Output.SavePath is not used: the images are kept in the run folder (see image_path) and "
                        "returned as image_data."]


def test_the_seeds_example_request_runs_end_to_end_over_http(send, app):
    set_aliases(send)
    answer = send(seed_example())
    assert answer["success"] is True and answer["status"] == "success", answer
    assert list(response_schema().iter_errors(answer)) == []
    assert list(Draft7Validator(SEED_RESPONSE_SCHEMA).iter_errors(answer)) == []
    (image,) = answer["data"]["generated_images"]
    meta = image["metadata"]
    assert (meta["seed"], meta["steps"], meta["guidance_scale"], meta["scheduler"]) == (123456, 50, 7.5,
                                                                                        "DPMSolverMultistep")
    info = meta["model_info"]
    assert (info["base_model"], info["refiner_model"], info["vae_model"]) == (
        "tiny-sdxl-fast", "tiny-sdxl-refiner", "vae:tiny-sdxl-vae")
    assert info["loras"] == [{"id": "loras:tiny-sdxl-lora.safetensors", "weight": 0.8, "source": "request"}]
    assert info["controlnets"][0]["id"] == "controlnet:tiny-sdxl-controlnet"
    assert info["post_processing"][0]["model"] == "upscalers:tiny-upscaler.safetensors"
    assert (meta["width"], meta["height"], meta["format"]) == (2048, 2048, "png")  # 1024 px upscaled x2
    data = base64.b64decode(image["image_data"])
    with Image.open(io.BytesIO(data)) as png:
        assert png.size == (2048, 2048)
    infotext, provenance = read_provenance(data)
    assert "Refiner: tiny-sdxl-refiner" in infotext and "VAE: vae:tiny-sdxl-vae" in infotext
    assert provenance["run_id"] == meta["run_id"]
    exports = app.extensions["devserver"].settings.exports_dir
    assert (exports / image["image_path"]).read_bytes() == data
    metrics = answer["data"]["processing_metrics"]
    assert metrics["device_name"] == "cpu" and metrics["total_time"] >= metrics["inference_time"] > 0
    assert metrics["device_memory_used"] > 0
    assert any("SavePath" in warning for warning in answer["warnings"])


def test_the_flat_form_with_a_batch_answers_one_image_per_seed(send):
    answer = send({"message_type": "inference_request", "request_id": "batch-1", "data": {
        "prompt": "a lighthouse", "model_name": "tiny_sd", "width": 64, "height": 64, "steps": 2, "seed": 9,
        "batch_size": 3, "output_format": "WEBP", "quality": 70, "scheduler_type": "euler a",
        "loras": [{"model_path": "loras:tiny-lora.safetensors", "weight": 0.5}]}})
    assert answer["success"] and answer["request_id"] == "batch-1"
    assert list(response_schema().iter_errors(answer)) == []
    images = answer["data"]["generated_images"]
    assert [(i["metadata"]["seed"], i["metadata"]["index"], i["metadata"]["format"]) for i in images] == [
        (9, 0, "webp"), (10, 1, "webp"), (11, 2, "webp")]
    assert images[0]["metadata"]["scheduler"] == "EulerAncestralDiscrete"
    assert all(i["image_path"].endswith(".webp") for i in images)


def test_a_registered_checkpoint_without_output_config_can_be_the_base(send):
    answer = send({"message_type": "inference_request", "request_id": "r", "data": {
        "prompt": "a cat", "model_name": "tiny-sdxl-fast", "width": 768, "height": 64, "steps": 2, "seed": 1}})
    assert answer["success"], answer
    assert answer["data"]["generated_images"][0]["metadata"]["model_info"]["base_model"] == "tiny-sdxl-fast"


@pytest.mark.parametrize("prompt, negative", [
    pytest.param("a Hakenkreuz flag", None, id="prompt"),
    pytest.param("a red fox", "sw\u0430stika", id="negative_prompt"),
])
def test_a_blocked_prompt_is_an_answer_without_images(send, app, prompt, negative):
    data = {"prompt": prompt, "model_name": "tiny_sd", "width": 64, "height": 64, "steps": 2}
    if negative:
        data["negative_prompt"] = negative
    answer = send({"message_type": "inference_request", "request_id": "b", "data": data})
    assert answer["success"] is False and answer["status"] == "blocked" and answer["error_code"] == "blocked"
    assert answer["data"]["blocked"]["stage"] == 1 and answer["data"]["generated_images"] == []
    assert list(response_schema().iter_errors(answer)) == []
    folder = app.extensions["devserver"].settings.runs_dir / answer["data"]["run_id"]
    assert not [p for p in folder.iterdir() if "output_image" in p.name]


def flat(**data):
    return {"message_type": "inference_request", "request_id": "e",
            "data": {"prompt": "a cat", "model_name": "tiny_sd", "width": 64, "height": 64, "steps": 2, **data}}


def csharp(**groups):
    """The seed's example with some values changed (``Group__Key=value``); its base is a registered model."""
    message = seed_example()
    message["request_data"]["Model"]["Base"] = "tiny-sdxl-fast"
    for path, value in groups.items():
        group, key = path.split("__")
        message["request_data"][group][key] = value
    return message


@pytest.mark.parametrize("message, code, words", [
    pytest.param(flat(width="big"), "validation_error", ["width"], id="flat_wrong_type"),
    pytest.param(csharp(Hyperparameters__Width="big"), "validation_error", ["request_data.Hyperparameters.Width"],
                 id="csharp_wrong_type"),
    pytest.param(flat(width=1000), "validation_error", ["width", "multiple of 8"], id="flat_size"),
    pytest.param(flat(model_name="stabilityai/sdxl-base-1.0"), "unknown_model", ["model_name",
                                                                                  "stabilityai/sdxl-base-1.0"],
                 id="unknown_base"),
    pytest.param(csharp(Model__Refiner="nope/refiner"), "unknown_model", ["request_data.Model.Refiner",
                                                                          "nope/refiner"], id="csharp_unknown_refiner"),
    pytest.param(flat(model_name="/models/sdxl/base.safetensors"), "validation_error", ["model_name", "file path"],
                 id="path_as_base"),
    pytest.param(flat(loras=[{"model_path": "C:\\loras\\style.safetensors"}]), "validation_error",
                 ["loras.0.model_path", "file path"], id="path_as_lora"),
    pytest.param(flat(loras=[{"model_path": "loras:tiny-sdxl-lora.safetensors"}]), "family_mismatch",
                 ["loras.0.model_path", "loras:tiny-sdxl-lora.safetensors", "sdxl", "tiny-sd", "sd1"],
                 id="wrong_family_lora"),
    pytest.param(flat(model_name="loras:tiny-lora.safetensors"), "wrong_model_type", ["not a checkpoint"],
                 id="lora_as_base"),
    pytest.param(flat(scheduler_type="Warp"), "validation_error", ["scheduler_type", "Warp"], id="scheduler"),
    pytest.param(flat(controlnets=[{"model_path": "controlnet:tiny-controlnet",
                                    "conditioning_image": "base64_image_data"}]), "validation_error",
                 ["controlnets.0.conditioning_image", "base64"], id="seed_placeholder_image"),
    pytest.param(csharp(Model__Checkpoint="x"), "validation_error", ["request_data.Model.Checkpoint"],
                 id="csharp_unknown_key"),
    pytest.param({"message_type": "inference_request", "data": {"prompt": "x"}}, "validation_error", ["request_id"],
                 id="flat_without_request_id"),
])
def test_bad_generation_requests_are_clear_errors(send, message, code, words):
    answer = send(message)
    assert answer["success"] is False and answer["status"] == "error" and answer["error_code"] == code, answer
    assert all(word in answer["error"] for word in words), answer["error"]
    assert list(response_schema().iter_errors(answer)) == []


@pytest.mark.parametrize("message, code", [
    pytest.param({"action": "fly_to_the_moon"}, "unknown_message", id="unknown_action"),
    pytest.param({"message_type": "inference_reply"}, "unknown_message", id="unknown_message_type"),
    pytest.param({"hello": "world"}, "unknown_message", id="no_action"),
    pytest.param({"action": "get_model_info"}, "validation_error", id="missing_model_id"),
    pytest.param({"action": "get_model_info", "model_id": "nope"}, "model_not_found", id="unknown_model"),
    pytest.param({"action": "load_model", "model_id": "tiny-sd", "device_id": "device-uuid"}, "validation_error",
                 id="foreign_device"),
])
def test_bad_actions_are_answered(send, message, code):
    answer = send(message)
    assert answer["success"] is False and answer["error_code"] == code, answer


def test_model_actions_in_snake_case_and_pascal_case(send):
    info = send({"Action": "get_model_info", "RequestId": "m1", "ModelId": "tiny_sd", "IncludeComponents": False})
    assert info["success"] and info["request_id"] == "m1" and info["data"]["model"]["id"] == "tiny-sd"
    assert info["data"]["model"]["components"] is None
    loaded = send({"request_id": "m2", "model_id": "tiny-sd", "model_path": "/models/sdxl/base.safetensors",
                   "model_type": "SDXL", "loading_strategy": "default", "cache_optimized": True,
                   "action": "load_model", "coordination_mode": "ram_to_vram"})
    assert loaded["success"] and loaded["data"]["model_id"] == "tiny-sd", loaded
    assert any("model_path is not used" in w for w in loaded["warnings"]) and len(loaded["warnings"]) == 5
    vram = send({"request_id": "m3", "action": "get_vram_model_status", "include_memory_usage": True,
                 "coordination_mode": "cache_and_vram_sync"})
    assert any(m["model_id"] == "tiny-sd" for m in vram["data"]["models"])
    valid = send({"request_id": "m4", "model_id": "tiny-sd", "validation_level": "comprehensive",
                  "action": "validate_model", "file_validation_context": {"file_exists": True}})
    assert valid["success"] and valid["data"]["is_compatible"] is True
    found = send({"Action": "search_models", "Query": "tiny", "ModelTypes": ["lora"]})
    assert {r["model"]["id"] for r in found["data"]["results"]} >= {"loras:tiny-lora.safetensors"}
    listed = send({"action": "list_models", "model_type": "upscaler"})
    assert listed["data"]["total_count"] == 2
    bench = send({"model_id": "tiny-sd", "benchmark_type": "Performance", "action": "benchmark_model",
                  "BenchmarkRuns": 1, "WarmupRuns": 0, "InferenceSteps": 1})
    assert bench["success"] and bench["data"]["results"], bench
    unloaded = send({"model_id": "tiny-sd", "force_unload": False, "action": "unload_model"})
    assert unloaded["success"] and unloaded["data"]["was_loaded"] is True
    meta = send({"model_id": "loras:tiny-lora.safetensors", "metadata": {"tags": ["Watercolour"]},
                 "action": "update_metadata"})
    assert meta["data"]["updated_fields"] == ["tags"]


def test_admin_actions_over_http_need_the_admin_token(make_app):
    client = make_app(admin_token="s3cret").test_client()
    refused = client.post(WORKER, json={"action": "unload_model", "model_id": "tiny-sd"})
    assert refused.status_code == 401 and refused.json["error"]["code"] == "admin_token_required"
    allowed = client.post(WORKER, json={"action": "unload_model", "model_id": "tiny-sd"},
                          headers={"Authorization": "Bearer s3cret"})
    assert allowed.status_code == 200 and allowed.json["success"] is True
    reading = client.post(WORKER, json={"action": "get_model_info", "model_id": "tiny-sd"})
    assert reading.status_code == 200 and reading.json["success"] is True


@pytest.mark.parametrize("body, content_type, status", [
    pytest.param(b"[1, 2]", "application/json", 400, id="not_an_object"),
    pytest.param(b"{oops", "application/json", 400, id="not_json"),
    pytest.param(b"{}", "text/plain", 415, id="not_json_content_type"),
])
def test_http_transport_errors(client, body, content_type, status):
    res = client.post(WORKER, data=body, content_type=content_type)
    assert res.status_code == status and res.json["status"] == "error"
