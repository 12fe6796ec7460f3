"""The worker protocol's messages (DESIGN.md "Worker protocol"; seed 000 for generation, seed 001 for model actions).

Generation requests come in two forms, both described by ``schemas/json/enhanced_sdxl_request_schema.json``
(:data:`REQUEST_SCHEMA_MODEL`, draft-07, generated from these models):

- the flat form of seed 000 (:class:`InferenceRequest`): ``{"message_type": "inference_request", "request_id",
  "data": {prompt, model_name, ...}}`` with the seed's snake_case field names, plus ``refiner_model``,
  ``vae_model``, ``scheduler_type``, ``loras``, ``controlnets``, ``post_processing`` and the batch and format
  fields of the enhanced contract (:mod:`devserver.contracts.generation`);
- seed 000's C# form (:class:`CSharpGenerateRequest`): ``{"action": "generate_sdxl_enhanced", "request_data":
  {"Model": {...}, "Scheduler": {...}, ...}}``, transformed to the flat form by the seed's mapping table
  (``devserver.worker.transform``).

Model names (``model_name``, ``refiner_model``, ``vae_model``, ``model_path`` of a LoRA or ControlNet, an upscaler
``model``) are registry ids or aliases, never paths: the field ``model_path`` keeps the seed's name, its value is a
name. Answers follow :class:`EnhancedSdxlResponse` (``schemas/json/enhanced_sdxl_response_schema.json``); model
actions answer :class:`ActionResponse`; progress lines are :class:`ProgressMessage`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, RootModel, field_validator

from devserver.contracts.common import SCHEDULER_NAMES, SEED_MAX, JsonInt, check_multiple_of_8
from devserver.contracts.generation import MAX_BATCH_SIZE, MAX_CONTROLNETS, MAX_LORAS, ModelName

MAX_PROMPT_CHARS = 4000
"""Longest prompt or negative prompt, in characters (as the studio API)."""
SCHEDULER_ALIASES = {"dpm++": "DPMSolverMultistep", "dpm++ 2m": "DPMSolverMultistep", "dpmpp_2m": "DPMSolverMultistep",
                     "euler": "EulerDiscrete", "euler a": "EulerAncestralDiscrete", "euler_a": "EulerAncestralDiscrete",
                     "ddim": "DDIM", "unipc": "UniPCMultistep", "lcm": "LCM"}
"""Common short names of schedulers (seed 000 mentions ``"DPM++"``; AUTOMATIC1111 says ``Euler a``) -> diffusers."""


def scheduler_from_name(value: Any) -> Any:
    """A scheduler name as diffusers spells it (without ``Scheduler``): exact, any case, a common short name or
    with the ``Scheduler`` suffix (``DPMSolverMultistepScheduler``); anything else is returned unchanged (and
    refused by the field's check)."""
    if not isinstance(value, str):
        return value
    name = value.strip()
    if name.lower().endswith("scheduler"):
        name = name[: -len("scheduler")]
    for known in SCHEDULER_NAMES:
        if known.lower() == name.lower():
            return known
    return SCHEDULER_ALIASES.get(name.lower(), value)


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _integral(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


Lowered = BeforeValidator(_lower)


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid")


# =========================================================================== generation: the flat form


class WorkerLora(_Message):
    """A LoRA of a generation request."""

    model_path: ModelName = Field(description="Registry id or alias of the LoRA (seed 000's field name; never a "
                                  "file path).")
    weight: float = Field(1.0, ge=-2, le=2, description="Adapter weight -2..2.")


class WorkerControlNet(_Message):
    """A ControlNet of a generation request, with its conditioning image inline."""

    model_path: ModelName = Field(description="Registry id or alias of the ControlNet (never a file path).")
    conditioning_image: str = Field(min_length=1, description="The conditioning image: base64 of a PNG, JPEG or "
                                    "WebP file (a data: URL prefix is allowed).")
    weight: float = Field(1.0, ge=0, le=2, description="controlnet_conditioning_scale 0..2.")
    guidance_start: float = Field(0.0, ge=0, le=1, description="Share of the steps after which it starts.")
    guidance_end: float = Field(1.0, ge=0, le=1, description="Share of the steps after which it stops.")
    preprocessor: Annotated[Literal["none", "canny"], Lowered] = Field(
        "none", description="none: the image is the condition; canny: its Canny edge map (OpenCV).")


class WorkerPostProcessing(_Message):
    """A post-processing step (seed 000's PostProcessing)."""

    type: Annotated[Literal["upscale"], Lowered] = Field(description="upscale (any case).")
    model: ModelName = Field("lanczos", description="Registry id or alias of an upscaler, or lanczos.")
    factor: Annotated[Literal[2, 4], BeforeValidator(_integral)] = Field(2, description="2 or 4 (2.0 accepted).")


class InferenceData(_Message):
    """``data`` of the flat form: seed 000's fields, then the enhanced ones. Omitted values take the model's
    output config defaults."""

    worker_type: Literal["enhanced_sdxl_worker", "pipeline_manager"] | None = Field(
        None, description="Seed 000's routing hint; every generation runs the same enhanced pipeline.")
    prompt: str = Field(min_length=1, max_length=MAX_PROMPT_CHARS, description="The prompt (checked by the server's "
                        "safety level: stage 1 and 3c).")
    negative_prompt: str | None = Field(None, max_length=MAX_PROMPT_CHARS, description="What to avoid (checked too).")
    model_name: ModelName = Field(description="Base model: a registry id or alias, or an output config id.")
    refiner_model: ModelName | None = Field(None, description="SDXL refiner (registry id or alias).")
    refiner_mode: Annotated[Literal["ensemble", "img2img"], Lowered] = Field(
        "ensemble", description="ensemble (hand over at high_noise_frac) or img2img (rework the finished image).")
    high_noise_frac: float = Field(0.8, gt=0, lt=1, description="ensemble: share of the steps the base runs.")
    refiner_strength: float = Field(0.3, gt=0, le=1, description="img2img refiner: its strength.")
    vae_model: ModelName | None = Field(None, description="VAE to decode with (registry id or alias).")
    scheduler_type: Annotated[str | None, BeforeValidator(scheduler_from_name)] = Field(
        None, description="Scheduler: a diffusers name without 'Scheduler' (DDIM, DPMSolverMultistep, "
        "EulerDiscrete, ...; any case; DPM++ and Euler a are understood).")
    steps: JsonInt | None = Field(None, ge=1, le=150, description="num_inference_steps.")
    guidance_scale: float | None = Field(None, ge=0, le=30, description="Classifier-free guidance scale.")
    width: JsonInt | None = Field(None, ge=64, le=2048, json_schema_extra={"multipleOf": 8},
                                  description="Width in pixels, a multiple of 8.")
    height: JsonInt | None = Field(None, ge=64, le=2048, json_schema_extra={"multipleOf": 8},
                                   description="Height in pixels, a multiple of 8.")
    seed: JsonInt | None = Field(None, ge=0, le=SEED_MAX, description="Seed; omitted: the server draws one.")
    batch_size: JsonInt | None = Field(None, ge=1, le=MAX_BATCH_SIZE, description="Images (image i: seed + i).")
    loras: list[WorkerLora] = Field(default_factory=list, max_length=MAX_LORAS, description="LoRAs with weights.")
    controlnets: list[WorkerControlNet] = Field(default_factory=list, max_length=MAX_CONTROLNETS,
                                                description="ControlNets with conditioning images.")
    post_processing: list[WorkerPostProcessing] = Field(default_factory=list, max_length=2,
                                                        description="Upscale steps, in order.")
    output_format: Annotated[Literal["png", "jpeg", "webp"], Lowered] | None = Field(
        None, description="png, jpeg or webp (any case; default png).")
    quality: JsonInt | None = Field(None, ge=1, le=100, description="jpeg/webp quality (default 95).")

    @field_validator("scheduler_type")
    @classmethod
    def _known_scheduler(cls, value: str | None) -> str | None:
        if value is not None and value not in SCHEDULER_NAMES:
            raise ValueError(f"unknown scheduler {value!r}; valid: {', '.join(SCHEDULER_NAMES)}")
        return value

    _multiple_of_8 = field_validator("width", "height")(check_multiple_of_8)


class InferenceRequest(_Message):
    """Seed 000's flat form of a generation request."""

    message_type: Literal["inference_request"] = Field(description="Always inference_request.")
    request_id: str = Field(min_length=1, max_length=200, description="The caller's id of the request; echoed in "
                            "every answer and progress line.")
    data: InferenceData = Field(description="What to generate.")


# =========================================================================== generation: seed 000's C# form


class _CSharp(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CSharpModel(_CSharp):
    """SDXLModelConfiguration."""

    Base: str = Field(description="-> model_name.")
    Refiner: str | None = Field(None, description="-> refiner_model.")
    Vae: str | None = Field(None, description="-> vae_model.")


class CSharpScheduler(_CSharp):
    """SchedulerConfiguration."""

    Type: str | None = Field(None, description="-> scheduler_type.")
    Steps: int | None = Field(None, description="-> steps.")
    GuidanceScale: float | None = Field(None, description="-> guidance_scale.")


class CSharpHyperparameters(_CSharp):
    """HyperparameterConfiguration."""

    Width: int | None = Field(None, description="-> width.")
    Height: int | None = Field(None, description="-> height.")
    Seed: int | None = Field(None, description="-> seed.")
    BatchSize: int | None = Field(None, description="-> batch_size.")


class CSharpLora(_CSharp):
    """LoRAConfiguration."""

    ModelPath: str = Field(description="-> loras[].model_path (a registry id or alias).")
    Weight: float | None = Field(None, description="-> loras[].weight.")


class CSharpControlNet(_CSharp):
    """ControlNetConfiguration."""

    ModelPath: str = Field(description="-> controlnets[].model_path (a registry id or alias).")
    ConditioningImage: str = Field(description="-> controlnets[].conditioning_image (base64).")
    Weight: float | None = Field(None, description="-> controlnets[].weight.")
    GuidanceStart: float | None = Field(None, description="-> controlnets[].guidance_start.")
    GuidanceEnd: float | None = Field(None, description="-> controlnets[].guidance_end.")
    Preprocessor: str | None = Field(None, description="-> controlnets[].preprocessor.")


class CSharpConditioning(_CSharp):
    """ConditioningConfiguration."""

    Prompt: str = Field(description="-> prompt.")
    NegativePrompt: str | None = Field(None, description="-> negative_prompt.")
    LoRAs: list[CSharpLora] | None = Field(None, description="-> loras.")
    ControlNets: list[CSharpControlNet] | None = Field(None, description="-> controlnets.")


class CSharpOutput(_CSharp):
    """OutputConfiguration."""

    Format: str | None = Field(None, description="-> output_format.")
    Quality: int | None = Field(None, description="-> quality.")
    SavePath: str | None = Field(None, description="Not used: images are kept in the run folder (image_path); a "
                                 "warning says so.")


class CSharpPostProcessing(_CSharp):
    """PostProcessingStep."""

    Type: str = Field(description="-> post_processing[].type.")
    Factor: float | None = Field(None, description="-> post_processing[].factor.")
    Model: str | None = Field(None, description="-> post_processing[].model.")


class CSharpRequestData(_CSharp):
    """EnhancedSDXLRequest as the C# service serialises it."""

    Model: CSharpModel = Field(description="Base, refiner, VAE.")
    Scheduler: CSharpScheduler | None = Field(None, description="Scheduler, steps, guidance.")
    Hyperparameters: CSharpHyperparameters | None = Field(None, description="Size, seed, batch.")
    Conditioning: CSharpConditioning = Field(description="Prompts, LoRAs, ControlNets.")
    Output: CSharpOutput | None = Field(None, description="Format and quality.")
    PostProcessing: list[CSharpPostProcessing] | None = Field(None, description="Upscale steps.")


class CSharpGenerateRequest(_CSharp):
    """Seed 000's C# form: ``{"action": "generate_sdxl_enhanced", "request_data": {...}}``."""

    action: Literal["generate_sdxl_enhanced"] = Field(description="The command.")
    request_id: str | None = Field(None, min_length=1, max_length=200, description="Optional; a UUID4 is made "
                                   "when absent.")
    request_data: CSharpRequestData = Field(description="The nested PascalCase request.")


class EnhancedSdxlRequest(RootModel[InferenceRequest | CSharpGenerateRequest]):
    """A generation request of the worker protocol: the flat form or the C# form."""


REQUEST_SCHEMA_MODEL = EnhancedSdxlRequest


# =========================================================================== answers


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelInfoOut(_Answer):
    """Which models made an image (seed 000's model_info)."""

    base_model: str = Field(description="Registry id of the base model (or its output config id).")
    refiner_model: str | None = Field(None, description="Registry id of the refiner, if any.")
    vae_model: str | None = Field(None, description="Registry id of the swapped-in VAE, if any.")
    loras: list[dict[str, Any]] = Field(default_factory=list, description="LoRAs: {id, weight, source}.")
    controlnets: list[dict[str, Any]] = Field(default_factory=list, description="ControlNets: {id, weight, "
                                              "guidance_start, guidance_end, preprocessor, image_id}.")
    post_processing: list[dict[str, Any]] = Field(default_factory=list, description="Upscale steps: {type, model, "
                                                  "factor, width, height}.")


class GeneratedImageMetadata(_Answer):
    """One image's parameters."""

    seed: int = Field(description="The seed that reproduces this image.")
    steps: int = Field(description="num_inference_steps.")
    guidance_scale: float = Field(description="Classifier-free guidance scale.")
    scheduler: str = Field(description="Scheduler (diffusers name without 'Scheduler').")
    model_info: ModelInfoOut = Field(description="The models used.")
    width: int = Field(description="Width in pixels (after post-processing).")
    height: int = Field(description="Height in pixels.")
    index: int = Field(ge=0, description="Index within the batch (and the run).")
    format: Literal["png", "jpeg", "webp"] = Field(description="File format of image_data.")
    run_id: str = Field(description="The run the image belongs to (its folder holds everything).")
    url: str = Field(description="Relative URL of the image on the HTTP API.")


class GeneratedImage(_Answer):
    """One generated image."""

    image_path: str = Field(description="Path of the file relative to the exports folder: json/<run_id>/<file>.")
    image_data: str = Field(description="The file, base64-encoded.")
    metadata: GeneratedImageMetadata = Field(description="How it was made.")


class ProcessingMetrics(_Answer):
    """Timing and memory of one request."""

    total_time: float = Field(ge=0, description="Seconds from receiving the message to the answer.")
    inference_time: float = Field(ge=0, description="Seconds the diffusion pipelines and post-processing took.")
    device_memory_used: int = Field(ge=0, description="Bytes: GPU memory allocated (CUDA), else the bytes of the "
                                    "models loaded in this process.")
    device_name: str = Field(description="The device: cpu, mps or the CUDA device's name.")


class BlockedOut(_Answer):
    """Why the safety stages stopped a request (nothing was generated)."""

    stage: int = Field(description="1 (raw text), 3 (final prompt) or 4 (the image check).")
    reason: str = Field(description="Human sentence.")
    found_terms: list[str] = Field(description="Terms found (may be empty).")


class GenerationData(_Answer):
    """``data`` of a generation answer."""

    generated_images: list[GeneratedImage] = Field(description="The images (empty when blocked).")
    processing_metrics: ProcessingMetrics = Field(description="Timing and memory.")
    run_id: str | None = Field(None, description="The run folder of the request.")
    blocked: BlockedOut | None = Field(None, description="Set when a safety stage stopped the request.")


class EnhancedSdxlResponse(_Answer):
    """The answer to a generation request (seed 000's response schema, with status and error_code added). Fields
    without a value are left out (the seed's schema types them as strings, not null)."""

    request_id: str = Field(description="The request's request_id (a new UUID4 when the request had none).")
    success: bool = Field(description="True when the images were made.")
    status: Literal["success", "blocked", "error"] = Field(description="success, blocked (a safety stage stopped "
                                                           "it) or error.")
    data: GenerationData | None = Field(None, description="Images and metrics (null for errors before any run).")
    error: str | None = Field(None, description="Human sentence when success is false.")
    error_code: str | None = Field(None, description="snake_case code when success is false (blocked, "
                                   "validation_error, unknown_model, family_mismatch, ...).")
    warnings: list[str] = Field(default_factory=list, description="What was ignored or left out, and why.")


class ActionResponse(_Answer):
    """The answer to a model action (seed 001) or to a message that could not be read."""

    request_id: str | None = Field(None, description="The message's request_id, if it had one.")
    action: str | None = Field(None, description="The action answered (null when the message had none).")
    success: bool = Field(description="True when the action succeeded.")
    status: Literal["success", "error"] = Field(description="success or error.")
    data: dict[str, Any] | None = Field(None, description="The action's result: the response model of the same "
                                        "operation on /api/models (snake_case).")
    error: str | None = Field(None, description="Human sentence when success is false.")
    error_code: str | None = Field(None, description="snake_case code when success is false.")
    warnings: list[str] = Field(default_factory=list, description="Fields that were not used, and why.")


class ProgressMessage(_Answer):
    """A progress line while generating."""

    message_type: Literal["progress"] = Field(description="Always progress.")
    request_id: str = Field(description="The request it belongs to.")
    step: int = Field(ge=0, description="Denoising steps done (over the whole request).")
    total_steps: int = Field(ge=1, description="Steps in total.")


class WorkerAnswer(RootModel[EnhancedSdxlResponse | ActionResponse]):
    """What POST /api/v1/worker answers: a generation's or a model action's response."""


class WorkerMessage(RootModel[dict[str, Any]]):
    """Any message of the worker protocol (POST /api/v1/worker's body): a generation request (flat or C# form,
    see EnhancedSdxlRequest) or a model action ``{"action": "load_model", "model_id", ...}`` (seed 001, snake_case or
    PascalCase keys)."""


WORKER_MODELS: tuple[type[BaseModel], ...] = (EnhancedSdxlResponse, ActionResponse, ProgressMessage)
"""Worker answers exported to schemas/json/<Model>.schema.json (the request schema is enhanced_sdxl_request_schema)."""


DRAFT_07 = "http://json-schema.org/draft-07/schema#"
SEED_SCHEMA_FILES: dict[str, tuple[type[BaseModel], str]] = {
    "enhanced_sdxl_request_schema.json": (EnhancedSdxlRequest, "Enhanced SDXL Request Schema"),
    "enhanced_sdxl_response_schema.json": (EnhancedSdxlResponse, "Enhanced SDXL Response Schema"),
}
"""Seed 000's two schema files (schemas/json/), each generated from its model."""


def draft07_schema(model: type[BaseModel], title: str) -> dict[str, Any]:
    """The JSON Schema of `model` in draft-07 form (seed 000's schemas are draft-07): definitions under
    ``definitions`` instead of draft 2020-12's ``$defs``; pydantic uses no keyword draft-07 lacks for these models.
    """
    import json

    schema = model.model_json_schema(ref_template="#/definitions/{model}", mode="validation")
    text = json.dumps(schema)
    schema = json.loads(text)
    if "$defs" in schema:
        schema["definitions"] = schema.pop("$defs")
    return {"$schema": DRAFT_07, "title": title, **{k: v for k, v in schema.items() if k != "title"}}
