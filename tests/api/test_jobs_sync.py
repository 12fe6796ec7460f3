"""Synchronous calls are jobs too (issue 12): they wait their turn in the same queue, positions count them,
their answers and status codes are those of the work itself, and a caller that leaves does not stop its job."""

from __future__ import annotations

import json
import socket
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.api.conftest import SMALL, WAIT_S


def next_queued(subscription) -> tuple[str, int]:
    """(run_id, position) of the next ``queued`` event seen by a bus subscription."""
    while True:
        event = subscription.queue.get(timeout=WAIT_S)
        if getattr(event, "type", None) == "queued":
            return event.run_id, event.data["position"]


def test_a_sync_call_waits_behind_queued_async_runs_and_positions_are_right(live):
    holder = live.hold()
    first, second = live.submit(seed=1), live.submit(seed=2)
    with live.queue.bus.subscribe(None) as everything, ThreadPoolExecutor(1) as pool:
        answer = pool.submit(live.post, "/api/schema/pipeline/generation",
                             {"prompt": "a synchronous fox", "language": "en", "parameters": SMALL, "seed": 3})
        sync_run, position = next_queued(everything)
        assert position == 3, "the synchronous call queues behind the two async runs"
        queue = live.get("/api/queue").json()
        assert [(j["run_id"], j["status"], j["position"]) for j in queue["jobs"]] == [
            (holder, "running", 0), (first, "queued", 1), (second, "queued", 2), (sync_run, "queued", 3)]
        assert live.get(f"/api/runs/{sync_run}").json()["position"] == 3
        assert not answer.done(), "the synchronous call waits for its turn"
        live.cancel(first)
        assert live.get(f"/api/runs/{sync_run}").json()["position"] == 2, "it moves up like any other run"
        live.cancel(holder)
        res = answer.result(WAIT_S)
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["run_id"] == sync_run and body["media_output"]["seed"] == 3 and body["duration_ms"] >= 0
    started = {run_id: live.events(run_id)[1].id for run_id in (second, sync_run)}
    assert started[second] < started[sync_run], "first in, first out"


@pytest.mark.parametrize("path, body, status, code", [
    pytest.param("execute", {"input_text": "a bloody gore scene"}, 403, None, id="blocked_403"),
    pytest.param("execute", {"schema": "no_such_config"}, 404, "config_not_found", id="checked_before_queueing"),
    pytest.param("generation", {"parameters": {"width": 500}}, 422, "validation_error", id="bad_size"),
])
def test_sync_answers_keep_their_status_codes(live, path, body, status, code):
    defaults = {"schema": "bauhaus", "input_text": "a cat"} if path == "execute" else {"prompt": "a fox"}
    res = live.post(f"/api/schema/pipeline/{path}", {**defaults, "language": "en", "parameters": SMALL, **body})
    assert res.status_code == status, res.text
    if code is not None:
        assert res.json()["error"]["code"] == code
        assert live.get("/api/queue").json()["jobs"] == [], "nothing was queued"
    else:
        run_id = res.json()["run_id"]
        assert live.get(f"/api/runs/{run_id}").json()["status"] == "blocked"
        assert live.metadata(run_id)["status"] == "blocked"


def test_sync_error_of_the_work_is_the_answer(serve, unreachable_llm_url):
    live = serve(llm_backend="ollama", llm_url=unreachable_llm_url)
    res = live.post("/api/schema/pipeline/execute", {"schema": "bauhaus", "input_text": "a cat", "language": "en",
                                                     "parameters": SMALL})
    assert res.status_code == 503 and res.json()["error"]["code"] == "llm_unavailable"
    run_id = next(p.name for p in live.app.extensions["devserver"].settings.runs_dir.iterdir())
    assert live.get(f"/api/runs/{run_id}").json()["error"]["code"] == "llm_unavailable"
    assert live.metadata(run_id)["status"] == "error"


def test_a_sync_call_canceled_while_queued_answers_409(live):
    holder = live.hold()
    with live.queue.bus.subscribe(None) as everything, ThreadPoolExecutor(1) as pool:
        answer = pool.submit(live.post, "/api/schema/pipeline/generation",
                             {"prompt": "a fox", "language": "en", "parameters": SMALL})
        sync_run, _ = next_queued(everything)
        assert live.cancel(sync_run).status_code == 200
        res = answer.result(WAIT_S)
    assert res.status_code == 409 and res.json()["error"]["code"] == "canceled"
    live.cancel(holder)


def test_a_sync_caller_that_leaves_does_not_stop_its_job(live):
    """The job runs to its end and is recorded; the result is at GET /api/runs/<run_id> and in the run folder."""
    holder = live.hold()
    body = json.dumps({"prompt": "a patient fox", "language": "en", "parameters": SMALL, "seed": 8}).encode()
    host, port = live.url.removeprefix("http://").split(":")
    with live.queue.bus.subscribe(None) as everything:
        with socket.create_connection((host, int(port)), timeout=WAIT_S) as raw:
            raw.sendall(b"POST /api/schema/pipeline/generation HTTP/1.1\r\nHost: x\r\n"
                        b"Content-Type: application/json\r\nContent-Length: " + str(len(body)).encode()
                        + b"\r\n\r\n" + body)
            left_behind, _ = next_queued(everything)
        # the caller is gone; the run still waits its turn, then runs
        live.cancel(holder)
        events = live.events(left_behind)
    assert events[-1].type == "complete" and events[-1].data["media_output"]["seed"] == 8
    assert live.metadata(left_behind)["status"] == "success"
