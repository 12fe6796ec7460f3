"""The job queue: every run that generates is a job; FIFO queue threads, progress events, cancel, restarts.

A synchronous /execute or /generation call submits a job and waits for its end (:meth:`JobQueue.call`); an
``"async": true`` call submits and answers 202 at once (:meth:`JobQueue.submit`). Both wait in the same
first-in-first-out queue, so queue positions are true for everyone. What a job does is its kind's handler
(:mod:`devserver.jobs.kinds`); where its image is made is the backend's business (:mod:`devserver.jobs.backends`:
in this process, or on GPU workers through Celery). The queue is the only writer of a job's status: the jobs
table, and the run folder's metadata.json when the job ends.

Life of a job (statuses in SQLite, events through the :class:`~devserver.jobs.events.EventBus`)::

    submit: the kind's prepare() checks the request (4xx at once, nothing written) -> queued (event "queued")
    thread: queued -> running ("started", then "stage_start"/"stage_complete"/"progress" from the orchestrator)
    end:    running -> success ("complete") | blocked ("blocked") | error ("error") | canceled ("canceled")
    cancel: queued -> canceled at once; running -> canceled at the next diffusion step or stage start
    stop:   running -> error "interrupted by restart" at its next step (graceful shutdown); queued jobs stay.
            Celery backend: a job whose image a GPU worker is making is left running there
    start-up: running -> error "interrupted by restart" (the process died), except (Celery) a job whose stage 4
            is still known to Redis: its progress and image are picked up from its Redis Stream; queued jobs
            run again

Each terminal transition is conditional (only from queued/running) and stored together with its event, so
every run ends exactly once. Queue threads wait on a condition variable (no polling); they are started when
jobs are queued (up to the concurrency: ``Settings.queue_concurrency``, or with Celery the number of GPU
worker slots if larger) and end after a while without work; :meth:`JobQueue.stop` ends them (also at exit).

A synchronous caller that disconnects does not stop its job: the job runs to its end and is recorded (run
folder, jobs table, GET /api/runs/<run_id>) like any other.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from datetime import datetime

from concurrent.futures import Future
from typing import Any

from pydantic import BaseModel

from devserver.contracts.api import BlockedResponse, ErrorBody, MediaOutput, Stages
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
    BadRequestError,
    ConflictError,
    GenerationCanceledError,
    QueueUnavailableError,
    RunNotFoundError,
    ServerStoppingError,
)
from devserver.jobs.backends import Detached, QueueBackend
from devserver.jobs.events import EventBus, RunStream
from devserver.jobs.kinds import JobHandler
from devserver.jobs.limits import QueueCap, check_queue_cap
from devserver.jobs.retention import EventCompactor
from devserver.jobs.store import Job, complete_media
from devserver.pipeline.orchestrator import Orchestrator, RunObserver, record_block
from devserver.storage.ids import validate_id
from devserver.storage.recorder import RunRecorder

log = logging.getLogger(__name__)

INTERRUPTED = ErrorBody(code="interrupted", message="interrupted by restart")
"""The error of a run that was running when the server process died."""
STOP_TIMEOUT_S = 10.0
"""How long :meth:`JobQueue.stop` waits for a running job to finish, in seconds."""
IDLE_THREAD_S = 30.0
"""A queue thread without work for this many seconds ends (a new one starts with the next job)."""
INTERNAL_ERROR = ErrorBody(code="internal_error", message="An unexpected error occurred on the server.")
"""The error of a job that failed unexpectedly (the trace is logged, never sent)."""


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


class _Waiter:
    """A synchronous caller waiting for its job: the response, or the error to raise."""

    def __init__(self) -> None:
        self.future: Future[BaseModel] = Future()


class JobQueue:
    """Durable FIFO queue of every run that generates, with its queue threads; one per app.

    Args:
        bus: event bus (with its SQLite store).
        handlers: job kind -> handler (:func:`devserver.jobs.kinds.build_handlers`).
        orchestrator: finishes a stage 4 picked up again after a restart (Celery backend).
        recorder: run folders (the queue records each job's outcome in its metadata.json).
        backend: where stage 4 runs (:mod:`devserver.jobs.backends`).
        concurrency: runs worked on at once (Settings.queue_concurrency); with the embedded backend generation
            itself is serialised by the diffusers backend, so more threads overlap only the text stages; with
            Celery the GPU workers' slots raise it (:meth:`QueueBackend.slots`).
    """

    def __init__(self, *, bus: EventBus, handlers: dict[str, JobHandler], orchestrator: Orchestrator,
                 recorder: RunRecorder, backend: QueueBackend, concurrency: int, cap: QueueCap | None = None,
                 compactor: EventCompactor | None = None) -> None:
        self.cap = cap
        self.compactor = compactor
        self.bus = bus
        self.store = bus.store
        self.handlers = handlers
        self.backend = backend
        self.concurrency = concurrency
        self._orchestrator = orchestrator
        self._recorder = recorder
        self._lock = threading.Lock()
        self._wakeup = threading.Condition(self._lock)
        self._cancel_flags: dict[str, threading.Event] = {}
        self._plans: dict[str, Any] = {}
        self._waiters: dict[str, _Waiter] = {}
        self._workers: set[threading.Thread] = set()
        self._thread_count = 0
        self._stopping = False
        self._at_exit = False

    # ----------------------------------------------------------------------------- life cycle
    def start(self) -> None:
        """Recover after a restart, then start queue threads if queued jobs are waiting.

        Jobs left ``running`` by a dead process end ``error`` "interrupted by restart" (event and
        metadata.json of their run folder, which is kept), except those whose stage 4 the backend still
        knows (Celery: a GPU worker makes or made the image): they are followed to their end. Queued jobs
        keep their places.
        """
        for run_id in self.store.run_ids_with_status("running"):
            pending = self.backend.pending(run_id)
            if pending is None:
                self._interrupt(run_id)
            else:
                with self._lock:
                    self._start_thread(self._resume, run_id, pending)
        if self.compactor is not None:
            self.compactor.maybe_compact()
        if self.store.run_ids_with_status("queued"):
            with self._lock:
                self._ensure_workers()

    def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> None:
        """Shut the queue down (server exit; also registered with atexit): no new job starts, a running job
        stops at its next diffusion step or stage and ends ``error`` "interrupted by restart" (with Celery, a
        job whose image a GPU worker is making goes on there and is picked up at the next start), then open
        event streams end and waiting synchronous callers get a 503. Queued jobs stay queued for the next
        start. Idempotent.

        Waits at most `timeout_s` seconds for the threads; a job still running then is marked interrupted
        at the next start.
        """
        self.backend.detach()
        with self._lock:
            self._stopping = True
            for cancel in self._cancel_flags.values():
                cancel.set()
            self._wakeup.notify_all()
            workers = list(self._workers)
        deadline = time.monotonic() + timeout_s
        for worker in workers:
            worker.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            waiters, self._waiters = dict(self._waiters), {}
        for run_id, waiter in waiters.items():
            waiter.future.set_exception(ServerStoppingError(
                "The server is shutting down; the run did not finish here.", details={"run_id": run_id}))
        self.bus.end_all_streams()
        self.backend.close()
        self._unregister_at_exit()

    def _interrupt(self, run_id: str) -> None:
        """End a running job with :data:`INTERRUPTED` (metadata.json of its folder if there is one, and event)."""
        job = self.store.job(run_id)
        if job is None or job.status != "running":
            return
        self._record(run_id, lambda run: run.record_outcome("error", error=INTERRUPTED.model_dump(
            exclude={"details"})))
        if self.bus.publish(run_id, "error", ErrorEvent(error=INTERRUPTED), status="error",
                            from_statuses=("running",)) is not None:
            log.warning("run %s was interrupted (server stopped or restarted)", run_id)
        self._resolve(run_id, exc=ServerStoppingError("The server is shutting down; the run was interrupted.",
                                                      details={"run_id": run_id}))

    def _capacity(self) -> int:
        """Runs worked on at once: the concurrency, or the backend's worker slots if more."""
        return max(self.concurrency, self.backend.slots())

    def _ensure_workers(self) -> None:
        """Start queue threads up to the capacity (call with the lock held)."""
        if self._stopping:
            return
        while self._thread_count < self._capacity():
            self._thread_count += 1
            self._start_thread(self._work)

    def _start_thread(self, target: Any, *args: Any) -> None:
        thread = threading.Thread(target=self._thread_main, args=(target, *args), daemon=True,
                                  name=f"devserver-queue-{target.__name__.strip('_')}")
        self._workers.add(thread)
        if not self._at_exit:
            atexit.register(self.stop)
            self._at_exit = True
        thread.start()

    def _thread_main(self, target: Any, *args: Any) -> None:
        try:
            target(*args)
        finally:
            with self._lock:
                self._workers.discard(threading.current_thread())
                idle = not self._workers
            if idle:
                self._unregister_at_exit()

    def _unregister_at_exit(self) -> None:
        """Forget the atexit hook while no thread runs (so a finished app can be garbage-collected)."""
        if self._at_exit:
            atexit.unregister(self.stop)
            self._at_exit = False

    # ----------------------------------------------------------------------------- requests
    def submit(self, kind: str, request: BaseModel, *, client: str | None = None) -> QueuedResponse:
        """Check `request` with its kind's handler, then queue it (202 of an ``"async": true`` call).

        Args:
            kind: a job kind (``execute``, ``generation``; see :mod:`devserver.jobs.kinds`).
            request: the parsed request (the handler's ``request_model``).
            client: the caller's address (for per-client limits); not stored.
        Returns:
            202 body: run_id, events_url, status_url and the queue position.
        Raises:
            QueueUnavailableError (503): the backend cannot take jobs now (Celery: Redis is down); nothing written.
            the kind's checks, synchronously (nothing is queued): ConfigNotFoundError / OutputConfigNotFoundError /
            UploadNotFoundError / RunNotFoundError (404), InvalidIdError (400), RequestValidationError (422),
            OutputConfigUnavailableError (409); ConflictError (409) when the run already has a queued or running job.
            QueueFullError (429, Retry-After) when the queue cap is reached.
        """
        _, response = self._submit(kind, request, client=client, wait=False)
        return response

    def call(self, kind: str, request: BaseModel, *, client: str | None = None) -> BaseModel:
        """Submit `request` and wait for its job's end: the synchronous call, queued like any other.

        Returns:
            the kind's response (e.g. ExecuteResponse, or a BlockedResponse).
        Raises:
            what :meth:`submit` raises, then the job's own error (the same ApiError the work raised, with its
            status and code), GenerationCanceledError (409) when the job was canceled, ServerStoppingError (503)
            when the server stopped first. A caller that goes away does not stop the job.
        """
        waiter, _ = self._submit(kind, request, client=client, wait=True)
        assert waiter is not None
        return waiter.future.result()

    def call_following(self, kind: str, request: BaseModel, *,
                       client: str | None = None) -> tuple[QueuedResponse, Future[BaseModel]]:
        """Submit `request` like :meth:`call`, without blocking: its 202 body (the run_id, to follow its events with
        :meth:`stream`) and the future of the response :meth:`call` would return (or raise)."""
        waiter, response = self._submit(kind, request, client=client, wait=True)
        assert waiter is not None
        return response, waiter.future

    def _submit(self, kind: str, request: BaseModel, *, client: str | None,
                wait: bool) -> tuple[_Waiter | None, QueuedResponse]:
        # 1. check (nothing is written before this succeeds)
        handler = self._handler(kind)
        self.backend.check_ready()
        plan = handler.prepare(request)
        run_id = handler.run_id_for(request)
        # 2. queue
        waiter = _Waiter() if wait else None
        with self._lock:
            if self._stopping:
                raise ServerStoppingError("The server is shutting down; try again in a moment.")
            if self.cap is not None:
                check_queue_cap(self.store, self.cap, client, self.concurrency)
            _, position = self.store.add_job(run_id, kind, request.model_dump(mode="json", by_alias=True), client)
            self._plans[run_id] = plan
            if waiter is not None:
                self._waiters[run_id] = waiter
            self.bus.publish(run_id, "queued", QueuedEvent(position=position))
            self._ensure_workers()
            self._wakeup.notify()
        return waiter, QueuedResponse(status="queued", run_id=run_id, events_url=events_url(run_id),
                                      status_url=status_url(run_id), position=position)

    def _handler(self, kind: str) -> JobHandler:
        try:
            return self.handlers[kind]
        except KeyError:
            raise BadRequestError(f"unknown job kind {kind!r}", details={"kind": kind}) from None

    def status(self, run_id: str) -> RunStatusResponse:
        """The run's state, its stages so far, its latest progress and its result.

        Raises:
            InvalidIdError (400): `run_id` is not a UUID4.
            RunNotFoundError (404): no job with this run_id.
        """
        job = self._job(run_id)
        stages: dict[str, object] = {}
        progress = media = blocked = error = None
        media_all: list[MediaOutput] = []
        for event in self.store.events(run_id):
            data = event.data
            if event.type == "stage_complete":
                stages[f"stage{data['stage']}"] = data["report"]
            elif event.type == "progress":
                progress = ProgressInfo(step=data["step"], total_steps=data["total_steps"], percent=data["percent"])
            elif event.type == "complete" and "media_output" in data:  # model jobs complete without an image
                media = MediaOutput.model_validate(data["media_output"])
                media_all = [MediaOutput.model_validate(m) for m in complete_media(data)]
            elif event.type == "blocked":
                stages = data["stages"]
                blocked = BlockedInfo(stage=data["stage"], reason=data["reason"], found_terms=data["found_terms"])
            elif event.type == "error":
                error = ErrorBody.model_validate(data["error"])
        return RunStatusResponse(
            status=job.status, run_id=run_id, kind=job.kind, position=self.store.queue_position(job),
            cancel_requested=job.cancel_requested, created_at=job.created_at, started_at=job.started_at,
            finished_at=job.finished_at, stages=Stages.model_validate(stages), progress=progress,
            media_output=media, media_outputs=media_all, blocked=blocked, error=error, events_url=events_url(run_id))

    def snapshot(self) -> QueueResponse:
        """Running jobs (position 0), then queued jobs in order (position 1 = next); with Celery, the workers."""
        entries = []
        queued = 0
        for job in self.store.active_jobs():
            queued += job.status == "queued"
            entries.append(QueueEntry(run_id=job.run_id, status=job.status, kind=job.kind,
                                      position=queued if job.status == "queued" else 0,
                                      cancel_requested=job.cancel_requested, created_at=job.created_at,
                                      started_at=job.started_at))
        try:
            workers = self.backend.workers()
        except QueueUnavailableError:
            workers = []  # Redis is down: no worker can be seen (submissions answer 503 meanwhile)
        return QueueResponse(status="success", concurrency=self._capacity(), running=len(entries) - queued,
                             queued=queued, jobs=entries, workers=workers)

    def cancel(self, run_id: str) -> RunStatusResponse:
        """Cancel a run: a queued one at once, a running one at its next diffusion step or stage start.

        Returns:
            the run's status: ``canceled``, or ``running`` with ``cancel_requested`` (the ``canceled``
            event follows; a cancel that arrives after the last diffusion step is too late and the run completes).
        Raises:
            InvalidIdError (400), RunNotFoundError (404), ConflictError (409, code "conflict"): already finished.
        """
        canceled_while_queued = False
        with self._lock:
            job = self._job(run_id)
            if job.status == "queued":
                if self.bus.publish(run_id, "canceled", CanceledEvent(while_status="queued"), status="canceled",
                                    from_statuses=("queued",)) is not None:
                    self._plans.pop(run_id, None)
                    canceled_while_queued = True
            elif job.status == "running":
                self.store.request_cancel(run_id)
                flag = self._cancel_flags.get(run_id)
                if flag is not None:
                    flag.set()
            else:
                raise ConflictError(f"run {run_id} has already ended ({job.status}); there is nothing to cancel",
                                    details={"run_id": run_id, "status": job.status})
        if canceled_while_queued:
            self._resolve(run_id, exc=GenerationCanceledError("The run was canceled while it waited in the queue.",
                                                              details={"run_id": run_id}))
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
            raise RunNotFoundError(f"no job with run_id {run_id}: only /execute and /generation runs are jobs "
                                   "(stage2 and optimize steps are not)", details={"run_id": run_id})
        return job

    # ----------------------------------------------------------------------------- queue threads
    def _work(self) -> None:
        """Queue thread: take the oldest queued job, run it, repeat; end when stopped or idle for a while."""
        while True:
            with self._wakeup:
                job = None
                while not self._stopping and (job := self.store.claim_next()) is None:
                    if not self._wakeup.wait(IDLE_THREAD_S) and (job := self.store.claim_next()) is None:
                        break
                if job is None:
                    self._thread_count -= 1
                    return
                cancel = self._cancel_flags[job.run_id] = threading.Event()
            try:
                self._run(job, cancel)
            except Exception:  # a broken job must not take the thread down
                log.exception("queue thread failed on run %s", job.run_id)
            finally:
                with self._lock:
                    del self._cancel_flags[job.run_id]
                    self._ensure_workers()  # the backend's capacity may have grown meanwhile

    def _run(self, job: Job, cancel: threading.Event) -> None:
        """Run one claimed job and publish its single terminal event."""
        run_id = job.run_id
        handler = self.handlers[job.kind]
        with self._lock:
            plan = self._plans.pop(run_id, None)
        self.bus.publish(run_id, "started", StartedEvent(waited_ms=_ms_between(job.created_at, job.started_at)))
        observer = JobObserver(self.bus, run_id, cancel)
        self._settle(run_id, lambda: handler.run(
            plan if plan is not None else handler.prepare(handler.request_model.model_validate(job.request)),
            run_id=run_id, observer=observer), handler.outcome)

    def _resume(self, run_id: str, pending: Any) -> None:
        """Follow a stage 4 that went on while this process was away (Celery), to the job's end."""
        with self._lock:
            cancel = self._cancel_flags[run_id] = threading.Event()
        try:
            job = self.store.job(run_id)
            if job is not None and job.cancel_requested:
                cancel.set()
            observer = JobObserver(self.bus, run_id, cancel)
            stages = Stages.model_validate({f"stage{e.data['stage']}": e.data["report"]
                                            for e in self.store.events(run_id) if e.type == "stage_complete"})
            log.info("run %s: following its stage 4 again after a restart", run_id)
            self._settle(run_id, lambda: self._orchestrator.resume_generation(run_id, stages, pending, observer),
                         lambda result: ("blocked", "blocked", result) if isinstance(result, BlockedResponse)
                         else ("success", "complete", CompleteEvent(media_output=result)))
        finally:
            with self._lock:
                del self._cancel_flags[run_id]

    def _settle(self, run_id: str, work: Any, outcome: Any) -> None:
        """Run `work` and end the job by what it returned or raised."""
        try:
            result = work()
        except Detached:
            log.info("run %s: the server stops; its image is still being made by a GPU worker", run_id)
        except GenerationCanceledError as exc:
            job = self.store.job(run_id)
            if self._stopping and job is not None and not job.cancel_requested:
                self._interrupt(run_id)  # stopped by the shutdown, not by a learner
            else:
                self._finish(run_id, "canceled", "canceled", CanceledEvent(while_status="running"), exc=exc)
        except ApiError as exc:
            self._finish(run_id, "error", "error",
                         ErrorEvent(error=ErrorBody(code=exc.code, message=exc.message, details=exc.details)),
                         exc=exc)
        except Exception:
            log.exception("run %s failed", run_id)
            self._finish(run_id, "error", "error", ErrorEvent(error=INTERNAL_ERROR),
                         exc=ApiError(INTERNAL_ERROR.message))
        else:
            status, event_type, data = outcome(result)
            self._finish(run_id, status, event_type, data, result=result)

    def _finish(self, run_id: str, status: str, event_type: str, data: BaseModel, *,
                result: BaseModel | None = None, exc: ApiError | None = None) -> None:
        """End a running job: its outcome into metadata.json, then the terminal event (which moves the job's
        status in the same transaction), then the synchronous caller's answer."""
        if status == "blocked" and isinstance(data, BlockedResponse):
            self._record(run_id, lambda run: record_block(run, data))
        elif exc is not None:
            self._record(run_id, lambda run: run.record_outcome(status, error={"code": exc.code,
                                                                               "message": exc.message}))
        else:
            self._record(run_id, lambda run: run.record_outcome(status))
        self.bus.publish(run_id, event_type, data, status=status, from_statuses=("running",))
        if self.compactor is not None:
            self.compactor.maybe_compact()
        self._resolve(run_id, result=result, exc=exc)

    def _record(self, run_id: str, write: Any) -> None:
        """Apply `write` to the run folder, if the job got as far as creating it."""
        try:
            run = self._recorder.open(run_id)
        except RunNotFoundError:
            return
        write(run)

    def _resolve(self, run_id: str, *, result: BaseModel | None = None, exc: ApiError | None = None) -> None:
        """Answer the synchronous caller of `run_id`, if one waits."""
        with self._lock:
            waiter = self._waiters.pop(run_id, None)
        if waiter is None:
            return
        if exc is not None:
            waiter.future.set_exception(exc)
        else:
            waiter.future.set_result(result)
