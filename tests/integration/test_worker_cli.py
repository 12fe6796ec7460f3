"""``devserver worker`` as a subprocess: 20 mixed lines on stdin (generations in both forms of seed 000, seed 001
model actions in snake_case and PascalCase, garbage, a blocked prompt), every answer line checked, the worker
survives all of it and ends with exit status 0 at end of input (issue 10, acceptance 3)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from jsonschema import Draft7Validator

from devserver.settings import PROJECT_ROOT
from tests.api.test_worker_api import SEED_ALIASES, seed_example

pytestmark = pytest.mark.slow


def _lines(tiny_lora: str) -> list[bytes]:
    aliases = [{"Action": "update_metadata", "RequestId": f"alias-{i}", "ModelId": model_id,
                "Metadata": {"Aliases": [alias]}} for i, (model_id, alias) in enumerate(SEED_ALIASES.items())]
    small = {"width": 64, "height": 64, "steps": 2}
    messages: list[object] = [
        {"Action": "get_vram_model_status", "RequestId": "vram"},                                          # 1
        b"this is not json",                                                                               # 2
        *aliases,                                                                                          # 3-8
        {**seed_example(), "request_id": "seed-000"},                                                      # 9
        b"[1, 2, 3]",                                                                                      # 10
        {"message_type": "inference_request", "request_id": "blocked",
         "data": {"prompt": "a Hakenkreuz on a wall", "model_name": "tiny_sd", **small}},                  # 11
        {"message_type": "inference_request", "request_id": "batch",
         "data": {"prompt": "a lighthouse", "model_name": "tiny_sd", "seed": 40, "batch_size": 2,
                  "loras": [{"model_path": tiny_lora, "weight": 0.7}], **small}},                          # 12
        b"\xff\xfe{\"action\": \"list_models\"}",                                                          # 13
        {"action": "unknown_thing", "request_id": "u"},                                                    # 14
        {"action": "get_model_info", "request_id": "info", "model_id": "stabilityai/sdxl-base-1.0"},       # 15
        {"message_type": "inference_request", "request_id": "path",
         "data": {"prompt": "a cat", "model_name": "/models/sdxl/base.safetensors"}},                      # 16
        {"action": "load_model", "request_id": "load", "model_id": "vae:tiny-vae", "model_path": "/x"},    # 17
        b'{"message_type": "inference_request", "request_id": "cut"',                                     # 18
        {"Action": "search_models", "RequestId": "search", "Query": "tiny", "ModelTypes": ["refiner"]},   # 19
        {"action": "unload_model", "request_id": "unload", "model_id": "vae:tiny-vae", "force_unload": True},  # 20
    ]
    lines = [m if isinstance(m, bytes) else json.dumps(m).encode("utf-8") for m in messages]
    assert len(lines) == 20
    return lines


def test_the_worker_answers_every_line_and_survives(tiny_model_dir: Path, tmp_path: Path):
    env = {**os.environ, "DEVSERVER_EXPORTS_DIR": str(tmp_path / "exports"),
           "DEVSERVER_MODELS_DIR": str(tiny_model_dir), "DEVSERVER_DEVICE": "cpu", "HF_HUB_OFFLINE": "1",
           "DEVSERVER_TORCH_THREADS": "2"}
    lines = _lines("loras:tiny-lora.safetensors")
    stdin = b"\n".join(lines[:10]) + b"\n\n" + b"\n".join(lines[10:]) + b"\n"  # a blank line is no message
    done = subprocess.run([sys.executable, "-m", "devserver", "worker"], input=stdin, env=env, capture_output=True,
                          timeout=900, cwd=PROJECT_ROOT)
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    assert "devserver worker ready" in done.stderr.decode()
    out = [json.loads(line) for line in done.stdout.decode("utf-8").splitlines()]  # every line is JSON
    progress = [line for line in out if line.get("message_type") == "progress"]
    answers = [line for line in out if line.get("message_type") != "progress"]
    assert len(answers) == 20, answers

    ok = {answer.get("request_id"): answer for answer in answers if answer["success"]}
    assert ok["vram"]["data"]["device_type"] == "cpu"
    assert all(ok[f"alias-{i}"]["data"]["updated_fields"] == ["aliases"] for i in range(6))
    response_schema = Draft7Validator(json.loads(
        (PROJECT_ROOT / "schemas/json/enhanced_sdxl_response_schema.json").read_text()))
    seed = ok["seed-000"]
    assert list(response_schema.iter_errors(seed)) == []
    (image,) = seed["data"]["generated_images"]
    assert image["metadata"]["width"] == 2048 and image["metadata"]["model_info"]["base_model"] == "tiny-sdxl-fast"
    assert base64.b64decode(image["image_data"]).startswith(b"\x89PNG")
    assert (tmp_path / "exports" / image["image_path"]).is_file()
    batch = ok["batch"]
    assert [i["metadata"]["seed"] for i in batch["data"]["generated_images"]] == [40, 41]
    assert ok["info"]["data"]["model"]["id"] == "tiny-sdxl-fast"
    assert any("model_path is not used" in w for w in ok["load"]["warnings"])
    assert [r["model"]["id"] for r in ok["search"]["data"]["results"]] == ["tiny-sdxl-refiner"]
    assert ok["unload"]["data"]["was_loaded"] is True

    failed = [answer for answer in answers if not answer["success"]]
    assert [(a.get("request_id"), a["error_code"]) for a in failed] == [
        (None, "invalid_json"), (None, "bad_message"), ("blocked", "blocked"), (None, "bad_line"),
        ("u", "unknown_message"), ("path", "validation_error"), (None, "invalid_json")]
    blocked = failed[2]
    assert blocked["status"] == "blocked" and blocked["data"]["blocked"]["stage"] == 1
    assert "Hakenkreuz" in blocked["data"]["blocked"]["found_terms"]

    # progress lines come before their answer, for the generations that ran, counting up to their total
    for request_id in ("seed-000", "batch"):
        steps = [(p["step"], p["total_steps"]) for p in progress if p["request_id"] == request_id]
        assert steps and steps[-1][0] == steps[-1][1] and [s for s, _ in steps] == sorted(s for s, _ in steps)
        assert out.index(ok[request_id]) > out.index(next(p for p in progress if p["request_id"] == request_id))
    assert not [p for p in progress if p["request_id"] == "blocked"], "nothing is generated for a blocked prompt"
