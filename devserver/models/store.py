"""Model metadata, usage history and benchmark history in SQLite (``<exports>/models.sqlite3``, beside the queue).

Tables::

    metadata(model_id PRIMARY KEY, data JSON, updated_at)
    usage(model_id, output_config, runs, total_ms, last_used)       one row per (model, output config)
    benchmarks(id, model_id, created_at, device, request JSON, results JSON)
    optimizations(id, model_id, created_at, result JSON)

One connection shared by all threads behind a lock (stdlib ``sqlite3``, WAL mode like the job store); every
public method is one transaction. The file is created on first use.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

from devserver.storage.recorder import utc_now
from devserver.storage.sqlite import open_database

_SCHEMA = """
CREATE TABLE IF NOT EXISTS metadata (
    model_id TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS usage (
    model_id TEXT NOT NULL,
    output_config TEXT NOT NULL,
    runs INTEGER NOT NULL,
    total_ms INTEGER NOT NULL,
    last_used TEXT NOT NULL,
    PRIMARY KEY (model_id, output_config)
);
CREATE TABLE IF NOT EXISTS benchmarks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    model_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    device TEXT NOT NULL,
    request TEXT NOT NULL,
    results TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS benchmarks_by_model ON benchmarks(model_id, id);
CREATE TABLE IF NOT EXISTS optimizations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    model_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    result TEXT NOT NULL
);
"""


class ModelStore:
    """Metadata and histories of models, keyed by registry id; thread-safe.

    Args:
        path: the database file (its folder is created on first use).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    def _conn(self) -> sqlite3.Connection:
        """The open connection (created with the schema on first use); call with the lock held."""
        if self._db is None:
            self._db = open_database(self.path, _SCHEMA)
        return self._db

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            if self._db is None and not self.path.exists():
                return []
            return self._conn().execute(sql, params).fetchall()

    # -- metadata --------------------------------------------------------------------------------
    def all_metadata(self) -> dict[str, tuple[dict[str, Any], str]]:
        """model id -> (metadata dict, updated_at) for every model with stored metadata."""
        return {row["model_id"]: (json.loads(row["data"]), row["updated_at"])
                for row in self._rows("SELECT * FROM metadata")}

    def metadata(self, model_id: str) -> tuple[dict[str, Any], str | None]:
        """The stored metadata of one model ({} and None when never edited)."""
        rows = self._rows("SELECT * FROM metadata WHERE model_id = ?", (model_id,))
        return (json.loads(rows[0]["data"]), rows[0]["updated_at"]) if rows else ({}, None)

    def put_metadata(self, model_id: str, data: dict[str, Any]) -> str:
        """Replace a model's metadata; returns the update time (ISO 8601 UTC)."""
        now = utc_now()
        with self._lock:
            self._conn().execute("INSERT INTO metadata (model_id, data, updated_at) VALUES (?, ?, ?) "
                                 "ON CONFLICT(model_id) DO UPDATE SET data = excluded.data, "
                                 "updated_at = excluded.updated_at", (model_id, json.dumps(data), now))
        return now

    # -- usage -----------------------------------------------------------------------------------
    def record_usage(self, model_id: str, output_config: str, duration_ms: int) -> None:
        """Count one generated image of `model_id` through `output_config` taking `duration_ms`."""
        with self._lock:
            self._conn().execute(
                "INSERT INTO usage (model_id, output_config, runs, total_ms, last_used) VALUES (?, ?, 1, ?, ?) "
                "ON CONFLICT(model_id, output_config) DO UPDATE SET runs = runs + 1, "
                "total_ms = total_ms + excluded.total_ms, last_used = excluded.last_used",
                (model_id, output_config, int(duration_ms), utc_now()))

    def usage(self) -> dict[str, list[sqlite3.Row]]:
        """model id -> its usage rows (output_config, runs, total_ms, last_used)."""
        out: dict[str, list[sqlite3.Row]] = {}
        for row in self._rows("SELECT * FROM usage"):
            out.setdefault(row["model_id"], []).append(row)
        return out

    # -- benchmarks and optimizations -------------------------------------------------------------
    def add_benchmark(self, model_id: str, device: str, request: dict[str, Any], results: list[dict[str, Any]]) -> int:
        """Store a benchmark; returns its id."""
        with self._lock:
            return int(self._conn().execute(
                "INSERT INTO benchmarks (model_id, created_at, device, request, results) VALUES (?, ?, ?, ?, ?)",
                (model_id, utc_now(), device, json.dumps(request), json.dumps(results))).lastrowid)

    def benchmarks(self, model_id: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
        """Stored benchmarks, newest first (of one model, or the latest of every model when None)."""
        if model_id is None:
            rows = self._rows("SELECT b.* FROM benchmarks b JOIN (SELECT model_id, MAX(id) AS id FROM benchmarks "
                              "GROUP BY model_id) last ON b.id = last.id")
        else:
            rows = self._rows("SELECT * FROM benchmarks WHERE model_id = ? ORDER BY id DESC LIMIT ?",
                              (model_id, limit))
        return [{"id": row["id"], "model_id": row["model_id"], "created_at": row["created_at"],
                 "device": row["device"], "results": json.loads(row["results"])} for row in rows]

    def add_optimization(self, model_id: str, result: dict[str, Any]) -> None:
        """Store an optimize run's result."""
        with self._lock:
            self._conn().execute("INSERT INTO optimizations (model_id, created_at, result) VALUES (?, ?, ?)",
                                 (model_id, utc_now(), json.dumps(result)))

    def close(self) -> None:
        """Close the connection (tests; the server keeps it for its lifetime)."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
