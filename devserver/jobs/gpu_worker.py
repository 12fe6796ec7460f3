"""``devserver worker --celery``: a GPU worker of the Celery backend. It runs stage 4 only.

A worker consumes the Celery queues of the output configs it serves (``devserver.stage4.<id>``: routing by
model, so a job only reaches a machine that has its weights), keeps its pipelines loaded across jobs (one
:class:`~devserver.generation.backend.DiffusersBackend` per pool process), and writes into the run's Redis
Stream: a ``delivery`` entry when it starts, a ``progress`` entry per diffusion step, then the ``result``
(the image as PNG) or an ``error`` / ``canceled``. It needs only the models folder (``DEVSERVER_MODELS_DIR``)
and the broker (``DEVSERVER_BROKER_URL``); it keeps nothing of a job once it ended.

Faults (see :mod:`devserver.jobs.celery_app`): a job is acknowledged only after it ended; a pool process that
dies puts its job back (``reject_on_worker_lost``); a worker machine that vanishes leaves its job unacknowledged
and Redis hands it to another worker after the visibility timeout. Each delivery counts: the next one learns
that the previous attempt's worker stopped (its lease in Redis expired without a result) and records why; a
generation that fails is put back for another try; after :data:`MAX_FAILED_ATTEMPTS` failures the job ends
``error`` with the reasons. A delivery that arrives while the attempt before it still runs (a job longer than
the visibility timeout) waits for it instead of making the image twice.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
import threading
import time
from typing import Any

import redis

from devserver.errors import ApiError, GenerationCanceledError
from devserver.jobs import stage4
from devserver.jobs.celery_app import (
    DONE_KEEP_S,
    KEEP_S,
    MAX_FAILED_ATTEMPTS,
    TASK_NAME,
    WORKERS_KEY,
    cancel_key,
    failures_key,
    lease_key,
    make_celery,
    queue_name,
    stream_key,
    task_key,
    worker_key,
    worker_runs_key,
    worker_ttl_s,
)
from devserver.settings import Settings

log = logging.getLogger(__name__)


def local_catalog(settings: Settings, backend: Any) -> Any:
    """The add-on catalog of a GPU worker: the model registry of its own models folder (registry ids are derived
    from paths inside the folder, so the web node's ids name the same files here), with the metadata kept beside
    its own exports."""
    from devserver.models.registry import ModelRegistry
    from devserver.models.service import ModelService
    from devserver.models.store import ModelStore
    from devserver.pipeline.loader import SchemaRegistry

    schemas = SchemaRegistry.load(settings.schemas_dir)
    return ModelService(registry=ModelRegistry(settings.resolved_models_dir, schemas.output_configs),
                        store=ModelStore(settings.exports_dir / "models.sqlite3"), backend=backend)


class _Worker:
    """This worker process's identity and state; built by :func:`run_worker`, inherited by its pool processes."""

    def __init__(self, settings: Settings, name: str, models: list[str], concurrency: int) -> None:
        self.settings = settings
        self.name = name
        self.models = models
        self.concurrency = concurrency
        self._redis: redis.Redis | None = None
        self._redis_pid = 0
        self._backend: Any = None
        self._stop = threading.Event()

    @property
    def redis(self) -> redis.Redis:
        """A Redis client of this process (pool processes make their own after the fork)."""
        if self._redis is None or self._redis_pid != os.getpid():
            self._redis = redis.Redis.from_url(self.settings.broker_url, socket_timeout=10,
                                               socket_connect_timeout=3, health_check_interval=10)
            self._redis_pid = os.getpid()
        return self._redis

    @property
    def backend(self) -> Any:
        """The pool process's diffusers backend: pipelines stay loaded across jobs."""
        if self._backend is None:
            from devserver.generation.backend import DiffusersBackend

            self._backend = DiffusersBackend(device=self.settings.device, models_dir=self.settings.resolved_models_dir,
                                             allow_downloads=self.settings.allow_model_downloads,
                                             threads=self.settings.torch_threads,
                                             max_output_side_px=self.settings.output_max_side_px)
            self._backend.catalog = local_catalog(self.settings, self._backend)
        return self._backend

    def warm_up(self) -> None:
        """Load the served models' pipelines in this pool process before it takes jobs (errors are logged)."""
        from devserver.pipeline.loader import SchemaRegistry
        from devserver.pipeline.orchestrator import model_ref

        registry = SchemaRegistry.load(self.settings.schemas_dir)
        for model_id in self.models:
            try:
                self.backend.warm_up(model_ref(registry.output_config(model_id)))
            except Exception:  # noqa: BLE001 - the first job will report the problem
                log.warning("warm-up of %s failed", model_id, exc_info=True)

    # -- heartbeats (main process) ---------------------------------------------------------------------------
    def start_heartbeats(self) -> None:
        threading.Thread(target=self._beat, name="devserver-heartbeat", daemon=True).start()

    def stop_heartbeats(self) -> None:
        self._stop.set()
        try:
            self.redis.srem(WORKERS_KEY, self.name)
            self.redis.delete(worker_key(self.name), worker_runs_key(self.name))
        except redis.RedisError:
            pass

    def _beat(self) -> None:
        ttl = max(1, int(worker_ttl_s(self.settings) + 0.999))
        while not self._stop.is_set():
            try:
                seconds, micros = self.redis.time()
                self._prune_runs()
                pipe = self.redis.pipeline()
                pipe.sadd(WORKERS_KEY, self.name)
                pipe.hset(worker_key(self.name), mapping={
                    "models": json.dumps(self.models), "concurrency": self.concurrency, "pid": os.getpid(),
                    "ts": seconds + micros / 1e6})
                pipe.expire(worker_key(self.name), ttl)
                pipe.expire(worker_runs_key(self.name), ttl)
                pipe.execute()
            except redis.RedisError:
                log.warning("heartbeat: Redis cannot be reached")
            self._stop.wait(self.settings.worker_heartbeat_s)

    def _prune_runs(self) -> None:
        """Drop the runs of pool processes that died (their job is delivered again elsewhere)."""
        for task_id, value in self.redis.hgetall(worker_runs_key(self.name)).items():
            pid = json.loads(value)["pid"]
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                self.redis.hdel(worker_runs_key(self.name), task_id)
            except PermissionError:
                pass

    # -- one delivery of a stage-4 job (pool process) --------------------------------------------------------
    def run_stage4(self, message: dict[str, Any], task_id: str) -> None:
        """Run one delivery of a stage-4 job; every outcome goes to the run's stream.

        Raises:
            celery.exceptions.Reject (requeue): the generation failed and fewer than 3 attempts failed so far.
        """
        r = self.redis
        run_id = str(message.get("run_id")) if isinstance(message, dict) else "unknown"
        stream = stream_key(run_id, task_id)
        state = task_key(task_id)
        # 1. count this delivery; skip it when the job already ended or a live attempt still runs it
        delivery = r.hincrby(state, "deliveries", 1)
        r.expire(state, KEEP_S)
        if not self._wait_for_earlier_attempt(task_id):
            log.info("task %s of run %s already ended: delivery %s skipped", task_id, run_id, delivery)
            return
        # 2. the previous attempt stopped without a word: its worker was lost
        previous = r.hget(state, "running")
        if previous is not None:
            r.rpush(failures_key(task_id), f"worker {previous.decode()} stopped while making the image")
            r.expire(failures_key(task_id), KEEP_S)
        failures = [f.decode() for f in r.lrange(failures_key(task_id), 0, -1)]
        if len(failures) >= MAX_FAILED_ATTEMPTS:
            self._end(task_id, stream, "error", error=self._failed_error(failures))
            return
        if r.exists(cancel_key(task_id)):
            self._end(task_id, stream, "canceled")
            return
        # 3. run it, holding a lease that says this worker is alive
        r.set(lease_key(task_id), self.name, ex=max(1, int(worker_ttl_s(self.settings) + 0.999)))
        r.hset(state, "running", self.name)
        r.hset(worker_runs_key(self.name), task_id, json.dumps({"run_id": run_id, "pid": os.getpid()}))
        r.xadd(stream, {"type": "delivery", "delivery": delivery, "worker": self.name})
        r.expire(stream, KEEP_S)
        renewing = threading.Event()
        threading.Thread(target=self._renew_lease, args=(task_id, renewing), daemon=True).start()
        try:
            result = self._generate(message, task_id, stream)
        except GenerationCanceledError:
            self._end(task_id, stream, "canceled")
        except ApiError as exc:
            if exc.status < 500 and exc.code != "output_config_unavailable":
                # the request itself is wrong: no other worker would do better (weights that cannot be read here
                # may be readable on another machine, so that one is tried again)
                self._end(task_id, stream, "error", error=self._error(exc))
            else:
                self._failed(task_id, stream, f"{self.name}: {exc.code}", exc)
        except Exception as exc:  # noqa: BLE001 - any failure is reported, never lost
            log.exception("task %s of run %s failed", task_id, run_id)
            self._failed(task_id, stream, f"{self.name}: {type(exc).__name__}", exc)
        else:
            self._end(task_id, stream, "result", result=json.dumps(stage4.encode_result(result)))
        finally:
            renewing.set()
            r.delete(lease_key(task_id))
            r.hdel(worker_runs_key(self.name), task_id)

    def _generate(self, message: dict[str, Any], task_id: str, stream: str) -> Any:
        import dataclasses

        model, request = stage4.decode_request(message)
        if model.id not in self.models:
            raise ApiError(f"this worker does not serve output config {model.id!r}", code="model_not_served",
                           status=409, details={"output_config": model.id})
        r = self.redis

        def on_step(step: int, total_steps: int) -> bool:
            pipe = r.pipeline()
            pipe.xadd(stream, {"type": "progress", "step": step, "total_steps": total_steps, "worker": self.name})
            pipe.exists(cancel_key(task_id))
            return bool(pipe.execute()[1])

        result = self.backend.generate(model, request, on_step=on_step)
        return dataclasses.replace(result, worker=self.name)

    def _wait_for_earlier_attempt(self, task_id: str) -> bool:
        """Wait while another live attempt holds the job; False when the job has ended (nothing to do)."""
        r = self.redis
        while True:
            if r.hget(task_key(task_id), "done") is not None:
                return False
            holder = r.get(lease_key(task_id))
            if holder is None:
                return True
            if r.exists(cancel_key(task_id)):
                return False
            time.sleep(min(1.0, self.settings.worker_heartbeat_s))

    def _renew_lease(self, task_id: str, stop: threading.Event) -> None:
        ttl = max(1, int(worker_ttl_s(self.settings) + 0.999))
        while not stop.wait(self.settings.worker_heartbeat_s):
            try:
                self.redis.set(lease_key(task_id), self.name, ex=ttl)
            except redis.RedisError:
                log.warning("lease of task %s: Redis cannot be reached", task_id)

    def _error(self, exc: ApiError) -> str:
        return json.dumps({"code": exc.code, "message": exc.message, "status": exc.status, "details": exc.details})

    def _failed_error(self, failures: list[str]) -> str:
        return json.dumps({
            "code": "generation_failed", "status": 500,
            "message": f"The image could not be made: the job failed {len(failures)} times on the GPU workers.",
            "details": {"attempts": failures}})

    def _failed(self, task_id: str, stream: str, reason: str, exc: Exception) -> None:
        """A failed attempt: record why; put the job back for another worker, or end it after the last try."""
        from celery.exceptions import Reject

        r = self.redis
        r.rpush(failures_key(task_id), reason)
        r.expire(failures_key(task_id), KEEP_S)
        r.hdel(task_key(task_id), "running")
        failures = [f.decode() for f in r.lrange(failures_key(task_id), 0, -1)]
        if len(failures) >= MAX_FAILED_ATTEMPTS:
            self._end(task_id, stream, "error", error=self._failed_error(failures))
            return
        r.xadd(stream, {"type": "retry", "worker": self.name, "reason": reason})
        raise Reject(reason, requeue=True) from exc

    def _end(self, task_id: str, stream: str, kind: str, **fields: str) -> None:
        """Write the job's last stream entry and mark it done (later deliveries skip it)."""
        r = self.redis
        pipe = r.pipeline()
        pipe.xadd(stream, {"type": kind, "worker": self.name, **fields})
        pipe.expire(stream, KEEP_S)  # the web node deletes it once applied; kept a day for a web node that is down
        pipe.hset(task_key(task_id), "done", kind)
        pipe.hdel(task_key(task_id), "running")
        pipe.expire(task_key(task_id), DONE_KEEP_S)
        pipe.execute()


_WORKER: _Worker | None = None
"""This process's worker (set by :func:`run_worker` before the pool forks)."""


def served_models(settings: Settings, requested: list[str] | None) -> tuple[list[str], list[str]]:
    """The output config ids a worker serves: `requested`, or every one whose weights are on this machine.

    Returns:
        (models, problems): the ids, and sentences about requested ids that are unknown or not on disk.
    """
    from devserver.generation.backend import DiffusersBackend
    from devserver.pipeline.loader import SchemaRegistry
    from devserver.pipeline.orchestrator import model_ref

    registry = SchemaRegistry.load(settings.schemas_dir)
    probe = DiffusersBackend(device="cpu", models_dir=settings.resolved_models_dir,
                             allow_downloads=settings.allow_model_downloads)
    problems = []
    if requested is None:
        return sorted(oc.id for oc in registry.output_configs.values() if probe.availability(model_ref(oc))[0]), []
    for model_id in requested:
        if model_id not in registry.output_configs:
            problems.append(f"unknown output config {model_id!r}")
            continue
        available, reason = probe.availability(model_ref(registry.output_configs[model_id]))
        if not available:
            problems.append(f"output config {model_id!r} is not on this machine: {reason}")
    return requested, problems


def run_worker(settings: Settings, *, models: list[str] | None, concurrency: int, name: str | None) -> int:
    """Start a Celery worker consuming the queues of `models` (blocks until it is stopped).

    Args:
        settings: ``broker_url``, ``models_dir``, ``device``, ``torch_threads``, ``celery_visibility_timeout_s``.
        models: output config ids to serve; None: every one whose weights are on this machine.
        concurrency: pool processes (jobs at the same time; 1 per GPU is usual).
        name: the worker's name (default ``<host>-<pid>``); its Celery node name is ``<name>@<host>``.
    Returns:
        the exit status: 0 after a normal stop, 2 when the models cannot be served.
    """
    global _WORKER
    from celery import signals

    served, problems = served_models(settings, models)
    if problems or not served:
        print("devserver worker: " + ("; ".join(problems) or "no output config has its weights on this machine"),
              file=sys.stderr)
        return 2
    host = socket.gethostname()
    node = name if name and "@" in name else f"{name or f'{host}-{os.getpid()}'}@{host}"
    worker = _WORKER = _Worker(settings, node, served, concurrency)
    app = make_celery(settings)

    @app.task(name=TASK_NAME, bind=True, acks_late=True, reject_on_worker_lost=True)
    def stage4_task(task: Any, message: dict[str, Any]) -> None:
        assert _WORKER is not None
        _WORKER.run_stage4(message, task.request.id)

    signals.worker_process_init.connect(lambda **_: worker.warm_up(), weak=False)
    signals.worker_ready.connect(lambda **_: worker.start_heartbeats(), weak=False)
    signals.worker_shutdown.connect(lambda **_: worker.stop_heartbeats(), weak=False)
    print(f"devserver worker {node}: serving {', '.join(served)} from {settings.resolved_models_dir}", flush=True)
    app.worker_main(["worker", "--queues", ",".join(queue_name(m) for m in served), "--concurrency",
                     str(concurrency), "--hostname", node, "--pool", "prefork", "--without-gossip",
                     "--without-mingle", "--loglevel", "INFO"])
    return 0
