"""The Celery backend, web-node side: stage 4 on GPU workers, followed through a Redis Stream per run.

:class:`CeleryBackend` is both the queue's backend (:class:`~devserver.jobs.backends.QueueBackend`) and the
orchestrator's generation backend: its :meth:`CeleryBackend.generate` has the signature of
``DiffusersBackend.generate``. It sends the stage-4 message (:mod:`devserver.jobs.stage4`) as a Celery task to
the queue of the output config (``devserver.stage4.<id>``), then reads the run's stream: progress goes to the
step callback (and from there to SSE and the WebSocket, as in-process), the image comes back as PNG bytes and
the orchestrator records it on the web node. Cancel: a flag the worker reads at every step, plus a Celery
revoke for a job no worker has started. A restart of the web node loses nothing: the dispatch record and the
stream stay in Redis and :meth:`CeleryBackend.attach` follows them again. Redis down: submissions answer 503
(:meth:`CeleryBackend.check_ready`); a job in flight waits for Redis to come back (and is sent again if Redis
lost it).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import redis

from devserver.contracts.jobs import WorkerInfo
from devserver.errors import ApiError, GenerationCanceledError, QueueUnavailableError
from devserver.generation.backend import GenerationRequest, GenerationResult, ModelRef
from devserver.jobs import stage4
from devserver.jobs.backends import Detached, QueueBackend
from devserver.jobs.celery_app import (
    KEEP_S,
    TASK_NAME,
    WORKERS_KEY,
    cancel_key,
    dispatch_key,
    make_celery,
    queue_name,
    stream_key,
    worker_key,
    worker_runs_key,
    worker_ttl_s,
)
from devserver.settings import Settings

log = logging.getLogger(__name__)

READ_BLOCK_MS = 250
"""How long one read of a run's stream waits for news, in milliseconds (cancel and stop are checked between)."""
SLOTS_CACHE_S = 1.0
"""How long the sum of the workers' slots is reused before Redis is asked again, in seconds."""
REDIS_DOWN = "The job queue (Redis) cannot be reached, so no run can be queued now; try again in a moment."


@dataclasses.dataclass(frozen=True)
class Pending:
    """A run's stage-4 job as recorded in Redis (enough to follow it after a restart of the web node).

    Attributes:
        run_id / task_id: the run and its Celery task.
        output_config: the output config id (its queue).
        request: the generation request without images (for the PNG's provenance).
        applied: the last stream entry id already turned into events (``0-0``: none).
    """

    run_id: str
    task_id: str
    output_config: str
    request: GenerationRequest
    applied: str = "0-0"


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class CeleryBackend(QueueBackend):
    """Stage 4 on GPU workers through Celery and Redis; one per web-node app.

    Args:
        settings: ``broker_url``, ``celery_visibility_timeout_s``, ``worker_heartbeat_s``.
    """

    name = "celery"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._redis = redis.Redis.from_url(settings.broker_url, socket_timeout=10, socket_connect_timeout=3,
                                           health_check_interval=10)
        self._celery = make_celery(settings)
        self._detached = threading.Event()
        self._slots: tuple[float, int] = (0.0, 0)

    # -- the generation backend's face (used by the orchestrator) ---------------------------------------------
    device = "celery"
    """What GET /api/health reports as the device: generation happens on the GPU workers."""
    dtype = "worker"

    def availability(self, model: ModelRef) -> tuple[bool, str | None]:
        """Whether a live GPU worker serves `model` (its output config id).

        Returns:
            ``(True, None)`` or ``(False, reason)``.
        """
        try:
            workers = self.workers()
        except QueueUnavailableError:
            return False, "the job queue (Redis) cannot be reached"
        if any(model.id in worker.models for worker in workers):
            return True, None
        return False, f"no GPU worker serving {model.id!r} is connected"

    def warm_up(self, model: ModelRef) -> None:
        """Nothing to load here: each GPU worker loads its models on first use and keeps them."""

    def readiness(self, model: ModelRef) -> tuple[bool, float | None]:
        """Whether an image of `model` can start at once: a live GPU worker serves it (workers load their models at
        start and keep them); ``(False, None)`` otherwise (GET /api/health's ``default_model``)."""
        available, _ = self.availability(model)
        return available, None

    def loaded_models(self) -> list[str]:
        """Models loaded in this process: none (they live on the GPU workers)."""
        return []

    def load_count(self) -> int:
        return 0

    def generate(self, model: ModelRef, request: GenerationRequest, *,
                 on_step: Callable[[int, int], bool | None] | None = None, run_id: str | None = None,
                 is_canceled: Callable[[], bool] | None = None) -> GenerationResult:
        """Send stage 4 to a GPU worker serving `model` and wait for the image.

        Args:
            model / request: as for ``DiffusersBackend.generate``.
            on_step: called with (step, total) for each progress entry; returning True cancels.
            run_id: the run (names the stream and the dispatch record).
            is_canceled: checked while the job waits for a worker (a cancel then revokes it at once).
        Returns:
            the result with the image made by the worker (``result.worker`` names it).
        Raises:
            GenerationCanceledError (409), the worker's error (its status and code: GenerationError 500,
            RequestValidationError 422, ...), QueueUnavailableError (503) when Redis cannot take the job,
            Detached when the server stops meanwhile.
        """
        run_id = run_id or str(uuid.uuid4())
        message, pending = self._dispatch(model, request, run_id)
        return self._follow(pending, model, message, on_step, is_canceled)

    def attach(self, pending: Pending, *, on_step: Callable[[int, int], bool | None] | None = None,
               is_canceled: Callable[[], bool] | None = None) -> GenerationResult:
        """Follow a stage-4 job dispatched before this process restarted (see :meth:`generate`)."""
        return self._follow(pending, None, None, on_step, is_canceled)

    # -- the queue backend's face ---------------------------------------------------------------------------
    def check_ready(self) -> None:
        """Raises QueueUnavailableError (503) when Redis does not answer."""
        try:
            self._redis.ping()
        except redis.RedisError as exc:
            raise QueueUnavailableError(REDIS_DOWN, details={"retry_after_s": 5}, headers={"Retry-After": "5"}) \
                from exc

    def slots(self) -> int:
        """The live GPU workers' concurrency added up (cached for a second; 0 while Redis is down)."""
        at, slots = self._slots
        if time.monotonic() - at > SLOTS_CACHE_S:
            try:
                slots = sum(worker.concurrency for worker in self.workers())
            except QueueUnavailableError:
                slots = 0
            self._slots = (time.monotonic(), slots)
        return slots

    def workers(self) -> list[WorkerInfo]:
        """The GPU workers with a live heartbeat, by name.

        Raises:
            QueueUnavailableError (503): Redis does not answer.
        """
        try:
            now = self._redis_time()
            names = sorted(_text(name) for name in self._redis.smembers(WORKERS_KEY))
            pipe = self._redis.pipeline()
            for name in names:
                pipe.hgetall(worker_key(name))
                pipe.hvals(worker_runs_key(name))
            replies = pipe.execute()
        except redis.RedisError as exc:
            raise QueueUnavailableError(REDIS_DOWN) from exc
        workers = []
        for index, name in enumerate(names):
            record = {_text(k): _text(v) for k, v in replies[2 * index].items()}
            if not record:
                continue  # expired: the worker is gone
            age = max(0.0, now - float(record["ts"]))
            if age > worker_ttl_s(self.settings):
                continue
            runs = sorted({json.loads(_text(value))["run_id"] for value in replies[2 * index + 1]})
            workers.append(WorkerInfo(name=name, models=json.loads(record["models"]),
                                      concurrency=int(record["concurrency"]), status="busy" if runs else "idle",
                                      current_runs=runs, heartbeat_age_s=round(age, 3)))
        return workers

    def pending(self, run_id: str) -> Pending | None:
        """The stage-4 job of `run_id` recorded in Redis, or None (none, or Redis cannot be reached)."""
        try:
            record = {_text(k): _text(v) for k, v in self._redis.hgetall(dispatch_key(run_id)).items()}
        except redis.RedisError:
            log.warning("Redis cannot be reached: run %s cannot be followed again", run_id)
            return None
        if not record:
            return None
        request = stage4.decode_request({"version": stage4.MESSAGE_VERSION, "model": json.loads(record["model"]),
                                         "request": json.loads(record["request"])})[1]
        return Pending(run_id=run_id, task_id=record["task_id"], output_config=record["output_config"],
                       request=request, applied=record.get("applied", "0-0"))

    def detach(self) -> None:
        """Stop following jobs (server stop): their workers go on, the next start follows them again."""
        self._detached.set()

    def close(self) -> None:
        self._redis.close()

    # -- internals ------------------------------------------------------------------------------------------
    def _redis_time(self) -> float:
        seconds, micros = self._redis.time()
        return seconds + micros / 1e6

    def _dispatch(self, model: ModelRef, request: GenerationRequest, run_id: str) -> tuple[dict[str, Any], Pending]:
        """Record the job in Redis, then send it to the model's Celery queue; returns (message, pending).

        Raises:
            QueueUnavailableError (503): Redis does not take it.
        """
        task_id = str(uuid.uuid4())
        message = stage4.encode_request(model, request, run_id=run_id, task_id=task_id)
        light = stage4.encode_request(model, stage4.without_images(request), run_id=run_id, task_id=task_id)
        pending = Pending(run_id=run_id, task_id=task_id, output_config=model.id,
                          request=stage4.without_images(request))
        try:
            pipe = self._redis.pipeline()
            pipe.delete(dispatch_key(run_id))
            pipe.hset(dispatch_key(run_id), mapping={
                "task_id": task_id, "output_config": model.id, "model": json.dumps(light["model"]),
                "request": json.dumps(light["request"]), "applied": "0-0"})
            pipe.expire(dispatch_key(run_id), KEEP_S)
            pipe.execute()
            self._celery.send_task(TASK_NAME, args=[message], task_id=task_id, queue=queue_name(model.id))
        except Exception as exc:  # redis-py's and kombu's connection errors alike
            log.warning("sending stage 4 of run %s failed: %s", run_id, type(exc).__name__)
            raise QueueUnavailableError(REDIS_DOWN) from exc
        log.info("run %s: stage 4 sent to queue %s as task %s", run_id, queue_name(model.id), task_id)
        return message, pending

    def _cancel(self, pending: Pending) -> None:
        """Raise the cancel flag (read by the worker at each step and before it starts) and revoke the task."""
        try:
            self._redis.set(cancel_key(pending.task_id), "1", ex=KEEP_S)
            self._celery.control.revoke(pending.task_id)
        except Exception:  # noqa: BLE001 - Redis down: the flag is raised again on the next try
            log.warning("run %s: the cancel could not reach Redis", pending.run_id)

    def _follow(self, pending: Pending, model: ModelRef | None, message: dict[str, Any] | None,
                on_step: Callable[[int, int], bool | None] | None,
                is_canceled: Callable[[], bool] | None) -> GenerationResult:
        """Read the run's stream until the job's end (see :meth:`generate` for what it returns and raises)."""
        last = pending.applied
        started = False
        cancel_sent = False
        outage_since: float | None = None
        while True:
            # the server's stop sets detach before it raises every job's cancel flag: never mistake it for a cancel
            wants_cancel = not cancel_sent and is_canceled is not None and is_canceled()
            if self._detached.is_set():
                raise Detached(pending.run_id)
            if wants_cancel:
                self._cancel(pending)
                cancel_sent = True
                if not started:
                    raise GenerationCanceledError("The run was canceled before a GPU worker started it.",
                                                  details={"run_id": pending.run_id})
            try:
                if outage_since is not None:
                    pending, message = self._after_outage(pending, model, message)
                    outage_since = None
                replies = self._redis.xread({stream_key(pending.run_id, pending.task_id): last},
                                            block=READ_BLOCK_MS, count=100)
            except redis.RedisError:
                if outage_since is None:
                    outage_since = time.monotonic()
                    log.warning("run %s: Redis cannot be reached; waiting for it", pending.run_id)
                self._detached.wait(min(5.0, 0.5 + (time.monotonic() - outage_since) / 4))
                continue
            for _, entries in replies:
                for entry_id, fields in entries:
                    last = _text(entry_id)
                    entry = {_text(k): _text(v) for k, v in fields.items()}
                    result = self._apply(pending, entry, on_step, cancel_sent)
                    if entry["type"] == "delivery":
                        started = True
                    elif entry["type"] == "progress" and result is True and not cancel_sent:
                        if self._detached.is_set():
                            raise Detached(pending.run_id)
                        self._cancel(pending)
                        cancel_sent = True
                    elif isinstance(result, GenerationResult):
                        self._forget(pending)
                        return result
            if replies:
                try:
                    self._redis.hset(dispatch_key(pending.run_id), "applied", last)
                except redis.RedisError:
                    pass

    def _apply(self, pending: Pending, entry: dict[str, str], on_step: Callable[[int, int], bool | None] | None,
               cancel_sent: bool) -> Any:
        """Act on one stream entry; returns the on_step answer of a progress entry or the final result.

        Raises:
            the worker's error, GenerationCanceledError.
        """
        kind = entry["type"]
        if kind == "delivery":
            if int(entry["delivery"]) > 1:
                log.warning("run %s: stage 4 delivered again (attempt %s) to %s", pending.run_id,
                            entry["delivery"], entry["worker"])
            return None
        if kind == "progress":
            return on_step(int(entry["step"]), int(entry["total_steps"])) if on_step is not None else None
        if kind == "result":
            return stage4.decode_result(json.loads(entry["result"]))
        if kind == "canceled":
            self._forget(pending)
            raise GenerationCanceledError("The generation was canceled.", details={"run_id": pending.run_id})
        if kind == "error":
            self._forget(pending)
            error = json.loads(entry["error"])
            raise ApiError(error["message"], code=error["code"], status=int(error["status"]),
                           details=error.get("details") or {})
        return None

    def _after_outage(self, pending: Pending, model: ModelRef | None,
                      message: dict[str, Any] | None) -> tuple[Pending, dict[str, Any] | None]:
        """Redis answers again: if it lost the job meanwhile (restarted without persistence), send it again."""
        if self._redis.exists(dispatch_key(pending.run_id)):
            log.info("run %s: Redis is back; following stage 4 again", pending.run_id)
            return pending, message
        if model is None:
            raise QueueUnavailableError("The job queue (Redis) restarted and lost this run's generation; "
                                        "please generate again.", details={"run_id": pending.run_id})
        log.warning("run %s: Redis lost stage 4 while it was down; sending it again", pending.run_id)
        message, pending = self._dispatch(model, pending.request if message is None else
                                          stage4.decode_request(message)[1], pending.run_id)
        return pending, message

    def _forget(self, pending: Pending) -> None:
        """The job ended and this web node applied it: drop its dispatch record and its stream (with the image),
        so Redis holds only what a web node has yet to pick up."""
        try:
            self._redis.delete(dispatch_key(pending.run_id), stream_key(pending.run_id, pending.task_id))
        except redis.RedisError:
            pass
