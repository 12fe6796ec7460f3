"""/api/v1/ws/progress: job progress over a WebSocket (flask-sock, https://flask-sock.readthedocs.io/).

Protocol (seed 003; JSON text messages, models in :mod:`devserver.contracts.jobs`, built by
:mod:`devserver.jobs.ws_messages`). Every server message is ``{"type", "timestamp", "data": {...}}``::

    client: {"type": "subscribe", "job_ids": ["<run_id>", ...] | null, "token"?: "<admin token>"}
    server: {"type": "subscribed", "timestamp": ..., "data": {"job_ids": ...}}
    server: generation_started, progress_update {job_id, progress 0..1, status, step, total_steps},
            generation_complete {job_id, status, progress, media_output}, generation_error {job_id, error},
            generation_canceled, generation_blocked {job_id, stage, reason, found_terms}   (all under "data")
    client: {"type": "unsubscribe", "job_ids": [...] | null}  ->  {"type": "unsubscribed", ...}
    server: {"type": "error", "data": {"message": ..., "code": ...}} for a message it does not understand or does
            not allow (the socket stays open)

Privacy: knowing a run's id is what lets a learner see the run (DESIGN.md, "Runs as jobs"), so every run's events
(``job_ids: null``, which carry every run id) are for admins only, by the rule of :mod:`devserver.api.auth`: the
handshake's ``Authorization: Bearer <DEVSERVER_ADMIN_TOKEN>`` header (scripts), the subscribe message's ``token``
field (browsers cannot set headers on a WebSocket), or, while no token is configured, a client on the server
machine itself (loopback), so seed 003's own example client keeps working for the teacher at the server. Anyone
else gets an ``error`` (code ``admin_token_required``) and no events; subscribing to named run ids stays open.

Subscribing to named runs first sends what already happened to them (so a client that subscribes just
after submitting misses nothing), then live events. One thread per socket sends everything: client
messages are read by a helper thread and queued with the events, in arrival order. Keep-alive is the
WebSocket ping (``SOCK_SERVER_OPTIONS["ping_interval"]``, see :func:`server_options`).

Browsers do not apply CORS to WebSockets, so the handshake checks the ``Origin`` header itself
(https://datatracker.ietf.org/doc/html/rfc6455#section-10.2): same origin or one of ``Settings.cors_origins``;
clients that send no Origin (scripts, the example client) are let through.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any
from flask import Blueprint
from flask_sock import Sock
from pydantic import BaseModel, ValidationError
from simple_websocket import ConnectionClosed

from devserver.contracts.jobs import WsClientMessage, WsSubscribe
from devserver.api.auth import is_admin_request, is_admin_token
from devserver.api.security import check_origin
from devserver.errors import validation_message
from devserver.jobs.events import END_OF_STREAM, Subscription
from devserver.jobs.store import JobEvent, JobStore
from devserver.jobs.ws_messages import error_message, subscribed_message, ws_message
from devserver.services import get_services
from devserver.settings import Settings

bp = Blueprint("ws", __name__, url_prefix="/api/v1/ws")
sock = Sock()

MAX_MESSAGE_BYTES = 64 * 1024
"""Largest client message accepted; bigger ones close the socket (simple-websocket's max_message_size)."""


def server_options(settings: Settings) -> dict[str, Any]:
    """flask-sock's ``SOCK_SERVER_OPTIONS``: pings every ``sse_heartbeat_s`` seconds, a message size limit."""
    return {"ping_interval": settings.sse_heartbeat_s, "max_message_size": MAX_MESSAGE_BYTES}


@dataclass(frozen=True)
class _ClientText:
    """A message read from the socket (queued next to the events)."""

    data: str | bytes


_CLOSED = object()
"""Queued by the reader thread when the client closed the socket."""


@bp.before_request
def check_handshake_origin() -> None:
    """Refuse handshakes from other web pages (cross-site WebSocket hijacking), like state-changing requests.

    Raises:
        OriginNotAllowedError (403, code "origin_not_allowed"): the Origin is neither this server nor a
            configured CORS origin.
    """
    check_origin(get_services().settings.cors_origins)


@sock.route("/progress", bp=bp)
def progress(ws):  # type: ignore[no-untyped-def]
    """Serve one socket until the client closes it or the server stops."""
    bus = get_services().queue.bus
    admin = is_admin_request()  # the handshake: Authorization header, or loopback while no token is configured
    with bus.subscribe(()) as subscription:
        threading.Thread(target=_read_client, args=(ws, subscription), name="devserver-ws-reader",
                         daemon=True).start()
        _ProgressSocket(ws, subscription, bus.store, admin=admin).serve()


def _read_client(ws: Any, subscription: Subscription) -> None:
    """Reader thread: queue each client message, then :data:`_CLOSED` when the socket closes."""
    try:
        while True:
            subscription.queue.put(_ClientText(ws.receive()))
    except ConnectionClosed:
        subscription.queue.put(_CLOSED)


class _ProgressSocket:
    """The sending side of one socket: client messages and job events, in the order they were queued."""

    def __init__(self, ws: Any, subscription: Subscription, store: JobStore, *, admin: bool) -> None:
        self._ws = ws
        self._subscription = subscription
        self._store = store
        self._admin = admin  # may follow every run (job_ids null); a right token in a subscribe message sets it
        self._seen: dict[str, int] = {}  # run_id -> last event id sent (history and live overlap)

    def serve(self) -> None:
        """Send until the client leaves (raises ConnectionClosed, handled by flask-sock) or the bus ends."""
        while True:
            item = self._subscription.queue.get()
            if item is _CLOSED or item is END_OF_STREAM:
                return
            if isinstance(item, _ClientText):
                self._on_client(item.data)
            elif isinstance(item, JobEvent):
                self._forward(item)

    def _send(self, message: BaseModel) -> None:
        self._ws.send(message.model_dump_json())

    def _error(self, text: str, code: str = "bad_message") -> None:
        self._send(error_message(text, code))

    def _forward(self, event: JobEvent) -> None:
        if event.id <= self._seen.get(event.run_id, 0):
            return
        self._seen[event.run_id] = event.id
        message = ws_message(event)
        if message is not None:
            self._send(message)

    def _on_client(self, data: str | bytes) -> None:
        if not isinstance(data, str):
            self._error("send JSON text messages, not binary ones")
            return
        try:
            message = WsClientMessage.validate_json(data)
        except ValidationError as exc:
            self._error(f"not a subscribe/unsubscribe message: {validation_message(exc)}")
            return
        job_ids = None if message.job_ids is None else list(dict.fromkeys(message.job_ids))
        if isinstance(message, WsSubscribe):
            if message.token is not None:
                if not is_admin_token(message.token):
                    self._error("The admin token is wrong; the subscription did not change.", "admin_token_wrong")
                    return
                self._admin = True
            if job_ids is None and not self._admin:
                self._error("Following every run (job_ids null) needs the admin token: send it as \"token\" in "
                            "the subscribe message or as 'Authorization: Bearer <token>' when connecting. "
                            "Subscribe to your own runs by their job_ids.", "admin_token_required")
                return
            known = job_ids
            if job_ids is not None:
                known = [run_id for run_id in job_ids if self._store.job(run_id) is not None]
                unknown = [run_id for run_id in job_ids if run_id not in known]
                if unknown:
                    self._error(f"no queued run with job_id {', '.join(unknown)}; not subscribed to it",
                                "unknown_job")
            self._subscription.follow(known)
            self._send(subscribed_message("subscribed", known))
            for run_id in known or ():
                for event in self._store.events(run_id, after_id=self._seen.get(run_id, 0)):
                    self._forward(event)
        else:
            self._subscription.unfollow(job_ids)
            self._send(subscribed_message("unsubscribed", job_ids))
