"""Models of the model-management API (DESIGN.md "Models folder"; seed 001's ten operations in snake_case).

HTTP under ``/api/models`` (see ``devserver.api.models``) and, later, the worker protocol's model actions
(``get_model_info``, ``load_model``, ...) use the same request and response models through
:class:`devserver.models.service.ModelService`. Requests accept seed 001's PascalCase keys too
(``ModelId``, ``IncludeMetadata``): every request field has a PascalCase validation alias, while responses
and the JSON Schemas use snake_case.

This module is a leaf: it imports nothing from the other contract modules.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AliasChoices, AliasGenerator, BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_pascal

ModelType = Literal["checkpoint", "refiner", "vae", "lora", "controlnet", "upscaler"]
"""What a model file is: a whole pipeline (checkpoint, SDXL refiner) or a part used with one."""
ModelFamily = Literal["sd1", "sd2", "sdxl", "sd3", "flux", "unknown"]
"""The diffusion model family, detected from model_index.json/configs or safetensors header keys."""
ModelFormat = Literal["diffusers", "safetensors", "pth", "pickle"]
"""diffusers folder, single .safetensors, .pth (upscalers, weights-only), or a refused pickle (.ckpt/.bin/.pt)."""
ModelStatus = Literal["not_loaded", "loading", "loaded", "error"]
Precision = Literal["auto", "float32", "float16", "bfloat16", "int8", "int4"]
SortDirection = Literal["asc", "desc"]
OptimizationTarget = Literal["speed", "memory", "quality", "balanced"]
OptimizationLevel = Literal["none", "basic", "balanced", "aggressive", "maximum"]
CheckStatus = Literal["pass", "fail", "warn", "skip"]
ModelJobKind = Literal["model_benchmark", "model_optimize"]

MODEL_ID_PATTERN = r"^[a-z0-9][a-z0-9._~:-]{0,199}$"
"""Registry ids: lower-case path-derived slugs (``tiny-sd``, ``loras:tiny-lora.safetensors``); never a path."""
MAX_PAGE_SIZE = 200
MODEL_NAME_MAX_CHARS = 300
"""Longest model name (registry id or alias) a request may give."""
UNSUPPORTED_PRECISIONS = ("int8", "int4")

ModelId = Annotated[str, Field(pattern=MODEL_ID_PATTERN, description="A registry model id.")]


def _request_aliases(name: str) -> AliasChoices:
    return AliasChoices(name, to_pascal(name))


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True,
                              alias_generator=AliasGenerator(validation_alias=_request_aliases))


class _Response(BaseModel):
    model_config = ConfigDict(extra="forbid")


# =========================================================================== shared parts


class DetectionInfo(_Response):
    """What the registry found in the file(s): the evidence behind type and family."""

    detected_type: ModelType | None = Field(description="Type read from the files; null when they do not tell.")
    detected_family: ModelFamily = Field(description="Family read from the files (unknown when they do not tell).")
    compatible_families: list[ModelFamily] = Field(description="Families this model can be used with.")
    variant: str | None = Field(description="A finer kind, e.g. inpainting, xl_base, or an upscaler architecture.")
    evidence: list[str] = Field(description="Sentences naming the keys, classes and config values that decided.")
    type_overridden: bool = Field(description="An admin set the type by hand in the metadata.")
    family_overridden: bool = Field(description="An admin set the family by hand in the metadata.")


class ModelComponent(_Response):
    """One component of a diffusers folder (unet, vae, text_encoder, ...) or the single file."""

    name: str = Field(description="Component name, e.g. unet; 'weights' for a single file.")
    class_name: str | None = Field(description="Its class, e.g. UNet2DConditionModel; null when unknown.")
    size_bytes: int = Field(ge=0, description="Bytes on disk of its files.")
    parameter_bytes: int = Field(ge=0, description="Bytes of its tensors as stored (from safetensors headers).")
    dtypes: dict[str, int] = Field(description="Tensor count per stored dtype, e.g. {'F32': 120}.")


class ModelRequirements(_Response):
    """What the model needs to run here."""

    memory_bytes: int = Field(ge=0, description="Estimated memory of the loaded weights in the load dtype, bytes.")
    load_dtype: str = Field(description="dtype the weights are loaded in on this device (auto precision).")
    device_types: list[str] = Field(description="Devices it can run on (cpu, cuda, mps).")
    needs: list[str] = Field(description="Other things it needs, e.g. a base checkpoint of the same family.")


class UsageStats(_Response):
    """How often the model was used for learners' images."""

    runs: int = Field(ge=0, description="Images generated with it.")
    last_used: str | None = Field(description="ISO 8601 UTC time of the last image, null if never.")
    mean_generation_ms: float | None = Field(description="Mean generation time over all runs, in milliseconds.")
    per_output_config: dict[str, dict[str, float]] = Field(
        description="Per output config id: {'runs': n, 'mean_generation_ms': ms}.")


class BenchmarkSummary(_Response):
    """The latest stored benchmark, condensed."""

    benchmarked_at: str = Field(description="ISO 8601 UTC time of the benchmark.")
    s_per_image: float = Field(ge=0, description="Seconds per image of the smallest configuration measured.")
    it_per_s: float | None = Field(description="Denoising steps per second of that configuration.")
    resolution: str = Field(description="WIDTHxHEIGHT of that configuration.")
    device: str = Field(description="Device it ran on.")


class ModelMetadata(_Response):
    """Teacher-editable facts about a model (stored in SQLite beside the queue)."""

    display_name: str | None = Field(description="Name shown instead of the file name.")
    description: str = Field(description="What the model is good for.")
    tags: list[str] = Field(description="Free keywords (lower case).")
    author: str | None = Field(description="Who made or published it.")
    license: str | None = Field(description="Its licence, e.g. CreativeML Open RAIL++-M.")
    version: str | None = Field(description="Its version string.")
    rating: float | None = Field(description="Rating 0-5 given by a teacher.")
    trigger_words: list[str] = Field(description="Words that activate a LoRA's style.")
    aliases: list[str] = Field(description="Other names requests may use, e.g. a Hugging Face id.")
    preview_url: str | None = Field(description="Relative URL of the preview image, null if none.")
    type_override: ModelType | None = Field(description="Type set by hand (wins over detection).")
    family_override: ModelFamily | None = Field(description="Family set by hand (wins over detection).")
    load_configuration: dict[str, Any] | None = Field(
        description="Load configuration kept by an optimize run (applied on the next load), null if none.")
    updated_at: str | None = Field(description="ISO 8601 UTC time of the last edit, null if never edited.")


class ModelInfo(_Response):
    """One registry entry: a model on disk, its detected kind, its state."""

    id: str = Field(description="Stable registry id derived from the path (use it in requests).")
    name: str = Field(description="Display name (metadata display_name, else the file or folder name).")
    type: ModelType | None = Field(description="Model type (admin override, else detected); null if unknown.")
    family: ModelFamily = Field(description="Model family (admin override, else detected).")
    format: ModelFormat = Field(description="diffusers folder, safetensors file, pth (upscalers) or pickle.")
    size_bytes: int = Field(ge=0, description="Bytes on disk.")
    source_path: str = Field(description="Path relative to the models folder.")
    output_configs: list[str] = Field(description="Output config ids whose weights are this model.")
    status: ModelStatus = Field(description="not_loaded, loading, loaded or error.")
    available: bool = Field(description="Whether it can be loaded here.")
    availability_reason: str | None = Field(
        description="Why not (refused pickle, corrupt file, ...); null if available.")
    aliases: list[str] = Field(description="Names it also answers to (metadata aliases, output configs' hub ids).")
    tags: list[str] = Field(description="Metadata tags.")
    rating: float | None = Field(description="Metadata rating 0-5.")
    memory_usage_bytes: int | None = Field(description="Bytes used while loaded, null when not loaded.")
    detection: DetectionInfo | None = Field(None, description="Detection evidence (include_details).")
    components: list[ModelComponent] | None = Field(None, description="Components (include_details).")
    metadata: ModelMetadata | None = Field(None, description="Editable metadata (include_details / include_metadata).")
    usage: UsageStats | None = Field(None, description="Usage history (include_metrics / include_performance).")
    benchmark: BenchmarkSummary | None = Field(
        None, description="Latest benchmark (include_metrics / include_performance).")


# =========================================================================== 1. list


class ListModelsRequest(_Request):
    """GET /api/models (query parameters) / worker action list_models: filter, sort and page the registry."""

    model_type: ModelType | None = Field(None, description="Only models of this type.")
    status: ModelStatus | None = Field(None, description="Only models in this status.")
    device_id: str | None = Field(None, description="Only models loaded on this device (e.g. cpu, cuda:0).")
    search_query: str | None = Field(
        None, max_length=200, description="Case-insensitive text in id, name, tags, description.")
    include_details: bool = Field(False, description="Add detection evidence, components and metadata.")
    include_metrics: bool = Field(False, description="Add usage history and the latest benchmark.")
    page: int = Field(1, ge=1, description="Page number, 1-based.")
    page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE, description="Models per page.")
    sort_by: Literal["name", "type", "size", "rating", "performance"] = Field(
        "name", description="Sort key; performance = latest benchmark s/image (unbenchmarked last).")
    sort_direction: SortDirection = Field("asc", description="asc or desc.")


class ListModelsResponse(_Response):
    """200 of GET /api/models."""

    status: Literal["success"] = Field(description="Outcome of this request.")
    models: list[ModelInfo] = Field(description="The models of this page.")
    total_count: int = Field(ge=0, description="Models matching the filters (all pages).")
    page: int = Field(ge=1, description="This page.")
    page_size: int = Field(ge=1, description="Models per page.")
    total_pages: int = Field(ge=0, description="Pages in total.")
    type_distribution: dict[str, int] = Field(description="Matching models per type ('unknown' for untyped).")
    status_distribution: dict[str, int] = Field(description="Matching models per status.")


# =========================================================================== 2. get


class GetModelRequest(_Request):
    """GET /api/models/<id> / worker action get_model_info."""

    model_id: str = Field(min_length=1, max_length=MODEL_NAME_MAX_CHARS, description="Registry id or alias.")
    include_metadata: bool = Field(True, description="Add the editable metadata.")
    include_components: bool = Field(True, description="Add components and detection evidence.")
    include_requirements: bool = Field(True, description="Add memory and device requirements.")
    include_performance: bool = Field(True, description="Add usage history and benchmarks.")


class CompatibilityInfo(_Response):
    """Whether the model fits this server."""

    is_compatible: bool = Field(description="It can be loaded here (available and fits the device memory).")
    device_type: str = Field(description="This server's device type.")
    reasons: list[str] = Field(description="Why not, or notes (empty when all is well).")
    compatible_families: list[ModelFamily] = Field(description="Families it works with.")


class DeviceModelStatus(_Response):
    """The model's state on one device."""

    device_id: str = Field(description="Device id, e.g. cpu or cuda:0.")
    status: ModelStatus = Field(description="Its status there.")
    memory_usage_bytes: int | None = Field(description="Bytes it uses there while loaded.")
    loaded_at: str | None = Field(description="ISO 8601 UTC time it was loaded.")
    active_sessions: int = Field(ge=0, description="Jobs using it right now.")


class BenchmarkRecord(_Response):
    """One stored benchmark."""

    benchmark_id: int = Field(description="Id of the stored benchmark.")
    benchmarked_at: str = Field(description="ISO 8601 UTC time.")
    device: str = Field(description="Device it ran on.")
    results: list[BenchmarkResult] = Field(description="One row per configuration.")


class GetModelResponse(_Response):
    """200 of GET /api/models/<id>."""

    status: Literal["success"] = Field(description="Outcome of this request.")
    model: ModelInfo = Field(description="The model.")
    compatibility: CompatibilityInfo = Field(description="Whether it fits this server.")
    requirements: ModelRequirements | None = Field(description="What it needs (include_requirements).")
    usage_stats: UsageStats | None = Field(description="Usage history (include_performance).")
    benchmarks: list[BenchmarkRecord] | None = Field(
        description="Stored benchmarks, newest first (include_performance).")
    device_status: list[DeviceModelStatus] = Field(description="Its state per device.")


# =========================================================================== 3. load


class MemoryOptimization(_Request):
    """Memory-saving options applied after loading (diffusers' memory guide)."""

    attention_slicing: bool = Field(False, description="pipe.enable_attention_slicing(): attention in slices.")
    vae_slicing: bool = Field(False, description="pipe.vae.enable_slicing(): decode a batch one image at a time.")
    vae_tiling: bool = Field(False, description="pipe.vae.enable_tiling(): decode large images in tiles.")
    cpu_offload: bool = Field(False, description="enable_model_cpu_offload(): needs an accelerator.")
    memory_fraction: float | None = Field(None, gt=0, le=1,
                                          description="CUDA only: cap this process's share of GPU memory.")


class PerformanceOptimization(_Request):
    """Speed options applied after loading."""

    sdpa: bool = Field(True, description="Scaled dot-product attention (torch 2's fused attention; the default).")
    channels_last: bool = Field(False, description="UNet and VAE in channels_last memory format.")
    torch_compile: bool = Field(False, description="torch.compile the UNet (long first call per image size).")
    flash_attention: bool = Field(False, description="CUDA only: prefer the flash SDPA kernel.")
    tensorrt: bool = Field(False, description="Not supported here (listed for seed 001 compatibility).")
    onnx: bool = Field(False, description="Not supported here (listed for seed 001 compatibility).")


class ModelLoadConfiguration(_Request):
    """How to load: precision and optimizations (seed 001's ModelLoadConfiguration)."""

    precision: Precision = Field("auto", description=(
        "auto (float16 on GPU, float32 on CPU), float32, float16, bfloat16; int8/int4 are refused (422)."))
    memory_optimization: MemoryOptimization = Field(default_factory=MemoryOptimization,
                                                    description="Memory-saving options.")
    performance_optimization: PerformanceOptimization = Field(default_factory=PerformanceOptimization,
                                                              description="Speed options.")
    custom_parameters: dict[str, Any] = Field(default_factory=dict,
                                              description="Free parameters (stored, not interpreted).")

    @field_validator("precision")
    @classmethod
    def _supported(cls, precision: str) -> str:
        if precision in UNSUPPORTED_PRECISIONS:
            raise ValueError(f"precision {precision} is not supported: devserver loads weights as float32, float16 "
                             "or bfloat16 only (quantised loading is not available)")
        return precision


class LoadModelRequest(_Request):
    """POST /api/models/<id>/load (admin) / worker action load_model."""

    model_id: str = Field(min_length=1, max_length=MODEL_NAME_MAX_CHARS, description="Registry id or alias.")
    device_id: str | None = Field(None, description="Device to load on; default: the server's device.")
    configuration: ModelLoadConfiguration = Field(default_factory=ModelLoadConfiguration,
                                                  description="Precision and optimizations.")
    priority: Literal["low", "normal", "high"] = Field(
        "normal", description="high: never evicted while other idle models can go (LRU otherwise).")
    wait_for_completion: bool = Field(
        True, description="false: answer 202 at once; a 'model_load' job reports progress.")
    timeout_seconds: float = Field(300, gt=0, le=3600, description="Give up waiting after this many seconds.")
    force: bool = Field(
        False, description="Reload even if loaded; load past the memory budget when nothing can be evicted.")


class LoadModelResponse(_Response):
    """200 of POST /api/models/<id>/load."""

    status: Literal["success"] = Field(description="Outcome of this request.")
    success: bool = Field(description="The model is loaded.")
    model_id: str = Field(description="The registry id.")
    device_id: str = Field(description="Where it is loaded.")
    load_time_ms: int = Field(ge=0, description="Time spent reading weights (0 when it was already loaded).")
    memory_usage_bytes: int = Field(ge=0, description="Bytes of its parameters and buffers (GPU: allocated delta).")
    rss_growth_bytes: int | None = Field(description="CPU: measured growth of the process RSS during the load.")
    optimizations_applied: list[str] = Field(description="Optimizations now active.")
    warnings: list[str] = Field(description="What was not applied and why; evictions; budget notes.")
    evicted_models: list[str] = Field(description="Idle models unloaded to make room (LRU).")
    already_loaded: bool = Field(description="It was loaded before this request.")
    loaded_at: str = Field(description="ISO 8601 UTC time it was loaded.")
    message: str = Field(description="One sentence for people.")


# =========================================================================== 4. unload


class UnloadModelRequest(_Request):
    """POST /api/models/<id>/unload (admin) / worker action unload_model."""

    model_id: str = Field(min_length=1, max_length=MODEL_NAME_MAX_CHARS, description="Registry id or alias.")
    device_id: str | None = Field(None, description="Device; default: the server's device.")
    force: bool = Field(False, description=(
        "Unload even while a job uses it: the job stops at its current diffusion step (error model_unloaded)."))
    wait_for_completion: bool = Field(
        True, description="Kept for seed 001; unloading always completes before answering.")
    timeout_seconds: float = Field(60, gt=0, le=600, description="How long force waits for the job's step.")
    clear_cache: bool = Field(True, description="Also run the garbage collector and empty the CUDA cache.")


class UnloadModelResponse(_Response):
    """200 of POST /api/models/<id>/unload."""

    status: Literal["success"] = Field(description="Outcome of this request.")
    success: bool = Field(description="The model is no longer loaded.")
    model_id: str = Field(description="The registry id.")
    was_loaded: bool = Field(description="False when it was not loaded (nothing to do).")
    unload_time_ms: int = Field(ge=0, description="Time the unload took.")
    memory_freed_bytes: int = Field(ge=0, description="Bytes of parameters released.")
    cache_cleared: bool = Field(description="The garbage collector ran (and the CUDA cache was emptied).")
    interrupted_jobs: int = Field(ge=0, description="Running jobs stopped at their step by force.")
    unloaded_at: str = Field(description="ISO 8601 UTC time.")
    message: str = Field(description="One sentence for people.")


# =========================================================================== 5. validate


class ValidateModelRequest(_Request):
    """POST /api/models/<id>/validate / worker action validate_model (reads files only, loads nothing)."""

    model_id: str = Field(min_length=1, max_length=MODEL_NAME_MAX_CHARS, description="Registry id or alias.")
    device_id: str | None = Field(None, description="Device to check against; default: the server's device.")
    check_memory: bool = Field(True, description="Compare free device memory with what the model needs.")
    check_compute: bool = Field(True, description="Check the device can run the stored dtypes at usable speed.")
    check_driver: bool = Field(True, description="Check the GPU driver/runtime (passes on CPU).")
    estimate_performance: bool = Field(True, description="Estimate seconds per image.")


class ValidationCheck(_Response):
    """One check of validate."""

    check: str = Field(description="Check name, e.g. file_exists, header_readable, not_truncated.")
    status: CheckStatus = Field(description="pass, fail, warn or skip.")
    detail: str = Field(description="What was found.")


class PerformanceEstimation(_Response):
    """Rough speed estimate (or the measured one when a benchmark exists)."""

    estimated_s_per_image: float = Field(ge=0, description="Seconds per image at the reference size and steps.")
    resolution: str = Field(description="WIDTHxHEIGHT it refers to.")
    steps: int = Field(ge=1, description="Denoising steps it refers to.")
    source: Literal["benchmark", "estimate"] = Field(description="Measured by a benchmark, or estimated.")
    basis: str = Field(description="How it was obtained.")


class ValidateModelResponse(_Response):
    """200 of POST /api/models/<id>/validate."""

    status: Literal["success"] = Field(description="Outcome of this request (the checks themselves may fail).")
    model_id: str = Field(description="The registry id.")
    is_compatible: bool = Field(description="No check failed.")
    validation_results: list[ValidationCheck] = Field(description="Every check with pass/fail and detail.")
    compatibility_score: float = Field(ge=0, le=1, description="Share of checks passed (warn counts half).")
    performance_estimation: PerformanceEstimation | None = Field(description="Speed estimate (estimate_performance).")
    warnings: list[str] = Field(description="Things that work but need care.")
    recommendations: list[str] = Field(description="What to do about failures and warnings.")
    validated_at: str = Field(description="ISO 8601 UTC time.")


# =========================================================================== 6. optimize / 7. benchmark (jobs)


class OptimizeModelRequest(_Request):
    """POST /api/models/<id>/optimize (admin) / worker action optimize_model: runs as a queued job."""

    model_id: str = Field(min_length=1, max_length=MODEL_NAME_MAX_CHARS, description="Registry id or alias.")
    device_id: str | None = Field(None, description="Device; default: the server's device.")
    target: OptimizationTarget = Field("balanced", description="What to optimise for.")
    level: OptimizationLevel = Field("balanced", description="How far to go.")
    parameters: dict[str, Any] = Field(default_factory=dict, description=(
        "Optional: tolerance_max_levels (int, default 8), tolerance_mean_levels (float, default 1.0), "
        "width/height/steps of the measuring run (default 128x128, 4 steps)."))
    save_optimized: bool = Field(True, description="Keep the accepted optimizations as the model's load configuration.")
    optimized_model_name: str | None = Field(None, max_length=100, description="Kept for seed 001; not used.")
    timeout_seconds: float = Field(600, gt=0, le=3600, description="With wait_for_completion: how long to wait.")
    wait_for_completion: bool = Field(
        False, description="true: answer when the job has finished (200 with the result).")


class Measurement(_Response):
    """One short fixed run: speed and memory."""

    s_per_image: float = Field(ge=0, description="Seconds for the measuring image.")
    peak_memory_bytes: int = Field(ge=0, description="Peak memory during the run (CPU: RSS growth; GPU: allocated).")
    model_memory_bytes: int = Field(ge=0, description="Parameter bytes of the loaded model.")


class OptimizeModelResponse(_Response):
    """The result of an optimize job (also the complete event's ``result``)."""

    status: Literal["success"] = Field(description="Outcome.")
    success: bool = Field(description="The optimization run finished (kept or reverted).")
    model_id: str = Field(description="The registry id.")
    target: OptimizationTarget = Field(description="As requested.")
    level: OptimizationLevel = Field(description="As requested.")
    optimizations_tried: list[str] = Field(description="Optimizations applied for the measurement.")
    optimizations_kept: list[str] = Field(description="Optimizations still active (empty when reverted).")
    skipped: list[str] = Field(description="Optimizations not applicable here, with why.")
    before: Measurement = Field(description="Measured before.")
    after: Measurement = Field(description="Measured with the optimizations.")
    speedup: float = Field(description="before.s_per_image / after.s_per_image.")
    image_max_diff_levels: int = Field(ge=0, description="Largest per-pixel difference (0-255) for the same seed.")
    image_mean_diff_levels: float = Field(ge=0, description="Mean per-pixel difference (0-255).")
    tolerance: str = Field(description="The rule for keeping the result.")
    kept: bool = Field(description="Within tolerance: kept; else reverted.")
    optimization_time_ms: int = Field(ge=0, description="Duration of the whole job.")
    warnings: list[str] = Field(description="Notes.")
    optimized_at: str = Field(description="ISO 8601 UTC time.")
    message: str = Field(description="One sentence for people.")


class BenchmarkModelRequest(_Request):
    """POST /api/models/<id>/benchmark (admin) / worker action benchmark_model: runs as a queued job."""

    model_id: str = Field(min_length=1, max_length=MODEL_NAME_MAX_CHARS, description="Registry id or alias.")
    device_id: str | None = Field(None, description="Device; default: the server's device.")
    warmup_runs: int = Field(1, ge=0, le=5, description="Untimed runs per configuration.")
    benchmark_runs: int = Field(3, ge=1, le=20, description="Timed runs per configuration (median reported).")
    resolutions: list[Annotated[str, Field(pattern=r"^\d{2,4}x\d{2,4}$")]] = Field(
        default_factory=lambda: ["64x64"], min_length=1, max_length=8, description="WIDTHxHEIGHT, multiples of 8.")
    batch_sizes: list[Annotated[int, Field(ge=1, le=8)]] = Field(default_factory=lambda: [1], min_length=1,
                                                                  max_length=4, description="Images per call.")
    inference_steps: int = Field(4, ge=1, le=100, description="Denoising steps per run (checkpoints).")
    track_memory_usage: bool = Field(True, description="Measure peak memory per configuration.")
    save_results: bool = Field(True, description="Store the results in the model's benchmark history.")
    timeout_seconds: float = Field(1800, gt=0, le=7200, description="With wait_for_completion: how long to wait.")
    wait_for_completion: bool = Field(
        False, description="true: answer when the job has finished (200 with the result).")

    @field_validator("resolutions")
    @classmethod
    def _sizes(cls, resolutions: list[str]) -> list[str]:
        for text in resolutions:
            width, height = (int(side) for side in text.split("x"))
            if width % 8 or height % 8 or not 64 <= width <= 2048 or not 64 <= height <= 2048:
                raise ValueError(f"resolution {text} must have sides that are multiples of 8 within 64..2048")
        return resolutions

    @model_validator(mode="after")
    def _bounded(self) -> BenchmarkModelRequest:
        calls = len(self.resolutions) * len(self.batch_sizes) * (self.warmup_runs + self.benchmark_runs)
        if calls > 200:
            raise ValueError(f"the benchmark would make {calls} pipeline calls; at most 200 are allowed")
        return self


class BenchmarkResult(_Response):
    """One configuration of a benchmark."""

    resolution: str = Field(description="WIDTHxHEIGHT.")
    batch_size: int = Field(ge=1, description="Images per call.")
    inference_steps: int = Field(ge=0, description="Denoising steps (0 for upscalers).")
    s_per_image: float = Field(ge=0, description="Median seconds per image.")
    it_per_s: float | None = Field(description="Denoising steps per second (from step callbacks), null for upscalers.")
    peak_memory_bytes: int | None = Field(description="Peak memory during the runs (track_memory_usage).")
    runs: int = Field(ge=1, description="Timed runs.")


class BenchmarkModelResponse(_Response):
    """The result of a benchmark job (also the complete event's ``result``)."""

    status: Literal["success"] = Field(description="Outcome.")
    success: bool = Field(description="Every configuration was measured.")
    model_id: str = Field(description="The registry id.")
    device_id: str = Field(description="Where it ran.")
    results: list[BenchmarkResult] = Field(description="One row per resolution and batch size.")
    benchmark_duration_seconds: float = Field(ge=0, description="Duration of the whole job.")
    performance_metrics: dict[str, float] = Field(description="Summary: best/worst s_per_image, mean it_per_s.")
    memory_usage: dict[str, int] = Field(description="model_bytes and peak_bytes.")
    benchmark_id: int | None = Field(description="Id in the model's history (save_results), else null.")
    warnings: list[str] = Field(description="Notes (e.g. the model had to be loaded).")
    benchmarked_at: str = Field(description="ISO 8601 UTC time.")


class ModelJobAccepted(_Response):
    """202 of optimize/benchmark/load without waiting: the job is queued (FIFO with learners' runs)."""

    status: Literal["queued"] = Field(description="The job waits in the queue.")
    job_id: str = Field(description="The job's id (UUID4), a run_id of the shared queue.")
    kind: Literal["model_benchmark", "model_optimize", "model_load"] = Field(description="What the job does.")
    model_id: str = Field(description="The registry id.")
    position: int = Field(ge=1, description="Place in the queue: 1 = next.")
    events_url: str = Field(
        description="SSE stream: queued, started, progress {step, total_steps}, complete {result} | error | canceled.")
    status_url: str = Field(description="GET: the job's state and result.")


class ModelJobError(_Response):
    """Why a model job failed."""

    code: str = Field(description="snake_case error code.")
    message: str = Field(description="Human sentence.")


class ModelJobStatusResponse(_Response):
    """200 of GET /api/models/jobs/<job_id>."""

    status: Literal["queued", "running", "success", "error", "canceled"] = Field(description="The job's state.")
    job_id: str = Field(description="The job's id.")
    kind: str = Field(description="model_benchmark, model_optimize or model_load.")
    model_id: str = Field(description="The registry id.")
    position: int | None = Field(description="0 running, 1.. queued, null finished.")
    progress: float = Field(ge=0, le=1, description="Fraction done.")
    step: int = Field(ge=0, description="Units done (diffusion steps or runs).")
    total_steps: int = Field(ge=0, description="Units in total (0 before it starts).")
    result: BenchmarkModelResponse | OptimizeModelResponse | LoadModelResponse | None = Field(
        description="The result once it succeeded.")
    error: ModelJobError | None = Field(description="What went wrong, if it failed.")
    events_url: str = Field(description="SSE stream of the job.")


class ModelJobCompleteEvent(_Response):
    """SSE ``complete`` of a model job (terminal)."""

    result: BenchmarkModelResponse | OptimizeModelResponse | LoadModelResponse = Field(description="The job's result.")


# =========================================================================== 8. status / device status


class GetModelStatusRequest(_Request):
    """GET /api/models/<id>/status."""

    model_id: str = Field(min_length=1, max_length=MODEL_NAME_MAX_CHARS, description="Registry id or alias.")
    device_id: str | None = Field(None, description="Device; default: the server's device.")
    include_memory_usage: bool = Field(True, description="Add memory figures.")
    include_performance: bool = Field(True, description="Add performance figures.")
    include_sessions: bool = Field(True, description="Add active_sessions.")


class GetModelStatusResponse(_Response):
    """200 of GET /api/models/<id>/status."""

    status: Literal["success"] = Field(description="Outcome of this request.")
    model_id: str = Field(description="The registry id.")
    model_status: ModelStatus = Field(description="not_loaded, loading, loaded or error.")
    status_description: str = Field(description="One sentence for people.")
    device_id: str = Field(description="The device.")
    memory_usage: dict[str, int] | None = Field(description="parameter_bytes, rss_growth_bytes (include_memory_usage).")
    performance_metrics: dict[str, float] | None = Field(description="From the latest benchmark and usage.")
    active_sessions: int | None = Field(description="Jobs using it right now (include_sessions).")
    optimizations_applied: list[str] = Field(description="Optimizations active while loaded.")
    health_score: float = Field(ge=0, le=1, description="1 = available and loaded without errors; lower for problems.")
    last_updated: str = Field(description="ISO 8601 UTC time of the last state change.")


class DeviceStatusRequest(_Request):
    """GET /api/models/device-status / worker action get_vram_model_status."""

    device_id: str | None = Field(None, description="Device; default: the server's device.")
    include_memory_usage: bool = Field(True, description="Add each loaded model's bytes.")
    coordination_mode: str | None = Field(None, max_length=64, description="Seed 001 field, echoed, not interpreted.")


class LoadedModelMemory(_Response):
    """One loaded model in the device status."""

    model_id: str = Field(description="Registry id (or the source for models outside the registry).")
    memory_usage_bytes: int = Field(ge=0, description="Bytes of its parameters (GPU: allocated delta).")
    loaded_at: str = Field(description="ISO 8601 UTC time.")
    last_used: str = Field(description="ISO 8601 UTC time of its last use.")
    active_sessions: int = Field(ge=0, description="Jobs using it now.")
    load_count: int = Field(ge=1, description="How often its weights were read from disk.")


class DeviceStatusResponse(_Response):
    """200 of GET /api/models/device-status: device memory and what is loaded (seed 001's get_vram_model_status)."""

    status: Literal["success"] = Field(description="Outcome of this request.")
    device_id: str = Field(description="The device.")
    device_type: str = Field(description="cpu, cuda or mps.")
    total_memory_bytes: int = Field(ge=0, description="Device memory (CPU: MemTotal).")
    used_memory_bytes: int = Field(ge=0, description="Used (CPU: MemTotal - MemAvailable).")
    free_memory_bytes: int = Field(ge=0, description="Free (CPU: MemAvailable; GPU: torch.cuda.mem_get_info).")
    cache_budget_bytes: int = Field(ge=0, description="DEVSERVER_MODEL_CACHE_BYTES or the measured default.")
    cache_used_bytes: int = Field(ge=0, description="Bytes of all loaded models.")
    load_count: int = Field(ge=0, description="Weights read from disk since start (all models).")
    models: list[LoadedModelMemory] | None = Field(description="Loaded models, most recently used first.")
    coordination_mode: str | None = Field(description="Echo of the request field.")


# =========================================================================== 9. search


class SearchModelsRequest(_Request):
    """GET /api/models/search / worker action search_models."""

    query: str = Field("", max_length=200, description="Words to look for (fuzzy, case-insensitive).")
    search_fields: list[Literal["name", "description", "tags", "author", "version"]] = Field(
        default_factory=lambda: ["name", "description", "tags", "author", "version"], min_length=1,
        description="Fields searched.")
    model_types: list[ModelType] = Field(default_factory=list, description="Only these types (empty: all).")
    tags: list[str] = Field(default_factory=list, description="Only models having every one of these tags.")
    min_rating: float | None = Field(None, ge=0, le=5, description="Only models rated at least this.")
    max_memory_bytes: int | None = Field(None, ge=0, description="Only models needing at most this memory.")
    compatible_devices: list[str] = Field(default_factory=list, description="Only models that fit these devices.")
    sort_by: Literal["relevance", "name", "size", "rating"] = Field("relevance", description="Sort key.")
    page: int = Field(1, ge=1, description="Page number, 1-based.")
    page_size: int = Field(20, ge=1, le=MAX_PAGE_SIZE, description="Results per page.")


class Highlight(_Response):
    """Where the query matched in one field (character ranges; the client marks them up)."""

    field: str = Field(description="name, description, tags, author or version.")
    text: str = Field(description="The field's text (tags joined with ', ').")
    ranges: list[list[int]] = Field(description="[start, end) character ranges that matched.")


class SearchResult(_Response):
    """One search hit."""

    model: ModelInfo = Field(description="The model.")
    relevance_score: float = Field(ge=0, le=1, description="1 = exact match in the name.")
    highlights: list[Highlight] = Field(description="Matches per field.")


class SearchModelsResponse(_Response):
    """200 of GET /api/models/search."""

    status: Literal["success"] = Field(description="Outcome of this request.")
    query: str = Field(description="The query as searched.")
    results: list[SearchResult] = Field(description="Hits of this page.")
    total_count: int = Field(ge=0, description="Hits on all pages.")
    page: int = Field(ge=1, description="This page.")
    page_size: int = Field(ge=1, description="Hits per page.")
    total_pages: int = Field(ge=0, description="Pages in total.")
    search_time_ms: float = Field(ge=0, description="Time the search took.")
    facets: dict[str, dict[str, int]] = Field(description="Hit counts per type, family, tag and status.")
    device_compatibility: dict[str, int] = Field(description="Hits that fit each device.")


# =========================================================================== 10. metadata


Alias = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/:-]*$",
                             description="Another name of a model, e.g. a Hugging Face id.")]


class MetadataUpdate(_Request):
    """The editable fields; omitted fields stay, null clears (lists: [] clears)."""

    display_name: str | None = Field(None, max_length=120, description="Name shown instead of the file name.")
    description: str | None = Field(None, max_length=4000, description="What the model is good for.")
    tags: list[Annotated[str, Field(min_length=1, max_length=40)]] | None = Field(None, max_length=30,
                                                                                  description="Keywords.")
    author: str | None = Field(None, max_length=200, description="Author.")
    license: str | None = Field(None, max_length=200, description="Licence.")
    version: str | None = Field(None, max_length=64, description="Version.")
    rating: float | None = Field(None, ge=0, le=5, description="Rating 0-5.")
    trigger_words: list[Annotated[str, Field(min_length=1, max_length=80)]] | None = Field(
        None, max_length=30, description="LoRA trigger words.")
    aliases: list[Alias] | None = Field(
        None, max_length=20, description="Other names (e.g. stabilityai/sdxl-base-1.0); unique across models.")
    preview_image_id: str | None = Field(None, description="An uploaded image's id (copied as the preview).")
    type_override: ModelType | None = Field(None, description="Set the type by hand.")
    family_override: ModelFamily | None = Field(None, description="Set the family by hand.")


class UpdateModelMetadataRequest(_Request):
    """PATCH /api/models/<id>/metadata (admin) / worker action update_metadata."""

    model_id: str = Field(min_length=1, max_length=MODEL_NAME_MAX_CHARS, description="Registry id or alias.")
    metadata: MetadataUpdate = Field(default_factory=MetadataUpdate, description="Fields to change.")
    tags: list[Annotated[str, Field(min_length=1, max_length=40)]] | None = Field(
        None, max_length=30, description="Seed 001 shortcut for metadata.tags.")
    description: str | None = Field(None, max_length=4000, description="Seed 001 shortcut for metadata.description.")
    validate_: bool = Field(False, alias="validate", description="Run validate afterwards and return its checks.")

    model_config = ConfigDict(extra="forbid", populate_by_name=True,
                              alias_generator=AliasGenerator(validation_alias=_request_aliases))


class UpdateModelMetadataResponse(_Response):
    """200 of PATCH /api/models/<id>/metadata."""

    status: Literal["success"] = Field(description="Outcome of this request.")
    success: bool = Field(description="The metadata was stored.")
    updated_fields: list[str] = Field(description="Fields whose value changed.")
    validation_results: list[ValidationCheck] | None = Field(description="validate's checks when requested.")
    updated_model: ModelInfo = Field(description="The model with its new metadata.")
    updated_at: str = Field(description="ISO 8601 UTC time.")
    message: str = Field(description="One sentence for people.")


class RefreshModelsResponse(_Response):
    """200 of POST /api/models/refresh: the models folder was scanned again."""

    status: Literal["success"] = Field(description="Outcome of this request.")
    total_count: int = Field(ge=0, description="Models registered now.")
    added: list[str] = Field(description="Ids new since the last scan.")
    removed: list[str] = Field(description="Ids gone since the last scan.")
    scan_time_ms: float = Field(ge=0, description="Time the scan took.")


MODEL_MODELS: tuple[type[BaseModel], ...] = (
    ListModelsRequest, ListModelsResponse, GetModelRequest, GetModelResponse, LoadModelRequest, LoadModelResponse,
    UnloadModelRequest, UnloadModelResponse, ValidateModelRequest, ValidateModelResponse, OptimizeModelRequest,
    OptimizeModelResponse, BenchmarkModelRequest, BenchmarkModelResponse, ModelJobAccepted, ModelJobStatusResponse,
    ModelJobCompleteEvent, GetModelStatusRequest, GetModelStatusResponse, DeviceStatusRequest, DeviceStatusResponse,
    SearchModelsRequest, SearchModelsResponse, UpdateModelMetadataRequest, UpdateModelMetadataResponse,
    RefreshModelsResponse, ModelInfo,
)
"""Models exported to schemas/json/ (appended to ``devserver.contracts.api.API_MODELS``)."""

for _model in (BenchmarkRecord, GetModelResponse, ModelJobStatusResponse, ModelJobCompleteEvent):
    _model.model_rebuild()
