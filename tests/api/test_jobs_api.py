"""Async submission (202), synchronous validation before queueing, run status, the queue listing."""

from __future__ import annotations

import pytest

from devserver.contracts.jobs import QueuedResponse, QueueResponse, RunStatusResponse
from tests.api.conftest import SMALL

UNKNOWN_ID = "0b6c2a8e-1d4f-4c3a-9e5b-7f8a9b0c1d2e"


def test_async_submission_answers_202_and_runs(live):
    res = live.post("/api/schema/pipeline/execute", {"schema": "bauhaus", "input_text": "a cat", "language": "en",
                                                     "parameters": SMALL, "seed": 5, "async": True})
    assert res.status_code == 202
    body = QueuedResponse.model_validate(res.json())
    assert body.status == "queued" and body.position == 1
    assert body.events_url == f"/api/runs/{body.run_id}/events" and body.status_url == f"/api/runs/{body.run_id}"
    assert live.events(body.run_id)[-1].type == "complete"
    status = RunStatusResponse.model_validate(live.get(body.status_url).json())
    assert status.status == "success" and status.kind == "execute" and status.media_output.seed == 5
    assert [s is not None for s in (status.stages.stage1, status.stages.stage2, status.stages.stage3,
                                    status.stages.stage4)] == [True] * 4
    assert status.started_at >= status.created_at and status.finished_at >= status.started_at


def test_without_async_the_call_stays_synchronous(live):
    res = live.post("/api/schema/pipeline/generation", {"prompt": "a fox", "parameters": SMALL, "seed": 2,
                                                        "async": False})
    assert res.status_code == 200 and res.json()["status"] == "success"
    assert res.json()["media_output"]["seed"] == 2
    assert live.get("/api/queue").json()["jobs"] == []


@pytest.mark.parametrize("path, body, status, code", [
    pytest.param("execute", {"schema": "no_such_config"}, 404, "config_not_found", id="unknown_config"),
    pytest.param("execute", {"input_text": "  "}, 422, "validation_error", id="empty_idea"),
    pytest.param("execute", {"parameters": {"width": 500}}, 422, "validation_error", id="width_not_multiple_of_8"),
    pytest.param("execute", {"parameters": {"width": 1024}}, 422, "validation_error", id="width_above_model_max"),
    pytest.param("execute", {"parameters": {"steps": 60}}, 422, "validation_error", id="steps_above_model_max"),
    pytest.param("execute", {"output_config": "no_such_model"}, 404, "output_config_not_found",
                 id="unknown_output_config"),
    pytest.param("execute", {"output_config": "sd15"}, 409, "output_config_unavailable", id="model_not_on_disk"),
    pytest.param("execute", {"schema": "image_transformation", "context_prompt": "pencil sketch"}, 422,
                 "validation_error", id="image_mode_without_image"),
    pytest.param("execute", {"schema": "image_transformation", "context_prompt": "pencil sketch",
                             "input_image": UNKNOWN_ID}, 404, "upload_not_found", id="unknown_input_image"),
    pytest.param("generation", {"run_id": UNKNOWN_ID}, 404, "run_not_found", id="unknown_run"),
    pytest.param("generation", {"parameters": {"strength": 0.5}}, 422, "validation_error", id="strength_without_image"),
    pytest.param("generation", {"prompt": ""}, 422, "validation_error", id="empty_prompt"),
])
def test_invalid_async_requests_fail_synchronously_and_queue_nothing(live, path, body, status, code):
    defaults = ({"schema": "bauhaus", "input_text": "a cat"} if path == "execute" else {"prompt": "a fox"})
    res = live.post(f"/api/schema/pipeline/{path}", {**defaults, "language": "en", **body, "async": True})
    assert res.status_code == status, res.text
    assert res.json()["error"]["code"] == code
    assert live.get("/api/queue").json()["jobs"] == []
    settings = live.app.extensions["devserver"].settings
    assert not (settings.exports_dir / "queue.sqlite3").exists(), "nothing was queued"
    assert list(settings.runs_dir.iterdir()) == [], "no run folder was created"


@pytest.mark.parametrize("method, suffix", [
    pytest.param("get", "", id="status"),
    pytest.param("get", "/events", id="events"),
    pytest.param("post", "/cancel", id="cancel"),
])
@pytest.mark.parametrize("run_id, status, code", [
    pytest.param("not-a-uuid", 400, "invalid_id", id="malformed"),
    pytest.param("..", 400, "invalid_id", id="dot_dot"),
    pytest.param(UNKNOWN_ID, 404, "run_not_found", id="unknown"),
])
def test_run_endpoints_validate_the_id(client, method, suffix, run_id, status, code):
    res = getattr(client, method)(f"/api/runs/{run_id}{suffix}")
    assert res.status_code == status and res.get_json()["error"]["code"] == code


def test_a_synchronous_run_is_a_job_too(live):
    """Issue 12: every run is a job (before, a synchronous run had none and this answered 404)."""
    res = live.post("/api/schema/pipeline/generation", {"prompt": "a fox", "parameters": SMALL})
    assert res.status_code == 200
    status = live.get(f"/api/runs/{res.json()['run_id']}").json()
    assert status["status"] == "success" and status["media_output"] == res.json()["media_output"]
    assert live.events(res.json()["run_id"])[-1].type == "complete"


def test_queue_lists_running_then_queued_runs_with_positions(live):
    holder = live.hold()
    first, second = live.submit(seed=1), live.submit(seed=2)
    queue = QueueResponse.model_validate(live.get("/api/queue").json())
    assert [(j.run_id, j.status, j.position) for j in queue.jobs] == [
        (holder, "running", 0), (first, "queued", 1), (second, "queued", 2)]
    assert (queue.running, queue.queued, queue.concurrency) == (1, 2, 1)
    assert live.get(f"/api/runs/{holder}").json()["position"] == 0
    assert live.get(f"/api/runs/{second}").json()["position"] == 2
    live.cancel(first)
    assert live.get(f"/api/runs/{second}").json()["position"] == 1, "the queue moves up"
    assert live.cancel(second).status_code == 200 and live.cancel(holder).status_code == 202
    live.events(holder)
    assert live.get("/api/queue").json() == {"status": "success", "concurrency": 1, "running": 0, "queued": 0,
                                             "jobs": []}


def test_async_generation_into_an_existing_run(live):
    run_id = live.post("/api/schema/pipeline/stage2", {"schema": "bauhaus", "input_text": "a cat",
                                                       "language": "en"}).json()["run_id"]
    holder = live.hold()
    assert live.submit(run_id=run_id) == run_id, "the job keeps the run's id"
    again = live.post("/api/schema/pipeline/generation", {"prompt": "a fox", "run_id": run_id, "async": True})
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    live.cancel(holder)
    assert live.events(run_id)[-1].data["media_output"]["index"] == 0
    assert live.submit(run_id=run_id, seed=9) == run_id, "a finished job of the run is replaced"
    events = live.events(run_id)
    assert events[0].type == "queued" and events[-1].data["media_output"] == {
        **events[-1].data["media_output"], "index": 1, "seed": 9}
    meta = live.metadata(run_id)
    assert [m["index"] for m in meta["media"]] == [0, 1]
