"""Job events as seed 003's WebSocket messages: ``{"type", "timestamp", "data": {...}}`` (issue 7).

Seed 003 (``shared/seeds/003_32fa21547bbee712.txt``) puts every message's payload under ``data``; its example
client reads ``const { job_id, progress, status } = message.data``. The route (``devserver.api.ws``) only sends
what :func:`ws_message` and :func:`control_message` return; the models are in :mod:`devserver.contracts.jobs`.
"""

from __future__ import annotations

from pydantic import BaseModel

from devserver.contracts.jobs import (
    WsBlockedData,
    WsCompleteData,
    WsError,
    WsErrorData,
    WsErrorMessageData,
    WsGenerationBlocked,
    WsGenerationCanceled,
    WsGenerationComplete,
    WsGenerationError,
    WsGenerationStarted,
    WsJobData,
    WsProgressData,
    WsProgressUpdate,
    WsSubscribed,
    WsSubscribedData,
)
from devserver.jobs.store import JobEvent, complete_media
from devserver.storage.recorder import utc_now


def ws_message(event: JobEvent) -> BaseModel | None:
    """The WebSocket message for a job event, or None for events the protocol does not forward
    (``queued``, ``stage_start``, ``stage_complete``)."""
    job, ts, data = event.run_id, event.created_at, event.data
    match event.type:
        case "started":
            return WsGenerationStarted(type="generation_started", timestamp=ts,
                                       data=WsJobData(job_id=job, status="running"))
        case "progress":
            return WsProgressUpdate(type="progress_update", timestamp=ts, data=WsProgressData(
                job_id=job, progress=round(data["percent"] / 100, 4), status="running", step=data["step"],
                total_steps=data["total_steps"]))
        case "complete":
            if "media_output" not in data:  # a model job (benchmark/optimize/load): no image to announce
                return None
            return WsGenerationComplete(type="generation_complete", timestamp=ts, data=WsCompleteData(
                job_id=job, status="success", progress=1.0, media_output=data["media_output"],
                media_outputs=complete_media(data)))
        case "error":
            return WsGenerationError(type="generation_error", timestamp=ts,
                                     data=WsErrorData(job_id=job, status="error", error=data["error"]))
        case "canceled":
            return WsGenerationCanceled(type="generation_canceled", timestamp=ts,
                                        data=WsJobData(job_id=job, status="canceled"))
        case "blocked":
            return WsGenerationBlocked(type="generation_blocked", timestamp=ts, data=WsBlockedData(
                job_id=job, status="blocked", stage=data["stage"], reason=data["reason"],
                found_terms=data.get("found_terms", [])))
    return None


def subscribed_message(kind: str, job_ids: list[str] | None) -> WsSubscribed:
    """``subscribed`` / ``unsubscribed`` acknowledgement (`kind`), naming the run_ids (None: all runs)."""
    return WsSubscribed(type=kind, timestamp=utc_now(), data=WsSubscribedData(job_ids=job_ids))  # type: ignore[arg-type]


def error_message(text: str, code: str = "bad_message") -> WsError:
    """``error``: the client's last message was not understood or not allowed (`code`, see WsErrorMessageData)."""
    return WsError(type="error", timestamp=utc_now(), data=WsErrorMessageData(message=text, code=code))
