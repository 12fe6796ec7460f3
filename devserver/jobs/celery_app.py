"""The Celery application shared by the web node (producer) and the GPU workers, and the Redis keys both use.

Celery (https://docs.celeryq.dev/) with its Redis transport carries the stage-4 jobs; the progress, the images
and the workers' heartbeats go through plain Redis structures next to it (redis-py), so the web node reads
them without Celery's result backend:

===============================================  ===========================================================
key                                              what
===============================================  ===========================================================
``devserver:dispatch:<run_id>`` (hash)           the web node's record of a run's stage-4 job: task_id,
                                                 output config, request without images, last entry applied
``devserver:stream:<run_id>:<task_id>`` (stream)  from the worker: ``delivery``, ``progress``, then one of
                                                 ``result`` / ``error`` / ``canceled``
``devserver:cancel:<task_id>``                   cancel flag, read at each diffusion step
``devserver:task:<task_id>`` (hash)              deliveries, the attempt running now, ``done``
``devserver:failures:<task_id>`` (list)          why earlier attempts failed (3 -> the job ends ``error``)
``devserver:lease:<task_id>``                    the worker running the attempt; renewed with its heartbeat
``devserver:workers`` (set),                     live GPU workers: name, models, concurrency, Redis time of
``devserver:worker:<name>`` (hash),              the last heartbeat; the run_ids they run now
``devserver:worker:<name>:runs`` (hash)
===============================================  ===========================================================

Fault handling (Celery's own): ``task_acks_late`` (a job is acknowledged only when it ended),
``task_reject_on_worker_lost`` (a pool process that dies puts its job back at once) and the Redis transport's
visibility timeout (a job held by a worker that vanished altogether is handed out again after
``Settings.celery_visibility_timeout_s``), with ``worker_prefetch_multiplier=1`` so a worker holds only the
jobs it runs. Every re-delivery re-runs the job from the start with the same seed, so the image is the same.
"""

from __future__ import annotations

from typing import Any

from devserver.settings import Settings

TASK_NAME = "devserver.stage4"
"""Name of the Celery task that runs stage 4 on a GPU worker."""
QUEUE_PREFIX = "devserver.stage4."
"""A Celery queue per output config: ``devserver.stage4.<output config id>`` (routing by model)."""
MAX_FAILED_ATTEMPTS = 3
"""A job that failed this many times (worker lost or generation failed) ends ``error`` with the reasons."""
KEEP_S = 24 * 3600
"""How long the Redis records of a job are kept at most, in seconds: the web node deletes the dispatch record and
the stream (with its image) as soon as it applied the job's end; a web node down for longer loses the job."""
DONE_KEEP_S = 3600
"""How long a GPU worker keeps a finished job's bookkeeping (deliveries, done), in seconds."""


def queue_name(output_config_id: str) -> str:
    """The Celery queue of an output config's stage-4 jobs."""
    return QUEUE_PREFIX + output_config_id


def dispatch_key(run_id: str) -> str:
    return f"devserver:dispatch:{run_id}"


def stream_key(run_id: str, task_id: str) -> str:
    return f"devserver:stream:{run_id}:{task_id}"


def cancel_key(task_id: str) -> str:
    return f"devserver:cancel:{task_id}"


def task_key(task_id: str) -> str:
    return f"devserver:task:{task_id}"


def failures_key(task_id: str) -> str:
    return f"devserver:failures:{task_id}"


def lease_key(task_id: str) -> str:
    return f"devserver:lease:{task_id}"


WORKERS_KEY = "devserver:workers"


def worker_key(name: str) -> str:
    return f"devserver:worker:{name}"


def worker_runs_key(name: str) -> str:
    return f"devserver:worker:{name}:runs"


def worker_ttl_s(settings: Settings) -> float:
    """A worker whose heartbeat is older than this (3 heartbeats) is gone, in seconds."""
    return 3 * settings.worker_heartbeat_s


def make_celery(settings: Settings) -> Any:
    """A Celery app for `settings.broker_url` with the fault-handling options above (celery is imported here).

    Returns:
        a ``celery.Celery``; not set as the current app, so several apps (tests) do not interfere.
    """
    from celery import Celery

    app = Celery("devserver", broker=settings.broker_url, set_as_current=False)
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,  # results travel through the run's Redis Stream
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=QUEUE_PREFIX + "default",
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=3,
        task_publish_retry_policy={"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5,
                                   "interval_max": 1.0},
        broker_transport_options={
            "visibility_timeout": settings.celery_visibility_timeout_s,
            # look for jobs of vanished workers every few seconds (kombu: interval x throttle)
            "unacked_restore_interval": 1,
            "unacked_restore_throttle": max(1, min(10, int(settings.celery_visibility_timeout_s // 5))),
            "socket_timeout": 10,
            "socket_connect_timeout": 3,
        },
        worker_proc_alive_timeout=300,  # a pool process loads diffusers and its models before it takes jobs
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        worker_enable_remote_control=True,  # revoke of queued jobs
    )
    return app
