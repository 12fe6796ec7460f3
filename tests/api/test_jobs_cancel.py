"""Canceling queued and running runs: only the named run stops, nothing is written for it, finished runs are 409."""

from __future__ import annotations

import threading

import pytest

from tests.api.conftest import WAIT_S


def types(events) -> list[str]:
    return [e.type for e in events]


def test_cancel_a_queued_run_at_once(live):
    holder = live.hold()
    waiting = live.submit()
    res = live.cancel(waiting)
    assert res.status_code == 200
    body = res.json()
    assert body["status"] == "canceled" and body["position"] is None and body["cancel_requested"] is False
    events = live.events(waiting)
    assert types(events) == ["queued", "canceled"] and events[-1].data == {"while_status": "queued"}
    assert [job["run_id"] for job in live.get("/api/queue").json()["jobs"]] == [holder]
    assert live.get(f"/api/media/info/{waiting}").status_code == 404, "a canceled queued run leaves no folder"
    assert live.cancel(holder).status_code == 202


@pytest.mark.parametrize("concurrency", [
    pytest.param(1, id="one_worker"),
    pytest.param(2, id="two_workers"),
])
def test_cancel_a_running_run_stops_only_that_run(serve, concurrency):
    live = serve(queue_concurrency=concurrency)
    target = live.hold()
    other = live.submit(seed=31)
    res = live.cancel(target)
    assert res.status_code == 202
    assert res.json()["status"] == "running" and res.json()["cancel_requested"] is True
    events = live.events(target)
    assert events[-1].type == "canceled" and events[-1].data == {"while_status": "running"}
    steps = [e.data["step"] for e in events if e.type == "progress"]
    assert steps and steps[-1] < 50, "stopped at a diffusion step, before the end"
    assert "stage_complete" not in [e.type for e in events if e.data.get("stage") == 4]
    meta = live.metadata(target)
    assert meta["status"] == "canceled" and meta["media"] == []
    assert not [e for e in meta["entities"] if e["type"] == "output_image"], "no image is written"
    status = live.get(f"/api/runs/{target}").json()
    assert status["status"] == "canceled" and status["media_output"] is None and status["cancel_requested"] is True
    # the other run is not affected
    other_events = live.events(other)
    assert other_events[-1].type == "complete" and other_events[-1].data["media_output"]["seed"] == 31


def test_cancel_between_stages(serve, fake_llm):
    """A cancel that arrives during stage 2 (a slow LLM) stops the run before stage 3 starts."""
    in_stage2, release = threading.Event(), threading.Event()

    def slow_interception(_request):
        in_stage2.set()
        release.wait(WAIT_S)
        return "a cat on a roof, Bauhaus poster"

    fake_llm.reply_with(slow_interception)
    live = serve(llm_backend="ollama", llm_url=fake_llm.url)
    run_id = live.submit_execute()
    assert in_stage2.wait(WAIT_S), "the run never reached stage 2"
    assert live.cancel(run_id).status_code == 202
    release.set()
    events = live.events(run_id)
    assert [(e.type, e.data.get("stage")) for e in events] == [
        ("queued", None), ("started", None), ("stage_start", 1), ("stage_complete", 1), ("stage_start", 2),
        ("stage_complete", 2), ("canceled", None)]
    assert len(fake_llm.requests) == 1, "stage 3 never asked the LLM"
    meta = live.metadata(run_id)
    assert meta["status"] == "canceled" and meta["error"]["code"] == "canceled"


@pytest.mark.parametrize("ending", [
    pytest.param("success", id="succeeded"),
    pytest.param("canceled", id="canceled"),
])
def test_cancel_a_finished_run_is_a_409(live, ending):
    if ending == "success":
        run_id = live.submit()
        live.events(run_id)
    else:
        holder = live.hold()
        run_id = live.submit()
        live.cancel(run_id)
        live.cancel(holder)
    res = live.cancel(run_id)
    assert res.status_code == 409
    error = res.json()["error"]
    assert error["code"] == "conflict" and ending in error["message"]
    assert live.get(f"/api/runs/{run_id}").json()["status"] == ending
