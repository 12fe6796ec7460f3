"""The progress WebSocket: per-run subscriptions without cross-talk, the message protocol, cleanup of closed sockets."""

from __future__ import annotations

import json
import socket
from datetime import datetime
from typing import Any

import pytest
import simple_websocket

from tests.api.conftest import WAIT_S

UNKNOWN_ID = "0b6c2a8e-1d4f-4c3a-9e5b-7f8a9b0c1d2e"


class WsClient:
    """A test client for /api/v1/ws/progress."""

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        self.ws = simple_websocket.Client.connect(url, headers=headers)

    def send(self, message: Any) -> None:
        self.ws.send(message if isinstance(message, (str, bytes)) else json.dumps(message))

    def receive(self) -> dict[str, Any]:
        raw = self.ws.receive(timeout=WAIT_S)
        assert raw is not None, f"no message within {WAIT_S} s"
        message = json.loads(raw)
        assert set(message) == {"type", "timestamp", "data"}, f"not seed 003's envelope: {message}"
        datetime.fromisoformat(message["timestamp"])  # every message has an ISO 8601 time
        assert message["timestamp"].endswith("Z")
        return message

    def subscribe(self, job_ids: list[str] | None) -> dict[str, Any]:
        """Subscribe and return the acknowledgement."""
        self.send({"type": "subscribe", "job_ids": job_ids})
        reply = self.receive()
        assert reply["type"] == "subscribed", reply
        return reply

    def until(self, message_type: str, job_id: str) -> list[dict[str, Any]]:
        """Messages up to and including the first `message_type` of `job_id`."""
        messages = []
        while not messages or (messages[-1]["type"], messages[-1]["data"].get("job_id")) != (message_type, job_id):
            messages.append(self.receive())
        return messages

    def assert_nothing_queued(self) -> None:
        """Send an invalid message: its error reply must be the next message (nothing else was queued before it)."""
        self.send("ping?")
        reply = self.receive()
        assert reply["type"] == "error", f"unexpected message before the error reply: {reply}"

    def close(self) -> None:
        self.ws.close()


@pytest.fixture
def ws_clients(live):
    """Factory: ``ws_clients(server, headers=None)`` -> a :class:`WsClient` connected to a LiveServer (with these
    handshake headers); closed after the test."""
    clients: list[WsClient] = []

    def connect(server, headers: dict[str, str] | None = None) -> WsClient:
        client = WsClient(server.ws_url, headers)
        clients.append(client)
        return client

    yield connect
    for client in clients:
        try:
            client.close()
        except simple_websocket.ConnectionClosed:
            pass


def test_a_subscriber_of_run_a_receives_nothing_of_run_b(live, ws_clients):
    holder = live.hold()
    run_a, run_b = live.submit(seed=11), live.submit(seed=12)
    only_a, everything = ws_clients(live), ws_clients(live)
    assert only_a.subscribe([run_a])["data"]["job_ids"] == [run_a]
    assert everything.subscribe(None)["data"]["job_ids"] is None
    live.cancel(holder)
    assert live.events(run_b)[-1].type == "complete"  # B ran after A: all of A's and B's events are out
    received = only_a.until("generation_complete", run_a)
    only_a.assert_nothing_queued()
    assert {m["data"]["job_id"] for m in received} == {run_a}
    assert [(m["type"], m["data"].get("step")) for m in received] == [
        ("generation_started", None), ("progress_update", 1), ("progress_update", 2), ("progress_update", 3),
        ("generation_complete", None)]
    assert [m["data"]["progress"] for m in received if m["type"] == "progress_update"] == [0.3333, 0.6667, 1.0]
    assert all(m["data"]["status"] == "running" and m["data"]["total_steps"] == 3 for m in received[1:4])
    media = received[-1]["data"]["media_output"]
    assert media["seed"] == 11 and media["run_id"] == run_a
    # the control subscriber got both runs
    control = everything.until("generation_complete", run_b)
    assert {m["data"]["job_id"] for m in control} == {holder, run_a, run_b}
    assert ("generation_canceled", holder) in [(m["type"], m["data"]["job_id"]) for m in control]


def test_subscribing_to_a_finished_run_replays_what_happened(live, ws_clients):
    run_id = live.submit(seed=4)
    live.events(run_id)
    client = ws_clients(live)
    client.subscribe([run_id])
    messages = client.until("generation_complete", run_id)
    assert [m["type"] for m in messages] == [
        "generation_started", "progress_update", "progress_update", "progress_update", "generation_complete"]
    done = messages[-1]["data"]
    assert done["media_outputs"] == [done["media_output"]] and done["media_output"]["seed"] == 4
    client.assert_nothing_queued()


def test_blocked_run(live, ws_clients):
    client = ws_clients(live)
    client.subscribe(None)
    run_id = live.submit_execute(input_text="a bloody gore scene")
    messages = client.until("generation_blocked", run_id)
    assert [m["type"] for m in messages] == ["generation_started", "generation_blocked"]
    assert messages[-1]["data"]["stage"] == 1 and "gore" in messages[-1]["data"]["reason"]


def test_failed_run(serve, ws_clients, unreachable_llm_url):
    server = serve(llm_backend="ollama", llm_url=unreachable_llm_url)
    client = ws_clients(server)
    client.subscribe(None)
    run_id = server.submit_execute()
    messages = client.until("generation_error", run_id)
    assert [m["type"] for m in messages] == ["generation_started", "generation_error"]
    assert messages[-1]["data"]["error"]["code"] == "llm_unavailable"


@pytest.mark.parametrize("unsubscribe", [
    pytest.param(None, id="from_all"),
    pytest.param("run", id="from_one_run"),
])
def test_unsubscribe_stops_the_messages(live, ws_clients, unsubscribe):
    client = ws_clients(live)
    client.subscribe(None)
    holder = live.hold()
    run_id = live.submit()
    job_ids = None if unsubscribe is None else [run_id]
    client.send({"type": "unsubscribe", "job_ids": job_ids})
    live.cancel(holder)
    live.events(run_id)
    messages = []
    while (message := client.receive())["type"] != "unsubscribed":
        messages.append(message)
    assert message["data"]["job_ids"] == job_ids
    assert all(m["data"]["job_id"] == holder for m in messages)
    if unsubscribe is not None:  # still subscribed to the other runs
        assert client.until("generation_canceled", holder)[-1]["data"]["job_id"] == holder
    client.assert_nothing_queued()


@pytest.mark.parametrize("message, fragment", [
    pytest.param("not json", "subscribe/unsubscribe", id="not_json"),
    pytest.param({"type": "hello"}, "subscribe/unsubscribe", id="unknown_type"),
    pytest.param({"type": "subscribe"}, "job_ids", id="missing_job_ids"),
    pytest.param({"type": "subscribe", "job_ids": ["../x"]}, "job_ids", id="malformed_job_id"),
    pytest.param(b"\x00\x01", "binary", id="binary"),
])
def test_invalid_messages_get_an_error_and_the_socket_stays_open(live, ws_clients, message, fragment):
    client = ws_clients(live)
    client.send(message)
    reply = client.receive()
    assert reply["type"] == "error" and fragment in reply["data"]["message"], reply
    client.subscribe(None)


def test_unknown_job_ids_are_reported_and_not_subscribed(live, ws_clients):
    run_id = live.submit()
    client = ws_clients(live)
    client.send({"type": "subscribe", "job_ids": [UNKNOWN_ID, run_id]})
    error = client.receive()
    text = error["data"]["message"]
    assert error["type"] == "error" and UNKNOWN_ID in text and run_id not in text
    assert client.receive()["data"]["job_ids"] == [run_id]
    assert client.until("generation_complete", run_id)[-1]["data"]["media_output"]["run_id"] == run_id


def test_closed_sockets_leave_no_subscribers(live, ws_clients):
    bus = live.queue.bus
    clients = [ws_clients(live) for _ in range(6)]
    for client in clients:
        client.subscribe(None)
    assert bus.wait_for_subscriber_count(6, WAIT_S), bus.subscriber_count()
    for client in clients[:3]:
        client.close()  # clean close handshake
    for client in clients[3:]:
        client.ws.sock.shutdown(socket.SHUT_RDWR)  # the network goes away
    assert bus.wait_for_subscriber_count(0, WAIT_S), f"{bus.subscriber_count()} subscriptions leaked"


@pytest.mark.parametrize("known", [
    pytest.param(True, id="known_run"),
    pytest.param(False, id="unknown_run"),
])
def test_example_client_follows_a_run_to_its_end(live, capsys, known):
    from examples.ws_progress_client import main

    run_id = live.submit(seed=21) if known else UNKNOWN_ID
    assert main([live.url, run_id]) == (0 if known else 1)
    out = capsys.readouterr().out
    if known:
        assert f"{run_id} step 3/3 (100%)" in out
        assert f"{run_id} done: /api/media/image/{run_id}/0 (seed 21, 64x64)" in out
    else:
        assert f"server says: no queued run with job_id {UNKNOWN_ID}" in out and "subscribed: none" in out


@pytest.mark.parametrize("origin, allowed", [
    pytest.param(None, True, id="no_origin"),
    pytest.param("same", True, id="same_origin"),
    pytest.param("http://localhost:5173", True, id="vite_dev_server"),
    pytest.param("http://evil.example", False, id="other_site"),
])
def test_handshake_checks_the_origin(live, origin, allowed):
    # same origin = the Origin's host[:port] equals the Host header, which simple-websocket sends without the port
    same = "http://127.0.0.1"
    headers = {} if origin is None else {"Origin": same if origin == "same" else origin}
    if allowed:
        ws = simple_websocket.Client.connect(live.ws_url, headers=headers)
        ws.send(json.dumps({"type": "subscribe", "job_ids": None}))
        assert json.loads(ws.receive(timeout=WAIT_S))["type"] == "subscribed"
        ws.close()
    else:
        with pytest.raises(simple_websocket.ConnectionError):
            simple_websocket.Client.connect(live.ws_url, headers=headers)
        assert live.queue.bus.subscriber_count() == 0


# --------------------------------------------------------------------------- every run's events are for admins only
# Knowing a run's id is what lets a learner see the run; "job_ids: null" delivers every run's events, and with them
# every run id, so it follows DESIGN.md's admin rule (devserver/api/auth.py). Seed 003's own client subscribes with
# null: it keeps working on the server machine while no token is configured (tests/api/test_ws_seed_clients.py).

TOKEN = "t0ken-for-the-teacher"


def _from_the_network(server) -> None:
    """Make the server see every client as a computer of the school network (10.0.0.23), not as itself."""
    app = server.app
    inner = app.wsgi_app

    def wsgi(environ, start_response):  # type: ignore[no-untyped-def]
        environ["REMOTE_ADDR"] = "10.0.0.23"
        return inner(environ, start_response)

    app.wsgi_app = wsgi


def _refused(client: WsClient, message: dict, code: str) -> dict:
    client.send(message)
    reply = client.receive()
    assert reply["type"] == "error" and reply["data"]["code"] == code, reply
    return reply


@pytest.mark.parametrize("setup", [
    pytest.param("token_configured", id="token_configured"),
    pytest.param("no_token_other_machine", id="no_token_other_machine"),
])
def test_a_learner_cannot_follow_every_run(serve, ws_clients, setup):
    server = serve(admin_token=TOKEN) if setup == "token_configured" else serve()
    if setup == "no_token_other_machine":
        _from_the_network(server)
    learner = ws_clients(server)
    reply = _refused(learner, {"type": "subscribe", "job_ids": None}, "admin_token_required")
    assert "job_ids" in reply["data"]["message"] and "token" in reply["data"]["message"]
    someone_elses = server.submit(seed=5)
    server.events(someone_elses)  # the other learner's run has ended: every event of it is out
    learner.assert_nothing_queued()  # no message at all reached the learner, so no run id either
    mine = server.submit(seed=6)
    assert learner.subscribe([mine])["data"]["job_ids"] == [mine], "named runs stay open to everyone"
    received = learner.until("generation_complete", mine)
    assert {m["data"]["job_id"] for m in received} == {mine}
    learner.assert_nothing_queued()


def test_a_wrong_token_changes_nothing(serve, ws_clients):
    server = serve(admin_token=TOKEN)
    client = ws_clients(server)
    _refused(client, {"type": "subscribe", "job_ids": None, "token": "guess"}, "admin_token_wrong")
    _refused(client, {"type": "subscribe", "job_ids": None}, "admin_token_required")
    wrong_header = ws_clients(server, {"Authorization": "Bearer guess"})
    _refused(wrong_header, {"type": "subscribe", "job_ids": None}, "admin_token_required")


@pytest.mark.parametrize("how", [
    pytest.param("header", id="authorization_header"),
    pytest.param("message", id="token_in_the_subscribe_message"),
])
def test_the_teacher_follows_every_run_with_the_token(serve, ws_clients, how):
    server = serve(admin_token=TOKEN)
    _from_the_network(server)  # the token works from any computer
    if how == "header":
        teacher = ws_clients(server, {"Authorization": f"Bearer {TOKEN}"})
        assert teacher.subscribe(None)["data"]["job_ids"] is None
    else:
        teacher = ws_clients(server)
        teacher.send({"type": "subscribe", "job_ids": None, "token": TOKEN})
        assert teacher.receive()["data"]["job_ids"] is None
    first, second = server.submit(seed=1), server.submit(seed=2)
    received = teacher.until("generation_complete", second)
    assert {m["data"]["job_id"] for m in received} == {first, second}
    if how == "message":  # admin for the rest of the connection: a later null subscription needs no token again
        teacher.send({"type": "unsubscribe", "job_ids": None})
        assert teacher.receive()["type"] == "unsubscribed"
        assert teacher.subscribe(None)["data"]["job_ids"] is None


def test_on_the_server_machine_without_a_token_every_run_is_open(live, ws_clients):
    """What seed 003's example client does: the teacher at the server machine, no admin token configured."""
    client = ws_clients(live)
    assert client.subscribe(None)["data"]["job_ids"] is None
    run_id = live.submit()
    assert client.until("generation_complete", run_id)[-1]["data"]["job_id"] == run_id
