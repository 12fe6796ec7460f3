"""Server-Sent Events of queued runs: exact sequences, terminal events, replay with Last-Event-ID, heartbeats."""

from __future__ import annotations

import time

import pytest
import requests

from devserver.contracts.jobs import EVENT_MODELS
from tests.api.conftest import WAIT_S, Event

GENERATION_SEQUENCE = ["queued", "started", "stage_start:3", "stage_complete:3", "stage_start:4",
                       "progress:1/3", "progress:2/3", "progress:3/3", "stage_complete:4", "complete"]
EXECUTE_SEQUENCE = ["queued", "started", "stage_start:1", "stage_complete:1", "stage_start:2", "stage_complete:2",
                    "stage_start:3", "stage_complete:3", "stage_start:4", "progress:1/3", "progress:2/3",
                    "progress:3/3", "stage_complete:4", "complete"]


def label(event: Event) -> str:
    """A compact name for comparing sequences: ``stage_start:3``, ``progress:1/3``, ``complete``."""
    if event.type.startswith("stage_"):
        return f"{event.type}:{event.data['stage']}"
    if event.type == "progress":
        return f"progress:{event.data['step']}/{event.data['total_steps']}"
    return event.type


def assert_well_formed(events: list[Event]) -> None:
    """Ids increase, every data object matches its contract model, exactly one terminal event, at the end."""
    ids = [e.id for e in events]
    assert ids == sorted(set(ids)), ids
    for event in events:
        EVENT_MODELS[event.type].model_validate(event.data)
    terminal = [e.type for e in events if e.type in ("complete", "blocked", "error", "canceled")]
    assert terminal == [events[-1].type], terminal


@pytest.mark.parametrize("submit, expected", [
    pytest.param("submit", GENERATION_SEQUENCE, id="generation"),
    pytest.param("submit_execute", EXECUTE_SEQUENCE, id="execute"),
])
def test_event_sequence_of_a_successful_run(live, submit, expected):
    before = time.time()
    run_id = getattr(live, submit)(seed=77)
    events = live.events(run_id)
    assert [label(e) for e in events] == expected
    assert_well_formed(events)
    progress = [e.data for e in events if e.type == "progress"]
    assert [p["percent"] for p in progress] == [33.33, 66.67, 100.0]
    assert all(before <= p["ts"] <= time.time() for p in progress)
    assert [p["ts"] for p in progress] == sorted(p["ts"] for p in progress)
    stage4 = next(e for e in events if label(e) == "stage_complete:4").data["report"]
    assert stage4["seed"] == 77 and stage4["scheduler"] == "DDIM" and stage4["steps"] == 3
    media = events[-1].data["media_output"]
    assert media["run_id"] == run_id and media["seed"] == 77 and (media["width"], media["height"]) == (64, 64)
    # the status endpoint tells the same story
    status = live.get(f"/api/runs/{run_id}").json()
    assert status["status"] == "success" and status["position"] is None
    assert status["media_output"] == media
    assert status["progress"] == {"step": 3, "total_steps": 3, "percent": 100.0}
    assert status["stages"]["stage4"] == stage4
    assert live.get(media["url"]).headers["Content-Type"] == "image/png"


def test_blocked_run_ends_with_a_blocked_event(live):
    run_id = live.submit_execute(input_text="a bloody gore scene")
    events = live.events(run_id)
    assert [label(e) for e in events] == ["queued", "started", "stage_start:1", "blocked"]
    assert_well_formed(events)
    blocked = events[-1].data
    assert blocked["status"] == "blocked" and blocked["stage"] == 1 and blocked["run_id"] == run_id
    assert "gore" in blocked["found_terms"] and blocked["stages"]["stage1"]["status"] == "blocked"
    status = live.get(f"/api/runs/{run_id}").json()
    assert status["status"] == "blocked" and status["media_output"] is None
    assert status["blocked"] == {"stage": 1, "reason": blocked["reason"], "found_terms": blocked["found_terms"]}
    assert status["stages"]["stage1"]["found_terms"] == blocked["found_terms"]
    assert live.get(f"/api/media/image/{run_id}").status_code == 404


def test_failed_run_ends_with_an_error_event(serve, unreachable_llm_url):
    live = serve(llm_backend="ollama", llm_url=unreachable_llm_url)
    run_id = live.submit_execute()
    events = live.events(run_id)
    assert [label(e) for e in events] == ["queued", "started", "stage_start:1", "stage_complete:1", "stage_start:2",
                                          "error"]
    assert_well_formed(events)
    error = events[-1].data["error"]
    assert error["code"] == "llm_unavailable" and error["message"]
    status = live.get(f"/api/runs/{run_id}").json()
    assert status["status"] == "error" and status["error"] == error
    meta = live.metadata(run_id)
    assert meta["status"] == "error" and meta["error"]["code"] == "llm_unavailable"


@pytest.mark.parametrize("how", [
    pytest.param("header", id="last_event_id_header"),
    pytest.param("query", id="last_event_id_query"),
])
def test_replay_of_a_finished_run_after_last_event_id(live, how):
    run_id = live.submit()
    history = live.events(run_id)
    assert live.events(run_id) == history, "a finished run's stream replays its history, then closes"
    for k in (0, 4, len(history) - 2, len(history) - 1):
        after = str(history[k].id)
        kwargs = {"headers": {"Last-Event-ID": after}} if how == "header" else {"params": {"last_event_id": after}}
        assert live.events(run_id, **kwargs) == history[k + 1:], f"after event {k}"


def test_reconnect_during_a_run_gets_only_what_came_after(live):
    run_id = live.hold()
    first = live.open_stream(run_id)
    seen = []
    for event in first:
        seen.append(event)
        if event.type == "progress":
            break
    resumed = live.open_stream(run_id, headers={"Last-Event-ID": str(seen[-1].id)})
    assert live.cancel(run_id).status_code == 202
    rest = list(first)
    assert list(resumed) == rest
    assert rest[-1].type == "canceled" and rest[-1].data == {"while_status": "running"}
    assert_well_formed(seen + rest)
    percents = [e.data["percent"] for e in seen + rest if e.type == "progress"]
    assert percents == sorted(percents) and 0 < percents[0] < 100


def test_heartbeats_and_headers_while_waiting(serve):
    live = serve(sse_heartbeat_s=0.05)
    holder = live.hold()
    waiting = live.submit()
    with requests.get(f"{live.url}/api/runs/{waiting}/events", stream=True, timeout=WAIT_S) as res:
        assert res.headers["Content-Type"] == "text/event-stream"
        assert res.headers["Cache-Control"] == "no-cache" and res.headers["X-Accel-Buffering"] == "no"
        lines = res.iter_lines(decode_unicode=True)
        head = [next(lines) for _ in range(7)]
        assert head[2].startswith("id: ")
        assert head[:2] + head[3:6] == ["retry: 3000", "", "event: queued", 'data: {"position": 1}', ""]
        assert head[6] == ": heartbeat", "a comment line keeps the connection open while the run waits"
    assert live.cancel(waiting).json()["status"] == "canceled"
    assert live.cancel(holder).status_code == 202


@pytest.mark.parametrize("value", [
    pytest.param("abc", id="text"),
    pytest.param("-1", id="negative"),
    pytest.param("1.5", id="fraction"),
    pytest.param("9" * 19, id="beyond_64_bit"),  # was an OverflowError in SQLite (a 500) for a known run
])
def test_malformed_last_event_id_is_a_400(live, value):
    run_id = live.submit()
    res = live.get(f"/api/runs/{run_id}/events", headers={"Last-Event-ID": value})
    assert res.status_code == 400 and res.json()["error"]["code"] == "bad_request"
    live.events(run_id)  # let it finish before the queue stops


def test_an_empty_last_event_id_means_from_the_start(live):
    """The HTML standard's empty last event ID is never sent by browsers; a client that sends it empty gets the whole
    stream (the OpenAPI document says so: pattern ^[0-9]*$), and the query parameter then applies."""
    run_id = live.submit()
    history = live.events(run_id)
    assert live.events(run_id, headers={"Last-Event-ID": ""}) == history
    assert live.events(run_id, headers={"Last-Event-ID": ""}, params={"last_event_id": str(history[0].id)}) == \
        history[1:]


def test_a_client_that_leaves_is_unsubscribed(serve):
    live = serve(sse_heartbeat_s=0.05)
    bus = live.queue.bus
    holder = live.hold()
    waiting = live.submit()
    stream = live.open_stream(waiting)
    assert next(stream).type == "queued"
    assert bus.wait_for_subscriber_count(1, WAIT_S), "only this stream is open (hold() left its own)"
    stream.close()  # closes the HTTP response: the next heartbeat write fails on the server
    assert bus.wait_for_subscriber_count(0, WAIT_S), f"{bus.subscriber_count()} subscriptions leaked"
    live.cancel(waiting)
    live.cancel(holder)
