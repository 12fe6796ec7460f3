"""/api/runs: status, cancel and the Server-Sent Events stream of queued (async) runs; the gallery's list and
detail of runs, read from their folders.

The stream follows the SSE format of the HTML standard
(https://html.spec.whatwg.org/multipage/server-sent-events.html): each event has an ``id`` (monotonic
integer), an ``event`` type and one line of JSON ``data``; comment lines are heartbeats. A client resumes
with the ``Last-Event-ID`` header (browsers' EventSource sends it when reconnecting) or, where headers
cannot be set, the ``last_event_id`` query parameter.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from flask import Blueprint, Response, request

from devserver.api._io import parse_query, respond
from devserver.classroom import runs
from devserver.contracts.classroom import RunDetailResponse, RunListQuery, RunListResponse
from devserver.api.openapi import documented
from devserver.contracts.http_params import RunEventsHeaders, RunEventsQuery
from devserver.contracts.api import ErrorResponse
from devserver.contracts.jobs import RunStatusResponse
from devserver.errors import BadRequestError
from devserver.jobs.events import RunStream
from devserver.services import get_services

bp = Blueprint("runs", __name__, url_prefix="/api/runs")

RECONNECT_MS = 3000
"""Reconnection delay suggested to EventSource clients (the SSE ``retry`` field), in milliseconds."""
SSE_EVENT_SCHEMA = {
    "type": "object",
    "description": "One Server-Sent Event: `event` is the type, `data` its JSON (models in devserver.contracts.jobs."
                   "EVENT_MODELS: queued, started, stage_start, stage_complete, progress, then exactly one of "
                   "complete, blocked, error, canceled); heartbeats are comments.",
    "properties": {
        "id": {"type": "string", "pattern": "^[0-9]+$", "description": "Event id, for Last-Event-ID."},
        "event": {"type": "string", "enum": ["queued", "started", "stage_start", "stage_complete", "progress",
                                             "complete", "blocked", "error", "canceled"],
                  "description": "Event type."},
        "data": {"type": "string", "contentMediaType": "application/json", "description": "The event's data."},
        "retry": {"type": "integer", "description": "Reconnection delay in milliseconds."},
    },
}
"""The OpenAPI schema of one event of the stream (what an EventSource hands a listener)."""
MAX_EVENT_ID_DIGITS = 18
"""Longest Last-Event-ID accepted (event ids are SQLite integers, at most 2**63 - 1)."""
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
"""No caching; ``X-Accel-Buffering: no`` tells nginx-style proxies not to buffer the stream."""


@bp.get("")
@documented(query=RunListQuery, responses={200: RunListResponse})
def list_runs():  # type: ignore[no-untyped-def]
    """Summaries of the runs whose ids the browser sends (its gallery), newest first, paged; read from the run
    folders. Only named runs are listed: no learner sees another's runs."""
    query = parse_query(RunListQuery)
    services = get_services()

    def waiting(run_id: str) -> bool:
        job = services.queue.store.job(run_id)
        return job is not None and job.status in ("queued", "running")

    return respond(runs.list_runs(services.recorder, query.ids, page=query.page, per_page=query.per_page,
                                  waiting=waiting))


@bp.get("/<run_id>/detail")
@documented(responses={200: RunDetailResponse})
def run_detail(run_id: str):  # type: ignore[no-untyped-def]
    """One run as it was (inputs, every stage's text and report), read from its folder."""
    return respond(RunDetailResponse(status="success", run=runs.detail(get_services().recorder.open(run_id))))


@bp.get("/<run_id>")
@documented(responses={200: RunStatusResponse})
def run_status(run_id: str):  # type: ignore[no-untyped-def]
    """Status, queue position, stages so far and the result of a queued run."""
    return respond(get_services().queue.status(run_id))


@bp.post("/<run_id>/cancel")
@documented(responses={200: RunStatusResponse, 202: RunStatusResponse, 403: ErrorResponse, 409: ErrorResponse})
def cancel_run(run_id: str):  # type: ignore[no-untyped-def]
    """Cancel: 200 when the run is canceled now (it was queued), 202 when it stops at its next step."""
    status = get_services().queue.cancel(run_id)
    return respond(status, 202 if status.status == "running" else 200)


@bp.get("/<run_id>/events")
@documented(query=RunEventsQuery, headers=RunEventsHeaders, responses={200: None},
            media={200: {"text/event-stream": SSE_EVENT_SCHEMA}})
def run_events(run_id: str):  # type: ignore[no-untyped-def]
    """The run's events as text/event-stream: history after Last-Event-ID, then live, until the terminal event."""
    services = get_services()
    stream = services.queue.stream(run_id, after_id=_last_event_id(), heartbeat_s=services.settings.sse_heartbeat_s)
    response = Response(_sse(stream), content_type="text/event-stream", headers=SSE_HEADERS)
    response.call_on_close(stream.close)  # also when the client leaves before the first chunk
    return response


def _last_event_id() -> int:
    """The id to resume after: ``Last-Event-ID`` header, else ``?last_event_id=``, else 0 (an empty value counts as
    not sent, as the HTML standard's empty last event ID).

    Raises:
        BadRequestError (400): not a non-negative integer of at most 18 digits (SQLite's integers are 64-bit).
    """
    header, query = request.headers.get("Last-Event-ID") or None, request.args.get("last_event_id") or None
    for field, value in (("Last-Event-ID", header), ("last_event_id", query)):  # both checked, even when both sent
        if value is not None and not (value.isascii() and value.isdigit() and len(value) <= MAX_EVENT_ID_DIGITS):
            raise BadRequestError(f"{field} must be a non-negative integer event id, got {value[:40]!r}",
                                  details={"field": field})
    return int(header or query or "0")


def _sse(stream: RunStream) -> Iterator[str]:
    """Format a run stream as SSE text: ``retry`` first, then events and ``: heartbeat`` comments."""
    try:
        yield f"retry: {RECONNECT_MS}\n\n"
        for event in stream:
            if event is None:
                yield ": heartbeat\n\n"
            else:
                yield f"id: {event.id}\nevent: {event.type}\ndata: {json.dumps(event.data, ensure_ascii=False)}\n\n"
    finally:
        stream.close()
