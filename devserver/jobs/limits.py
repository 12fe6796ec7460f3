"""The queue cap (issue 7): how many runs may wait or run at once, in total and per client address.

A pure policy (:func:`queue_cap_verdict`) and one call for the queue (:func:`check_queue_cap`), so the rule is a
table of cases in the tests and the queue needs one line. Defaults are sized for a class: 30 learners with a
few runs each fit under ``queue_max_jobs`` (120), and one client (a learner's tab, a script) cannot take more than
``queue_max_jobs_per_client`` (20) places. A refusal is HTTP 429 with ``Retry-After`` (RFC 9110 section 10.2.3),
estimated from how long recent runs took.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from devserver.errors import ApiError

DEFAULT_RUN_S = 5.0
"""Assumed run time before any run has finished, in seconds."""
MAX_RETRY_AFTER_S = 300
"""Longest Retry-After the server suggests, in seconds."""


class QueueFullError(ApiError):
    """429: the queue holds as many runs as allowed, in total or for this client; retry after ``Retry-After``."""

    status = 429
    code = "queue_full"


@dataclass(frozen=True)
class QueueCap:
    """The limits: ``max_total`` queued + running runs, ``max_per_client`` of them per client address."""

    max_total: int
    max_per_client: int


def queue_cap_verdict(cap: QueueCap, active_total: int, active_for_client: int) -> str | None:
    """Which limit a new run would exceed: ``"total"``, ``"client"`` or None (it may be queued).

    Args:
        cap: the limits.
        active_total: queued + running runs now.
        active_for_client: of them, submitted from the same client address.
    """
    if active_for_client >= cap.max_per_client:
        return "client"
    if active_total >= cap.max_total:
        return "total"
    return None


def retry_after_s(recent_run_s: list[float], waiting_ahead: int, concurrency: int) -> int:
    """Seconds after which a retry is likely to find a free place: the median recent run time times the runs that
    must finish first, divided by the workers; at least 1, at most :data:`MAX_RETRY_AFTER_S`."""
    per_run = statistics.median(recent_run_s) if recent_run_s else DEFAULT_RUN_S
    return max(1, min(MAX_RETRY_AFTER_S, math.ceil(per_run * max(1, waiting_ahead) / max(1, concurrency))))


def check_queue_cap(store, cap: QueueCap, client: str | None, concurrency: int) -> None:  # type: ignore[no-untyped-def]
    """Refuse a new run when the queue is full (call with the queue's lock held, right before adding the job).

    Args:
        store: the :class:`~devserver.jobs.store.JobStore` (``active_counts``, ``recent_durations_s``).
        cap: the limits.
        client: the client's address (``request.remote_addr``), None for in-process callers.
        concurrency: queue workers (for the Retry-After estimate).
    Raises:
        QueueFullError (429) with a ``Retry-After`` header and ``details.limit`` ("total" or "client").
    """
    total, for_client = store.active_counts(client)
    verdict = queue_cap_verdict(cap, total, for_client)
    if verdict is None:
        return
    if verdict == "client":
        ahead, limit = for_client - cap.max_per_client + 1, cap.max_per_client
        message = (f"You already have {for_client} runs waiting or running; at most {limit} per computer. "
                   "Wait for one to finish, then try again.")
    else:
        ahead, limit = total - cap.max_total + 1, cap.max_total
        message = f"The queue is full ({total} runs waiting or running). Try again in a moment."
    seconds = retry_after_s(store.recent_durations_s(), ahead, concurrency)
    raise QueueFullError(message, headers={"Retry-After": str(seconds)},
                         details={"limit": verdict, "max": limit, "retry_after_s": seconds})
