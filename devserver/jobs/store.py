"""The durable job queue: jobs and their events in one SQLite file (stdlib ``sqlite3``).

The database lives at ``<exports>/queue.sqlite3`` in WAL mode (https://www.sqlite.org/wal.html) with
``synchronous=NORMAL``: a committed transaction survives a crash of the process (not necessarily a power
loss), and commits do not wait for an fsync, so one event per diffusion step is cheap.

One connection is shared by all threads and serialised by a lock; each public method is one transaction.
The file is created on first write, so an app that never queues anything leaves no file behind.

Tables::

    jobs(seq, run_id, kind, request, status, cancel_requested, created_at, started_at, finished_at, client)
    events(id, run_id, type, data, created_at)

``jobs.seq`` orders the queue (FIFO); ``events.id`` (AUTOINCREMENT: monotonic, never reused) is the SSE
event id and the ``Last-Event-ID`` clients resume from.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devserver.contracts.jobs import TERMINAL_STATUSES
from devserver.errors import ConflictError
from devserver.storage.recorder import utc_now
from devserver.storage.sqlite import open_database

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    request TEXT NOT NULL,
    status TEXT NOT NULL,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT
);
CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs(status, seq);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_run ON events(run_id, id);
"""


@dataclass(frozen=True)
class Job:
    """One row of ``jobs``.

    Attributes:
        seq: queue order (smaller runs first).
        run_id: the run's UUID4 (also the job's id).
        kind: ``"execute"`` or ``"generation"``.
        request: the request body as JSON-ready dict (by alias: ``schema``, ``async``).
        status: queued, running, success, blocked, error or canceled.
        cancel_requested: a cancel was requested while running.
        created_at / started_at / finished_at: ISO 8601 UTC, or None.
    """

    seq: int
    run_id: str
    kind: str
    request: dict[str, Any]
    status: str
    cancel_requested: bool
    created_at: str
    started_at: str | None
    finished_at: str | None


@dataclass(frozen=True)
class JobEvent:
    """One row of ``events``: ``id`` is the SSE id, ``data`` the JSON object sent as SSE ``data``."""

    id: int
    run_id: str
    type: str
    data: dict[str, Any]
    created_at: str


def _job(row: sqlite3.Row) -> Job:
    return Job(seq=row["seq"], run_id=row["run_id"], kind=row["kind"], request=json.loads(row["request"]),
               status=row["status"], cancel_requested=bool(row["cancel_requested"]), created_at=row["created_at"],
               started_at=row["started_at"], finished_at=row["finished_at"])


def _event(row: sqlite3.Row) -> JobEvent:
    return JobEvent(id=row["id"], run_id=row["run_id"], type=row["type"], data=json.loads(row["data"]),
                    created_at=row["created_at"])


def _add_client_column(db: sqlite3.Connection) -> None:
    """Databases from before issue 7 have no ``client`` column (the per-client queue cap)."""
    if "client" not in {row["name"] for row in db.execute("PRAGMA table_info(jobs)")}:
        db.execute("ALTER TABLE jobs ADD COLUMN client TEXT")


def complete_media(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Every image of a ``complete`` event's data (``media_outputs``); events stored before batches existed carry
    only ``media_output``."""
    return data.get("media_outputs") or [data["media_output"]]


class JobStore:
    """Jobs and events in SQLite; thread-safe (one connection, one lock).

    Args:
        path: the database file, e.g. ``<exports>/queue.sqlite3``; its folder is created on first write.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    def _conn(self) -> sqlite3.Connection:
        """The open connection (created with the schema on first use); call with the lock held."""
        if self._db is None:  # not kept on failure: the next call tries again (e.g. once disk space was freed)
            self._db = open_database(self.path, _SCHEMA, _add_client_column)
        return self._db

    def _read(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        """Rows of a query; no file is created when the database does not exist yet."""
        with self._lock:
            if self._db is None and not self.path.exists():
                return []
            return self._conn().execute(sql, tuple(params)).fetchall()

    # -- jobs ------------------------------------------------------------------------------------
    def add_job(self, run_id: str, kind: str, request: dict[str, Any], client: str | None = None) -> tuple[Job, int]:
        """Queue a job at the end of the queue.

        A finished job of the same run (a second ``/generation`` into an existing run) is replaced,
        together with its events; the run folder keeps everything it recorded.

        Returns:
            the new job and its queue position (1 = runs next).
        Raises:
            ConflictError (409): the run already has a queued or running job.
        """
        with self._lock:
            db = self._conn()
            with db:
                db.execute("BEGIN IMMEDIATE")
                old = db.execute("SELECT status FROM jobs WHERE run_id = ?", (run_id,)).fetchone()
                if old is not None:
                    if old["status"] not in TERMINAL_STATUSES:
                        raise ConflictError(f"run {run_id} already has a {old['status']} job; wait for it or cancel it",
                                            details={"run_id": run_id, "status": old["status"]})
                    db.execute("DELETE FROM events WHERE run_id = ?", (run_id,))
                    db.execute("DELETE FROM jobs WHERE run_id = ?", (run_id,))
                seq = db.execute("INSERT INTO jobs (run_id, kind, request, status, created_at, client) "
                                 "VALUES (?, ?, ?, 'queued', ?, ?)",
                                 (run_id, kind, json.dumps(request), utc_now(), client)).lastrowid
                position = db.execute("SELECT COUNT(*) FROM jobs WHERE status = 'queued' AND seq <= ?",
                                      (seq,)).fetchone()[0]
                row = db.execute("SELECT * FROM jobs WHERE seq = ?", (seq,)).fetchone()
        return _job(row), position

    def claim_next(self) -> Job | None:
        """Mark the oldest queued job running and return it; None when nothing is queued."""
        with self._lock:
            if self._db is None and not self.path.exists():
                return None
            db = self._conn()
            with db:
                db.execute("BEGIN IMMEDIATE")
                row = db.execute("SELECT seq FROM jobs WHERE status = 'queued' ORDER BY seq LIMIT 1").fetchone()
                if row is None:
                    return None
                db.execute("UPDATE jobs SET status = 'running', started_at = ? WHERE seq = ?", (utc_now(), row["seq"]))
                return _job(db.execute("SELECT * FROM jobs WHERE seq = ?", (row["seq"],)).fetchone())

    def request_cancel(self, run_id: str) -> None:
        """Record that a cancel was requested for a running job."""
        with self._lock:
            self._conn().execute("UPDATE jobs SET cancel_requested = 1 WHERE run_id = ? AND status = 'running'",
                                 (run_id,))

    def job(self, run_id: str) -> Job | None:
        """The job of `run_id`, or None."""
        rows = self._read("SELECT * FROM jobs WHERE run_id = ?", (run_id,))
        return _job(rows[0]) if rows else None

    def active_jobs(self) -> list[Job]:
        """Running jobs (by start), then queued jobs in queue order."""
        rows = self._read("SELECT * FROM jobs WHERE status IN ('running', 'queued') "
                          "ORDER BY status = 'queued', seq")
        return [_job(row) for row in rows]

    def queue_position(self, job: Job) -> int | None:
        """0 for a running job, 1.. for a queued one (1 = next), None for a finished one."""
        if job.status == "running":
            return 0
        if job.status != "queued":
            return None
        rows = self._read("SELECT COUNT(*) FROM jobs WHERE status = 'queued' AND seq <= ?", (job.seq,))
        return rows[0][0]

    def active_counts(self, client: str | None) -> tuple[int, int]:
        """(queued + running jobs in total, of them submitted by `client`); for the queue cap."""
        rows = self._read("SELECT COUNT(*), COALESCE(SUM(client IS ? AND client IS NOT NULL), 0) FROM jobs "
                          "WHERE status IN ('queued', 'running')", (client,))
        return (rows[0][0], rows[0][1]) if rows else (0, 0)

    def recent_durations_s(self, limit: int = 20) -> list[float]:
        """Run times (started -> finished) of the last `limit` finished jobs that ran, in seconds."""
        rows = self._read("SELECT (julianday(finished_at) - julianday(started_at)) * 86400.0 FROM jobs "
                          "WHERE started_at IS NOT NULL AND finished_at IS NOT NULL ORDER BY seq DESC LIMIT ?",
                          (limit,))
        return [max(0.0, row[0]) for row in rows if row[0] is not None]

    def compact_events(self, finished_before: str, drop_types: tuple[str, ...] = ("progress",)) -> int:
        """Delete the `drop_types` events of runs that finished before `finished_before` (ISO 8601 UTC), keeping
        each run's last event of those types (its final progress) and all other events (stage and terminal).

        Returns:
            the number of events deleted.
        """
        marks = ",".join("?" * len(drop_types))
        with self._lock:
            if self._db is None and not self.path.exists():
                return 0
            db = self._conn()
            with db:
                db.execute("BEGIN IMMEDIATE")
                deleted = db.execute(
                    f"DELETE FROM events WHERE type IN ({marks}) "
                    f"AND run_id IN (SELECT run_id FROM jobs WHERE finished_at IS NOT NULL AND finished_at < ?) "
                    f"AND id NOT IN (SELECT MAX(id) FROM events WHERE type IN ({marks}) GROUP BY run_id)",
                    (*drop_types, finished_before, *drop_types)).rowcount
        return deleted

    def run_ids_with_status(self, status: str) -> list[str]:
        """run_ids of the jobs in `status`, in queue order."""
        return [row["run_id"] for row in self._read("SELECT run_id FROM jobs WHERE status = ? ORDER BY seq",
                                                    (status,))]

    # -- events ----------------------------------------------------------------------------------
    def append_event(self, run_id: str, type_: str, data: dict[str, Any], *, status: str | None = None,
                     from_statuses: tuple[str, ...] = ("queued", "running")) -> JobEvent | None:
        """Store an event; with `status`, move the job to it in the same transaction.

        Args:
            run_id: the job's run.
            type_: event type (``queued``, ``progress``, ``complete``, ...).
            data: JSON-ready event data.
            status: new job status (a terminal one sets ``finished_at``), or None to leave it.
            from_statuses: with `status`: only move (and store the event) when the job is in one of these;
                by default a job moves only while queued or running, so a finished job never changes.
        Returns:
            the stored event; None when `from_statuses` did not match (nothing was written).
        """
        now = utc_now()
        with self._lock:
            db = self._conn()
            with db:
                db.execute("BEGIN IMMEDIATE")
                if status is not None:
                    finished = now if status in TERMINAL_STATUSES else None
                    marks = ",".join("?" * len(from_statuses))
                    moved = db.execute(f"UPDATE jobs SET status = ?, finished_at = ? WHERE run_id = ? "
                                       f"AND status IN ({marks})", (status, finished, run_id, *from_statuses))
                    if moved.rowcount == 0:
                        return None
                event_id = db.execute("INSERT INTO events (run_id, type, data, created_at) VALUES (?, ?, ?, ?)",
                                      (run_id, type_, json.dumps(data), now)).lastrowid
        return JobEvent(id=event_id, run_id=run_id, type=type_, data=data, created_at=now)

    def events(self, run_id: str, after_id: int = 0) -> list[JobEvent]:
        """The events of `run_id` with ``id > after_id``, oldest first."""
        return [_event(row) for row in self._read("SELECT * FROM events WHERE run_id = ? AND id > ? ORDER BY id",
                                                  (run_id, after_id))]
