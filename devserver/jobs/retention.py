"""Event retention (issue 7): a finished run keeps its stage and terminal events, not one row per diffusion step.

The SSE stream and ``GET /api/runs/<id>`` of a finished run need its ``stage_start``/``stage_complete`` events,
its final progress and its terminal event; the per-step ``progress`` rows only matter while it runs. After
``Settings.event_retention_hours`` the per-step rows of finished runs are deleted (the last one stays, so the
status still shows the final step). :class:`EventCompactor` runs the compaction at most once per interval,
called from the queue after each finished run (one line there).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta

log = logging.getLogger(__name__)

COMPACT_INTERVAL_S = 600.0
"""Least time between two compactions, in seconds (0-hour retention compacts after every run)."""


class EventCompactor:
    """Deletes the per-step events of runs that finished more than `retention_hours` ago.

    Args:
        store: the :class:`~devserver.jobs.store.JobStore`.
        retention_hours: how long a finished run keeps its per-step events; None keeps them forever.
        interval_s: least time between two compactions (0 compacts on every call).
    """

    def __init__(self, store, retention_hours: float | None, interval_s: float = COMPACT_INTERVAL_S) -> None:  # type: ignore[no-untyped-def]
        self._store = store
        self._retention_hours = retention_hours
        self._interval_s = interval_s if retention_hours else 0.0
        self._lock = threading.Lock()
        self._last = float("-inf")

    def maybe_compact(self) -> int:
        """Compact if the interval has passed since the last compaction; returns the number of events deleted."""
        if self._retention_hours is None:
            return 0
        with self._lock:
            now = time.monotonic()
            if now - self._last < self._interval_s:
                return 0
            self._last = now
        return self.compact()

    def compact(self) -> int:
        """Delete now; returns the number of events deleted (0 when retention is off)."""
        if self._retention_hours is None:
            return 0
        cutoff = datetime.now(UTC) - timedelta(hours=self._retention_hours)
        cutoff_iso = cutoff.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        if self._retention_hours == 0:
            cutoff_iso = "9999-12-31T23:59:59.999Z"  # every finished run, including one that finished just now
        deleted = self._store.compact_events(cutoff_iso)
        if deleted:
            log.info("compacted %d per-step events of finished runs", deleted)
        return deleted
