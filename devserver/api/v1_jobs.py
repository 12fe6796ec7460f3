"""/v1/jobs: the seed-002 job API (``../shared/seeds/002_8f61c1164354a351.txt``), beside the studio's /api.

``POST /v1/jobs`` queues an operation (SDGenerate, SDImg2Img, SDInpaint) on the same queue, safety stages and run
folders as every studio run and answers 202 ``{"job_id", "stream_url", ...}``; ``GET /v1/jobs/<job_id>/stream``
is Server-Sent Events: ``data: Step k/N`` lines, then one terminal event (``complete`` with the base64 PNG,
``blocked``, ``error``, ``canceled``). The models are in :mod:`devserver.contracts.job_api`, the job kind and the
stream in :mod:`devserver.jobs.job_api`.

Like /api, it answers errors in the JSON error shape, refuses state-changing requests from foreign web pages
(``Origin``, devserver.api.security), allows the configured CORS origins, and is in the OpenAPI document.
"""

from __future__ import annotations

from collections.abc import Iterator

from flask import Blueprint, Response, request

from devserver.api._io import parse_json, respond
from devserver.api.openapi import documented
from devserver.api.runs import RECONNECT_MS, SSE_HEADERS, _last_event_id
from devserver.contracts.http_params import RunEventsHeaders, RunEventsQuery
from devserver.contracts.job_api import JobApiAccepted, JobApiRequest
from devserver.jobs import job_api
from devserver.services import get_services

bp = Blueprint("v1_jobs", __name__, url_prefix="/v1/jobs")

STREAM_SCHEMA = {
    "type": "object",
    "description": "One Server-Sent Event of a job: while it runs `data` is `Step k/N` (no event name; k counts "
                   "1..N, N the denoising steps the pipeline really runs), then one terminal event named complete "
                   "(data: JobApiComplete, the base64 PNG), blocked (JobApiBlocked), error or canceled "
                   "(JobApiFailed); heartbeats are comments.",
    "properties": {
        "id": {"type": "string", "pattern": "^[0-9]+$", "description": "Event id, for Last-Event-ID."},
        "event": {"type": "string", "enum": ["message", "complete", "blocked", "error", "canceled"],
                  "description": "Named only on the terminal event; the Step lines have no event field, which "
                                 "EventSource calls 'message'."},
        "data": {"type": "string", "description": "`Step k/N`, or the terminal event's JSON."},
        "retry": {"type": "integer", "description": "Reconnection delay in milliseconds."},
    },
}


@bp.post("")
@documented(json=JobApiRequest, responses={202: JobApiAccepted}, tags=["v1_jobs"])
def submit_job():  # type: ignore[no-untyped-def]
    """Queue an operation (SDGenerate, SDImg2Img, SDInpaint); its images come inline as base64."""
    services = get_services()
    # two images in base64 (4/3 of their bytes) fit, beside the app-wide limit for one multipart upload
    request.max_content_length = 2 * 4 * ((services.settings.upload_max_bytes + 2) // 3) + 64 * 1024
    queued = services.queue.submit(job_api.KIND, parse_json(JobApiRequest), client=request.remote_addr)
    return respond(JobApiAccepted(status="queued", job_id=queued.run_id, stream_url=job_api.stream_url(queued.run_id),
                                  position=queued.position), 202)


@bp.get("/<job_id>/stream")
@documented(query=RunEventsQuery, headers=RunEventsHeaders, responses={200: None},
            media={200: {"text/event-stream": STREAM_SCHEMA}}, tags=["v1_jobs"])
def job_stream(job_id: str):  # type: ignore[no-untyped-def]
    """The job's progress (`data: Step k/N`) and result as text/event-stream, until its terminal event."""
    services = get_services()
    stream = job_api.open_stream(services.queue, job_id, after_id=_last_event_id(),
                                 heartbeat_s=services.settings.sse_heartbeat_s)
    events = job_api.stream_events(stream, services.recorder, job_id)
    response = Response(_sse(events, stream.close), content_type="text/event-stream", headers=SSE_HEADERS)
    response.call_on_close(stream.close)
    return response


def _sse(events: Iterator[job_api.SseEvent | None], close) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """SSE text: ``retry`` first, then the events and ``: heartbeat`` comments."""
    try:
        yield f"retry: {RECONNECT_MS}\n\n"
        for event in events:
            yield ": heartbeat\n\n" if event is None else event.text()
    finally:
        close()
