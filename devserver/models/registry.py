"""The model registry: every model in the models folder, with a stable id, its detected kind and its aliases.

Layout (DESIGN.md, "Models folder")::

    <models>/<name>/model_index.json      diffusers pipeline folder (checkpoint or refiner)
    <models>/<name>.safetensors           single-file checkpoint
    <models>/vae/<name>/ | <name>.safetensors
    <models>/loras/<name>.safetensors
    <models>/controlnet/<name>/ | <name>.safetensors
    <models>/upscalers/<name>.safetensors | <name>.pth

Ids are derived from the path relative to the models folder: each part lower-cased, characters outside
``[a-z0-9._-]`` replaced by ``-``, parts joined with ``:`` (``tiny-sd``, ``vae:tiny-vae``,
``loras:tiny-lora.safetensors``); a clash gets ``~`` and 6 hex digits of the path's SHA-1. So an id survives
rescans and restarts, and requests never carry a path. Folders and files whose names start with ``.`` are
skipped (half-written builds). Nothing is ever hidden: a file that cannot be used is listed with the reason.

The scan reads headers and configs only (:mod:`devserver.models.detect`); results per file are cached in the
process by (path, size, mtime), so a rescan of unchanged files costs a ``stat`` each.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from devserver.contracts.schema_files import OutputConfig
from devserver.errors import NotFoundError
from devserver.models.detect import LOCATION_TYPES, MODEL_SUFFIXES, Detection, detect, fits_checkpoint

log = logging.getLogger(__name__)

_detection_cache: dict[tuple[str, str, int, int], Detection] = {}
_cache_lock = threading.Lock()


class ModelNotFoundError(NotFoundError):
    """404: no registered model has this id or alias."""

    code = "model_not_found"


@dataclass
class ModelRecord:
    """One registry entry (what the files say; metadata and load state live elsewhere).

    Attributes:
        id: stable registry id.
        path: absolute path of the folder or file.
        source_path: path relative to the models folder (POSIX separators).
        location: ``root`` or the sub-folder (vae, loras, controlnet, upscalers).
        detection: what the files say.
        output_configs: output config ids whose weights are this model.
        auto_aliases: aliases from output configs (their ids and hub ids).
        config_source: for a single-file checkpoint, the id of a registered diffusers folder with the same layout
            whose configs (and tokenizers) it loads with; None when there is none.
    """

    id: str
    path: Path
    source_path: str
    location: str
    detection: Detection
    output_configs: list[str] = field(default_factory=list)
    auto_aliases: list[str] = field(default_factory=list)
    config_source: str | None = None

    @property
    def file_name(self) -> str:
        """The file or folder name."""
        return self.path.name

    @property
    def available(self) -> bool:
        """Whether the files can be loaded (no refused format, no corrupt header, nothing missing)."""
        return self.unavailable_reason is None

    @property
    def unavailable_reason(self) -> str | None:
        """Why it cannot be loaded, or None."""
        det = self.detection
        if det.problem:
            return det.problem
        if det.type is None:
            return "its type could not be detected; an admin can set it in the metadata"
        if det.type in ("checkpoint", "refiner") and det.format == "safetensors" and self.config_source is None:
            return ("a single-file checkpoint needs the configs and tokenizers of a diffusers folder with the same "
                    "layout, and none is registered (put the matching diffusers model in the models folder)")
        if det.type in ("vae", "controlnet") and det.format == "safetensors" and self.config_source is None:
            return (f"a single-file {det.type} needs the config of a registered {det.type} folder with the same "
                    "layout, and none is registered")
        return None


def _slug(part: str) -> str:
    slug = re.sub(r"[^a-z0-9._-]+", "-", part.lower()).strip("-.") or "model"
    return slug


def model_id_for(relative: str) -> str:
    """The registry id of a path relative to the models folder (see the module doc)."""
    return ":".join(_slug(part) for part in relative.split("/"))


def _single_file_layout(det: Detection, path: Path) -> dict[str, object]:
    """Layout fingerprint of a single-file checkpoint: input block count, first width, cross-attention width."""
    from devserver.models.files import ModelFileError, read_header

    try:
        header = read_header(path)
    except ModelFileError:
        return {}
    blocks = {int(m[1]) for k in header.tensors if (m := re.match(r"model\.diffusion_model\.input_blocks\.(\d+)\.", k))}
    first = header.shape("model.diffusion_model.input_blocks.0.0.weight")
    cross = None
    for key, info in header.tensors.items():
        if key.startswith("model.diffusion_model.") and key.endswith("attn2.to_k.weight") and len(info.shape) == 2:
            cross = info.shape[1]
            break
    return {"input_blocks": len(blocks), "first_channels": first[0] if first else None, "cross_attention_dim": cross}


def _folder_layout(path: Path) -> dict[str, object]:
    from devserver.models.files import read_json

    unet = read_json(path / "unet" / "config.json") or {}
    channels = list(unet.get("block_out_channels") or [])
    layers = unet.get("layers_per_block")
    if not channels or not isinstance(layers, int):
        return {}
    return {"input_blocks": 1 + len(channels) * layers + len(channels) - 1, "first_channels": channels[0],
            "cross_attention_dim": unet.get("cross_attention_dim")}


class ModelRegistry:
    """The models of one models folder; thread-safe. One per app (see :mod:`devserver.services`).

    Args:
        models_dir: the models folder (``Settings.resolved_models_dir``).
        output_configs: the schema registry's output configs (to list which configs use each model).
    """

    def __init__(self, models_dir: Path, output_configs: dict[str, OutputConfig]) -> None:
        self.models_dir = Path(models_dir)
        self._output_configs = output_configs
        self._records: dict[str, ModelRecord] = {}
        self._scanned = False
        self._lock = threading.RLock()

    # ----------------------------------------------------------------------------- scanning
    def refresh(self) -> tuple[list[str], list[str], float]:
        """Scan the models folder again.

        Returns:
            (ids added, ids removed, scan time in milliseconds).
        """
        started = time.perf_counter()
        with self._lock:
            before = set(self._records)
            records = self._scan()
            self._records = records
            self._scanned = True
        added = sorted(set(records) - before)
        removed = sorted(before - set(records))
        return added, removed, (time.perf_counter() - started) * 1000

    def _entries(self) -> list[tuple[Path, str]]:
        """(path, location) of every candidate in the layout."""
        found: list[tuple[Path, str]] = []
        if not self.models_dir.is_dir():
            return found
        for child in sorted(self.models_dir.iterdir()):
            if child.name.startswith("."):
                continue
            if child.is_dir() and child.name in LOCATION_TYPES:
                for item in sorted(child.iterdir()):
                    if item.name.startswith("."):
                        continue
                    if item.is_dir() or item.suffix.lower() in MODEL_SUFFIXES:
                        found.append((item, child.name))
            elif child.is_dir() or child.suffix.lower() in MODEL_SUFFIXES:
                found.append((child, "root"))
        return found

    def _detect(self, path: Path, location: str) -> Detection:
        if path.is_dir():
            return detect(path, location)
        stat = path.stat()
        key = (str(path), location, stat.st_size, stat.st_mtime_ns)
        with _cache_lock:
            cached = _detection_cache.get(key)
        if cached is None:
            cached = detect(path, location)
            with _cache_lock:
                _detection_cache[key] = cached
        return cached

    def _scan(self) -> dict[str, ModelRecord]:
        records: dict[str, ModelRecord] = {}
        for path, location in self._entries():
            relative = path.relative_to(self.models_dir).as_posix()
            model_id = model_id_for(relative)
            if model_id in records:
                model_id += "~" + hashlib.sha1(relative.encode("utf-8")).hexdigest()[:6]
            try:
                detection = self._detect(path, location)
            except OSError as exc:
                log.warning("cannot read %s: %s", relative, exc)
                detection = Detection(type=LOCATION_TYPES.get(location), problem="the file cannot be read",
                                      problem_kind="corrupt")
            records[model_id] = ModelRecord(model_id, path, relative, location, detection)
        self._match_parts(records)
        self._link_output_configs(records)
        return records

    def _match_parts(self, records: dict[str, ModelRecord]) -> None:
        """Families of LoRAs/ControlNets with unusual widths from the checkpoints they fit; config sources of
        single-file checkpoints."""
        folders = [r for r in records.values()
                   if r.detection.type == "checkpoint" and r.detection.format == "diffusers"]
        for record in records.values():
            det = record.detection
            if det.type in ("lora", "controlnet") and det.family == "unknown" and det.fingerprint:
                fitting = [c for c in folders if fits_checkpoint(det.fingerprint, c.detection.fingerprint)]
                families = sorted({c.detection.family for c in fitting if c.detection.family != "unknown"})
                if len(families) == 1:
                    det = record.detection = _copy_with(det, family=families[0], compatible=families)
                    det.evidence.append(f"its layer widths fit {', '.join(c.id for c in fitting)} ({families[0]})")
                elif families:
                    det = record.detection = _copy_with(det, compatible=families)
            if det.type == "vae" and det.format == "safetensors":
                fitting = [other for other in records.values()
                           if other.detection.type == "vae" and other.detection.format == "diffusers"
                           and other.detection.fingerprint.get("latent_channels") == det.fingerprint.get(
                               "latent_channels")]
                # a folder with the same tensor bytes has the same layout; else any with the latent channels
                same = [other for other in fitting if other.detection.parameter_bytes == det.parameter_bytes]
                if same or fitting:
                    record.config_source = (same or fitting)[0].id
            if det.type == "controlnet" and det.format == "safetensors":
                for other in records.values():
                    if (other.detection.type == "controlnet" and other.detection.format == "diffusers"
                            and other.detection.parameter_bytes == det.parameter_bytes
                            and other.detection.fingerprint.get("cross_attention_dim")
                            == det.fingerprint.get("cross_attention_dim")):
                        record.config_source = other.id
                        break
            if det.type in ("checkpoint", "refiner") and det.format == "safetensors" and det.family != "unknown":
                layout = _single_file_layout(det, record.path)
                for folder in folders:
                    if folder.detection.family == det.family and layout and _folder_layout(folder.path) == layout:
                        record.config_source = folder.id
                        break

    def _link_output_configs(self, records: dict[str, ModelRecord]) -> None:
        by_path = {str(r.path): r for r in records.values()}
        for config in self._output_configs.values():
            source = config.model
            paths = []
            if source.builtin == "tiny_sd":
                paths.append(self.models_dir / "tiny-sd")
            for name in (source.local_dir, source.single_file):
                if name:
                    path = Path(name).expanduser()
                    paths.append(path if path.is_absolute() else self.models_dir / path)
            for path in paths:
                record = by_path.get(str(path))
                if record is not None:
                    record.output_configs.append(config.id)
                    record.auto_aliases += [config.id] + ([source.hub_id] if source.hub_id else [])
                    break

    # ----------------------------------------------------------------------------- reading
    def records(self) -> list[ModelRecord]:
        """All records (scanning the folder on first use)."""
        with self._lock:
            if not self._scanned:
                self.refresh()
            return list(self._records.values())

    def get(self, model_id: str) -> ModelRecord:
        """The record with this exact id.

        Raises:
            ModelNotFoundError (404): no such id.
        """
        with self._lock:
            if not self._scanned:
                self.refresh()
            record = self._records.get(model_id)
        if record is None:
            raise ModelNotFoundError(f"no model with id {model_id[:120]!r}; GET /api/models lists them",
                                     details={"model_id": model_id[:120]})
        return record

    def by_path(self, path: str) -> ModelRecord | None:
        """The record whose folder/file is `path` (a loaded pipeline's source), or None."""
        for record in self.records():
            if str(record.path) == path:
                return record
        return None


def _copy_with(det: Detection, **changes: object) -> Detection:
    """A copy of a (cached, shared) detection with some fields changed."""
    import dataclasses

    return dataclasses.replace(det, evidence=list(det.evidence), **changes)  # type: ignore[arg-type]
