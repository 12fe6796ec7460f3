"""Runs as the studio's gallery ("Meine Bilder") and the teacher view see them, read from the run folders.

Everything here reads ``<exports>/json/<run_id>/`` (metadata.json, the run's text and JSON entities and the
provenance chunk of its PNGs, see :mod:`devserver.storage.recorder`), never the job queue: a run folder is
the lasting record of a run, whether it ran synchronously or as a queued job.

Privacy: :func:`list_runs` answers only for the run ids a browser names (its own runs; ids are unguessable
UUID4s). Listing every run of a day (:func:`runs_of_day`) is for the teacher view, behind the admin token.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from devserver.contracts.api import (
    FilterCheck,
    MediaOutput,
    SafetyStage,
    Stage2Report,
    Stage3Report,
    Stages,
    TextStep,
)
from devserver.contracts.classroom import RunBlock, RunDetail, RunListResponse, RunSummary
from devserver.errors import RunNotFoundError
from devserver.generation.png import DEVSERVER_KEY, read_png_text
from devserver.storage.ids import is_uuid4, validate_id
from devserver.storage.recorder import Run, RunRecorder

log = logging.getLogger(__name__)


def thumbnail_url(run_id: str, index: int) -> str:
    """Relative URL of the small version of image `index` of a run."""
    return f"/api/media/thumbnail/{run_id}/{index}"


def input_image_url(run_id: str) -> str:
    """Relative URL of a run's own copy of its input photo."""
    return f"/api/media/input/{run_id}"


def mask_image_url(run_id: str) -> str:
    """Relative URL of a run's own copy of its inpainting mask."""
    return f"/api/media/mask/{run_id}"


class _Folder:
    """Reading helpers for one run folder (metadata.json read once)."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.meta = run.metadata()

    def _entity(self, entity_type: str, *, first: bool = False) -> Path | None:
        entities = self.meta.get("entities", [])
        for entity in entities if first else reversed(entities):
            if entity.get("type") == entity_type:
                return self.run.folder / entity["file"]
        return None

    def text(self, entity_type: str, *, first: bool = False) -> str | None:
        path = self._entity(entity_type, first=first)
        return path.read_text(encoding="utf-8") if path is not None and path.is_file() else None

    def json(self, entity_type: str) -> Any:
        path = self._entity(entity_type)
        if path is None or not path.is_file():
            return None
        return json.loads(path.read_text(encoding="utf-8"))

    def has(self, entity_type: str) -> bool:
        return self._entity(entity_type) is not None

    def media(self) -> list[MediaOutput]:
        return [MediaOutput.model_validate({k: m[k] for k in MediaOutput.model_fields if k in m})
                for m in self.meta.get("media", [])]

    def image_stages(self) -> Stages | None:
        """The stage reports in the latest image's provenance chunk (what made that image), or None."""
        media = self.meta.get("media", [])
        if not media:
            return None
        try:
            chunk = read_png_text((self.run.folder / media[-1]["file"]).read_bytes()).get(DEVSERVER_KEY)
            return Stages.model_validate(json.loads(chunk)["stages"]) if chunk else None
        except (OSError, ValueError, KeyError, ValidationError):
            log.warning("run %s: cannot read the stages from its image", self.run.run_id, exc_info=True)
            return None


def summarize(run: Run) -> RunSummary:
    """The gallery's view of one run (see :class:`RunSummary`)."""
    return RunSummary.model_validate(_summary_fields(_Folder(run)))


def _summary_fields(folder: _Folder) -> dict[str, Any]:
    meta = folder.meta
    run_id = folder.run.run_id
    config_used = folder.json("config_used")
    media = folder.media()
    image_mode = folder.has("input_image")
    inpainting = folder.has("input_mask")
    blocked = meta.get("blocked")
    return {
        "run_id": run_id,
        "created_at": meta["created_at"],
        "status": meta.get("status", "in_progress"),
        "mode": ("inpaint" if inpainting else "img2img") if image_mode else (
            "txt2img" if media or folder.has("generation_prompt") else None),
        "config": meta.get("config"),
        "config_name": config_used.get("name") if isinstance(config_used, dict) else None,
        "rules_source": config_used.get("rules_source") if isinstance(config_used, dict) else None,
        "idea": folder.text("input", first=True) if config_used is not None else None,
        "prompt": folder.text("generation_prompt"),
        "language": meta.get("language"),
        "output_config": meta.get("output_config"),
        "seed": meta.get("seed"),
        "media": media,
        "thumbnail_url": thumbnail_url(run_id, media[-1].index) if media else None,
        "input_image_url": input_image_url(run_id) if image_mode else None,
        "mask_image_url": mask_image_url(run_id) if inpainting else None,
        "blocked": RunBlock.model_validate(blocked) if isinstance(blocked, dict) else None,
    }


def detail(run: Run) -> RunDetail:
    """One run as it was: inputs, every stage's text and the stage reports (see :class:`RunDetail`)."""
    folder = _Folder(run)
    config_used = folder.json("config_used")
    meta = folder.meta
    return RunDetail.model_validate({
        **_summary_fields(folder),
        "rules": config_used.get("rules") if isinstance(config_used, dict) else None,
        "interception": folder.text("interception"),
        "optimized_prompt": folder.text("optimized_prompt"),
        "parameters": meta.get("parameters") or {},
        "input_image": meta.get("input_image"),
        "mask_image": meta.get("mask_image"),
        "safety_level": meta["safety_level"],
        "stages": folder.image_stages() or _rebuilt_stages(folder, config_used),
        "error": meta.get("error"),
    })


def _rebuilt_stages(folder: _Folder, config_used: Any) -> Stages:
    """Stage reports of a run without an image (blocked, canceled, failed, or a step-by-step run), from its files.

    Safety reports are stored as they were; texts come from their entities (their backend and timing are not
    stored, so those fields stay empty).
    """
    stages = Stages()
    stage1 = folder.json("safety_stage1")
    if stage1 is not None:
        stages.stage1 = _safety(stage1)
    if isinstance(config_used, dict):
        interception = folder.text("interception")
        skipped = interception is None and folder.has("safety_stage3")
        if interception is not None or skipped:
            stages.stage2 = Stage2Report(
                status="skipped" if skipped else "done", config=config_used.get("config", ""),
                pipeline=config_used.get("pipeline", ""),
                output=interception if interception is not None else folder.text("input", first=True) or "")
    optimized = folder.text("optimized_prompt")
    safety3 = folder.json("safety_stage3")
    if optimized is not None or safety3 is not None:
        prompt = folder.text("translation") or optimized or folder.text("optimization_input") or ""
        stages.stage3 = Stage3Report(
            optimization=TextStep(status="done", output=optimized) if optimized is not None else None,
            safety=_safety(safety3) if safety3 is not None else None, prompt=prompt)
    return stages


def _safety(data: Any) -> SafetyStage | None:
    try:
        return SafetyStage.model_validate(data)
    except ValidationError:
        checks = [FilterCheck.model_validate(c) for c in data.get("checks", []) if isinstance(c, dict)]
        return SafetyStage(status=data.get("status", "passed"), level=data.get("level", "youth"), checks=checks)


def list_runs(recorder: RunRecorder, ids: Iterable[str], *, page: int, per_page: int,
              waiting: Callable[[str], bool] = lambda _run_id: False) -> RunListResponse:
    """Summaries of the runs named by `ids` that exist, newest first, one page of them.

    Args:
        recorder: the run folders.
        ids: run ids (each validated as a UUID4 before it touches the filesystem); duplicates count once.
        page: 1-based page; per_page: runs per page.
        waiting: whether a run without a folder is still waiting in the job queue (its folder is written when
            it starts): such a run is neither listed nor ``missing``, so the browser keeps its id.
    Returns:
        the page, the total found and the ids the server has no run for (``missing``).
    Raises:
        InvalidIdError (400): an id is not a UUID4.
    """
    found: list[RunSummary] = []
    missing: list[str] = []
    for run_id in dict.fromkeys(validate_id(i, "ids") for i in ids):
        try:
            found.append(summarize(recorder.open(run_id)))
        except RunNotFoundError:
            if not waiting(run_id):
                missing.append(run_id)
    return _page(found, page, per_page, missing)


def runs_of_day(recorder: RunRecorder, day: date, *, page: int, per_page: int) -> RunListResponse:
    """Every run created on `day` (the server's local date), newest first, one page of them (teacher view)."""
    found: list[RunSummary] = []
    for folder in recorder.runs_dir.iterdir():
        if not is_uuid4(folder.name) or not (folder / "metadata.json").is_file():
            continue
        try:
            run = recorder.open(folder.name)
            created = _parse_time(run.metadata()["created_at"])
            if created is not None and created.astimezone().date() == day:
                found.append(summarize(run))
        except (OSError, ValueError, KeyError, ValidationError):
            log.warning("skipping unreadable run folder %s", folder.name, exc_info=True)
    return _page(found, page, per_page, [])


def _parse_time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _page(found: list[RunSummary], page: int, per_page: int, missing: list[str]) -> RunListResponse:
    found.sort(key=lambda summary: summary.created_at, reverse=True)
    start = (page - 1) * per_page
    return RunListResponse(status="success", page=page, per_page=per_page, total=len(found),
                           runs=found[start:start + per_page], missing=missing)


THUMBNAIL_SIDE_PX = 256
"""Longest side of a gallery thumbnail, in pixels."""


def thumbnail(run: Run, index: int, max_side_px: int = THUMBNAIL_SIDE_PX) -> bytes:
    """A small WebP of image `index` of `run` (longest side at most `max_side_px`; smaller images keep their size).

    Raises:
        MediaNotFoundError (404): no image at that index.
    """
    import io

    from PIL import Image

    with Image.open(run.image_path(index)) as image:
        small = image.convert("RGB")
        small.thumbnail((max_side_px, max_side_px), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        small.save(buffer, format="WEBP", quality=82)
    return buffer.getvalue()


def input_image_path(run: Run, entity_type: str = "input_image") -> Path:
    """The run's own copy of its input photo (``NN_input_image.png``), or with ``entity_type="input_mask"`` of its
    inpainting mask (``NN_input_mask.png``).

    Raises:
        MediaNotFoundError (404): the run had no such image.
    """
    from devserver.errors import MediaNotFoundError

    for entity in reversed(run.metadata().get("entities", [])):
        if entity.get("type") == entity_type:
            return run.folder / entity["file"]
    what = "mask" if entity_type == "input_mask" else "input image"
    raise MediaNotFoundError(f"run {run.run_id} has no {what}", details={"run_id": run.run_id})
