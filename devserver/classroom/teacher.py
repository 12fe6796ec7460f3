"""The teacher view's server side: the queue with what each run is about, cancel any run, today's runs.

Every function here is behind the admin token (:func:`devserver.api.auth.require_admin`): learners see only
their own runs, the teacher sees the whole classroom's.
"""

from __future__ import annotations

from datetime import datetime

from devserver.contracts.classroom import RunListResponse, TeacherQueueEntry, TeacherQueueResponse
from devserver.contracts.jobs import RunStatusResponse
from devserver.classroom.runs import runs_of_day
from devserver.jobs.queue import JobQueue
from devserver.storage.recorder import RunRecorder

TEXT_SHOWN_CHARS = 300
"""Longest excerpt of an idea or prompt shown in the queue overview."""


def queue_overview(queue: JobQueue) -> TeacherQueueResponse:
    """The running and waiting runs with their idea (or prompt), perspective and model, from their requests."""
    snapshot = queue.snapshot()
    entries = []
    for entry in snapshot.jobs:
        job = queue.store.job(entry.run_id) if entry.run_id else None
        request = job.request if job is not None else {}
        if entry.kind == "sd_job":  # the seed-002 job API: the same facts inside its operation
            operation = request.get("operation") or {}
            request = {"prompt": operation.get("prompt"), "output_config": operation.get("model"),
                       "input_image": "inline" if operation.get("image") else None}
        text = request.get("input_text") if entry.kind == "execute" else request.get("prompt")
        entries.append(TeacherQueueEntry(
            **entry.model_dump(), config=request.get("schema") if entry.kind == "execute" else None,
            text=(text or "")[:TEXT_SHOWN_CHARS], image_mode=request.get("input_image") is not None,
            output_config=request.get("output_config")))
    return TeacherQueueResponse(status="success", concurrency=snapshot.concurrency, running=snapshot.running,
                                queued=snapshot.queued, jobs=entries)


def cancel_any(queue: JobQueue, run_id: str) -> RunStatusResponse:
    """Cancel a learner's run (queued: at once; running: at its next diffusion step or stage).

    Raises:
        InvalidIdError (400), RunNotFoundError (404), ConflictError (409): it has already ended.
    """
    return queue.cancel(run_id)


def todays_runs(recorder: RunRecorder, *, page: int, per_page: int, now: datetime | None = None) -> RunListResponse:
    """The runs created today (the server's local date), newest first, paged."""
    today = (now or datetime.now().astimezone()).date()
    return runs_of_day(recorder, today, page=page, per_page=per_page)
