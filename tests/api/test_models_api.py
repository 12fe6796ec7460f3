"""/api/models: the ten model operations of seed 001 over HTTP, with their rich fields and every error.

The session's models folder holds the tiny models of every kind (tests/conftest.py `tiny_model_dir`); damaged
and pickle files are added in per-test folders.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import torch

from devserver.generation.backend import DiffusersBackend

TINY_IDS = {
    "tiny-sd": ("checkpoint", "sd1", "diffusers"),
    "tiny-sdxl": ("checkpoint", "sdxl", "diffusers"),
    "tiny-sd1.safetensors": ("checkpoint", "sd1", "safetensors"),
    "tiny-sdxl.safetensors": ("checkpoint", "sdxl", "safetensors"),
    # issue 11: one tiny build per family, and dedicated (9-channel) inpainting models
    "tiny-sd2": ("checkpoint", "sd2", "diffusers"),
    "tiny-sdxl-turbo": ("checkpoint", "sdxl", "diffusers"),
    "tiny-sd3": ("checkpoint", "sd3", "diffusers"),
    "tiny-sd3-no-t5": ("checkpoint", "sd3", "diffusers"),
    "tiny-flux": ("checkpoint", "flux", "diffusers"),
    "tiny-sd-inpaint": ("checkpoint", "sd1", "diffusers"),
    "tiny-sdxl-inpaint": ("checkpoint", "sdxl", "diffusers"),
    "vae:tiny-vae": ("vae", "sd1", "diffusers"),
    "vae:tiny-vae.safetensors": ("vae", "unknown", "safetensors"),
    "loras:tiny-lora.safetensors": ("lora", "sd1", "safetensors"),
    "controlnet:tiny-controlnet": ("controlnet", "sd1", "diffusers"),
    "controlnet:tiny-controlnet.safetensors": ("controlnet", "sd1", "safetensors"),
    "upscalers:tiny-upscaler.safetensors": ("upscaler", "unknown", "safetensors"),
    # issue 10 (devserver.generation.tiny_enhanced)
    "tiny-sdxl-fast": ("checkpoint", "sdxl", "diffusers"),
    "tiny-sdxl-refiner": ("refiner", "sdxl", "diffusers"),
    "vae:tiny-sdxl-vae": ("vae", "sdxl", "diffusers"),
    "loras:tiny-lora-b.safetensors": ("lora", "sd1", "safetensors"),
    "loras:tiny-sdxl-lora.safetensors": ("lora", "sdxl", "safetensors"),
    "controlnet:tiny-controlnet-b": ("controlnet", "sd1", "diffusers"),
    "controlnet:tiny-sdxl-controlnet": ("controlnet", "sdxl", "diffusers"),
    "upscalers:tiny-upscaler-x4.safetensors": ("upscaler", "unknown", "safetensors"),
}


@pytest.fixture
def odd_models(tmp_path: Path, tiny_model_dir: Path) -> Path:
    """A models folder with tiny-sd and a LoRA (links), a truncated and a corrupt .safetensors and pickle files."""
    folder = tmp_path / "odd-models"
    (folder / "loras").mkdir(parents=True)
    os.symlink(tiny_model_dir / "tiny-sd", folder / "tiny-sd")
    os.symlink(tiny_model_dir / "loras/tiny-lora.safetensors", folder / "loras/good.safetensors")
    data = (tiny_model_dir / "loras/tiny-lora.safetensors").read_bytes()
    (folder / "loras/truncated.safetensors").write_bytes(data[: len(data) - 1000])
    (folder / "loras/corrupt.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all}")
    (folder / "old-model.ckpt").write_bytes(b"\x80\x04pickled")
    (folder / "loras/style.pt").write_bytes(b"\x80\x04pickled")
    return folder


@pytest.fixture
def odd_client(make_app, odd_models: Path):
    backend = DiffusersBackend(device="cpu", models_dir=odd_models)
    app = make_app(models_dir=odd_models, generation_backend=backend)
    yield app.test_client()
    app.extensions["devserver"].queue.stop()


def models_by_id(client, **params) -> dict[str, dict]:
    res = client.get("/api/models", query_string={"page_size": 200, **params})
    assert res.status_code == 200, res.json
    return {m["id"]: m for m in res.json["models"]}


# ============================================================================ 1. list


def test_list_shows_every_tiny_model_with_type_family_format(client):
    models = models_by_id(client)

    for model_id, (type_, family, format_) in TINY_IDS.items():
        m = models[model_id]
        assert (m["type"], m["family"], m["format"]) == (type_, family, format_), m
        assert m["size_bytes"] > 0
        assert m["status"] in ("not_loaded", "loaded", "error")
    tiny = models["tiny-sd"]
    assert tiny["output_configs"] == ["tiny_sd"]
    assert tiny["source_path"] == "tiny-sd"
    assert "tiny_sd" in tiny["aliases"]
    assert models["tiny-sd1.safetensors"]["available"] is False
    assert "diffusers folder with the same layout" in models["tiny-sd1.safetensors"]["availability_reason"]


def test_list_distributions_filters_sorting_and_pages(client):
    everything = client.get("/api/models", query_string={"page_size": 200}).json
    assert everything["type_distribution"]["checkpoint"] == 12  # 4 + 7 families/inpainting (issue 11) + fast SDXL
    assert everything["type_distribution"]["lora"] == 3
    assert sum(everything["status_distribution"].values()) == everything["total_count"] == len(TINY_IDS)

    loras = client.get("/api/models", query_string={"model_type": "vae"}).json
    assert {m["id"] for m in loras["models"]} == {"vae:tiny-vae", "vae:tiny-vae.safetensors", "vae:tiny-sdxl-vae"}
    assert loras["type_distribution"] == {"vae": 3}

    by_size = client.get("/api/models", query_string={"sort_by": "size", "sort_direction": "desc"}).json["models"]
    sizes = [m["size_bytes"] for m in by_size]
    assert sizes == sorted(sizes, reverse=True)

    page2 = client.get("/api/models", query_string={"page_size": 3, "page": 2}).json
    assert (page2["page"], page2["page_size"], page2["total_pages"], len(page2["models"])) == (
        2, 3, -(-len(TINY_IDS) // 3), 3)
    page1 = client.get("/api/models", query_string={"page_size": 3, "page": 1}).json
    assert not {m["id"] for m in page1["models"]} & {m["id"] for m in page2["models"]}

    found = client.get("/api/models", query_string={"search_query": "CONTROLNET"}).json
    assert {m["id"] for m in found["models"]} == {"controlnet:tiny-controlnet",
                                                  "controlnet:tiny-controlnet.safetensors",
                                                  "controlnet:tiny-controlnet-b", "controlnet:tiny-sdxl-controlnet"}


def test_list_details_and_metrics(client):
    m = client.get("/api/models", query_string={"include_details": "true", "include_metrics": "true",
                                                "model_type": "lora"}).json["models"][0]
    assert m["detection"]["detected_type"] == "lora"
    assert any("tiny-sd" in sentence for sentence in m["detection"]["evidence"])
    assert m["components"][0]["parameter_bytes"] > 0
    assert m["metadata"]["tags"] == []
    assert m["usage"]["runs"] >= 0


@pytest.mark.parametrize("params", [
    pytest.param({"model_type": "sampler"}, id="unknown_type"),
    pytest.param({"status": "sleeping"}, id="unknown_status"),
    pytest.param({"page": 0}, id="page_zero"),
    pytest.param({"page_size": 500}, id="page_size_too_big"),
    pytest.param({"sort_by": "colour"}, id="unknown_sort"),
    pytest.param({"sort_direction": "up"}, id="unknown_direction"),
    pytest.param({"colour": "blue"}, id="unknown_parameter"),
    pytest.param({"device_id": "cuda:7"}, id="unknown_device"),
])
def test_bad_list_filters_are_422(client, params):
    res = client.get("/api/models", query_string=params)
    assert res.status_code == 422, res.json
    assert res.json["error"]["code"] == "validation_error"


# ============================================================================ 2. get / status / device status


def test_get_model_with_compatibility_requirements_and_device_status(client):
    res = client.get("/api/models/tiny-sd")
    assert res.status_code == 200
    body = res.json
    assert body["model"]["detection"]["detected_family"] == "sd1"
    assert body["model"]["metadata"] is not None
    assert body["compatibility"]["is_compatible"] is True
    assert body["requirements"]["memory_bytes"] > 5_000_000
    assert body["requirements"]["load_dtype"] == "float32"
    assert body["device_status"][0]["device_id"] == "cpu"
    assert isinstance(body["benchmarks"], list)
    slim = client.get("/api/models/tiny-sd", query_string={"include_components": "false",
                                                           "include_requirements": "false"}).json
    assert slim["model"]["components"] is None and slim["requirements"] is None


def test_get_resolves_aliases_and_unknown_ids_are_404(client):
    assert client.get("/api/models/tiny_sd").json["model"]["id"] == "tiny-sd"  # the output config's id
    res = client.get("/api/models/no-such-model")
    assert res.status_code == 404
    assert res.json["error"]["code"] == "model_not_found"
    for path in ("/api/models/no-such-model/status", "/api/models/no-such-model/validate"):
        method = client.post if path.endswith("validate") else client.get
        assert method(path).status_code == 404


def test_status_and_device_status(client):
    client.post("/api/models/tiny-sd/load")
    status = client.get("/api/models/tiny-sd/status").json
    assert status["model_status"] == "loaded"
    assert status["memory_usage"]["parameter_bytes"] > 0
    assert status["active_sessions"] == 0
    assert status["health_score"] == 1.0
    assert "idle" in status["status_description"]
    device = client.get("/api/models/device-status", query_string={"coordination_mode": "cache_and_vram_sync"}).json
    assert device["device_type"] == "cpu"
    assert device["total_memory_bytes"] >= device["free_memory_bytes"] > 0
    assert device["cache_used_bytes"] >= status["memory_usage"]["parameter_bytes"]
    assert "tiny-sd" in {m["model_id"] for m in device["models"]}
    assert device["coordination_mode"] == "cache_and_vram_sync"
    assert client.get("/api/models/device-status", query_string={"device_id": "cuda:1"}).status_code == 422


# ============================================================================ 3./4. load and unload


def test_load_then_unload_really_frees_and_the_next_generation_reloads(client, generation_backend):
    body = {"prompt": "a red fox", "language": "en", "seed": 5, "parameters": {"width": 64, "height": 64, "steps": 2}}
    loaded = client.post("/api/models/tiny-sd/load", json={"configuration": {"precision": "float32"}})
    assert loaded.status_code == 200, loaded.json
    assert loaded.json["memory_usage_bytes"] > 5_000_000
    assert "sdpa" in loaded.json["optimizations_applied"]
    count = generation_backend.load_count()

    assert client.post("/api/schema/pipeline/generation", json=body).status_code == 200
    assert generation_backend.load_count() == count  # the admin-loaded pipeline served the learner

    unloaded = client.post("/api/models/tiny-sd/unload", json={"clear_cache": True})
    assert unloaded.status_code == 200
    assert unloaded.json["was_loaded"] is True
    assert unloaded.json["memory_freed_bytes"] == loaded.json["memory_usage_bytes"]
    assert client.get("/api/models/tiny-sd/status").json["model_status"] == "not_loaded"

    assert client.post("/api/schema/pipeline/generation", json=body).status_code == 200
    assert generation_backend.load_count() == count + 1  # the unload really freed it: the weights were read again
    again = client.post("/api/models/tiny-sd/unload").json
    assert again["was_loaded"] is False or again["memory_freed_bytes"] > 0


def test_load_twice_is_already_loaded_and_reports_usage(client):
    client.post("/api/models/vae:tiny-vae/load")
    second = client.post("/api/models/vae:tiny-vae/load", json={"configuration": {"memory_optimization":
                                                                                  {"vae_slicing": True}}}).json
    assert second["already_loaded"] is True and second["load_time_ms"] == 0
    assert "vae_slicing" in second["optimizations_applied"]


def test_other_kinds_load(client):
    for model_id in ("loras:tiny-lora.safetensors", "upscalers:tiny-upscaler.safetensors", "controlnet:tiny-controlnet",
                     "controlnet:tiny-controlnet.safetensors", "vae:tiny-vae.safetensors"):
        res = client.post(f"/api/models/{model_id}/load")
        assert res.status_code == 200, (model_id, res.json)
        assert res.json["memory_usage_bytes"] > 0
        client.post(f"/api/models/{model_id}/unload")


def test_precision_on_cpu_is_truthful(client):
    for precision in ("int8", "int4"):
        res = client.post("/api/models/tiny-sd/load", json={"configuration": {"precision": precision}})
        assert res.status_code == 422
        assert f"precision {precision} is not supported" in res.json["error"]["message"]
    res = client.post("/api/models/loras:tiny-lora.safetensors/load",
                      json={"configuration": {"precision": "bfloat16",
                                              "memory_optimization": {"cpu_offload": True, "attention_slicing": True},
                                              "performance_optimization": {"torch_compile": True}}})
    assert res.status_code == 200
    warnings = " ".join(res.json["warnings"])
    assert "55x slower" in warnings
    assert "needs an accelerator" in warnings
    assert "applies to pipelines only" in warnings
    client.post("/api/models/loras:tiny-lora.safetensors/unload")


def test_admin_operations_need_the_token(make_app):
    app = make_app(admin_token="s3cret")
    client = app.test_client()
    for method, path in [("post", "/api/models/tiny-sd/load"), ("post", "/api/models/tiny-sd/unload"),
                         ("post", "/api/models/tiny-sd/optimize"), ("post", "/api/models/tiny-sd/benchmark"),
                         ("post", "/api/models/refresh"), ("patch", "/api/models/tiny-sd/metadata")]:
        missing = getattr(client, method)(path, json={})
        wrong = getattr(client, method)(path, json={}, headers={"Authorization": "Bearer nope"})
        assert (missing.status_code, wrong.status_code) == (401, 401), path
        assert missing.json["error"]["code"] == "admin_token_required"
    ok = client.post("/api/models/refresh", headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 200 and ok.json["total_count"] == len(TINY_IDS)
    # reading stays open
    assert client.get("/api/models").status_code == 200
    assert client.post("/api/models/tiny-sd/validate").status_code == 200
    app.extensions["devserver"].queue.stop()


def test_admin_operations_without_token_only_from_loopback(client):
    res = client.post("/api/models/refresh", environ_base={"REMOTE_ADDR": "10.0.0.8"})
    assert res.status_code == 403
    assert res.json["error"]["code"] == "admin_only_from_this_machine"


def test_load_without_waiting_is_a_queued_job(live):
    res = live.post("/api/models/vae:tiny-vae/load", {"wait_for_completion": False})
    assert res.status_code == 202, res.text
    job = res.json()
    assert job["kind"] == "model_load"
    events = live.events(job["job_id"])
    assert [e.type for e in events][-1] == "complete"
    status = live.get(job["status_url"]).json()
    assert status["status"] == "success"
    assert status["result"]["model_id"] == "vae:tiny-vae"


# ============================================================================ HTTP details (found by schemathesis)


@pytest.mark.parametrize("body", [
    pytest.param({"estimate_performance": 0}, id="number_for_boolean"),
    pytest.param({"check_memory": "true"}, id="string_for_boolean"),
    pytest.param({"device_id": 5}, id="number_for_string"),
])
def test_model_bodies_are_parsed_as_strictly_as_the_document_says(client, body):
    """The bodies were validated in pydantic's lax mode ({"estimate_performance": 0} answered 200) while the
    OpenAPI document says boolean; now they are parsed like every JSON body (strict JSON types)."""
    res = client.post("/api/models/tiny-sd/validate", json=body)
    assert res.status_code == 422, res.json
    assert res.json["error"]["code"] == "validation_error"


@pytest.mark.parametrize("key", ["model_id", "ModelId"])
def test_the_url_names_the_model_not_the_body(client, key):
    res = client.post("/api/models/tiny-sd/validate", json={key: "vae:tiny-vae"})
    assert res.status_code == 422 and res.json["error"]["details"]["errors"][0]["field"] == key
    assert key in res.json["error"]["message"]
    res = client.get("/api/models/tiny-sd", query_string={key: "vae:tiny-vae"})
    assert res.status_code == 422 and res.json["error"]["details"]["errors"][0]["field"] == key


def test_model_bodies_are_optional_and_json_only(client):
    assert client.post("/api/models/tiny-sd/validate").json["model_id"] == "tiny-sd"
    assert client.post("/api/models/tiny-sd/validate", json={"estimate_performance": False}).json[
        "performance_estimation"] is None
    res = client.post("/api/models/tiny-sd/validate", data="check_memory=1",
                      content_type="application/x-www-form-urlencoded")
    assert res.status_code == 415
    res = client.post("/api/models/tiny-sd/validate", data="[1]", content_type="application/json")
    assert res.status_code == 400 and res.json["error"]["code"] == "bad_request"
    res = client.post("/api/models/tiny-sd/validate", data='{"device_id": "\\ud800"}', content_type="application/json")
    assert res.status_code == 400 and res.json["error"]["code"] == "invalid_unicode"


@pytest.mark.parametrize("path", ["/api/models/refresh", "/api/models/search", "/api/models/device-status"])
def test_the_operations_paths_are_not_model_ids(client, path):
    """GET /api/models/refresh looked up a model named "refresh" (404), and OPTIONS advertised GET for it."""
    options = client.options(path)
    allowed = {method.strip() for method in options.headers["Allow"].split(",")} - {"HEAD", "OPTIONS"}
    assert allowed == ({"POST"} if path.endswith("refresh") else {"GET"})
    if path.endswith("refresh"):
        res = client.get(path)
        assert res.status_code == 405 and res.json["error"]["code"] == "method_not_allowed"
    assert client.get("/api/models/refresh-2").json["error"]["code"] == "model_not_found"


def test_list_parameters_take_repeated_or_comma_separated_values(client):
    comma = client.get("/api/models/search", query_string={"model_types": "lora,vae"}).json
    repeated = client.get("/api/models/search?model_types=lora&model_types=vae").json
    assert {r["model"]["id"] for r in comma["results"]} == {r["model"]["id"] for r in repeated["results"]} == {
        model_id for model_id, (type_, _, _) in TINY_IDS.items() if type_ in ("lora", "vae")}
    empty = client.get("/api/models/search?compatible_devices=")
    assert empty.status_code == 422 and "compatible_devices" in empty.json["error"]["message"]


# ============================================================================ damaged and refused files


def test_truncated_and_corrupt_files_are_reported_and_refused_cleanly(odd_client):
    models = models_by_id(odd_client)
    for model_id in ("loras:truncated.safetensors", "loras:corrupt.safetensors"):
        assert models[model_id]["available"] is False
        assert models[model_id]["status"] == "error"
    assert "truncated" in models["loras:truncated.safetensors"]["availability_reason"]

    report = odd_client.post("/api/models/loras:truncated.safetensors/validate").json
    checks = {c["check"]: c for c in report["validation_results"]}
    assert report["is_compatible"] is False
    assert checks["not_truncated"]["status"] == "fail"
    assert "truncated" in checks["not_truncated"]["detail"]
    assert checks["header_readable"]["status"] == "fail"  # safetensors' own safe_open refuses it too
    assert report["compatibility_score"] < 1
    assert any("damaged" in r for r in report["recommendations"])

    corrupt = odd_client.post("/api/models/loras:corrupt.safetensors/validate").json
    assert {c["check"]: c["status"] for c in corrupt["validation_results"]}["header_readable"] == "fail"

    for model_id in ("loras:truncated.safetensors", "loras:corrupt.safetensors"):
        res = odd_client.post(f"/api/models/{model_id}/load")
        assert res.status_code == 409
        assert res.json["error"]["code"] == "model_unavailable"
        assert "/" not in res.json["error"]["message"].replace("loras:", "")  # no paths
    assert odd_client.get("/api/health").status_code == 200
    assert odd_client.post("/api/models/loras:good.safetensors/load").status_code == 200


def test_pickle_files_are_listed_refused_and_never_loaded(odd_client, monkeypatch):
    monkeypatch.setattr(torch, "load", lambda *a, **k: pytest.fail("a pickle file was loaded"))
    models = models_by_id(odd_client)
    for model_id in ("old-model.ckpt", "loras:style.pt"):
        m = models[model_id]
        assert m["format"] == "pickle" and m["available"] is False
        assert "never loads" in m["availability_reason"]
    assert models["loras:style.pt"]["type"] == "lora"  # from its folder, explained in the detection

    res = odd_client.post("/api/models/old-model.ckpt/load")
    assert res.status_code == 409 and res.json["error"]["code"] == "model_unavailable"
    report = odd_client.post("/api/models/old-model.ckpt/validate").json
    assert {c["check"]: c["status"] for c in report["validation_results"]}["format_allowed"] == "fail"
    assert any(".safetensors" in r for r in report["recommendations"])


def test_refresh_finds_new_and_removed_files(odd_client, odd_models: Path, tiny_model_dir: Path):
    assert "old-model.ckpt" in models_by_id(odd_client)
    shutil.copy(tiny_model_dir / "loras/tiny-lora.safetensors", odd_models / "loras/new.safetensors")
    (odd_models / "old-model.ckpt").unlink()
    res = odd_client.post("/api/models/refresh").json
    assert res["added"] == ["loras:new.safetensors"]
    assert res["removed"] == ["old-model.ckpt"]


# ============================================================================ 5. validate


def test_validate_reports_every_check(client):
    report = client.post("/api/models/tiny-sd/validate", json={"check_memory": True, "estimate_performance": True}).json
    checks = {c["check"]: c["status"] for c in report["validation_results"]}
    assert report["is_compatible"] is True
    for name in ("file_exists", "format_allowed", "header_readable", "not_truncated", "components_complete",
                 "type_detected", "family_detected", "family_matches_config", "dtype", "memory", "driver"):
        assert checks[name] == "pass", (name, report)
    assert report["compatibility_score"] == 1.0
    assert report["performance_estimation"]["estimated_s_per_image"] > 0
    unknown = client.post("/api/models/vae:tiny-vae.safetensors/validate").json
    assert {c["check"]: c["status"] for c in unknown["validation_results"]}["family_detected"] == "warn"
    assert any("metadata" in r for r in unknown["recommendations"])


# ============================================================================ 9. search


def test_search_relevance_highlights_facets_and_filters(client):
    client.patch("/api/models/vae:tiny-vae/metadata", json={"metadata": {
        "description": "A soft watercolour VAE for classroom posters", "tags": ["Watercolour", "classroom"],
        "author": "Art Class 7b", "rating": 4.5}})
    res = client.get("/api/models/search", query_string={"query": "watercolor"}).json
    assert res["results"][0]["model"]["id"] == "vae:tiny-vae"
    hit = res["results"][0]
    assert 0 < hit["relevance_score"] <= 1
    fields = {h["field"]: h for h in hit["highlights"]}
    start, end = fields["description"]["ranges"][0]
    assert fields["description"]["text"][start:end].lower().startswith("watercol")
    assert res["facets"]["type"] == {"vae": 1}
    assert res["search_time_ms"] >= 0

    typo = client.get("/api/models/search", query_string={"query": "tyni"}).json
    assert typo["total_count"] >= 3  # "tiny" with two letters swapped
    exact = client.get("/api/models/search", query_string={"query": "tiny-sdxl"}).json
    assert exact["results"][0]["model"]["id"] in ("tiny-sdxl", "tiny-sdxl.safetensors")
    assert exact["results"][0]["relevance_score"] == 1.0

    filtered = client.get("/api/models/search", query_string={"query": "tiny", "model_types": "vae,lora",
                                                              "page_size": 1}).json
    assert filtered["total_count"] == 6 and filtered["total_pages"] == 6
    assert set(filtered["facets"]["type"]) == {"vae", "lora"}
    rated = client.get("/api/models/search", query_string={"min_rating": 4, "tags": "classroom"}).json
    assert [r["model"]["id"] for r in rated["results"]] == ["vae:tiny-vae"]
    small = client.get("/api/models/search", query_string={"max_memory_bytes": 200_000}).json
    assert {r["model"]["id"] for r in small["results"]} == {
        "loras:tiny-lora.safetensors", "upscalers:tiny-upscaler.safetensors", "loras:tiny-lora-b.safetensors",
        "loras:tiny-sdxl-lora.safetensors", "upscalers:tiny-upscaler-x4.safetensors"}
    assert client.get("/api/models/search", query_string={"model_types": "sampler"}).status_code == 422
    assert client.get("/api/models/search", query_string={"min_rating": 6}).status_code == 422


# ============================================================================ 10. metadata


def test_metadata_update_validates_and_returns_updated_fields(client):
    res = client.patch("/api/models/loras:tiny-lora.safetensors/metadata", json={
        "metadata": {"display_name": "Tiny style", "trigger_words": ["tinystyle"], "license": "MIT", "version": "1.0",
                     "aliases": ["acme/tiny-style"]}, "validate": True})
    assert res.status_code == 200, res.json
    body = res.json
    assert body["updated_fields"] == ["aliases", "display_name", "license", "trigger_words", "version"]
    assert body["updated_model"]["name"] == "Tiny style"
    assert body["updated_model"]["metadata"]["trigger_words"] == ["tinystyle"]
    assert body["validation_results"]
    assert client.get("/api/models/acme%2Ftiny-style").status_code == 404  # a slash is not an id in a URL path
    same = client.patch("/api/models/loras:tiny-lora.safetensors/metadata",
                        json={"metadata": {"license": "MIT"}}).json
    assert same["updated_fields"] == []


def test_aliases_resolve_and_must_be_unique(client, app):
    client.patch("/api/models/tiny-sdxl/metadata", json={"metadata": {"aliases": ["stabilityai/sdxl-base-1.0"]}})
    service = app.extensions["devserver"].models
    assert service.resolve("stabilityai/sdxl-base-1.0").id == "tiny-sdxl"
    assert service.resolve("STABILITYAI/SDXL-BASE-1.0").id == "tiny-sdxl"
    clash = client.patch("/api/models/tiny-sd/metadata", json={"metadata": {"aliases": ["stabilityai/sdxl-base-1.0"]}})
    assert clash.status_code == 409
    taken = client.patch("/api/models/tiny-sd/metadata", json={"metadata": {"aliases": ["tiny-sdxl"]}})
    assert taken.status_code == 409


@pytest.mark.parametrize("metadata", [
    pytest.param({"rating": 7}, id="rating_above_5"),
    pytest.param({"tags": [""]}, id="empty_tag"),
    pytest.param({"type_override": "sampler"}, id="unknown_type"),
    pytest.param({"colour": "blue"}, id="unknown_field"),
    pytest.param({"aliases": ["has space"]}, id="bad_alias"),
])
def test_bad_metadata_is_422(client, metadata):
    res = client.patch("/api/models/tiny-sd/metadata", json={"metadata": metadata})
    assert res.status_code == 422, res.json


def test_admin_sets_type_and_family_by_hand(client):
    res = client.patch("/api/models/vae:tiny-vae.safetensors/metadata",
                       json={"metadata": {"family_override": "sdxl"}}).json
    model = res["updated_model"]
    assert model["family"] == "sdxl"
    assert model["detection"]["detected_family"] == "unknown" and model["detection"]["family_overridden"] is True


def test_pascal_case_requests_work_for_the_worker_protocol(app):
    from devserver.contracts.models import GetModelRequest, ListModelsRequest

    service = app.extensions["devserver"].models
    listed = service.list_models(ListModelsRequest.model_validate({"ModelType": "lora", "PageSize": 5}))
    assert [m.id for m in listed.models] == ["loras:tiny-lora-b.safetensors", "loras:tiny-lora.safetensors",
                                             "loras:tiny-sdxl-lora.safetensors"]
    got = service.get_model(GetModelRequest.model_validate({"ModelId": "tiny_sd", "IncludeMetadata": False}))
    assert got.model.id == "tiny-sd" and got.model.metadata is None


def test_usage_history_counts_learners_images_per_output_config(client):
    body = {"prompt": "a blue bird", "language": "en", "seed": 3, "parameters": {"width": 64, "height": 64, "steps": 2}}
    for _ in range(2):
        assert client.post("/api/schema/pipeline/generation", json=body).status_code == 200
    usage = client.get("/api/models/tiny-sd").json["usage_stats"]
    assert usage["runs"] == 2
    assert usage["mean_generation_ms"] > 0 and usage["last_used"]
    assert usage["per_output_config"]["tiny_sd"]["runs"] == 2
    status = client.get("/api/models/tiny-sd/status").json
    assert status["performance_metrics"]["runs"] == 2


def test_a_single_file_checkpoint_loads_with_the_configs_of_its_folder(client, app, tiny_model_dir):
    # tiny-sdxl.safetensors holds the weights of tiny-sdxl/ under SGM key names; it loads offline with that
    # folder's configs and tokenizers, and draws the same image
    model = client.get("/api/models/tiny-sdxl.safetensors").json
    assert "the configs of tiny-sdxl" in model["requirements"]["needs"]
    for model_id in ("tiny-sdxl.safetensors", "tiny-sdxl"):
        res = client.post(f"/api/models/{model_id}/load")
        assert res.status_code == 200, res.json
    cache = app.extensions["devserver"].generation.cache
    single = cache.get(str(tiny_model_dir / "tiny-sdxl.safetensors")).obj
    folder = cache.get(str(tiny_model_dir / "tiny-sdxl")).obj

    def draw(pipe):
        return pipe("a cat", height=64, width=64, num_inference_steps=2,
                    generator=torch.Generator("cpu").manual_seed(1)).images[0].tobytes()

    assert draw(single) == draw(folder)
    for model_id in ("tiny-sdxl.safetensors", "tiny-sdxl"):
        client.post(f"/api/models/{model_id}/unload")


def test_a_preview_image_comes_from_an_upload(client):
    from tests.support.images import make_png

    import io

    upload = client.post("/api/media/upload/image", data={"file": (io.BytesIO(make_png()), "p.png")},
                         content_type="multipart/form-data")
    assert upload.status_code == 200, upload.json
    res = client.patch("/api/models/tiny-sdxl/metadata",
                       json={"metadata": {"preview_image_id": upload.json["image_id"]}})
    assert res.status_code == 200
    assert res.json["updated_fields"] == ["preview_image_id"]
    url = res.json["updated_model"]["metadata"]["preview_url"]
    assert url == "/api/models/tiny-sdxl/preview"
    image = client.get(url)
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert client.get("/api/models/tiny-sd/preview").status_code == 404
    bad = client.patch("/api/models/tiny-sd/metadata", json={"metadata": {"preview_image_id": "../etc/passwd"}})
    assert bad.status_code == 400


def test_short_queries_match_exactly_only(client):
    res = client.get("/api/models/search", query_string={"query": "vae"}).json
    assert {r["model"]["id"] for r in res["results"]} == {"vae:tiny-vae", "vae:tiny-vae.safetensors",
                                                          "vae:tiny-sdxl-vae"}
