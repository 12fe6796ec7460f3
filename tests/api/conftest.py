"""Fixtures for the job queue tests: apps whose queue is stopped after the test, served by a real HTTP server.

SSE and WebSocket need a real server: :class:`LiveServer` serves an app with Werkzeug's threaded server
(one thread per connection) on a free 127.0.0.1 port. SSE streams are parsed with sseclient-py.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import sseclient
from werkzeug.serving import WSGIRequestHandler, make_server

WAIT_S = 60.0
"""Upper bound for anything a test waits for (a whole run takes well under a second)."""
SMALL = {"width": 64, "height": 64, "steps": 3, "scheduler": "DDIM"}
"""A quick generation whose step count is exact (DDIM: one callback per step)."""
HOLD = {"width": 256, "height": 256, "steps": 50, "scheduler": "DDIM"}
"""A generation long enough (~2.5 s: tiny_sd's max_steps at 256 px) to be caught running; tests cancel it."""


@dataclass(frozen=True)
class Event:
    """One parsed SSE event."""

    id: int
    type: str
    data: dict[str, Any]


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any) -> None:  # keep the test output readable
        pass


class LiveServer:
    """An app served on 127.0.0.1 with small helpers for the queue API."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.queue = app.extensions["devserver"].queue
        self._server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
        self.url = f"http://127.0.0.1:{self._server.port}"
        self.ws_url = f"ws://127.0.0.1:{self._server.port}/api/v1/ws/progress"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.queue.stop()
        self._server.shutdown()
        self._thread.join(WAIT_S)

    def post(self, path: str, body: dict[str, Any]) -> requests.Response:
        return requests.post(self.url + path, json=body, timeout=WAIT_S)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return requests.get(self.url + path, timeout=WAIT_S, **kwargs)

    def submit(self, prompt: str = "a red fox", *, parameters: dict[str, Any] = SMALL, **body: Any) -> str:
        """Queue a /generation run; returns its run_id."""
        res = self.post("/api/schema/pipeline/generation",
                        {"prompt": prompt, "language": "en", "parameters": parameters, "async": True, **body})
        assert res.status_code == 202, res.text
        return res.json()["run_id"]

    def submit_execute(self, **body: Any) -> str:
        """Queue an /execute run (bauhaus, English); returns its run_id."""
        body = {"schema": "bauhaus", "input_text": "a cat on a roof", "language": "en", "parameters": SMALL,
                "async": True, **body}
        res = self.post("/api/schema/pipeline/execute", body)
        assert res.status_code == 202, res.text
        return res.json()["run_id"]

    def open_stream(self, run_id: str, *, headers: dict[str, str] | None = None,
                    params: dict[str, Any] | None = None) -> Generator[Event, None, None]:
        """The run's SSE events as they arrive; the generator ends when the server ends the stream, and
        closing it (``.close()``, or dropping it) closes the connection."""
        res = requests.get(f"{self.url}/api/runs/{run_id}/events", headers=headers, params=params, stream=True,
                           timeout=WAIT_S)
        assert res.status_code == 200, res.text

        def parse() -> Generator[Event, None, None]:
            try:
                for event in sseclient.SSEClient(res.iter_content(chunk_size=None)).events():
                    yield Event(int(event.id), event.event, json.loads(event.data))
            finally:
                res.close()

        return parse()

    def events(self, run_id: str, **kwargs: Any) -> list[Event]:
        """All events of the run's stream, read until the server ends it (after the terminal event)."""
        return list(self.open_stream(run_id, **kwargs))

    def wait_for(self, run_id: str, event_type: str) -> Event:
        """Read the run's stream until the first event of `event_type` (then leave the stream)."""
        stream = self.open_stream(run_id)
        try:
            for event in stream:
                if event.type == event_type:
                    return event
        finally:
            stream.close()
        raise AssertionError(f"run {run_id}: the stream ended without a {event_type!r} event")

    def hold(self) -> str:
        """Queue a long run and return once it is running (its first diffusion step is done)."""
        run_id = self.submit("hold the queue", parameters=HOLD)
        self.wait_for(run_id, "progress")
        return run_id

    def cancel(self, run_id: str) -> requests.Response:
        return requests.post(f"{self.url}/api/runs/{run_id}/cancel", timeout=WAIT_S)

    def metadata(self, run_id: str) -> dict[str, Any]:
        """The run folder's metadata.json."""
        folder = self.app.extensions["devserver"].settings.runs_dir / run_id
        return json.loads((folder / "metadata.json").read_text(encoding="utf-8"))


@pytest.fixture
def serve(make_app):
    """Factory: ``serve(**settings_overrides)`` -> a started :class:`LiveServer`; stopped (queue too) after the test."""
    servers: list[LiveServer] = []

    def start(**overrides: Any) -> LiveServer:
        server = LiveServer(make_app(**overrides))
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def live(serve) -> LiveServer:
    """A :class:`LiveServer` with default settings (queue concurrency 1)."""
    return serve()
