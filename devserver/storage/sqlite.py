"""The SQLite databases of the exports folder (the jobs table, the model metadata): one way to open them."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path


def open_database(path: Path, schema: str,
                  migrate: Callable[[sqlite3.Connection], None] | None = None) -> sqlite3.Connection:
    """Open (or create) the database at `path` with `schema`, for one connection shared by the threads of the server.

    Autocommit (``isolation_level=None``: callers write one statement or their own transaction), rows as
    :class:`sqlite3.Row`, WAL journal with ``synchronous=NORMAL`` (https://www.sqlite.org/wal.html: readers do not
    block the writer; a power cut may lose the last commits, never the file). The caller serialises use with a lock.

    Args:
        path: the database file; its folder is created.
        schema: ``CREATE TABLE IF NOT EXISTS ...`` statements, run every time.
        migrate: changes for databases written by older versions (e.g. a new column), run after `schema`.
    Returns:
        the open connection.
    Raises:
        sqlite3.Error / OSError: the file cannot be created or written (e.g. a full disk); nothing is kept open, so
            the next call tries again once the cause is gone.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    try:
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(schema)
        if migrate is not None:
            migrate(db)
    except sqlite3.Error:
        db.close()
        raise
    return db
