"""The job queue: async runs, FIFO worker threads, progress events, cancel, and recovery after a restart.

Life of a job (statuses in SQLite, events through the :class:`~devserver.jobs.events.EventBus`)::

    submit: validate like the sync path -> queued (event "queued")
    worker: queued -> running ("started", then "stage_start"/"stage_complete"/"progress" from the orchestrator)
    end:    running -> success ("complete") | blocked ("blocked") | error ("error") | canceled ("canceled")
    cancel: queued -> canceled at once; running -> canceled at the next diffusion step or stage start
    stop:   running -> error "interrupted by restart" at its next step (graceful shutdown); queued jobs stay
    start-up: running -> error "interrupted by restart" (the process died); queued jobs run again

Each terminal transition is conditional (only from queued/running) and stored together with its event, so
every run ends exactly once. Workers wait on a condition variable (no polling) and are started when the first
job is queued or when queued jobs survive a restart; :meth:`JobQueue.stop` ends them (also at exit).
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from datetime import datetime

from pydantic import BaseModel

from devserver.contracts.api import (
    BlockedResponse,
    ErrorBody,
    ExecuteRequest,
    GenerationRequestBody,
    MediaOutput,
    Stages,
)
from devserver.contracts.jobs import (
    BlockedInfo,
    CanceledEvent,
    CompleteEvent,
    ErrorEvent,
    ProgressEvent,
    ProgressInfo,
    QueuedEvent,
    QueuedResponse,
    QueueEntry,
    QueueResponse,
    RunStatusResponse,
    StageCompleteEvent,
    StageStartEvent,
    StartedEvent,
)
from devserver.errors import (
    ApiError,
    ConflictError,
    GenerationCanceledError,
    RunNotFoundError,
)
from devserver.jobs.events import EventBus, RunStream
from devserver.jobs.limits import QueueCap, check_queue_cap
from devserver.jobs.retention import EventCompactor
from devserver.jobs.store import Job
from devserver.pipeline.orchestrator import Orchestrator, RunObserver
from devserver.storage.ids import new_id, validate_id
from devserver.storage.recorder import RunRecorder

log = logging.getLogger(__name__)

INTERRUPTED = ErrorBody(code="interrupted", message="interrupted by restart")
"""The error of a run that was running when the server process died."""
STOP_TIMEOUT_S = 10.0
"""How long :meth:`JobQueue.stop` waits for a running job to finish, in seconds."""


def events_url(run_id: str) -> str:
    """Relative URL of a run's SSE stream."""
    return f"/api/runs/{run_id}/events"


def status_url(run_id: str) -> str:
    """Relative URL of a run's status."""
    return f"/api/runs/{run_id}"


def _ms_between(start_iso: str, end_iso: str) -> int:
    """Milliseconds from one ISO 8601 UTC time to another (0 if negative)."""
    delta = datetime.fromisoformat(end_iso) - datetime.fromisoformat(start_iso)
    return max(0, round(delta.total_seconds() * 1000))


class JobObserver(RunObserver):
    """Turns one job's orchestrator callbacks into events and answers cancel checks.

    Args:
        bus: where events go.
        run_id: the job's run.
        cancel: set when a cancel was requested; checked at every stage start and diffusion step.
    """

    def __init__(self, bus: EventBus, run_id: str, cancel: threading.Event) -> None:
        self._bus = bus
        self._run_id = run_id
        self._cancel = cancel
        self._percent = 0.0

    def stage_start(self, stage: int, name: str) -> None:
        """Publish ``stage_start``.

        Raises:
            GenerationCanceledError (409): a cancel was requested; the stage does not start.
        """
        if self._cancel.is_set():
            raise GenerationCanceledError(f"The run was canceled before stage {stage} ({name}).",
                                          details={"stage": stage})
        self._bus.publish(self._run_id, "stage_start", StageStartEvent(stage=stage, name=name))

    def stage_complete(self, stage: int, name: str, report: BaseModel | None) -> None:
        """Publish ``stage_complete`` with the stage's report."""
        self._bus.publish(self._run_id, "stage_complete", StageCompleteEvent(stage=stage, name=name, report=report))

    def progress(self, step: int, total_steps: int) -> None:
        """Publish ``progress``; percent never decreases within the run, ``ts`` is the callback's time.time()."""
        self._percent = max(self._percent, min(100.0, round(100 * step / total_steps, 2)))
        self._bus.publish(self._run_id, "progress", ProgressEvent(step=step, total_steps=total_steps,
                                                                  percent=self._percent, ts=time.time()))

    def cancel_requested(self) -> bool:
        """True once a cancel was requested (the backend then stops at this diffusion step)."""
        return self._cancel.is_set()


class JobQueue:
    """Durable FIFO queue of async runs with `concurrency` worker threads; one per app.

    Args:
        bus: event bus (with its SQLite store).
        orchestrator: runs the stages.
        recorder: run folders (to mark runs interrupted by a restart).
        concurrency: worker threads (Settings.queue_concurrency); generation itself is serialised by the
            backend, so more workers overlap only the text stages.
    """

    def __init__(self, *, bus: EventBus, orchestrator: Orchestrator, recorder: RunRecorder, concurrency: int,
                 cap: QueueCap | None = None, compactor: EventCompactor | None = None) -> None:
        self.cap = cap
        self.compactor = compactor
        self.bus = bus
        self.store = bus.store
        self.concurrency = concurrency
        self._orchestrator = orchestrator
        self._recorder = recorder
        self._lock = threading.Lock()
        self._wakeup = threading.Condition(self._lock)
        self._cancel_flags: dict[str, threading.Event] = {}
        self._workers: list[threading.Thread] = []
        self._stopping = False

    # ----------------------------------------------------------------------------- life cycle
    def start(self) -> None:
        """Recover after a restart, then start workers if queued jobs are waiting.

        Jobs left ``running`` by a dead process end ``error`` "interrupted by restart" (event and
        metadata.json of their run folder, which is kept); queued jobs keep their places.
        """
        for run_id in self.store.run_ids_with_status("running"):
            self._interrupt(run_id)
        if self.compactor is not None:
            self.compactor.maybe_compact()
        if self.store.run_ids_with_status("queued"):
            with self._lock:
                self._ensure_workers()

    def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> None:
        """Shut the queue down (server exit; also registered with atexit): no new job starts, a running job
        stops at its next diffusion step or stage and ends ``error`` "interrupted by restart", then open
        event streams end. Queued jobs stay queued for the next start. Idempotent.

        Waits at most `timeout_s` seconds for the workers; a job still running then is marked interrupted
        at the next start.
        """
        with self._lock:
            self._stopping = True
            for cancel in self._cancel_flags.values():
                cancel.set()
            self._wakeup.notify_all()
            workers = list(self._workers)
        deadline = time.monotonic() + timeout_s
        for worker in workers:
            worker.join(max(0.0, deadline - time.monotonic()))
        self.bus.end_all_streams()
        atexit.unregister(self.stop)

    def _interrupt(self, run_id: str) -> None:
        """End a running job with :data:`INTERRUPTED` (event, and metadata.json of its folder if there is one)."""
        if self.bus.publish(run_id, "error", ErrorEvent(error=INTERRUPTED), status="error",
                            from_statuses=("running",)) is None:
            return
        log.warning("run %s was interrupted (server stopped or restarted)", run_id)
        try:
            self._recorder.open(run_id).update(status="error", error=INTERRUPTED.model_dump(exclude={"details"}))
        except RunNotFoundError:
            pass  # it stopped before its folder was created

    def _ensure_workers(self) -> None:
        """Start the worker threads once (call with the lock held)."""
        if self._workers or self._stopping:
            return
        for index in range(self.concurrency):
            worker = threading.Thread(target=self._work, name=f"devserver-queue-worker-{index}", daemon=True)
            self._workers.append(worker)
            worker.start()
        atexit.register(self.stop)

    # ----------------------------------------------------------------------------- requests
    def submit(self, req: ExecuteRequest | GenerationRequestBody, *, client: str | None = None) -> QueuedResponse:
        """Validate `req` as the synchronous path would, then queue it.

        `client` is the submitter's address for the per-client cap (devserver.jobs.limits).

        Returns:
            202 body: run_id, events_url, status_url and the queue position.
        Raises:
            the sync path's validation errors, synchronously (nothing is queued): ConfigNotFoundError /
            OutputConfigNotFoundError / UploadNotFoundError / RunNotFoundError (404), InvalidIdError (400),
            RequestValidationError (422), OutputConfigUnavailableError (409); ConflictError (409) when
            `req.run_id` already has a queued or running job; QueueFullError (429, Retry-After) when the queue
            cap is reached.
        """
        # 1. validate
        self._orchestrator.validate(req)
        # 2. queue (a /generation into an existing run keeps that run's id)
        if isinstance(req, ExecuteRequest):
            kind, run_id = "execute", new_id()
        else:
            kind, run_id = "generation", req.run_id or new_id()
        with self._lock:
            if self.cap is not None:
                check_queue_cap(self.store, self.cap, client, self.concurrency)
            _, position = self.store.add_job(run_id, kind, req.model_dump(mode="json", by_alias=True), client)
            self.bus.publish(run_id, "queued", QueuedEvent(position=position))
            self._ensure_workers()
            self._wakeup.notify()
        return QueuedResponse(status="queued", run_id=run_id, events_url=events_url(run_id),
                              status_url=status_url(run_id), position=position)

    def status(self, run_id: str) -> RunStatusResponse:
        """The run's state, its stages so far, its latest progress and its result.

        Raises:
            InvalidIdError (400): `run_id` is not a UUID4.
            RunNotFoundError (404): no job with this run_id.
        """
        job = self._job(run_id)
        stages: dict[str, object] = {}
        progress = media = blocked = error = None
        for event in self.store.events(run_id):
            data = event.data
            if event.type == "stage_complete":
                stages[f"stage{data['stage']}"] = data["report"]
            elif event.type == "progress":
                progress = ProgressInfo(step=data["step"], total_steps=data["total_steps"], percent=data["percent"])
            elif event.type == "complete":
                media = MediaOutput.model_validate(data["media_output"])
            elif event.type == "blocked":
                stages = data["stages"]
                blocked = BlockedInfo(stage=data["stage"], reason=data["reason"], found_terms=data["found_terms"])
            elif event.type == "error":
                error = ErrorBody.model_validate(data["error"])
        return RunStatusResponse(
            status=job.status, run_id=run_id, kind=job.kind, position=self.store.queue_position(job),
            cancel_requested=job.cancel_requested, created_at=job.created_at, started_at=job.started_at,
            finished_at=job.finished_at, stages=Stages.model_validate(stages), progress=progress,
            media_output=media, blocked=blocked, error=error, events_url=events_url(run_id))

    def snapshot(self) -> QueueResponse:
        """Running jobs (position 0), then queued jobs in order (position 1 = next)."""
        entries = []
        queued = 0
        for job in self.store.active_jobs():
            queued += job.status == "queued"
            entries.append(QueueEntry(run_id=job.run_id, status=job.status, kind=job.kind,
                                      position=queued if job.status == "queued" else 0,
                                      cancel_requested=job.cancel_requested, created_at=job.created_at,
                                      started_at=job.started_at))
        return QueueResponse(status="success", concurrency=self.concurrency, running=len(entries) - queued,
                             queued=queued, jobs=entries)

    def cancel(self, run_id: str) -> RunStatusResponse:
        """Cancel a run: a queued one at once, a running one at its next diffusion step or stage start.

        Returns:
            the run's status: ``canceled``, or ``running`` with ``cancel_requested`` (the ``canceled``
            event follows; a cancel that arrives after the last diffusion step is too late and the run completes).
        Raises:
            InvalidIdError (400), RunNotFoundError (404), ConflictError (409, code "conflict"): already finished.
        """
        with self._lock:
            job = self._job(run_id)
            if job.status == "queued":
                self.bus.publish(run_id, "canceled", CanceledEvent(while_status="queued"), status="canceled",
                                 from_statuses=("queued",))
            elif job.status == "running":
                self.store.request_cancel(run_id)
                self._cancel_flags[run_id].set()
            else:
                raise ConflictError(f"run {run_id} has already ended ({job.status}); there is nothing to cancel",
                                    details={"run_id": run_id, "status": job.status})
        return self.status(run_id)

    def stream(self, run_id: str, *, after_id: int, heartbeat_s: float) -> RunStream:
        """The run's events after `after_id` (see :class:`~devserver.jobs.events.RunStream`; close it).

        Raises:
            InvalidIdError (400), RunNotFoundError (404).
        """
        self._job(run_id)
        return self.bus.run_stream(run_id, after_id=after_id, heartbeat_s=heartbeat_s)

    def _job(self, run_id: str) -> Job:
        job = self.store.job(validate_id(run_id, "run_id"))
        if job is None:
            raise RunNotFoundError(f"no queued run with run_id {run_id} (only runs sent with \"async\": true "
                                   "are queued)", details={"run_id": run_id})
        return job

    # ----------------------------------------------------------------------------- workers
    def _work(self) -> None:
        """Worker thread: take the oldest queued job, run it, repeat until stopped."""
        while True:
            with self._wakeup:
                job = None
                while not self._stopping and (job := self.store.claim_next()) is None:
                    self._wakeup.wait()
                if job is None:
                    return
                cancel = self._cancel_flags[job.run_id] = threading.Event()
            try:
                self._run(job, cancel)
            except Exception:  # a broken job must not take the worker down
                log.exception("queue worker failed on run %s", job.run_id)
            finally:
                with self._lock:
                    del self._cancel_flags[job.run_id]

    def _run(self, job: Job, cancel: threading.Event) -> None:
        """Run one claimed job and publish its single terminal event."""
        run_id = job.run_id
        self.bus.publish(run_id, "started", StartedEvent(waited_ms=_ms_between(job.created_at, job.started_at)))
        observer = JobObserver(self.bus, run_id, cancel)
        try:
            if job.kind == "execute":
                result = self._orchestrator.execute(ExecuteRequest.model_validate(job.request), run_id=run_id,
                                                    observer=observer)
            else:
                result = self._orchestrator.generate(GenerationRequestBody.model_validate(job.request),
                                                     run_id=run_id, observer=observer)
        except GenerationCanceledError:
            job = self.store.job(run_id)
            if self._stopping and job is not None and not job.cancel_requested:
                self._interrupt(run_id)  # stopped by the shutdown, not by a learner
            else:
                self._finish(run_id, "canceled", "canceled", CanceledEvent(while_status="running"))
        except ApiError as exc:
            self._finish(run_id, "error", "error",
                         ErrorEvent(error=ErrorBody(code=exc.code, message=exc.message, details=exc.details)))
        except Exception:
            log.exception("run %s failed", run_id)
            self._finish(run_id, "error", "error", ErrorEvent(error=ErrorBody(
                code="internal_error", message="An unexpected error occurred on the server.")))
        else:
            if isinstance(result, BlockedResponse):
                self._finish(run_id, "blocked", "blocked", result)
            else:
                self._finish(run_id, "success", "complete", CompleteEvent(media_output=result.media_output))

    def _finish(self, run_id: str, status: str, event_type: str, data: BaseModel) -> None:
        """Move a running job to its final `status` and publish its terminal event, in one transaction."""
        self.bus.publish(run_id, event_type, data, status=status, from_statuses=("running",))
        if self.compactor is not None:
            self.compactor.maybe_compact()
