"""A real, programmable LLM server on 127.0.0.1 speaking the Ollama and OpenAI wire formats.

pytest plugin (loaded by tests/conftest.py through ``pytest_plugins``) with two fixtures:

- ``fake_llm``: a :class:`FakeLlmServer` started for the test and shut down after it.
- ``unreachable_llm_url``: ``http://127.0.0.1:<port>`` with nothing listening.

Vision requests (stage 4b's image check) are understood too: Ollama's ``images`` (base64) on a message and
OpenAI's ``image_url`` content parts with ``data:`` URLs; :attr:`ReceivedRequest.images` decodes them, so a
responder can look at the picture (``"UNSAFE: red" if request.images else ...``).

Endpoints: Ollama ``POST /api/chat`` and ``GET /api/tags``
(https://github.com/ollama/ollama/blob/main/docs/api.md); OpenAI ``POST /v1/chat/completions`` and
``GET /v1/models`` (https://platform.openai.com/docs/api-reference/chat/create). Non-streaming only.

Example::

    fake_llm.reply_with(lambda req: "UNSAFE" if "safety" in (req.system or "") else "a red fox")
    backend = OllamaBackend(fake_llm.url, "llama3.2", timeout_s=5)
    ...
    assert fake_llm.requests[-1].body["stream"] is False
"""

from __future__ import annotations

import base64
import json
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

DEFAULT_REPLY = "fake llm reply"
DEFAULT_MODELS = ("fake-model",)
SHUTDOWN_JOIN_TIMEOUT_S = 5.0
POLL_INTERVAL_S = 0.02
"""How often serve_forever checks for shutdown; bounds each fixture teardown (the default is 0.5 s)."""


@dataclass(frozen=True)
class ReceivedRequest:
    """One request the fake server received.

    Attributes:
        method: ``"GET"`` or ``"POST"``.
        path: request path, e.g. ``"/api/chat"``.
        headers: request headers, names lower-cased (``headers["authorization"]``).
        body: the parsed JSON body; None for GET or a body that is not JSON.
    """

    method: str
    path: str
    headers: dict[str, str]
    body: Any

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The chat messages of the body (empty when there are none)."""
        messages = self.body.get("messages") if isinstance(self.body, dict) else None
        return messages if isinstance(messages, list) else []

    @property
    def system(self) -> str | None:
        """Content of the first system message, or None."""
        return next((m.get("content") for m in self.messages if m.get("role") == "system"), None)

    @property
    def user(self) -> str | None:
        """Text of the last user message (the text part of an OpenAI vision message), or None."""
        content = next((m.get("content") for m in reversed(self.messages) if m.get("role") == "user"), None)
        if isinstance(content, list):
            return " ".join(part.get("text", "") for part in content if isinstance(part, dict)
                            and part.get("type") == "text")
        return content

    @property
    def images(self) -> list[bytes]:
        """The images sent with the messages, decoded: Ollama's ``images`` (base64) and OpenAI's ``image_url``
        parts (``data:<mime>;base64,<data>``). Empty for text requests."""
        found: list[bytes] = []
        for message in self.messages:
            for encoded in message.get("images") or []:
                found.append(base64.b64decode(encoded))
            content = message.get("content")
            for part in content if isinstance(content, list) else []:
                url = (part.get("image_url") or {}).get("url", "") if isinstance(part, dict) else ""
                if url.startswith("data:") and ";base64," in url:
                    found.append(base64.b64decode(url.split(";base64,", 1)[1]))
        return found


Responder = Callable[[ReceivedRequest], str]


class _Server(ThreadingHTTPServer):
    """ThreadingHTTPServer that stays quiet when a client hangs up first (a timed-out backend)."""

    daemon_threads = True

    def __init__(self, fake: FakeLlmServer) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self.server.fake._handle(self, None)

    def do_POST(self) -> None:  # noqa: N802
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        self.server.fake._handle(self, body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (signature of the base class)
        """Silence the per-request access log on stderr."""

    def send_json(self, status: int, payload: Any) -> None:
        """Send `payload` as JSON, or as UTF-8 text when it is a str (to send malformed bodies)."""
        is_text = isinstance(payload, str)
        data = (payload if is_text else json.dumps(payload)).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8" if is_text else "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class FakeLlmServer:
    """A real HTTP server in a daemon thread, bound to 127.0.0.1 on a free port.

    Program it per test: :meth:`reply` / :meth:`reply_with` set the answer text, :meth:`fail`
    replaces every answer with a fixed status and body, :meth:`delay` makes it slow. Every
    request is recorded in :attr:`requests`. Thread-safe; :meth:`close` releases delayed handlers.

    Attributes:
        url: base URL, ``http://127.0.0.1:<port>`` (no trailing slash).
        models: model names listed by ``GET /api/tags`` and ``GET /v1/models``.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: list[ReceivedRequest] = []
        self._release = threading.Event()
        self._responder: Responder = lambda _request: DEFAULT_REPLY
        self._failure: tuple[int, Any] | None = None
        self._delay_s = 0.0
        self.models: tuple[str, ...] = DEFAULT_MODELS
        self._server = _Server(self)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(POLL_INTERVAL_S,), name="fake-llm",
                                        daemon=True)
        self._thread.start()

    # -- programming -------------------------------------------------------------------------

    def reply(self, text: str) -> None:
        """Answer every chat request with `text` (in the wire format of the endpoint called); clears a :meth:`fail`."""
        self.reply_with(lambda _request: text)

    def reply_with(self, responder: Responder) -> None:
        """Answer chat requests with ``responder(request)``: a :class:`ReceivedRequest` with the
        parsed ``body``, ``path``, ``headers`` and the ``system`` / ``user`` texts. If it raises,
        the server answers HTTP 500 ``{"error": "<the exception>"}``. Clears a :meth:`fail`."""
        with self._lock:
            self._responder = responder
            self._failure = None

    def fail(self, status: int, body: Any) -> None:
        """Answer every request (GET included) with `status` and `body` instead of a normal answer.

        `body`: dict/list -> sent as JSON; str -> sent as is (so ``fail(200, "not json")`` sends a
        malformed success). Use ``{"error": "..."}`` for Ollama, ``{"error": {"message": ...}}`` for OpenAI.
        """
        with self._lock:
            self._failure = (status, body)

    def delay(self, seconds: float) -> None:
        """Wait `seconds` before answering each request (woken early by :meth:`reset` / :meth:`close`)."""
        with self._lock:
            self._delay_s = seconds

    def reset(self) -> None:
        """Back to the defaults: default reply, no failure, no delay, no recorded requests."""
        with self._lock:
            self._release.set()
            self._release = threading.Event()
            self._requests.clear()
            self._responder = lambda _request: DEFAULT_REPLY
            self._failure = None
            self._delay_s = 0.0

    @property
    def requests(self) -> list[ReceivedRequest]:
        """The requests received so far, oldest first (a copy)."""
        with self._lock:
            return list(self._requests)

    def close(self) -> None:
        """Release delayed handlers, stop serving and free the port."""
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(SHUTDOWN_JOIN_TIMEOUT_S)

    # -- serving (handler threads) -----------------------------------------------------------

    def _handle(self, handler: _Handler, body: Any) -> None:
        path = handler.path.split("?", 1)[0]
        received = ReceivedRequest(method=handler.command, path=path,
                                   headers={k.lower(): v for k, v in handler.headers.items()}, body=body)
        with self._lock:
            self._requests.append(received)
            responder, failure, delay_s, release = self._responder, self._failure, self._delay_s, self._release
        if delay_s > 0:
            release.wait(delay_s)
        if failure is not None:
            handler.send_json(*failure)
            return
        route = (handler.command, path)
        if route in {("POST", "/api/chat"), ("POST", "/v1/chat/completions")}:
            if not isinstance(body, dict):
                handler.send_json(400, {"error": "request body must be a JSON object"})
                return
            try:
                text = responder(received)
            except Exception as exc:  # reported to the client so the failing test shows it
                handler.send_json(500, {"error": f"fake_llm responder raised {exc!r}"})
                return
            envelope = _ollama_chat if path == "/api/chat" else _openai_chat
            handler.send_json(200, envelope(str(body.get("model", "")), text))
        elif route == ("GET", "/api/tags"):
            handler.send_json(200, {"models": [{"name": m, "model": m, "size": 0} for m in self.models]})
        elif route == ("GET", "/v1/models"):
            handler.send_json(200, {"object": "list", "data": [
                {"id": m, "object": "model", "created": 0, "owned_by": "fake_llm"} for m in self.models]})
        else:
            handler.send_json(404, {"error": f"fake_llm has no route {handler.command} {path}"})


def _ollama_chat(model: str, text: str) -> dict[str, Any]:
    """A non-streaming Ollama /api/chat answer."""
    return {"model": model, "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "message": {"role": "assistant", "content": text}, "done": True, "done_reason": "stop",
            "total_duration": 1_000_000, "eval_count": len(text.split())}


def _openai_chat(model: str, text: str) -> dict[str, Any]:
    """A non-streaming OpenAI chat.completion answer."""
    return {"id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 0, "completion_tokens": len(text.split()), "total_tokens": len(text.split())}}


@pytest.fixture
def fake_llm() -> Iterator[FakeLlmServer]:
    """A running :class:`FakeLlmServer` for this test; closed (delays released) at teardown."""
    server = FakeLlmServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def unreachable_llm_url() -> str:
    """``http://127.0.0.1:<port>`` where nothing listens (a port the OS just handed out, then freed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
