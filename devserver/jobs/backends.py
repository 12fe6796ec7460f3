"""Queue backends: where stage 4 of a job runs, behind one interface.

The job lifecycle is the same for both (:mod:`devserver.jobs.queue`: the jobs table in SQLite, the queue
threads of the web node, events, SSE/WebSocket); a backend decides where the image is made:

- ``embedded`` (:class:`QueueBackend` itself, the default): in the server process, by the
  :class:`~devserver.generation.backend.DiffusersBackend`; no extra service.
- ``celery`` (:class:`devserver.jobs.remote.CeleryBackend`): on GPU workers (``devserver worker --celery``)
  through Celery with a Redis broker; progress and the image come back through a Redis Stream per run.

The queue asks its backend whether submissions can be taken (:meth:`QueueBackend.check_ready`), how many
runs it can work on at once (:meth:`QueueBackend.slots`), which workers exist (:meth:`QueueBackend.workers`),
which stage-4 jobs survive a restart of the web node (:meth:`QueueBackend.pending`) and tells it to let go of
running jobs when the server stops (:meth:`QueueBackend.detach`).
"""

from __future__ import annotations

from typing import Any

from devserver.contracts.jobs import WorkerInfo
from devserver.errors import Detached

__all__ = ["Detached", "QueueBackend"]


class QueueBackend:
    """The embedded backend: stage 4 in this process; every method is a no-op or a neutral answer."""

    name = "embedded"

    def check_ready(self) -> None:
        """Raise QueueUnavailableError (503) when no job can be queued now (the embedded queue always can)."""

    def slots(self) -> int:
        """Runs the backend's workers can make at once (0: no information, the queue's concurrency applies)."""
        return 0

    def workers(self) -> list[WorkerInfo] | None:
        """GPU workers for GET /api/queue; None for the embedded backend (the answer has no ``workers``)."""
        return None

    def pending(self, run_id: str) -> Any | None:
        """A stage 4 of `run_id` still going on elsewhere after this process restarted, or None."""
        return None

    def detach(self) -> None:
        """The server stops: let running remote jobs go on without this process."""

    def close(self) -> None:
        """Release connections (server exit)."""
