"""Request and response models of the HTTP API (DESIGN.md, "HTTP contract").

These models are the API's single source of truth: the blueprints parse requests with them, the
responses are built from them, and ``devserver contracts export`` writes their JSON Schemas to
``schemas/json/`` (from which the frontend's TypeScript types are generated).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from devserver.contracts.common import (
    JsonInt,
    check_scheduler_name,
    SEED_MAX,
    GenerationMode,
    Language,
    ModelFamily,
    SafetyLevel,
    UUID4_PATTERN,
    check_multiple_of_8,
)
from devserver.contracts.generation import (
    MAX_BATCH_SIZE,
    AddonsResponse,
    UpscaleRequest,
    MAX_CONTROLNETS,
    MAX_LORAS,
    ControlNetSpec,
    EnhancementsReport,
    LoraSpec,
    ModelName,
    PostProcessingStep,
    RefinerSpec,
)
MAX_TEXT_CHARS = 4000
"""Longest idea / rules / prompt text accepted, in characters."""


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class _Response(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------- requests


class GenerationParameters(_Request):
    """Optional overrides of the output config's defaults; omitted fields keep the defaults."""

    width: JsonInt | None = Field(None, ge=64, le=2048, json_schema_extra={"multipleOf": 8},
                                  description="Image width in pixels; a multiple of 8.")
    height: JsonInt | None = Field(None, ge=64, le=2048, json_schema_extra={"multipleOf": 8},
                                   description="Image height in pixels; a multiple of 8.")
    steps: JsonInt | None = Field(None, ge=1, le=150, description="num_inference_steps (denoising steps).")
    cfg: float | None = Field(None, ge=0, le=30, description="guidance_scale (classifier-free guidance).")
    negative_prompt: str | None = Field(None, max_length=MAX_TEXT_CHARS, description="What the image should avoid.")
    scheduler: str | None = Field(
        None, description="Scheduler: diffusers class name without 'Scheduler' (e.g. DDIM, EulerDiscrete)."
    )
    strength: float | None = Field(
        None, gt=0, le=1, description="img2img only: how strongly the input image is changed (0..1]; default 0.75."
    )
    mask_blur: JsonInt | None = Field(
        None, ge=0, le=64, description="Inpainting only: feathering of the mask's edge, in pixels (Gaussian blur "
        "radius; default 4). Beyond 3 x mask_blur + 1 px from the painted area the photo stays exactly as it was.")
    padding_mask_crop: JsonInt | None = Field(
        None, ge=0, le=512, description="Inpainting only: repaint just a crop around the painted area, with this "
        "margin in pixels, at the full output resolution, then paste it back (diffusers' padding_mask_crop; more "
        "detail for small areas). Omitted: the whole image is processed.")

    _multiple_of_8 = field_validator("width", "height")(check_multiple_of_8)

    _known_scheduler = field_validator("scheduler")(check_scheduler_name)

    # --- enhanced generation (DESIGN.md "Enhanced generation"; devserver.contracts.generation)
    refiner: RefinerSpec | None = Field(None, description="SDXL refiner: ensemble (base to high_noise_frac, the "
                                        "refiner finishes) or img2img on the finished image.")
    vae: ModelName | None = Field(None, description="Registry id or alias of a VAE to decode with instead of the "
                                  "model's own.")
    loras: list[LoraSpec] | None = Field(None, max_length=MAX_LORAS, description="LoRAs with their weights.")
    controlnets: list[ControlNetSpec] | None = Field(
        None, max_length=MAX_CONTROLNETS, description="ControlNets with their conditioning images.")
    post_processing: list[PostProcessingStep] | None = Field(
        None, max_length=2, description="Steps after generation (upscale), in order.")
    batch_size: JsonInt | None = Field(
        None, ge=1, le=MAX_BATCH_SIZE, description="Images to make (default 1); image i uses seed + i and is "
        "pixel-identical to a single run with that seed (they are made one by one).")
    output_format: Literal["png", "jpeg", "webp"] | None = Field(
        None, description="File format of the images (default png; png keeps the provenance in text chunks, "
        "jpeg and webp in EXIF).")
    quality: JsonInt | None = Field(None, ge=1, le=100, description="jpeg/webp quality 1-100 (default 95).")


class _WithRunOptions(_Request):
    language: Language = Field("de", description="Language of the learner's texts and of the answers: de or en.")
    async_: bool = Field(
        False,
        alias="async",
        description="True: queue the run and answer 202 with events_url/status_url instead of waiting.",
    )

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ExecuteRequest(_WithRunOptions):
    """POST /api/schema/pipeline/execute: stages 1-4 in one call."""

    schema_: str = Field(alias="schema", min_length=1, max_length=64,
                         description="Interception config id (text mode) or 'image_transformation' (image mode).")
    input_text: str = Field("", max_length=MAX_TEXT_CHARS, description="The learner's idea (WHAT).")
    context_prompt: str | None = Field(
        None, max_length=MAX_TEXT_CHARS, description="The learner's (edited) rules (HOW); default: the config's rules."
    )
    output_config: str | None = Field(None, max_length=64, description="Output config id; default: server default.")
    seed: JsonInt | None = Field(None, ge=0, le=SEED_MAX,
                                 description="Seed; omitted: the server draws one and returns it.")
    input_image: str | None = Field(
        None, pattern=UUID4_PATTERN, description="image_id of an upload: present => img2img (inpainting with "
        "mask_image)."
    )
    interception_result: str | None = Field(
        None, max_length=MAX_TEXT_CHARS,
        description="Learner-edited stage 2 text: stage 2 is not re-run (the text is still checked).",
    )
    optimized_prompt: str | None = Field(
        None, max_length=MAX_TEXT_CHARS, description="Learner-edited stage 3a text: optimization is not re-run."
    )
    parameters: GenerationParameters | None = Field(None, description="Generation parameter overrides.")
    mask_image: str | None = Field(
        None, pattern=UUID4_PATTERN, description="Inpainting: image_id of an uploaded mask (white = repaint, black "
        "= keep; any mode and size, converted to greyscale and resized to the input image). Needs input_image.")


class Stage2Request(_Request):
    """POST /api/schema/pipeline/stage2: stages 1-2 (safety check, then interception)."""

    schema_: str = Field(alias="schema", min_length=1, max_length=64, description="Interception config id.")
    input_text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS, description="The learner's idea (WHAT).")
    context_prompt: str | None = Field(
        None, max_length=MAX_TEXT_CHARS, description="The learner's (edited) rules (HOW); default: the config's rules."
    )
    language: Language = Field("de", description="Language of the texts: de or en.")

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class OptimizeRequest(_Request):
    """POST /api/schema/pipeline/optimize: stage 3a for a target model."""

    prompt: str = Field(min_length=1, max_length=MAX_TEXT_CHARS, description="Text to optimize (stage 2's result).")
    output_config: str = Field(min_length=1, max_length=64, description="Output config id the prompt is for.")
    run_id: str | None = Field(None, pattern=UUID4_PATTERN, description="Run to record into; omitted: a new run.")
    language: Language = Field("de", description="Language of the prompt: de or en.")


class GenerationRequestBody(_WithRunOptions):
    """POST /api/schema/pipeline/generation: stage 3c (safety) and stage 4 on a given prompt."""

    prompt: str = Field(min_length=1, max_length=MAX_TEXT_CHARS, description="The final prompt.")
    output_config: str | None = Field(None, max_length=64, description="Output config id; default: server default.")
    seed: JsonInt | None = Field(None, ge=0, le=SEED_MAX, description="Seed; omitted: the server draws one.")
    run_id: str | None = Field(
        None, pattern=UUID4_PATTERN, description="Existing run to add the image to; omitted: a new run."
    )
    input_image: str | None = Field(None, pattern=UUID4_PATTERN, description="image_id: present => img2img.")
    parameters: GenerationParameters | None = Field(None, description="Generation parameter overrides.")
    mask_image: str | None = Field(
        None, pattern=UUID4_PATTERN, description="Inpainting: image_id of an uploaded mask (white = repaint, black "
        "= keep). Needs input_image.")


# --------------------------------------------------------------------------- stage reports


class FilterCheck(_Response):
    """One safety check of a stage (term filter or LLM judgement)."""

    name: Literal["term_filter", "llm_check", "image_safety_checker", "vision_llm_check"] = Field(
        description="Which check ran: term_filter and llm_check on texts (stages 1 and 3c); image_safety_checker "
        "(diffusers' StableDiffusionSafetyChecker) or vision_llm_check on the generated image (stage 4b).")
    passed: bool = Field(description="False when this check blocks.")
    found_terms: list[str] = Field(default_factory=list, description="Listed terms found in the text.")
    verdict: Literal["safe", "unsafe", "undecided"] | None = Field(
        None, description="llm_check and the image checks: the verdict; undecided = the check failed or answered "
        "neither SAFE nor UNSAFE (kids/youth then block). None for term_filter."
    )
    detail: str = Field("", description="Human note in English (the LLM's reason, counts, ...), for teachers.")
    backend: str | None = Field(None, description="LLM backend used by llm_check.")
    duration_ms: int = Field(0, ge=0, description="Time taken, in milliseconds.")


class SafetyStage(_Response):
    """Stage 1 (on the raw input) or stage 3c (on the final prompt)."""

    status: Literal["passed", "blocked"] = Field(description="Outcome.")
    level: SafetyLevel = Field(description="Server safety level the checks used.")
    checks: list[FilterCheck] = Field(description="The checks in the order they ran.")
    found_terms: list[str] = Field(default_factory=list, description="All terms found, in order.")
    found_in: list[str] = Field(
        default_factory=list,
        description="Request fields whose text contained found terms, e.g. input_text, context_prompt, "
        "interception_result, optimized_prompt, prompt, parameters.negative_prompt.",
    )
    reason: str | None = Field(None, description="Why it blocked (None when passed).")
    duration_ms: int = Field(0, ge=0, description="Stage time, in milliseconds.")


class TextStep(_Response):
    """A text-producing step (stage 2 interception, 3a optimization, 3b translation)."""

    status: Literal["done", "skipped", "edited"] = Field(
        description="done: the backend ran; skipped: not needed/possible (see detail); edited: learner's text used."
    )
    backend: str | None = Field(None, description="Text backend: template, ollama or openai.")
    model: str | None = Field(None, description="Model name used by the backend.")
    output: str = Field(description="The resulting text.")
    detail: str = Field("", description="Why skipped, or other notes.")
    duration_ms: int = Field(0, ge=0, description="Time taken, in milliseconds.")


class Stage2Report(TextStep):
    """Stage 2: the idea rewritten through the config's perspective."""

    config: str = Field(description="Interception config id.")
    pipeline: str = Field(description="Pipeline of the config.")


class Stage3Report(_Response):
    """Stage 3: optimization, translation, safety re-check; `prompt` is the final prompt."""

    optimization: TextStep | None = Field(None, description="3a: prompt optimized for the target model.")
    translation: TextStep | None = Field(None, description="3b: translation to English.")
    safety: SafetyStage | None = Field(None, description="3c: safety re-check of the final prompt.")
    prompt: str = Field(description="The prompt after stage 3 (what stage 4 receives).")


class Stage4Report(_Response):
    """Stage 4: generation facts, and stage 4b's output image check."""

    status: Literal["done", "blocked"] = Field(
        description="done; blocked when stage 4b found the image unsuitable (it was neither kept nor served).")
    mode: GenerationMode = Field(description="txt2img, img2img or inpaint.")
    output_config: str = Field(description="Output config id.")
    model: str = Field(description="Model source (builtin:tiny_sd, local path or hub id).")
    seed: int = Field(description="Seed used.")
    width: int = Field(description="Image width, pixels.")
    height: int = Field(description="Image height, pixels.")
    steps: int = Field(description="num_inference_steps.")
    total_steps: int | None = Field(
        None, ge=0, description="Denoising steps the pipeline really ran: img2img runs about steps * strength, "
        "PNDM (SD 1.5's own scheduler) one more than steps, second-order schedulers count each model call; "
        "the N of the progress events' 'step k of N'. Null in runs recorded before this field existed.")
    cfg: float = Field(description="guidance_scale.")
    scheduler: str = Field(description="Scheduler class name without 'Scheduler'.")
    strength: float | None = Field(None, description="img2img strength.")
    negative_prompt: str = Field("", description="Negative prompt used.")
    device: str = Field(description="Torch device.")
    duration_ms: int = Field(ge=0, description="Generation time, in milliseconds.")
    output_check: SafetyStage | None = Field(
        None, description="Stage 4b, the output image check (None when no check is configured).")
    enhancements: EnhancementsReport | None = Field(
        None, description="Refiner, VAE, LoRAs, ControlNets, post-processing, batch and format this run used "
        "(null in runs recorded before they existed).")
    mask_blur: int | None = Field(None, description="Inpainting: feathering of the mask edge, in pixels.")
    padding_mask_crop: int | None = Field(
        None, description="Inpainting: margin of the crop repainted around the mask, in pixels (null: whole image).")
    mask_coverage: float | None = Field(
        None, ge=0, le=1, description="Inpainting: share of the image the mask repaints (0..1).")


class Stages(_Response):
    """Reports of the stages that ran (absent keys did not run in this call)."""

    stage1: SafetyStage | None = Field(None, description="Pre-interception safety.")
    stage2: Stage2Report | None = Field(None, description="Interception.")
    stage3: Stage3Report | None = Field(None, description="Pre-output: optimization, translation, safety.")
    stage4: Stage4Report | None = Field(None, description="Generation.")


# --------------------------------------------------------------------------- responses


class MediaOutput(_Response):
    """A generated image, addressable by run_id and index (DESIGN.md, media_output)."""

    media_type: Literal["image"] = Field(description="Kind of media.")
    url: str = Field(description="Relative URL of the PNG: /api/media/image/<run_id>/<index>.")
    run_id: str = Field(description="Run the image belongs to.")
    index: int = Field(ge=0, description="0-based index of the image within its run.")
    seed: int = Field(description="Seed that reproduces the image.")
    width: int = Field(description="Width in pixels.")
    height: int = Field(description="Height in pixels.")
    mime_type: Literal["image/png", "image/jpeg", "image/webp"] = Field(description="MIME type of the file.")
    output_config: str = Field(description="Output config id.")


class ExecuteResponse(_Response):
    """200 of /execute."""

    status: Literal["success"] = Field(description="Outcome.")
    run_id: str = Field(description="The run's id.")
    media_output: MediaOutput = Field(description="The generated image (the first of a batch).")
    stages: Stages = Field(description="Every stage's report.")
    duration_ms: int = Field(ge=0, description="Total time, in milliseconds.")
    media_outputs: list[MediaOutput] = Field(default_factory=list, description="Every image of the batch, index "
                                             "order, each with its own seed (media_output is the first).")


class Stage2Response(_Response):
    """200 of /stage2."""

    status: Literal["success"] = Field(description="Outcome.")
    run_id: str = Field(description="The run's id (pass it to /optimize and /generation).")
    interception_result: str = Field(description="Stage 2's text, for the learner to read and edit.")
    stages: Stages = Field(description="stage1 and stage2 reports.")


class OptimizeResponse(_Response):
    """200 of /optimize."""

    status: Literal["success"] = Field(description="Outcome.")
    run_id: str = Field(description="The run's id.")
    optimized_prompt: str = Field(description="Stage 3a's text, for the learner to read and edit.")
    stages: Stages = Field(description="stage3 report (optimization only).")


class GenerationResponse(_Response):
    """200 of /generation."""

    status: Literal["success"] = Field(description="Outcome.")
    run_id: str = Field(description="The run's id.")
    media_output: MediaOutput = Field(description="The generated image (the first of a batch).")
    stages: Stages = Field(description="stage3 (safety) and stage4 reports.")
    duration_ms: int = Field(ge=0, description="Total time, in milliseconds.")
    media_outputs: list[MediaOutput] = Field(default_factory=list, description="Every image of the batch, index "
                                             "order, each with its own seed (media_output is the first).")


class BlockedResponse(_Response):
    """403: a safety stage blocked the run; nothing later ran, nothing was generated."""

    status: Literal["blocked"] = Field(description="Outcome.")
    stage: Literal[1, 3, 4] = Field(
        description="The stage that blocked: 1 and 3 the text checks, 4 the output image check (stage 4b; the "
        "image was neither kept nor served).")
    reason: str = Field(description="Human sentence naming why.")
    found_terms: list[str] = Field(description="Terms found (may be empty for an LLM or image verdict).")
    run_id: str = Field(description="The run's id; its folder records the block.")
    stages: Stages = Field(description="Reports of the stages that ran.")


class ErrorBody(_Response):
    """The error object inside an error response."""

    code: str = Field(description="snake_case code clients can switch on.")
    message: str = Field(description="Human sentence naming the problem.")
    details: dict[str, Any] = Field(default_factory=dict, description="Extra facts (field, limit, ...).")


class ErrorResponse(_Response):
    """Every 4xx/5xx error."""

    status: Literal["error"] = Field(description="Outcome.")
    error: ErrorBody = Field(description="What went wrong.")


class UploadResponse(_Response):
    """200 of POST /api/media/upload/image."""

    status: Literal["success"] = Field(description="Outcome.")
    image_id: str = Field(description="UUID4 of the stored upload; send it as input_image.")
    url: str = Field(description="Relative URL of the stored PNG.")
    original_size: tuple[int, int] = Field(description="[width, height] as uploaded (after EXIF orientation).")
    resized_size: tuple[int, int] = Field(description="[width, height] as stored.")
    file_size_bytes: int = Field(ge=0, description="Size of the stored PNG, in bytes.")


class HealthLimits(_Response):
    """Limits clients should validate against before sending."""

    upload_max_bytes: int = Field(description="Largest upload, in bytes.")
    upload_max_side_px: int = Field(description="Uploads are downscaled to this longest side, in pixels.")
    accepted_types: list[str] = Field(description="Accepted upload MIME types.")


class DefaultModelStatus(_Response):
    """Whether the default output config's model is loaded (warm): until it is, the first image waits for it."""

    output_config: str = Field(description="The default output config id.")
    ready: bool = Field(description="Its weights are loaded: an image starts at once.")
    loading: bool = Field(description="Its weights are being loaded right now (the server warms it up at start).")
    estimated_wait_s: float | None = Field(
        description="While not ready: rough seconds until it is (the output config's estimated_load_s minus the "
        "time loading has taken so far, at least 1); null when ready.")


class SafetyListOut(_Response):
    """A term list that applies at the server's level (for the teacher view: what is blocked and why)."""

    name: str = Field(description="List name, e.g. graphic_violence.")
    description: str = Field(description="What the list covers, for teachers (English).")


class SafetyInfo(_Response):
    """What the server's safety level means and how it is set (issue 7: teachers see the level)."""

    level: SafetyLevel = Field(description="Server-wide safety level: kids (8-12), youth (13-17), adult, research.")
    lists: list[SafetyListOut] = Field(description="The term lists checked at this level (stages 1 and 3c).")
    output_check: Literal["none", "safety_checker", "llm"] = Field(
        description="Stage 4b, the check of every generated image: none, safety_checker or llm.")
    setting: str = Field(description="How an admin changes the level: the environment variable and its values.")


class HealthResponse(_Response):
    """200 of GET /api/health."""

    status: Literal["success"] = Field(description="Outcome.")
    version: str = Field(description="devserver version.")
    device: str = Field(description="Torch device generation runs on (cuda, mps, cpu).")
    safety_level: SafetyLevel = Field(description="Server-wide safety level.")
    llm_backend: str = Field(description="Text backend: template, ollama or openai.")
    limits: HealthLimits = Field(description="Client-side validation limits.")
    default_model: DefaultModelStatus = Field(description="Whether the default model is loaded yet.")
    safety: SafetyInfo | None = Field(None, description="The safety level's lists, the image check and how to change "
                                                        "the level (for the studio header and the teacher view).")


class LocalizedTextOut(_Response):
    """A text per language."""

    de: str = Field(description="German.")
    en: str = Field(description="English.")


class DisplayOut(_Response):
    """Picker hints."""

    order: int = Field(description="Sort key.")
    color: str = Field(description="#rrggbb accent colour.")
    icon: str = Field(description="Emoji or symbol.")


class ConfigSummary(_Response):
    """An interception config in the picker list."""

    id: str = Field(description="Config id (send as `schema`).")
    name: LocalizedTextOut = Field(description="Display name.")
    description: LocalizedTextOut = Field(description="Short description.")
    category: str = Field(description="Category id.")
    pipeline: str = Field(description="text_transformation, image_transformation or direct.")
    display: DisplayOut = Field(description="Picker hints (order, colour, icon).")


class ConfigDetail(ConfigSummary):
    """One interception config with its rules."""

    context: LocalizedTextOut = Field(description="The rules (meta-prompt) per language; empty for user_defined.")
    summary: LocalizedTextOut = Field(
        description="The rules in words a 12-year-old can read, shown in the studio's rules box; while the "
        "learner leaves them unchanged the full `context` is what the LLM gets. Empty where `context` is.")


class CategoryOut(_Response):
    """A picker category."""

    id: str = Field(description="Category id.")
    name: LocalizedTextOut = Field(description="Display name.")


class ConfigListResponse(_Response):
    """200 of GET /api/schema/configs."""

    status: Literal["success"] = Field(description="Outcome.")
    categories: list[CategoryOut] = Field(description="Categories in display order.")
    configs: list[ConfigSummary] = Field(description="Configs in display order.")


class ConfigDetailResponse(_Response):
    """200 of GET /api/schema/configs/<id>."""

    status: Literal["success"] = Field(description="Outcome.")
    config: ConfigDetail = Field(description="The config.")


class OutputDefaultsOut(_Response):
    """Default generation parameters of an output config."""

    width: int = Field(description="Width, pixels.")
    height: int = Field(description="Height, pixels.")
    steps: int = Field(description="num_inference_steps.")
    cfg: float = Field(description="guidance_scale.")
    scheduler: str | None = Field(description="Scheduler name or null (the model's own).")
    negative_prompt: str = Field(description="Default negative prompt.")
    strength: float = Field(description="Default img2img strength.")


class ModeAvailability(_Response):
    """Whether an output config's model can run one generation mode."""

    available: bool = Field(description="The family has a pipeline for the mode and the model can run it.")
    reason: str | None = Field(description="Why not (None when available), e.g. a dedicated inpainting model.")


class OutputModes(_Response):
    """An output config's generation modes (the weights' availability is the config's own `available`)."""

    txt2img: ModeAvailability = Field(description="Text to image.")
    img2img: ModeAvailability = Field(description="Image to image (a photo changed as a whole).")
    inpaint: ModeAvailability = Field(description="Inpainting (only the painted area of a photo changes).")


class OutputConfigOut(_Response):
    """A target model in the picker."""

    id: str = Field(description="Output config id.")
    media_type: Literal["image"] = Field(description="Kind of media.")
    name: LocalizedTextOut = Field(description="Display name.")
    description: LocalizedTextOut = Field(description="What it is good at.")
    defaults: OutputDefaultsOut = Field(description="Default parameters.")
    max_side_px: int = Field(description="Largest width/height allowed.")
    max_steps: int = Field(description="Most steps allowed.")
    available: bool = Field(description="Whether the weights are on disk (or builtin).")
    reason: str | None = Field(description="Why not available (None when available).")
    estimated_duration_s: float = Field(description="Rough seconds per image on the reference machine.")
    family: ModelFamily = Field(description="Model family: sd (SD 1.x), sd2, sdxl, sd3 or flux (decides the "
                                "pipelines, the size multiple and whether the scheduler can be swapped).")
    modes: OutputModes = Field(
        description="What the model can do: txt2img, img2img and inpaint, each available or not and why.")
    folded: bool = Field(False, description="The studio shows it folded away (its display.folded), e.g. a tiny "
                         "test build of another model family.")


class OutputConfigListResponse(_Response):
    """200 of GET /api/schema/output-configs."""

    status: Literal["success"] = Field(description="Outcome.")
    default: str = Field(description="Id of the default output config.")
    output_configs: list[OutputConfigOut] = Field(description="All output configs in display order.")


class RunMedia(MediaOutput):
    """A media_output as recorded in metadata.json, with its file name in the run folder."""

    file: str = Field(description="File name inside the run folder, e.g. 08_output_image.png.")


class RunEntity(_Response):
    """One file of a run folder."""

    seq: int = Field(ge=1, description="Order of creation, 1-based (the NN in NN_<type>.<ext>).")
    type: str = Field(description="Entity type, e.g. input, interception, output_image.")
    file: str = Field(description="File name inside the run folder.")
    created_at: str = Field(description="ISO 8601 UTC time the file was written.")


class RunMetadata(_Response):
    """exports/json/<run_id>/metadata.json, served by GET /api/media/info/<run_id>."""

    model_config = ConfigDict(extra="allow")

    run_id: str = Field(description="The run's id.")
    status: Literal["success", "blocked", "error", "queued", "running", "canceled", "in_progress"] = Field(
        description="Run outcome so far (in_progress between calls of the step-by-step flow)."
    )
    created_at: str = Field(description="ISO 8601 UTC creation time.")
    updated_at: str = Field(description="ISO 8601 UTC time of the last change.")
    config: str | None = Field(None, description="Interception config id.")
    output_config: str | None = Field(None, description="Output config id.")
    safety_level: SafetyLevel = Field(description="Server safety level during the run.")
    language: Language | None = Field(None, description="Request language.")
    seed: int | None = Field(None, description="Seed of the latest image.")
    backends: dict[str, Any] = Field(default_factory=dict, description="Backend and model per stage.")
    entities: list[RunEntity] = Field(default_factory=list, description="Files in order of creation.")
    media: list[RunMedia] = Field(default_factory=list, description="Generated images in order.")
    blocked: dict[str, Any] | None = Field(None, description="Block record (stage, reason, found_terms) if blocked.")
    error: dict[str, Any] | None = Field(None, description="Error record (code, message) if the run failed.")


class RunInfoResponse(_Response):
    """200 of GET /api/media/info/<run_id>: metadata.json plus status."""

    model_config = ConfigDict(extra="allow")

    status: Literal["success"] = Field(description="Outcome of this request.")
    run: RunMetadata = Field(description="The run's metadata.json content.")


class UpscaleResponse(_Response):
    """200 of POST /api/media/upscale: a finished image made larger, added to its run."""

    status: Literal["success"] = Field(description="Outcome.")
    run_id: str = Field(description="The run (the new image is its latest).")
    media_output: MediaOutput = Field(description="The upscaled image.")
    source_index: int = Field(ge=0, description="The image it was made from.")
    factor: int = Field(description="Scale factor.")
    model: str = Field(description="Upscaler registry id, or lanczos.")
    duration_ms: int = Field(ge=0, description="Time the upscale took, in milliseconds.")


API_MODELS: tuple[type[BaseModel], ...] = (
    ExecuteRequest,
    Stage2Request,
    OptimizeRequest,
    GenerationRequestBody,
    GenerationParameters,
    ExecuteResponse,
    Stage2Response,
    OptimizeResponse,
    GenerationResponse,
    BlockedResponse,
    ErrorResponse,
    UploadResponse,
    HealthResponse,
    ConfigListResponse,
    ConfigDetailResponse,
    OutputConfigListResponse,
    RunInfoResponse,
    MediaOutput,
    UpscaleRequest,
    UpscaleResponse,
    AddonsResponse,
)
"""Models exported to schemas/json/<ModelName>.schema.json."""

# The job queue's models build on the ones above, so they are imported last (devserver.contracts.jobs).
from devserver.contracts.jobs import JOB_MODELS  # noqa: E402

API_MODELS += JOB_MODELS

# The model-management models (seed 001) are a leaf module of their own.
from devserver.contracts.models import MODEL_MODELS  # noqa: E402

API_MODELS += MODEL_MODELS
