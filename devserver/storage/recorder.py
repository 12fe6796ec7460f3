"""Run folders on disk: ``<exports>/json/<run_id>/metadata.json`` plus ``NN_<type>.<ext>`` entities.

Every file is written atomically (temp file + rename, :mod:`devserver.storage.atomic`); metadata.json is
rewritten after each entity so that it always lists exactly the files present. One lock per run keeps
concurrent requests on the same run (e.g. two images added at once) from interleaving sequence numbers.
"""

from __future__ import annotations

import json
import re
import shutil
import threading
from datetime import datetime, UTC
from pathlib import Path
from typing import Any

from devserver.errors import MediaNotFoundError, RunNotFoundError
from devserver.storage.atomic import write_bytes_atomic, write_json_atomic
from devserver.storage.ids import new_id, validate_id

_TYPE_RE = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
_EXT_RE = re.compile(r"^[a-z0-9]{1,8}$")


def utc_now() -> str:
    """Current time as ISO 8601 UTC with milliseconds, e.g. ``2026-11-21T10:00:00.123Z``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Run:
    """One run folder. Create through :class:`RunRecorder`; methods are thread-safe."""

    def __init__(self, folder: Path, lock: threading.RLock) -> None:
        self.folder = folder
        self.run_id = folder.name
        self._lock = lock

    # -- reading ---------------------------------------------------------------------------------
    def metadata(self) -> dict[str, Any]:
        """The parsed metadata.json (a fresh dict each call)."""
        with self._lock:
            return json.loads((self.folder / "metadata.json").read_text(encoding="utf-8"))

    def image_path(self, index: int | None = None) -> Path:
        """Path of the PNG of media `index` (0-based; None = the latest).

        Raises:
            MediaNotFoundError (404): the run has no image at that index.
        """
        media = self.metadata().get("media", [])
        if not media:
            raise MediaNotFoundError(f"run {self.run_id} has no images", details={"run_id": self.run_id})
        if index is None:
            index = len(media) - 1
        if not 0 <= index < len(media):
            raise MediaNotFoundError(
                f"run {self.run_id} has {len(media)} image(s); index {index} does not exist",
                details={"run_id": self.run_id, "index": index, "count": len(media)},
            )
        return self.folder / media[index]["file"]

    def latest_text(self, entity_type: str) -> str | None:
        """Content of the newest text entity of `entity_type`, or None."""
        for entity in reversed(self.metadata().get("entities", [])):
            if entity["type"] == entity_type:
                return (self.folder / entity["file"]).read_text(encoding="utf-8")
        return None

    # -- writing ---------------------------------------------------------------------------------
    def add_bytes(self, entity_type: str, ext: str, data: bytes) -> str:
        """Write the next entity ``NN_<entity_type>.<ext>`` and list it in metadata.json.

        Args:
            entity_type: snake_case type, e.g. "input", "interception", "output_image".
            ext: file extension without dot (txt, json, png).
            data: file content.
        Returns:
            the file name written.
        Raises:
            ValueError: a bad type or extension (programming error).
        """
        if not _TYPE_RE.match(entity_type) or not _EXT_RE.match(ext):
            raise ValueError(f"bad entity type/ext: {entity_type!r}.{ext!r}")
        with self._lock:
            meta = self.metadata()
            seq = len(meta["entities"]) + 1
            name = f"{seq:02d}_{entity_type}.{ext}"
            write_bytes_atomic(self.folder / name, data)
            meta["entities"].append({"seq": seq, "type": entity_type, "file": name, "created_at": utc_now()})
            self._write_meta(meta)
            return name

    def add_text(self, entity_type: str, text: str) -> str:
        """Write a UTF-8 ``.txt`` entity; returns the file name."""
        return self.add_bytes(entity_type, "txt", text.encode("utf-8"))

    def add_json(self, entity_type: str, obj: Any) -> str:
        """Write a pretty JSON ``.json`` entity; returns the file name."""
        text = json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n"
        return self.add_bytes(entity_type, "json", text.encode("utf-8"))

    def add_image(self, png: bytes, media: dict[str, Any], *, ext: str = "png") -> dict[str, Any]:
        """Write ``NN_output_image.<ext>`` and append its media_output to metadata ``media``.

        Args:
            png: the encoded image's bytes (PNG unless `ext` says otherwise: jpg, webp).
            media: the media_output dict without ``index``/``url`` (filled in here, under the lock).
            ext: file extension without dot.
        Returns:
            the complete media_output dict (with index and url).
        """
        with self._lock:
            index = len(self.metadata().get("media", []))
            name = self.add_bytes("output_image", ext, png)
            meta = self.metadata()
            record = dict(media, index=index, url=f"/api/media/image/{self.run_id}/{index}",
                          run_id=self.run_id)
            meta.setdefault("media", []).append(dict(record, file=name))
            meta["seed"] = record.get("seed")
            self._write_meta(meta)
            return record

    def update(self, **fields: Any) -> None:
        """Set top-level metadata fields (``status``, ``output_config``, ...); ``backends`` is merged."""
        with self._lock:
            meta = self.metadata()
            backends = fields.pop("backends", None)
            if backends:
                meta.setdefault("backends", {}).update(backends)
            meta.update(fields)
            self._write_meta(meta)

    def record_outcome(self, status: str, *, error: dict[str, Any] | None = None,
                       blocked: dict[str, Any] | None = None) -> None:
        """Write the run's outcome into metadata.json: ``status`` and its ``error`` or ``blocked`` record.

        For a job (an /execute or /generation run) only the job queue calls this, when the job ends, so a
        run's status has one writer (``devserver.jobs.queue``); the step-by-step calls (stage2, optimize),
        which are not jobs, record their own errors and blocks.

        Args:
            status: ``success``, ``blocked``, ``error`` or ``canceled``.
            error: ``{"code", "message"}`` of an error or cancel.
            blocked: ``{"stage", "reason", "found_terms"}`` of a block.
        """
        fields: dict[str, Any] = {"status": status}
        if error is not None:
            fields["error"] = error
        if blocked is not None:
            fields["blocked"] = blocked
        self.update(**fields)

    def _write_meta(self, meta: dict[str, Any]) -> None:
        meta["updated_at"] = utc_now()
        write_json_atomic(self.folder / "metadata.json", meta)


class RunRecorder:
    """Creates and opens run folders under ``runs_dir`` (``<exports>/json``)."""

    def __init__(self, runs_dir: Path) -> None:
        self.runs_dir = runs_dir
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self._locks: dict[str, threading.RLock] = {}
        self._locks_guard = threading.Lock()

    def _lock_for(self, run_id: str) -> threading.RLock:
        with self._locks_guard:
            return self._locks.setdefault(run_id, threading.RLock())

    def create(self, *, safety_level: str, run_id: str | None = None, **fields: Any) -> Run:
        """Create a new run folder with an initial metadata.json (status ``in_progress``).

        Args:
            safety_level: the server's level, recorded for provenance.
            run_id: a fresh UUID4 to use (e.g. reserved by the job queue); default: a new one.
            fields: more metadata (config, output_config, language).
        Returns:
            the new :class:`Run`.
        Raises:
            InvalidIdError (400): `run_id` is not a UUID4.
            FileExistsError: the folder already exists.
        """
        run_id = validate_id(run_id, "run_id") if run_id is not None else new_id()
        folder = self.runs_dir / run_id
        staging = self.runs_dir / f".{run_id}.creating"
        staging.mkdir()
        now = utc_now()
        meta = {"run_id": run_id, "status": "in_progress", "created_at": now, "updated_at": now,
                "config": None, "output_config": None, "safety_level": safety_level, "language": None,
                "seed": None, "backends": {}, "entities": [], "media": [], "blocked": None, "error": None}
        meta.update(fields)
        try:
            write_json_atomic(staging / "metadata.json", meta)
            staging.rename(folder)  # the folder appears complete or not at all
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return Run(folder, self._lock_for(run_id))

    def open(self, run_id: str) -> Run:
        """Open an existing run.

        Raises:
            InvalidIdError (400): not a UUID4 (checked before touching the filesystem).
            RunNotFoundError (404): no such run folder.
        """
        run_id = validate_id(run_id, "run_id")
        folder = self.runs_dir / run_id
        if not (folder / "metadata.json").is_file():
            raise RunNotFoundError(f"no run with run_id {run_id}", details={"run_id": run_id})
        return Run(folder, self._lock_for(run_id))
