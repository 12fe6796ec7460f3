"""Model jobs and the memory budget over a real HTTP server: benchmark and optimize run as queued jobs with progress
events, FIFO with learners' runs; a busy model is not pulled from under its job; the LRU budget evicts idle models."""

from __future__ import annotations

import pytest

from devserver.generation.backend import DiffusersBackend
from tests.api.conftest import SMALL, LiveServer

BENCH = {"resolutions": ["64x64", "128x128"], "warmup_runs": 0, "benchmark_runs": 1, "inference_steps": 2}


def test_a_benchmark_measures_the_model_s_own_scheduler_not_the_last_run_s(live):
    """A learner's scheduler choice is set on the cached pipeline for that run only; a benchmark after it still
    counts the model's own PNDM steps (3 timesteps for 2 steps, per resolution)."""
    run_id = live.submit(parameters={**SMALL, "scheduler": "EulerAncestralDiscrete"})
    assert live.events(run_id)[-1].type == "complete"
    job = live.post("/api/models/tiny-sd/benchmark", BENCH).json()
    progress = [e.data for e in live.events(job["job_id"]) if e.type == "progress"]
    assert progress[-1]["step"] == progress[-1]["total_steps"] == 6


def test_benchmark_is_a_job_with_progress_and_stored_results(live):
    res = live.post("/api/models/tiny-sd/benchmark", BENCH)
    assert res.status_code == 202, res.text
    job = res.json()
    assert job["kind"] == "model_benchmark" and job["position"] >= 1
    events = live.events(job["job_id"])
    types = [e.type for e in events]
    assert types[0] == "queued" and types[1] == "started" and types[-1] == "complete"
    progress = [e.data for e in events if e.type == "progress"]
    # 2 resolutions x 1 run x 3 PNDM timesteps (PNDM runs steps + 1)
    assert progress[-1]["step"] == progress[-1]["total_steps"] == 6
    assert [p["percent"] for p in progress] == sorted(p["percent"] for p in progress)
    result = events[-1].data["result"]
    assert [r["resolution"] for r in result["results"]] == ["64x64", "128x128"]
    for row in result["results"]:
        assert row["s_per_image"] > 0 and row["it_per_s"] > 0 and row["peak_memory_bytes"] is not None
    assert result["benchmark_id"] is not None

    status = live.get(job["status_url"]).json()
    assert status["status"] == "success" and status["progress"] == 1.0
    assert status["result"]["benchmark_id"] == result["benchmark_id"]
    model = live.get("/api/models/tiny-sd").json()
    assert model["benchmarks"][0]["benchmark_id"] == result["benchmark_id"]
    assert model["model"]["benchmark"]["resolution"] == "64x64"
    ranked = live.get("/api/models", params={"sort_by": "performance"}).json()["models"]
    assert ranked[0]["id"] == "tiny-sd"  # the only benchmarked model comes first
    queue_kinds = live.get("/api/queue").status_code
    assert queue_kinds == 200


def test_benchmark_of_an_upscaler_and_refusals(live):
    res = live.post("/api/models/upscalers:tiny-upscaler.safetensors/benchmark",
                    {"resolutions": ["64x64"], "warmup_runs": 0, "benchmark_runs": 2, "wait_for_completion": True})
    assert res.status_code == 200, res.text
    assert res.json()["results"][0]["it_per_s"] is None and res.json()["results"][0]["s_per_image"] > 0
    assert live.post("/api/models/loras:tiny-lora.safetensors/benchmark", {}).status_code == 422
    assert live.post("/api/models/tiny-sd/benchmark", {"resolutions": ["65x64"]}).status_code == 422
    too_many = {"resolutions": ["64x64"] * 8, "batch_sizes": [1, 2, 3, 4], "benchmark_runs": 20}
    assert live.post("/api/models/tiny-sd/benchmark", too_many).status_code == 422


def test_optimize_measures_before_and_after_and_keeps_within_tolerance(live):
    res = live.post("/api/models/tiny-sd/optimize", {"target": "speed", "level": "balanced",
                                                     "parameters": {"width": 64, "height": 64, "steps": 2}})
    assert res.status_code == 202, res.text
    events = live.events(res.json()["job_id"])
    assert events[-1].type == "complete", events[-1]
    assert any(e.type == "progress" for e in events)
    result = events[-1].data["result"]
    assert result["optimizations_tried"] == ["sdpa", "channels_last"]
    assert result["before"]["s_per_image"] > 0 and result["after"]["s_per_image"] > 0
    assert result["before"]["model_memory_bytes"] > 0
    assert "no pixel changed by more than 8 of 255 levels" in result["tolerance"]
    assert result["kept"] is (result["image_max_diff_levels"] <= 8 and result["image_mean_diff_levels"] <= 1.0)
    if result["kept"]:
        meta = live.get("/api/models/tiny-sd").json()["model"]["metadata"]
        assert meta["load_configuration"]["performance_optimization"]["channels_last"] is True
    live.post("/api/models/tiny-sd/unload", {})


def test_optimize_with_zero_tolerance_reverts_what_changed_the_image(live):
    res = live.post("/api/models/tiny-sd/optimize", {
        "target": "memory", "level": "basic", "wait_for_completion": True, "save_optimized": False,
        "parameters": {"width": 64, "height": 64, "steps": 2, "tolerance_max_levels": 0,
                       "tolerance_mean_levels": 0}})
    assert res.status_code == 200, res.text
    result = res.json()
    assert result["optimizations_tried"] == ["attention_slicing", "vae_slicing"]
    assert result["kept"] is (result["image_max_diff_levels"] == 0)
    assert result["optimizations_kept"] == (result["optimizations_tried"] if result["kept"] else [])
    assert live.post("/api/models/tiny-sd/optimize", {"parameters": {"speed": 3}}).status_code == 422
    assert live.post("/api/models/vae:tiny-vae/optimize", {}).status_code == 422
    live.post("/api/models/tiny-sd/unload", {})


def test_benchmark_waits_its_turn_fifo_with_learners_runs(live):
    first = live.hold()  # a learner's run is generating
    bench = live.post("/api/models/tiny-sd/benchmark", BENCH).json()
    second = live.submit("a second learner")
    assert bench["position"] == 1
    live.cancel(first)
    for run_id in (first, bench["job_id"], second):
        live.events(run_id)  # until each ends
    started = {run_id: next(e.id for e in live.events(run_id) if e.type == "started")
               for run_id in (first, bench["job_id"], second)}
    assert started[first] < started[bench["job_id"]] < started[second]
    assert live.events(second)[-1].type == "complete"


def test_unload_of_a_busy_model_is_409_and_force_stops_the_job_at_its_step(live):
    run_id = live.hold()  # tiny-sd is generating
    busy = live.post("/api/models/tiny-sd/unload", {})
    assert busy.status_code == 409
    assert busy.json()["error"]["code"] == "model_in_use"
    status = live.get("/api/models/tiny-sd/status").json()
    assert status["active_sessions"] == 1

    forced = live.post("/api/models/tiny-sd/unload", {"force": True, "timeout_seconds": 30})
    assert forced.status_code == 200, forced.text
    assert forced.json()["interrupted_jobs"] == 1 and forced.json()["was_loaded"] is True
    last = live.events(run_id)[-1]
    assert last.type == "error"
    assert last.data["error"]["code"] == "model_unloaded"
    assert live.get("/api/health").status_code == 200
    again = live.submit("after the unload")  # the model loads again and the queue goes on
    assert live.events(again)[-1].type == "complete"


@pytest.fixture
def small_budget(settings_factory, tiny_model_dir):
    """A server whose model cache holds 8 MB (tiny-sd is 5.5 MB, the tiny ControlNet 3.6 MB)."""
    from devserver import create_app

    backend = DiffusersBackend(device="cpu", models_dir=tiny_model_dir, cache_bytes=8_000_000)
    server = LiveServer(create_app(settings_factory(model_cache_bytes=8_000_000), generation_backend=backend))
    yield server
    server.close()


def test_the_lru_budget_evicts_the_idle_model(small_budget):
    live = small_budget
    assert live.post("/api/models/tiny-sd/load", {}).status_code == 200
    assert live.post("/api/models/loras:tiny-lora.safetensors/load", {}).status_code == 200
    loaded = live.post("/api/models/controlnet:tiny-controlnet/load", {}).json()
    assert loaded["evicted_models"] == ["tiny-sd"]  # least recently used, idle
    assert any("evicted idle model 'tiny-sd'" in w for w in loaded["warnings"])
    device = live.get("/api/models/device-status").json()
    assert device["cache_used_bytes"] <= device["cache_budget_bytes"] == 8_000_000
    assert {m["model_id"] for m in device["models"]} == {"controlnet:tiny-controlnet", "loras:tiny-lora.safetensors"}


def test_the_lru_budget_never_evicts_the_model_in_use(small_budget):
    live = small_budget
    run_id = live.hold()  # tiny-sd loads for the learner and is in use
    refused = live.post("/api/models/controlnet:tiny-controlnet/load", {})
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "model_memory_budget_exceeded"
    forced = live.post("/api/models/controlnet:tiny-controlnet/load", {"force": True}).json()
    assert forced["evicted_models"] == []
    assert any("past the memory budget" in w for w in forced["warnings"])
    assert live.get("/api/models/tiny-sd/status").json()["model_status"] == "loaded"
    live.cancel(run_id)
    assert live.events(run_id)[-1].type == "canceled"
