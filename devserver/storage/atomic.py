"""Atomic file writes: write to a temp file in the same folder, fsync, then ``os.replace``.

``os.replace`` is atomic on POSIX and Windows when source and target are on the same filesystem
(https://docs.python.org/3/library/os.html#os.replace), so readers never see a half-written file.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically; the parent folder must exist.

    Raises:
        OSError: the folder is not writable or the disk is full (no partial file is left behind).
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_text_atomic(path: Path, text: str) -> None:
    """Write UTF-8 `text` to `path` atomically."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_json_atomic(path: Path, obj: Any) -> None:
    """Write `obj` as pretty UTF-8 JSON (2-space indent, non-ASCII kept) to `path` atomically."""
    write_text_atomic(path, json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n")
