"""The ten model operations of seed 001, once: HTTP routes and worker actions call these methods.

Every method takes a request model of :mod:`devserver.contracts.models` and returns its response model (or
raises an :class:`~devserver.errors.ApiError`), so ``devserver.api.models`` is a thin layer and the worker
protocol (``load_model``, ``get_vram_model_status``, ...) can call the same methods with the same models
(requests accept PascalCase keys too).

============================  =========================  ==============================
operation                     method                     worker action
============================  =========================  ==============================
list                          :meth:`list_models`        list_models
get                           :meth:`get_model`          get_model_info
load                          :meth:`load_model`         load_model
unload                        :meth:`unload_model`       unload_model
validate                      :meth:`validate_model`     validate_model
optimize (queued job)         :meth:`optimize_model`     optimize_model
benchmark (queued job)        :meth:`benchmark_model`    benchmark_model
status                        :meth:`get_model_status`   (get_model_info)
device status                 :meth:`device_status`      get_vram_model_status
search                        :meth:`search_models`      search_models
update metadata               :meth:`update_metadata`    update_metadata
============================  =========================  ==============================

plus :meth:`refresh`, :meth:`resolve` (id or alias -> record) and :meth:`job_status`.
"""

from __future__ import annotations

import math
import shutil
import threading
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from devserver.contracts.models import (
    BenchmarkModelRequest,
    BenchmarkModelResponse,
    BenchmarkRecord,
    BenchmarkResult,
    BenchmarkSummary,
    CompatibilityInfo,
    DetectionInfo,
    DeviceModelStatus,
    DeviceStatusRequest,
    DeviceStatusResponse,
    GetModelRequest,
    GetModelResponse,
    GetModelStatusRequest,
    GetModelStatusResponse,
    Highlight,
    ListModelsRequest,
    ListModelsResponse,
    LoadedModelMemory,
    LoadModelRequest,
    LoadModelResponse,
    Measurement,
    ModelComponent,
    ModelInfo,
    ModelJobAccepted,
    ModelJobCompleteEvent,
    ModelJobError,
    ModelJobStatusResponse,
    ModelMetadata,
    ModelRequirements,
    OptimizeModelRequest,
    OptimizeModelResponse,
    PerformanceEstimation,
    RefreshModelsResponse,
    SearchModelsRequest,
    SearchModelsResponse,
    SearchResult,
    UnloadModelRequest,
    UnloadModelResponse,
    UpdateModelMetadataRequest,
    UpdateModelMetadataResponse,
    UsageStats,
    ValidateModelRequest,
    ValidateModelResponse,
    ValidationCheck,
)
from devserver.errors import ApiError, ConflictError, NotFoundError, RequestValidationError
from devserver.generation.addons import Addon
from devserver.generation.backend import DiffusersBackend
from devserver.generation.loading import LoadSpec
from devserver.models.files import DTYPE_BYTES, ModelFileError, library_check, read_header
from devserver.models.registry import ModelNotFoundError, ModelRecord, ModelRegistry
from devserver.models.search import MIN_RELEVANCE, relevance
from devserver.models.store import ModelStore
from devserver.storage.ids import validate_id
from devserver.storage.recorder import utc_now

MODEL_JOB_KINDS = ("model_benchmark", "model_optimize", "model_load")
TOLERANCE_MAX_LEVELS = 8
TOLERANCE_MEAN_LEVELS = 1.0
TOLERANCE_RULE = ("kept only if, for the same seed, no pixel changed by more than {max} of 255 levels and the mean "
                  "change is at most {mean} levels")
"""Optimize keeps its result only within this tolerance (attention slicing, VAE slicing and channels_last change
tiny images by about 1 level on this machine, FEASIBILITY i3; VAE tiling seams change far more)."""
REFERENCE_S_PER_STEP_512 = 17.0
REFERENCE_UNET_BYTES = 3_438_000_000
"""An SD 1.5-size UNet (860 M parameters, fp32) takes ~17 s per step at 512 px on this 2-core CPU
(FEASIBILITY i2): the basis of the CPU speed estimate, scaled by parameter bytes and pixels."""
OPTIMIZATION_TABLE: dict[str, dict[str, list[str]]] = {
    "none": {"speed": [], "memory": [], "quality": [], "balanced": []},
    "basic": {"speed": ["sdpa"], "memory": ["attention_slicing", "vae_slicing"], "quality": ["sdpa"],
              "balanced": ["sdpa", "vae_slicing"]},
    "balanced": {"speed": ["sdpa", "channels_last"], "memory": ["attention_slicing", "vae_slicing", "vae_tiling"],
                 "quality": ["sdpa", "vae_slicing"], "balanced": ["sdpa", "channels_last", "vae_slicing"]},
    "aggressive": {"speed": ["sdpa", "channels_last", "flash_attention"],
                   "memory": ["attention_slicing", "vae_slicing", "vae_tiling", "cpu_offload"],
                   "quality": ["sdpa", "vae_slicing", "channels_last"],
                   "balanced": ["sdpa", "channels_last", "vae_slicing", "vae_tiling"]},
    "maximum": {"speed": ["sdpa", "channels_last", "flash_attention", "torch_compile"],
                "memory": ["attention_slicing", "vae_slicing", "vae_tiling", "cpu_offload"],
                "quality": ["sdpa", "vae_slicing", "channels_last"],
                "balanced": ["sdpa", "channels_last", "vae_slicing", "vae_tiling", "torch_compile"]},
}
"""Optimizations per (level, target)."""
MEMORY_OPTIONS = ("attention_slicing", "vae_slicing", "vae_tiling", "cpu_offload")
PERFORMANCE_OPTIONS = ("sdpa", "channels_last", "torch_compile", "flash_attention")


class ModelUnavailableError(ApiError):
    """409: the model is listed but cannot be loaded (refused pickle, corrupt file, missing parts, ...)."""

    status = 409
    code = "model_unavailable"


class ModelJobNotFoundError(NotFoundError):
    """404: no model job with this id."""

    code = "model_job_not_found"


class ModelService:
    """The model operations; one per app (see :mod:`devserver.services`).

    Args:
        registry: the scanned models folder.
        store: metadata, usage and benchmark history.
        backend: the generation backend (its cache holds the loaded models).
        queue: the job queue (benchmark and optimize run as jobs, FIFO with learners' runs); None: no jobs.
        uploads: the upload store (preview images come from uploads).
        previews_dir: where preview images are kept (``<exports>/model_previews``).
    """

    def __init__(self, *, registry: ModelRegistry, store: ModelStore, backend: DiffusersBackend, queue: Any = None,
                 uploads: Any = None, previews_dir: Path | None = None) -> None:
        self.registry = registry
        self.store = store
        self.backend = backend
        self.queue = queue
        self.uploads = uploads
        self.previews_dir = previews_dir
        self._metadata_lock = threading.Lock()
        self._last_updated: dict[str, str] = {}

    # =========================================================================== devices, records, metadata
    @property
    def device_id(self) -> str:
        """This server's device id: ``cpu``, ``cuda:0`` or ``mps``."""
        device = self.backend.device
        return "cuda:0" if device == "cuda" else device

    def _check_device(self, device_id: str | None) -> str:
        if device_id is None or device_id == self.device_id or (device_id == "cuda" and self.device_id == "cuda:0"):
            return self.device_id
        raise RequestValidationError(f"device_id {device_id!r} is not a device of this server; it has "
                                     f"{self.device_id!r}", details={"field": "device_id", "value": device_id})

    def resolve(self, name_or_alias: str) -> ModelRecord:
        """The record named `name_or_alias`: a registry id, a metadata alias, an output config id or its hub id
        (case-insensitive for aliases).

        Raises:
            ModelNotFoundError (404): nothing has this name.
        """
        try:
            return self.registry.get(name_or_alias)
        except ModelNotFoundError:
            pass
        wanted = name_or_alias.lower()
        metadata = self.store.all_metadata()
        for record in self.registry.records():
            aliases = list(metadata.get(record.id, ({}, ""))[0].get("aliases") or []) + record.auto_aliases
            if any(alias.lower() == wanted for alias in aliases):
                return record
        raise ModelNotFoundError(f"no model with id or alias {name_or_alias[:120]!r}; GET /api/models lists them",
                                 details={"model_id": name_or_alias[:120]})

    def _meta(self, record: ModelRecord, stored: dict[str, Any] | None = None) -> dict[str, Any]:
        return stored if stored is not None else self.store.metadata(record.id)[0]

    @staticmethod
    def _type(record: ModelRecord, meta: dict[str, Any]) -> str | None:
        return meta.get("type_override") or record.detection.type

    @staticmethod
    def _family(record: ModelRecord, meta: dict[str, Any]) -> str:
        return meta.get("family_override") or record.detection.family

    def _key(self, record: ModelRecord) -> str:
        return str(record.path)

    def _status(self, record: ModelRecord) -> str:
        status = self.backend.cache.status(self._key(record))
        if status == "not_loaded" and record.detection.problem_kind == "corrupt":
            return "error"
        return status

    def _availability(self, record: ModelRecord, meta: dict[str, Any]) -> str | None:
        reason = record.unavailable_reason
        if reason and record.detection.type is None and meta.get("type_override") and not record.detection.problem:
            return None
        return reason

    def _load_dtype(self) -> str:
        return "float32" if self.backend.device == "cpu" else "float16"

    def _estimated_bytes(self, record: ModelRecord, dtype: str | None = None) -> int:
        """Memory of the weights once loaded in `dtype` (stored bytes rescaled by element size)."""
        det = record.detection
        dtype = dtype or self._load_dtype()
        target = {"float32": 4, "float16": 2, "bfloat16": 2}.get(dtype, 4)
        floats = {d: c for d, c in det.dtypes.items() if d in ("F32", "F16", "BF16", "F64")}
        if not floats or record.detection.type == "lora":
            return det.parameter_bytes
        stored = DTYPE_BYTES[max(floats, key=floats.get)]  # type: ignore[arg-type]
        return int(det.parameter_bytes * target / stored)

    def _usage(self, record: ModelRecord, rows: list[Any]) -> UsageStats:
        runs = sum(r["runs"] for r in rows)
        total = sum(r["total_ms"] for r in rows)
        return UsageStats(runs=runs, last_used=max((r["last_used"] for r in rows), default=None),
                          mean_generation_ms=round(total / runs, 1) if runs else None,
                          per_output_config={
                              r["output_config"]: {"runs": r["runs"],
                                                   "mean_generation_ms": round(r["total_ms"] / r["runs"], 1)}
                              for r in rows})

    @staticmethod
    def _bench_summary(bench: dict[str, Any] | None) -> BenchmarkSummary | None:
        if not bench or not bench["results"]:
            return None
        # the smallest configuration measured (fewest pixels, then the smallest batch): comparable across models
        # and benchmarks, unlike the fastest row, which timing noise can move between configurations
        best = min(bench["results"], key=lambda r: (_pixels(r["resolution"]), r.get("batch_size", 1)))
        return BenchmarkSummary(benchmarked_at=bench["created_at"], s_per_image=best["s_per_image"],
                                it_per_s=best.get("it_per_s"), resolution=best["resolution"], device=bench["device"])

    def _metadata_model(self, record: ModelRecord, meta: dict[str, Any], updated_at: str | None) -> ModelMetadata:
        preview = f"/api/models/{record.id}/preview" if meta.get("preview") else None
        return ModelMetadata(
            display_name=meta.get("display_name"), description=meta.get("description") or "",
            tags=list(meta.get("tags") or []), author=meta.get("author"), license=meta.get("license"),
            version=meta.get("version"), rating=meta.get("rating"), trigger_words=list(meta.get("trigger_words") or []),
            aliases=list(meta.get("aliases") or []), preview_url=preview, type_override=meta.get("type_override"),
            family_override=meta.get("family_override"), load_configuration=meta.get("load_configuration"),
            updated_at=updated_at)

    def _info(self, record: ModelRecord, meta: dict[str, Any], *, details: bool = False, metrics: bool = False,
              usage_rows: list[Any] | None = None, bench: dict[str, Any] | None = None,
              updated_at: str | None = None) -> ModelInfo:
        det = record.detection
        entry = self.backend.cache.get(self._key(record))
        reason = self._availability(record, meta)
        info = ModelInfo(
            id=record.id, name=meta.get("display_name") or record.file_name, type=self._type(record, meta),
            family=self._family(record, meta), format=det.format, size_bytes=det.size_bytes,
            source_path=record.source_path, output_configs=list(record.output_configs), status=self._status(record),
            available=reason is None, availability_reason=reason,
            aliases=list(meta.get("aliases") or []) + record.auto_aliases, tags=list(meta.get("tags") or []),
            rating=meta.get("rating"), memory_usage_bytes=entry.memory_bytes if entry is not None else None)
        if details:
            info.detection = DetectionInfo(
                detected_type=det.type, detected_family=det.family, compatible_families=list(det.compatible),
                variant=det.variant, evidence=list(det.evidence), type_overridden=bool(meta.get("type_override")),
                family_overridden=bool(meta.get("family_override")))
            info.components = [ModelComponent(name=c.name, class_name=c.class_name, size_bytes=c.size_bytes,
                                              parameter_bytes=c.parameter_bytes, dtypes=dict(c.dtypes))
                               for c in det.components]
            info.metadata = self._metadata_model(record, meta, updated_at)
        if metrics:
            info.usage = self._usage(record, usage_rows or [])
            info.benchmark = self._bench_summary(bench)
        return info

    # =========================================================================== 1. list
    def list_models(self, req: ListModelsRequest) -> ListModelsResponse:
        """Filter, sort and page the registry.

        Raises:
            RequestValidationError (422): an unknown device_id.
        """
        if req.device_id is not None:
            self._check_device(req.device_id)
        metadata = self.store.all_metadata()
        usage = self.store.usage() if req.include_metrics or req.sort_by == "performance" else {}
        benches = ({b["model_id"]: b for b in self.store.benchmarks()}
                   if req.include_metrics or req.sort_by == "performance" else {})
        query = (req.search_query or "").lower().strip()
        rows = []
        for record in self.registry.records():
            meta, updated_at = metadata.get(record.id, ({}, None))
            status = self._status(record)
            if req.model_type is not None and self._type(record, meta) != req.model_type:
                continue
            if req.status is not None and status != req.status:
                continue
            if req.device_id is not None and status != "loaded":
                continue
            if query:
                haystack = " ".join([record.id, meta.get("display_name") or record.file_name,
                                     meta.get("description") or "", " ".join(meta.get("tags") or [])]).lower()
                if query not in haystack:
                    continue
            rows.append((record, meta, updated_at, status))

        def perf(row: tuple) -> float:
            summary = self._bench_summary(benches.get(row[0].id))
            return summary.s_per_image if summary else math.inf

        keys = {"name": lambda r: (r[1].get("display_name") or r[0].file_name).lower(),
                "type": lambda r: (self._type(r[0], r[1]) or "~", r[0].file_name.lower()),
                "size": lambda r: r[0].detection.size_bytes,
                "rating": lambda r: r[1].get("rating") if r[1].get("rating") is not None else -1,
                "performance": perf}
        rows.sort(key=keys[req.sort_by], reverse=req.sort_direction == "desc")
        if req.sort_by == "performance":  # unbenchmarked models last in both directions
            rows.sort(key=lambda r: perf(r) == math.inf)
        total = len(rows)
        page = rows[(req.page - 1) * req.page_size: req.page * req.page_size]
        types: dict[str, int] = {}
        statuses: dict[str, int] = {}
        for record, meta, _, status in rows:
            kind = self._type(record, meta) or "unknown"
            types[kind] = types.get(kind, 0) + 1
            statuses[status] = statuses.get(status, 0) + 1
        models = [self._info(r, m, details=req.include_details, metrics=req.include_metrics,
                             usage_rows=usage.get(r.id), bench=benches.get(r.id), updated_at=u)
                  for r, m, u, _ in page]
        return ListModelsResponse(status="success", models=models, total_count=total, page=req.page,
                                  page_size=req.page_size, total_pages=math.ceil(total / req.page_size),
                                  type_distribution=types, status_distribution=statuses)

    # =========================================================================== 2. get
    def _requirements(self, record: ModelRecord, meta: dict[str, Any]) -> ModelRequirements:
        kind = self._type(record, meta)
        needs = []
        if kind in ("vae", "lora", "controlnet"):
            needs.append(f"a {self._family(record, meta)} checkpoint to be used with")
        if record.config_source:
            needs.append(f"the configs of {record.config_source}")
        return ModelRequirements(memory_bytes=self._estimated_bytes(record), load_dtype=self._load_dtype(),
                                 device_types=["cpu", "cuda", "mps"], needs=needs)

    def _compatibility(self, record: ModelRecord, meta: dict[str, Any]) -> CompatibilityInfo:
        reasons = []
        reason = self._availability(record, meta)
        if reason:
            reasons.append(reason)
        needed = self._estimated_bytes(record)
        budget = self.backend.cache.budget_bytes
        if needed > budget:
            reasons.append(f"needs about {needed} bytes, more than the memory budget of {budget} bytes")
        return CompatibilityInfo(is_compatible=not reasons, device_type=self.backend.device, reasons=reasons,
                                 compatible_families=list(record.detection.compatible))

    def _device_status(self, record: ModelRecord) -> DeviceModelStatus:
        entry = self.backend.cache.get(self._key(record))
        return DeviceModelStatus(device_id=self.device_id, status=self._status(record),
                                 memory_usage_bytes=entry.memory_bytes if entry else None,
                                 loaded_at=entry.loaded_at if entry else None,
                                 active_sessions=entry.in_use if entry else 0)

    def get_model(self, req: GetModelRequest) -> GetModelResponse:
        """One model with compatibility, requirements, usage and benchmarks.

        Raises:
            ModelNotFoundError (404).
        """
        record = self.resolve(req.model_id)
        meta, updated_at = self.store.metadata(record.id)
        benches = self.store.benchmarks(record.id) if req.include_performance else []
        usage_rows = self.store.usage().get(record.id, []) if req.include_performance else []
        info = self._info(record, meta, details=req.include_metadata or req.include_components,
                          metrics=req.include_performance, usage_rows=usage_rows,
                          bench=benches[0] if benches else None, updated_at=updated_at)
        if not req.include_components:
            info.components = None
            info.detection = None
        if not req.include_metadata:
            info.metadata = None
        return GetModelResponse(
            status="success", model=info, compatibility=self._compatibility(record, meta),
            requirements=self._requirements(record, meta) if req.include_requirements else None,
            usage_stats=self._usage(record, usage_rows) if req.include_performance else None,
            benchmarks=[BenchmarkRecord(benchmark_id=b["id"], benchmarked_at=b["created_at"], device=b["device"],
                                        results=[BenchmarkResult.model_validate(r) for r in b["results"]])
                        for b in benches] if req.include_performance else None,
            device_status=[self._device_status(record)])

    # =========================================================================== 3. load / 4. unload
    def _spec(self, record: ModelRecord, meta: dict[str, Any], dtype: str | None = None) -> LoadSpec:
        reason = self._availability(record, meta)
        if reason is not None:
            raise ModelUnavailableError(f"Model '{record.id}' cannot be loaded: {reason}",
                                        details={"model_id": record.id, "reason": reason})
        kind = self._type(record, meta)
        config_source = self.registry.get(record.config_source).path if record.config_source else None
        return LoadSpec(key=self._key(record), kind="pipeline" if kind in ("checkpoint", "refiner") else str(kind),
                        location=str(record.path), format=record.detection.format,
                        family=self._family(record, meta), label=record.id,
                        config_source=str(config_source) if config_source else None,
                        pipeline_class=("StableDiffusionXLImg2ImgPipeline" if kind == "refiner"
                                        and record.detection.format == "safetensors" else None),
                        estimated_bytes=self._estimated_bytes(record, dtype))

    def load_model(self, req: LoadModelRequest) -> LoadModelResponse | ModelJobAccepted:
        """Load a model into memory (or apply a new configuration to it).

        With ``wait_for_completion: false`` the load is queued as a ``model_load`` job (202).

        Raises:
            ModelNotFoundError (404); RequestValidationError (422: device, int8/int4); ModelUnavailableError (409:
            refused or corrupt files); ModelLoadError (422: the files do not load; nothing cached);
            MemoryBudgetError / ModelInUseError (409).
        """
        record = self.resolve(req.model_id)
        device_id = self._check_device(req.device_id)
        meta = self._meta(record)
        from devserver.generation.loading import precision_for

        dtype, _ = precision_for(req.configuration.precision, self.backend.device)
        self._spec(record, meta, dtype)  # refuse unavailable models before queueing
        if not req.wait_for_completion:
            return self._enqueue("model_load", record, req)
        return self._do_load(record, meta, req, device_id)

    def _do_load(self, record: ModelRecord, meta: dict[str, Any], req: LoadModelRequest,
                 device_id: str) -> LoadModelResponse:
        config = req.configuration.model_dump(mode="json")
        if meta.get("load_configuration") and "configuration" not in req.model_fields_set:
            config = dict(meta["load_configuration"])
        from devserver.generation.loading import precision_for

        dtype, _ = precision_for(str(config.get("precision", "auto")), self.backend.device)
        spec = self._spec(record, meta, dtype)
        outcome = self.backend.load(spec, config, force=req.force, priority=req.priority)
        self._last_updated[record.id] = utc_now()
        entry = outcome.entry
        return LoadModelResponse(
            status="success", success=True, model_id=record.id, device_id=device_id,
            load_time_ms=0 if outcome.already_loaded else entry.load_time_ms, memory_usage_bytes=entry.memory_bytes,
            rss_growth_bytes=entry.rss_growth_bytes, optimizations_applied=list(outcome.applied),
            warnings=outcome.warnings, evicted_models=[self._record_id(label) for label in outcome.evicted],
            already_loaded=outcome.already_loaded, loaded_at=entry.loaded_at,
            message=(f"{record.id} was already loaded." if outcome.already_loaded
                     else f"{record.id} is loaded ({entry.memory_bytes} bytes in {entry.load_time_ms} ms)."))

    def _record_id(self, label: str) -> str:
        return label

    def unload_model(self, req: UnloadModelRequest) -> UnloadModelResponse:
        """Unload a model and free its memory; the next use loads it again.

        Raises:
            ModelNotFoundError (404); RequestValidationError (422: device); ModelInUseError (409: a job uses it
            and not force); ConflictError (409: force, but the job did not reach a step boundary in time).
        """
        record = self.resolve(req.model_id)
        self._check_device(req.device_id)
        keys = [self._key(record)] + [e.key for e in self.backend.cache.entries()
                                      if e.key.startswith(self._key(record) + "#")]
        outcome = None
        for key in keys:
            done = self.backend.unload(key, force=req.force, timeout_s=req.timeout_seconds,
                                       clear_cache=req.clear_cache)
            if outcome is None or done.was_loaded:
                outcome = done
        assert outcome is not None
        self._last_updated[record.id] = utc_now()
        return UnloadModelResponse(
            status="success", success=True, model_id=record.id, was_loaded=outcome.was_loaded,
            unload_time_ms=outcome.unload_time_ms, memory_freed_bytes=outcome.freed_bytes,
            cache_cleared=outcome.cache_cleared, interrupted_jobs=outcome.interrupted_jobs, unloaded_at=utc_now(),
            message=(f"{record.id} was unloaded; {outcome.freed_bytes} bytes freed." if outcome.was_loaded
                     else f"{record.id} was not loaded."))

    # =========================================================================== 5. validate
    def validate_model(self, req: ValidateModelRequest) -> ValidateModelResponse:
        """Check files, format, family, dtype and device fit without loading anything.

        Raises:
            ModelNotFoundError (404); RequestValidationError (422: device).
        """
        record = self.resolve(req.model_id)
        self._check_device(req.device_id)
        meta = self._meta(record)
        checks, warnings, recommendations = self._checks(record, meta, req)
        passed = sum(1.0 if c.status == "pass" else 0.5 if c.status == "warn" else 0.0
                     for c in checks if c.status != "skip")
        counted = sum(1 for c in checks if c.status != "skip")
        estimation = self._estimate(record, meta) if req.estimate_performance else None
        return ValidateModelResponse(
            status="success", model_id=record.id, is_compatible=not any(c.status == "fail" for c in checks),
            validation_results=checks, compatibility_score=round(passed / counted, 3) if counted else 0.0,
            performance_estimation=estimation, warnings=warnings, recommendations=recommendations,
            validated_at=utc_now())

    def _checks(self, record: ModelRecord, meta: dict[str, Any],
                req: ValidateModelRequest) -> tuple[list[ValidationCheck], list[str], list[str]]:
        det = record.detection
        checks: list[ValidationCheck] = []
        warnings: list[str] = []
        advice: list[str] = []

        def add(name: str, status: str, detail: str) -> None:
            checks.append(ValidationCheck(check=name, status=status, detail=detail))  # type: ignore[arg-type]

        exists = record.path.exists()
        add("file_exists", "pass" if exists else "fail",
            f"{record.source_path} is there" if exists else f"{record.source_path} is gone (refresh the list)")
        if det.format == "pickle":
            add("format_allowed", "fail", det.problem or "pickle format")
            advice.append("Convert the checkpoint to .safetensors (e.g. with the diffusers conversion scripts on a "
                          "trusted machine), then refresh.")
            return checks, warnings, advice
        add("format_allowed", "pass", f"{det.format} (no code runs when it is read)")
        files = [record.path] if record.path.is_file() else sorted(record.path.rglob("*.safetensors"))
        header_problems, truncation = [], []
        for path in files:
            if path.suffix != ".safetensors":
                continue
            message = library_check(path)
            if message:
                header_problems.append(f"{path.relative_to(record.path.parent).as_posix()}: {message}")
            try:
                read_header(path)
            except ModelFileError as exc:
                if exc.reason in ("truncated", "trailing_bytes"):
                    truncation.append(exc.message)
                else:
                    header_problems.append(exc.message)
        if det.format == "pth":
            add("header_readable", "pass" if not det.problem else "fail",
                det.problem or "read by spandrel with weights-only loading")
        else:
            add("header_readable", "fail" if header_problems else "pass",
                "; ".join(header_problems) if header_problems else
                f"safetensors opens {len(files)} weight file(s)")
            add("not_truncated", "fail" if truncation else "pass",
                "; ".join(truncation) if truncation else "declared tensor bytes match the file sizes")
        if header_problems or truncation:
            advice.append("The file is damaged or incomplete: download or copy it again.")
        if det.problem_kind == "incomplete":
            add("components_complete", "fail", det.problem or "incomplete")
        elif det.format == "diffusers":
            add("components_complete", "pass", f"{len(det.components)} component(s) with weights")
        family = self._family(record, meta)
        kind = self._type(record, meta)
        if kind is None:
            add("type_detected", "fail", "; ".join(det.evidence) or "no detector recognised the files")
            advice.append("Set the type and family by hand in the metadata if you know them.")
        else:
            add("type_detected", "pass", f"{kind}" + (" (set by hand)" if meta.get("type_override") else ""))
        if family == "unknown" and kind != "upscaler":
            add("family_detected", "warn", "; ".join(det.evidence[-2:]) or "unknown")
            advice.append("Set the family in the metadata so the studio knows which checkpoints it works with.")
        elif kind != "upscaler":
            add("family_detected", "pass", f"{family}" + (" (set by hand)" if meta.get("family_override") else ""))
        if record.output_configs and kind in ("checkpoint", "refiner"):
            configs = self.registry._output_configs  # noqa: SLF001 - same package
            expected = {configs[c].model.family for c in record.output_configs if c in configs}
            fits = all(_config_family_fits(f, family) for f in expected)
            add("family_matches_config", "pass" if fits else "fail",
                f"output config(s) {', '.join(record.output_configs)} expect {', '.join(sorted(expected))}; "
                f"detected {family}")
        dtypes = ", ".join(f"{d} x{n}" for d, n in sorted(det.dtypes.items())) or "n/a"
        device = self.backend.device
        if req.check_compute:
            half = {d for d in det.dtypes if d in ("F16", "BF16")}
            if device == "cpu" and half:
                add("dtype", "warn", f"stored as {dtypes}; loaded as float32 on this CPU (half precision runs ~55x "
                    "slower here)")
            else:
                add("dtype", "pass", f"stored as {dtypes}; loaded as {self._load_dtype()} on {device}")
            if device == "cpu" and kind in ("checkpoint", "refiner") and det.parameter_bytes > 500_000_000:
                warnings.append("A full-size model runs on this CPU at minutes per image (an SD 1.5-size model "
                                "takes ~17 s per step at 512 px); a GPU makes it practical.")
        if req.check_memory:
            needed = self._estimated_bytes(record)
            status = self.backend.memory_status()
            budget = status["budget"]
            free = status["free"]
            if needed > budget:
                add("memory", "fail", f"needs about {needed} bytes; the memory budget is {budget} bytes")
                advice.append("Raise DEVSERVER_MODEL_CACHE_BYTES or use a machine with more memory.")
            elif needed > free:
                add("memory", "warn", f"needs about {needed} bytes; {free} bytes are free now (idle models "
                    "would be evicted)")
            else:
                add("memory", "pass", f"needs about {needed} bytes; {free} bytes free, budget {budget} bytes")
        if req.check_driver:
            if device.startswith("cuda"):
                import torch

                add("driver", "pass", f"CUDA {torch.version.cuda}, {torch.cuda.get_device_name(0)}")
            else:
                add("driver", "pass", f"{device}: no GPU driver needed")
        return checks, warnings, advice

    def _estimate(self, record: ModelRecord, meta: dict[str, Any]) -> PerformanceEstimation | None:
        benches = self.store.benchmarks(record.id, limit=1)
        summary = self._bench_summary(benches[0] if benches else None)
        if summary is not None:
            return PerformanceEstimation(estimated_s_per_image=summary.s_per_image, resolution=summary.resolution,
                                         steps=max(1, benches[0]["results"][0].get("inference_steps") or 1),
                                         source="benchmark", basis=f"benchmark of {summary.benchmarked_at}")
        if self._type(record, meta) not in ("checkpoint", "refiner"):
            return None
        unet = next((c.parameter_bytes for c in record.detection.components if c.name in ("unet", "transformer")),
                    record.detection.parameter_bytes * 0.8)
        if self.backend.device != "cpu":
            per_step = 0.05 * unet / REFERENCE_UNET_BYTES
            basis = "rough GPU estimate: ~0.05 s per step at 512 px for an SD 1.5-size UNet, scaled by UNet bytes"
        else:
            per_step = REFERENCE_S_PER_STEP_512 * unet / REFERENCE_UNET_BYTES
            basis = ("CPU estimate: an SD 1.5-size UNet takes ~17 s per step at 512 px on this machine "
                     "(FEASIBILITY i2), scaled by UNet bytes; benchmark it for a measured figure")
        return PerformanceEstimation(estimated_s_per_image=round(per_step * 20 + 0.05, 3), resolution="512x512",
                                     steps=20, source="estimate", basis=basis)

    # =========================================================================== 6./7. jobs
    def _enqueue(self, kind: str, record: ModelRecord, req: BaseModel) -> ModelJobAccepted:
        if self.queue is None:
            raise ConflictError("This server has no job queue.")
        queued = self.queue.submit(kind, req.model_copy(update={"model_id": record.id}))
        return ModelJobAccepted(status="queued", job_id=queued.run_id, kind=kind, model_id=record.id,  # type: ignore[arg-type]
                                position=queued.position, events_url=queued.events_url,
                                status_url=f"/api/models/jobs/{queued.run_id}")

    def _wait(self, accepted: ModelJobAccepted, timeout_s: float) -> BaseModel:
        """Block until a queued model job ends; its result, or its error raised."""
        deadline = time.monotonic() + timeout_s
        stream = self.queue.stream(accepted.job_id, after_id=0, heartbeat_s=min(5.0, timeout_s))
        try:
            for event in stream:
                if event is not None and event.type in ("complete", "error", "canceled"):
                    break
                if time.monotonic() > deadline:
                    raise ConflictError(f"The {accepted.kind} job did not finish within {timeout_s} s; it goes on "
                                        "in the queue.", details={"job_id": accepted.job_id})
        finally:
            stream.close()
        status = self.job_status(accepted.job_id)
        if status.result is not None:
            return status.result
        error = status.error or ModelJobError(code="canceled", message="The job was canceled.")
        status_code = 409 if error.code in ("canceled", "model_in_use", "model_unloaded") else 500
        raise ApiError(error.message, code=error.code, status=status_code, details={"job_id": accepted.job_id})

    def benchmark_model(self, req: BenchmarkModelRequest) -> ModelJobAccepted | BenchmarkModelResponse:
        """Queue a benchmark (FIFO with learners' runs); with wait_for_completion, wait for its result.

        Raises:
            ModelNotFoundError (404); RequestValidationError (422: device, a type that cannot be benchmarked);
            ModelUnavailableError (409).
        """
        record = self.resolve(req.model_id)
        self._check_device(req.device_id)
        meta = self._meta(record)
        kind = self._type(record, meta)
        if kind not in ("checkpoint", "upscaler") or record.detection.variant == "inpainting":
            raise RequestValidationError(f"benchmark measures text-to-image checkpoints and upscalers; "
                                         f"{record.id} is a {kind or 'model of unknown type'}",
                                         details={"field": "model_id", "type": kind})
        self._spec(record, meta)
        accepted = self._enqueue("model_benchmark", record, req)
        return self._wait(accepted, req.timeout_seconds) if req.wait_for_completion else accepted

    def optimize_model(self, req: OptimizeModelRequest) -> ModelJobAccepted | OptimizeModelResponse:
        """Queue an optimize run; with wait_for_completion, wait for its result.

        Raises:
            ModelNotFoundError (404); RequestValidationError (422: device, not a text-to-image checkpoint, bad
            parameters); ModelUnavailableError (409).
        """
        record = self.resolve(req.model_id)
        self._check_device(req.device_id)
        meta = self._meta(record)
        if self._type(record, meta) != "checkpoint" or record.detection.variant == "inpainting":
            raise RequestValidationError(f"optimize applies to text-to-image checkpoints; {record.id} is a "
                                         f"{self._type(record, meta) or 'model of unknown type'}",
                                         details={"field": "model_id"})
        _optimize_parameters(req.parameters)
        self._spec(record, meta)
        accepted = self._enqueue("model_optimize", record, req)
        return self._wait(accepted, req.timeout_seconds) if req.wait_for_completion else accepted

    def run_job(self, kind: str, request: dict[str, Any], observer: Any) -> BaseModel:
        """The job queue's handler for model jobs: run one and return its terminal ``complete`` event data.

        Raises:
            GenerationCanceledError (409): canceled at a step; ApiError: the job failed (ends ``error``).
        """
        if kind == "model_benchmark":
            result: BaseModel = self._run_benchmark(BenchmarkModelRequest.model_validate(request), observer)
        elif kind == "model_optimize":
            result = self._run_optimize(OptimizeModelRequest.model_validate(request), observer)
        else:
            load = LoadModelRequest.model_validate(request)
            record = self.resolve(load.model_id)
            observer.progress(0, 1)
            result = self._do_load(record, self._meta(record), load, self._check_device(load.device_id))
            observer.progress(1, 1)
        return ModelJobCompleteEvent(result=result)  # type: ignore[arg-type]

    def _loaded_entry(self, record: ModelRecord, warnings: list[str]) -> Any:
        entry = self.backend.cache.get(self._key(record))
        if entry is None:
            meta = self._meta(record)
            self.backend.load(self._spec(record, meta), meta.get("load_configuration") or {})
            warnings.append(f"{record.id} was not loaded; it was loaded for this job and stays loaded")
        self._last_updated[record.id] = utc_now()
        return self.backend.cache.acquire(self._key(record))

    def _run_benchmark(self, req: BenchmarkModelRequest, observer: Any) -> BenchmarkModelResponse:
        from devserver.generation.measure import benchmark, callbacks_per_run

        started = time.perf_counter()
        record = self.resolve(req.model_id)
        meta = self._meta(record)
        kind = "upscaler" if self._type(record, meta) == "upscaler" else "pipeline"
        resolutions = [tuple(int(v) for v in r.split("x")) for r in req.resolutions]
        warnings: list[str] = []
        with self.backend.run_exclusive():
            entry = self._loaded_entry(record, warnings)
            if kind == "pipeline" and entry.scheduler is not None:  # the model's own, not the last run's choice
                entry.obj.scheduler = type(entry.scheduler).from_config(entry.scheduler.config)
            try:
                total = len(resolutions) * len(req.batch_sizes) * (req.warmup_runs + req.benchmark_runs) * (
                    callbacks_per_run(entry.obj, kind, req.inference_steps))
                observer.progress(0, total)
                results = benchmark(entry.obj, kind, device=self.backend.device, resolutions=resolutions,  # type: ignore[arg-type]
                                    batch_sizes=req.batch_sizes, steps=req.inference_steps, warmup=req.warmup_runs,
                                    runs=req.benchmark_runs, track_memory=req.track_memory_usage,
                                    progress=lambda done: observer.progress(done, total),
                                    should_stop=lambda: observer.cancel_requested() or entry.interrupt.is_set())
            finally:
                self.backend.cache.release(entry)
            model_bytes = entry.memory_bytes
        benchmark_id = (self.store.add_benchmark(record.id, self.device_id, req.model_dump(mode="json"), results)
                        if req.save_results else None)
        speeds = [r["s_per_image"] for r in results]
        its = [r["it_per_s"] for r in results if r["it_per_s"]]
        return BenchmarkModelResponse(
            status="success", success=True, model_id=record.id, device_id=self.device_id,
            results=[BenchmarkResult.model_validate(r) for r in results],
            benchmark_duration_seconds=round(time.perf_counter() - started, 3),
            performance_metrics={"best_s_per_image": min(speeds), "worst_s_per_image": max(speeds),
                                 **({"mean_it_per_s": round(sum(its) / len(its), 3)} if its else {})},
            memory_usage={"model_bytes": model_bytes,
                          "peak_bytes": max((r["peak_memory_bytes"] or 0) for r in results)},
            benchmark_id=benchmark_id, warnings=warnings, benchmarked_at=utc_now())

    def _run_optimize(self, req: OptimizeModelRequest, observer: Any) -> OptimizeModelResponse:
        from devserver.generation.loading import apply_configuration, revert_optimizations
        from devserver.generation.measure import callbacks_per_run, image_difference, peak_memory, run_pipeline

        started = time.perf_counter()
        record = self.resolve(req.model_id)
        params = _optimize_parameters(req.parameters)
        wanted = OPTIMIZATION_TABLE[req.level][req.target]
        width, height, steps = params["width"], params["height"], params["steps"]
        done = [0]
        warnings: list[str] = []

        def tick() -> None:
            done[0] += 1
            observer.progress(done[0], total)

        with self.backend.run_exclusive():
            entry = self._loaded_entry(record, warnings)
            total = 4 * callbacks_per_run(entry.obj, "pipeline", steps)
            observer.progress(0, total)
            try:
                stop = lambda: observer.cancel_requested() or entry.interrupt.is_set()  # noqa: E731

                def measure() -> tuple[Measurement, list[Any]]:
                    run_pipeline(entry.obj, width=width, height=height, steps=steps, batch=1, seed=0, on_step=tick,
                                 should_stop=stop)
                    with peak_memory(self.backend.device) as memory:
                        run = run_pipeline(entry.obj, width=width, height=height, steps=steps, batch=1, seed=0,
                                           on_step=tick, should_stop=stop)
                    from devserver.generation.cache import module_bytes

                    return Measurement(s_per_image=round(run.seconds, 6), peak_memory_bytes=memory["peak"],
                                       model_memory_bytes=module_bytes(entry.obj)), run.images

                before, images_before = measure()
                config = {"memory_optimization": {k: True for k in wanted if k in MEMORY_OPTIONS},
                          "performance_optimization": {"sdpa": "sdpa" in wanted,
                                                       **{k: True for k in wanted if k in PERFORMANCE_OPTIONS
                                                          and k != "sdpa"}}}
                skipped = []
                if self.backend.device == "cpu" and "torch_compile" in wanted:
                    config["performance_optimization"].pop("torch_compile")
                    skipped.append("torch_compile: compiling takes 78-111 s per image size on this CPU for ~1.3x "
                                   "(FEASIBILITY i3); load with performance_optimization.torch_compile to use it")
                applied, notes = apply_configuration(entry.obj, "pipeline", config, self.backend.device)
                skipped += notes
                after, images_after = measure()
            except BaseException:
                self.backend.cache.release(entry)
                raise
            max_diff, mean_diff = image_difference(images_before, images_after)
            kept = max_diff <= params["tolerance_max_levels"] and mean_diff <= params["tolerance_mean_levels"]
            new = [name for name in applied if name not in entry.optimizations]
            if kept:
                entry.optimizations = sorted(set(entry.optimizations) | set(applied))
            else:
                revert_optimizations(entry.obj, "pipeline", new)
            self.backend.cache.release(entry)
        rule = TOLERANCE_RULE.format(max=params["tolerance_max_levels"], mean=params["tolerance_mean_levels"])
        if kept and req.save_optimized:
            with self._metadata_lock:
                meta = self._meta(record)
                meta["load_configuration"] = {"precision": "auto", **config}
                self.store.put_metadata(record.id, meta)
        result = OptimizeModelResponse(
            status="success", success=True, model_id=record.id, target=req.target, level=req.level,
            optimizations_tried=applied, optimizations_kept=applied if kept else [], skipped=skipped,
            before=before, after=after, speedup=round(before.s_per_image / max(after.s_per_image, 1e-9), 3),
            image_max_diff_levels=max_diff, image_mean_diff_levels=round(mean_diff, 4), tolerance=rule, kept=kept,
            optimization_time_ms=round((time.perf_counter() - started) * 1000), warnings=warnings,
            optimized_at=utc_now(),
            message=(f"Kept {', '.join(applied) or 'nothing'}: {before.s_per_image:.3f} -> {after.s_per_image:.3f} "
                     f"s/image, image within tolerance." if kept else
                     f"Reverted: the image changed by up to {max_diff} levels, beyond the tolerance."))
        self.store.add_optimization(record.id, result.model_dump(mode="json"))
        return result

    def job_status(self, job_id: str) -> ModelJobStatusResponse:
        """A model job's state, progress and result.

        Raises:
            InvalidIdError (400); ModelJobNotFoundError (404): no model job with this id.
        """
        validate_id(job_id, "job_id")
        job = self.queue.store.job(job_id) if self.queue is not None else None
        if job is None or job.kind not in MODEL_JOB_KINDS:
            raise ModelJobNotFoundError(f"no model job with id {job_id}", details={"job_id": job_id})
        step = total = 0
        result = error = None
        for event in self.queue.store.events(job_id):
            if event.type == "progress":
                step, total = event.data["step"], event.data["total_steps"]
            elif event.type == "complete":
                result = ModelJobCompleteEvent.model_validate(event.data).result
            elif event.type == "error":
                error = ModelJobError(code=event.data["error"]["code"], message=event.data["error"]["message"])
            elif event.type == "canceled":
                error = ModelJobError(code="canceled", message="The job was canceled.")
        return ModelJobStatusResponse(
            status=job.status, job_id=job_id, kind=job.kind, model_id=job.request.get("model_id", ""),  # type: ignore[arg-type]
            position=self.queue.store.queue_position(job), progress=round(step / total, 4) if total else 0.0,
            step=step, total_steps=total, result=result, error=error, events_url=f"/api/runs/{job_id}/events")

    # =========================================================================== 8. status
    def get_model_status(self, req: GetModelStatusRequest) -> GetModelStatusResponse:
        """The model's live state.

        Raises:
            ModelNotFoundError (404); RequestValidationError (422: device).
        """
        record = self.resolve(req.model_id)
        device_id = self._check_device(req.device_id)
        meta = self._meta(record)
        status = self._status(record)
        entry = self.backend.cache.get(self._key(record))
        reason = self._availability(record, meta)
        descriptions = {
            "loaded": f"Loaded on {device_id}" + (f", used by {entry.in_use} job(s) now" if entry and entry.in_use
                                                  else ", idle"),
            "loading": "Its weights are being read now.",
            "not_loaded": "Not in memory; it loads on first use." if reason is None else f"Cannot be loaded: {reason}",
            "error": f"The last load failed: {self.backend.cache.last_error(self._key(record)) or reason}"}
        health = 1.0
        if reason is not None:
            health = 0.0
        elif status == "error":
            health = 0.2
        elif self._family(record, meta) == "unknown" and self._type(record, meta) != "upscaler":
            health = 0.7
        perf: dict[str, float] = {}
        if req.include_performance:
            benches = self.store.benchmarks(record.id, limit=1)
            summary = self._bench_summary(benches[0] if benches else None)
            if summary:
                perf["s_per_image"] = summary.s_per_image
                if summary.it_per_s:
                    perf["it_per_s"] = summary.it_per_s
            usage = self._usage(record, self.store.usage().get(record.id, []))
            if usage.mean_generation_ms is not None:
                perf["mean_generation_ms"] = usage.mean_generation_ms
                perf["runs"] = float(usage.runs)
        return GetModelStatusResponse(
            status="success", model_id=record.id, model_status=status,  # type: ignore[arg-type]
            status_description=descriptions[status], device_id=device_id,
            memory_usage=({"parameter_bytes": entry.memory_bytes, "rss_growth_bytes": entry.rss_growth_bytes or 0}
                          if entry and req.include_memory_usage else None),
            performance_metrics=perf if req.include_performance else None,
            active_sessions=(entry.in_use if entry else 0) if req.include_sessions else None,
            optimizations_applied=list(entry.optimizations) if entry else [], health_score=health,
            last_updated=self._last_updated.get(record.id) or (entry.loaded_at if entry else utc_now()))

    def device_status(self, req: DeviceStatusRequest) -> DeviceStatusResponse:
        """Device memory and every loaded model's bytes (seed 001's get_vram_model_status).

        Raises:
            RequestValidationError (422): an unknown device_id.
        """
        device_id = self._check_device(req.device_id)
        memory = self.backend.memory_status()
        models = None
        if req.include_memory_usage:
            by_path = {str(r.path): r.id for r in self.registry.records()}
            models = [LoadedModelMemory(model_id=by_path.get(e.key.split("#")[0], e.label),
                                        memory_usage_bytes=e.memory_bytes, loaded_at=e.loaded_at,
                                        last_used=e.last_used_at, active_sessions=e.in_use,
                                        load_count=max(1, e.load_count))
                      for e in self.backend.cache.entries()]
        return DeviceStatusResponse(
            status="success", device_id=device_id, device_type=self.backend.device.split(":")[0],
            total_memory_bytes=memory["total"], used_memory_bytes=memory["used"], free_memory_bytes=memory["free"],
            cache_budget_bytes=memory["budget"], cache_used_bytes=memory["cache_used"],
            load_count=memory["load_count"], models=models, coordination_mode=req.coordination_mode)

    # =========================================================================== 9. search
    def search_models(self, req: SearchModelsRequest) -> SearchModelsResponse:
        """Fuzzy search over name, description, tags, author and version, with filters, facets and highlights.

        Raises:
            RequestValidationError (422): an unknown device in compatible_devices.
        """
        started = time.perf_counter()
        for device in req.compatible_devices:
            self._check_device(device)
        metadata = self.store.all_metadata()
        wanted_tags = {t.lower() for t in req.tags}
        hits = []
        for record in self.registry.records():
            meta = metadata.get(record.id, ({}, None))[0]
            kind = self._type(record, meta)
            tags = [t.lower() for t in meta.get("tags") or []]
            if req.model_types and kind not in req.model_types:
                continue
            if wanted_tags and not wanted_tags <= set(tags):
                continue
            if req.min_rating is not None and (meta.get("rating") is None or meta["rating"] < req.min_rating):
                continue
            needed = self._estimated_bytes(record)
            if req.max_memory_bytes is not None and needed > req.max_memory_bytes:
                continue
            if req.compatible_devices and (record.unavailable_reason or needed > self.backend.cache.budget_bytes):
                continue
            fields = {"name": f"{meta.get('display_name') or record.file_name}", "description": meta.get("description")
                      or "", "tags": ", ".join(meta.get("tags") or []), "author": meta.get("author") or "",
                      "version": meta.get("version") or ""}
            fields = {k: v for k, v in fields.items() if k in req.search_fields}
            if req.query.strip():
                score, matches = relevance(req.query, fields)
                if score < MIN_RELEVANCE:
                    continue
            else:
                score, matches = 1.0, []
            hits.append((record, meta, score, matches, needed))
        sorters = {"relevance": lambda h: (-h[2], h[0].file_name.lower()), "name": lambda h: h[0].file_name.lower(),
                   "size": lambda h: h[0].detection.size_bytes,
                   "rating": lambda h: -(h[1].get("rating") if h[1].get("rating") is not None else -1)}
        hits.sort(key=sorters[req.sort_by])
        facets: dict[str, dict[str, int]] = {"type": {}, "family": {}, "tag": {}, "status": {}}
        for record, meta, *_ in hits:
            for facet, value in (("type", self._type(record, meta) or "unknown"),
                                 ("family", self._family(record, meta)), ("status", self._status(record))):
                facets[facet][value] = facets[facet].get(value, 0) + 1
            for tag in meta.get("tags") or []:
                facets["tag"][tag] = facets["tag"].get(tag, 0) + 1
        budget = self.backend.cache.budget_bytes
        fitting = sum(1 for h in hits if h[0].unavailable_reason is None and h[4] <= budget)
        page = hits[(req.page - 1) * req.page_size: req.page * req.page_size]
        results = [SearchResult(model=self._info(r, m), relevance_score=min(1.0, s),
                                highlights=[Highlight(field=x.field, text=x.text, ranges=x.ranges) for x in matches])
                   for r, m, s, matches, _ in page]
        return SearchModelsResponse(
            status="success", query=req.query, results=results, total_count=len(hits), page=req.page,
            page_size=req.page_size, total_pages=math.ceil(len(hits) / req.page_size),
            search_time_ms=round((time.perf_counter() - started) * 1000, 3), facets=facets,
            device_compatibility={self.device_id: fitting})

    # =========================================================================== 10. metadata
    def update_metadata(self, req: UpdateModelMetadataRequest) -> UpdateModelMetadataResponse:
        """Change a model's metadata (validated; aliases unique across models).

        Raises:
            ModelNotFoundError (404); ConflictError (409: an alias names another model);
            UploadNotFoundError (404) / InvalidIdError (400): a bad preview_image_id.
        """
        record = self.resolve(req.model_id)
        changes = req.metadata.model_dump(exclude_unset=True)
        if req.tags is not None:
            changes["tags"] = req.tags
        if req.description is not None:
            changes["description"] = req.description
        if "tags" in changes and changes["tags"] is not None:
            changes["tags"] = sorted({t.strip().lower() for t in changes["tags"] if t.strip()})
        with self._metadata_lock:
            meta = dict(self._meta(record))
            if changes.get("aliases"):
                self._check_aliases(record, changes["aliases"])
            if "preview_image_id" in changes:
                image_id = changes.pop("preview_image_id")
                changes["preview"] = self._store_preview(record, image_id) if image_id else None
            updated = sorted(k for k, v in changes.items() if meta.get(k) != v)
            meta.update(changes)
            updated_at = self.store.put_metadata(record.id, meta)
        self._last_updated[record.id] = updated_at
        checks = None
        if req.validate_:
            checks = self.validate_model(ValidateModelRequest(model_id=record.id)).validation_results
        return UpdateModelMetadataResponse(
            status="success", success=True, updated_fields=["preview_image_id" if f == "preview" else f
                                                            for f in updated],
            validation_results=checks, updated_model=self._info(record, meta, details=True, updated_at=updated_at),
            updated_at=updated_at, message=f"{len(updated)} field(s) of {record.id} changed.")

    def _check_aliases(self, record: ModelRecord, aliases: list[str]) -> None:
        metadata = self.store.all_metadata()
        for other in self.registry.records():
            if other.id == record.id:
                continue
            taken = {a.lower() for a in (metadata.get(other.id, ({}, ""))[0].get("aliases") or [])}
            taken |= {a.lower() for a in other.auto_aliases} | {other.id}
            clash = [a for a in aliases if a.lower() in taken]
            if clash:
                raise ConflictError(f"alias {clash[0]!r} already names model {other.id}",
                                    details={"field": "metadata.aliases", "alias": clash[0], "model_id": other.id})

    def _store_preview(self, record: ModelRecord, image_id: str) -> str:
        if self.uploads is None or self.previews_dir is None:
            raise ConflictError("This server keeps no preview images.")
        source = self.uploads.path_for(image_id)
        self.previews_dir.mkdir(parents=True, exist_ok=True)
        name = f"{record.id.replace(':', '_')}.png"
        shutil.copyfile(source, self.previews_dir / name)
        return name

    def preview_path(self, model_id: str) -> Path:
        """The stored preview image of a model.

        Raises:
            ModelNotFoundError (404): no model, or it has no preview.
        """
        record = self.resolve(model_id)
        name = self._meta(record).get("preview")
        if not name or self.previews_dir is None or not (self.previews_dir / name).is_file():
            raise ModelNotFoundError(f"model {record.id} has no preview image", details={"model_id": record.id})
        return self.previews_dir / name

    # =========================================================================== refresh and usage
    def refresh(self) -> RefreshModelsResponse:
        """Scan the models folder again."""
        added, removed, ms = self.registry.refresh()
        return RefreshModelsResponse(status="success", total_count=len(self.registry.records()), added=added,
                                     removed=removed, scan_time_ms=round(ms, 3))

    def record_usage(self, output_config: str, duration_ms: int) -> None:
        """Count a learner's image generated through `output_config` for the model it uses (never raises)."""
        try:
            for record in self.registry.records():
                if output_config in record.output_configs:
                    self.store.record_usage(record.id, output_config, duration_ms)
                    return
        except Exception:  # noqa: BLE001 - usage statistics must never break a learner's run
            import logging

            logging.getLogger(__name__).warning("could not record usage of %s", output_config, exc_info=True)

    # =========================================================================== generation add-ons (issue 10)
    def addon(self, name: str) -> Addon:
        """The model named `name` (registry id or alias) as generation sees it (devserver.generation.addons'
        AddonCatalog): type, family (an admin override wins), how to load it or why it cannot be.

        Raises:
            ModelNotFoundError (404): nothing has this name.
        """
        record = self.resolve(name)
        meta = self._meta(record)
        reason = self._availability(record, meta)
        return Addon(id=record.id, type=self._type(record, meta), family=self._family(record, meta),
                     compatible=tuple(record.detection.compatible),
                     spec=None if reason is not None else self._spec(record, meta), unavailable=reason)

    def base_of(self, model_id: str) -> Addon | None:
        """The registry record behind an output config id (or a registry checkpoint id), None when its weights are
        not in the models folder."""
        for record in self.registry.records():
            if model_id in record.output_configs:
                return self.addon(record.id)
        try:
            record = self.registry.get(model_id)
        except ModelNotFoundError:
            return None
        return self.addon(record.id) if record.detection.type == "checkpoint" else None


def _config_family_fits(config_family: str, detected: str) -> bool:
    """Output configs say ``sd`` for SD 1.x (older ones also for 2.x) and ``sd2`` for SD 2.x."""
    return detected in ("sd1", "sd2") if config_family == "sd" else detected == config_family


def _optimize_parameters(parameters: dict[str, Any]) -> dict[str, Any]:
    """Optimize's free parameters with defaults, checked.

    Raises:
        RequestValidationError (422): an unknown key or a bad value.
    """
    values: dict[str, Any] = {"tolerance_max_levels": TOLERANCE_MAX_LEVELS,
                              "tolerance_mean_levels": TOLERANCE_MEAN_LEVELS, "width": 128, "height": 128, "steps": 4}
    for key, value in parameters.items():
        if key not in values:
            raise RequestValidationError(f"unknown optimize parameter {key!r}; known: {', '.join(values)}",
                                         details={"field": f"parameters.{key}"})
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0
        if key in ("width", "height"):
            ok = ok and isinstance(value, int) and value % 8 == 0 and 64 <= value <= 1024
        if key == "steps":
            ok = ok and isinstance(value, int) and 1 <= value <= 50
        if not ok:
            raise RequestValidationError(f"parameters.{key} has a bad value {value!r}",
                                         details={"field": f"parameters.{key}", "value": value})
        values[key] = value
    return values


def _pixels(resolution: str) -> int:
    """Pixels of a ``WIDTHxHEIGHT`` resolution string."""
    width, height = resolution.split("x")
    return int(width) * int(height)
