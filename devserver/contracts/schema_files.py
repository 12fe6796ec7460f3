"""Pydantic models of the JSON files under ``schemas/`` (pipelines, chunks, interception and output configs).

Every file is validated against these models at start-up (see :mod:`devserver.pipeline.loader`); a broken
file is a start-up error naming the file and the field.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from devserver.contracts.common import ModelFamily, check_scheduler_name
from devserver.contracts.generation import MAX_LORAS, LoraSpec

ID_PATTERN = r"^[a-z][a-z0-9_]{1,63}$"
"""Ids of pipelines, chunks and configs: lowercase snake_case, 2-64 chars (also their file names)."""

PLACEHOLDER_RE = re.compile(r"\{\{([A-Z][A-Z0-9_]*)\}\}")
SUMMARY_MAX_CHARS = 400
"""Longest learner summary of an interception config's rules, per language, in characters."""
"""``{{NAME}}`` placeholders in templates: upper-case letters, digits and underscores."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LocalizedText(_Strict):
    """A text in German and English (the studio's two languages)."""

    de: str = Field(description="German text.")
    en: str = Field(description="English text.")

    def get(self, language: str) -> str:
        """The text in `language` ("de" or "en"); English when the language is unknown."""
        return self.de if language == "de" else self.en


class InputRequirements(_Strict):
    """What a pipeline needs from the learner."""

    text: bool = Field(True, description="The idea text (input_text) is required and must be non-empty.")
    image: bool = Field(False, description="An uploaded input image (input_image) is required.")
    rules: bool = Field(False, description="The rules text (context_prompt or the config's context) must be non-empty.")


class PipelineDef(_Strict):
    """schemas/pipelines/<name>.json: the structure of stage 2."""

    name: str = Field(pattern=ID_PATTERN, description="Pipeline id; equals the file name without .json.")
    description: str = Field(description="What the pipeline does, for developers.")
    skip_stage2: bool = Field(False, description="True: the rules go straight to stages 3-4 (image mode, direct).")
    chunks: list[str] = Field(description="Ordered processing chunk names run in stage 2; empty for passthrough.")
    input_requirements: InputRequirements = Field(
        default_factory=InputRequirements, description="Inputs a request must provide."
    )

    @field_validator("chunks")
    @classmethod
    def _chunks_or_skip(cls, chunks: list[str], info: ValidationInfo) -> list[str]:
        if not info.data.get("skip_stage2", False) and not chunks:
            raise ValueError("a pipeline that does not skip stage 2 needs at least one chunk")
        return chunks


class ProcessingChunk(_Strict):
    """A text-processing chunk: a template with {{PLACEHOLDERS}} sent to the LLM backend."""

    name: str = Field(pattern=ID_PATTERN, description="Chunk id; equals the file name without .json.")
    type: Literal["processing"] = Field(description="Chunk kind.")
    description: str = Field("", description="What the chunk does.")
    backend: Literal["llm"] = Field("llm", description="Text backend: the server's configured LLM backend.")
    system_template: str = Field(
        description="System message template; usually {{CONTEXT}} (the meta-prompt or instruction)."
    )
    template: str = Field(description="User message template, e.g. containing {{INPUT_TEXT}} / {{PREVIOUS_OUTPUT}}.")
    params: dict[str, float | int] = Field(
        default_factory=dict, description="LLM parameters: temperature (0-2), max_tokens."
    )

    @field_validator("params")
    @classmethod
    def _known_params(cls, params: dict[str, float | int]) -> dict[str, float | int]:
        for key, value in params.items():
            if key not in {"temperature", "max_tokens"}:
                raise ValueError(f"unknown param {key!r}; allowed: temperature, max_tokens")
            if key == "temperature" and not 0 <= value <= 2:
                raise ValueError(f"temperature must be within 0..2, got {value}")
            if key == "max_tokens" and not (isinstance(value, int) and value > 0):
                raise ValueError(f"max_tokens must be a positive integer, got {value}")
        return params


class OutputChunk(_Strict):
    """An output chunk: which media backend renders stage 4."""

    name: str = Field(pattern=ID_PATTERN, description="Chunk id; equals the file name without .json.")
    type: Literal["output"] = Field(description="Chunk kind.")
    description: str = Field("", description="What the chunk renders.")
    backend: Literal["diffusers"] = Field(description="Media backend.")
    media_type: Literal["image"] = Field("image", description="Kind of media produced.")


Chunk = Annotated[ProcessingChunk | OutputChunk, Field(discriminator="type")]


class DisplayHints(_Strict):
    """How the studio shows a config in pickers."""

    order: int = Field(100, ge=0, description="Sort key within its category (ascending).")
    color: str = Field("#6b7280", pattern=r"^#[0-9a-fA-F]{6}$", description="Accent colour, #rrggbb.")
    icon: str = Field("", max_length=8, description="A short emoji or symbol shown beside the name.")


class OutputDisplayHints(DisplayHints):
    """How the studio shows an output config in the model picker."""

    folded: bool = Field(False, description="The model picker shows it folded away (\"Weitere Testmodelle\"), "
                         "e.g. the tiny builds of the other model families.")


class InterceptionConfig(_Strict):
    """schemas/configs/interception/<id>.json: an artistic perspective learners pick (the HOW)."""

    id: str = Field(pattern=ID_PATTERN, description="Config id; equals the file name without .json.")
    name: LocalizedText = Field(description="Display name per language.")
    description: LocalizedText = Field(description="One or two sentences for learners, per language.")
    category: str = Field(pattern=ID_PATTERN, description="Category id (see schemas/configs/categories.json).")
    pipeline: str = Field(pattern=ID_PATTERN, description="Pipeline name (schemas/pipelines/<name>.json).")
    context: LocalizedText = Field(
        description="The meta-prompt (rules) an LLM follows to rewrite the idea; empty for user_defined."
    )
    summary: LocalizedText = Field(
        description=(
            "The rules in words a 12-year-old can read (at most 400 characters per language): the studio shows "
            "them in the rules box; while the learner leaves them unchanged, the LLM gets the full `context`. "
            "Empty exactly where `context` is empty."
        )
    )
    offline_template: LocalizedText = Field(
        description=(
            "Deterministic rewrite used when no LLM is configured; placeholders {{INPUT_TEXT}} and {{CONTEXT}} "
            "are filled in. Must contain {{INPUT_TEXT}} unless the pipeline skips stage 2."
        )
    )
    display: DisplayHints = Field(default_factory=DisplayHints, description="Picker hints.")
    tags: list[str] = Field(default_factory=list, description="Free keywords for search (lowercase).")
    loras: list[LoraSpec] = Field(
        default_factory=list, max_length=MAX_LORAS,
        description="LoRAs the perspective brings (registry id or alias, weight): applied in stage 4 when the "
        "model's family fits and the LoRA is installed, else reported in stage 4's notes (AI4ArtsEd configs).")

    @field_validator("summary")
    @classmethod
    def _summary_for_learners(cls, summary: LocalizedText, info: ValidationInfo) -> LocalizedText:
        context = info.data.get("context")
        for lang in ("de", "en"):
            text = summary.get(lang)
            if len(text) > SUMMARY_MAX_CHARS:
                raise ValueError(f"summary.{lang} has {len(text)} characters; at most {SUMMARY_MAX_CHARS} "
                                 "(it is the short version of the rules for learners)")
            if context is not None and (text.strip() == "") != (context.get(lang).strip() == ""):
                raise ValueError(f"summary.{lang} must be empty exactly where context.{lang} is empty")
        return summary

    @field_validator("offline_template")
    @classmethod
    def _placeholders(cls, template: LocalizedText) -> LocalizedText:
        for lang in ("de", "en"):
            unknown = set(PLACEHOLDER_RE.findall(template.get(lang))) - {"INPUT_TEXT", "CONTEXT"}
            if unknown:
                raise ValueError(f"offline_template.{lang} uses unknown placeholders: {sorted(unknown)}")
        return template


class Category(_Strict):
    """One picker category."""

    id: str = Field(pattern=ID_PATTERN, description="Category id used by configs.")
    name: LocalizedText = Field(description="Display name per language.")
    order: int = Field(100, ge=0, description="Sort key (ascending).")


class CategoriesFile(_Strict):
    """schemas/configs/categories.json: the categories configs are grouped by."""

    categories: list[Category] = Field(description="All categories, in any order.")


class GenerationDefaults(_Strict):
    """Default generation parameters of an output config (overridable per request)."""

    width: int = Field(512, ge=64, le=2048, multiple_of=8, description="Image width in pixels (multiple of 8).")
    height: int = Field(512, ge=64, le=2048, multiple_of=8, description="Image height in pixels (multiple of 8).")
    steps: int = Field(20, ge=1, le=150, description="num_inference_steps.")
    cfg: float = Field(7.5, ge=0, le=30, description="guidance_scale (classifier-free guidance).")
    scheduler: str | None = Field(
        None, description="Scheduler name (diffusers class without 'Scheduler'); null = the model's own."
    )
    negative_prompt: str = Field("", description="Default negative prompt.")
    strength: float = Field(0.75, gt=0, le=1, description="img2img strength: how much of the input image is noised.")

    _known_scheduler = field_validator("scheduler")(check_scheduler_name)


class ModelSource(_Strict):
    """Where an output config's weights come from; exactly one of builtin/local_dir/hub_id/single_file."""

    family: ModelFamily = Field(
        description="Pipeline family: sd (SD 1.x), sd2 (SD 2.x), sdxl (SDXL and SDXL-Turbo), sd3 (SD 3.x), flux "
        "(Flux.1); it decides the diffusers pipeline classes per mode (devserver.generation.families).")
    builtin: Literal["tiny_sd"] | None = Field(None, description="Built locally on first use (tiny random weights).")
    local_dir: str | None = Field(
        None, description="Diffusers folder (with model_index.json): a name under the models dir or an absolute path."
    )
    hub_id: str | None = Field(
        None, description="Hugging Face repo id; used only when cached locally or downloads are allowed."
    )
    single_file: str | None = Field(None, description="A single .safetensors checkpoint under the models dir.")
    inpainting: bool = Field(
        False, description="A dedicated inpainting checkpoint (its UNet takes 9 input channels: latents, mask and "
        "masked image): it runs inpainting only; txt2img and img2img requests are refused (422).")

    @model_validator(mode="after")
    def _has_source(self) -> ModelSource:
        if not any((self.builtin, self.local_dir, self.hub_id, self.single_file)):
            raise ValueError("one of builtin, local_dir, hub_id, single_file is required")
        return self


class OutputConfig(_Strict):
    """schemas/configs/output/<id>.json: a target model for stage 4."""

    id: str = Field(pattern=ID_PATTERN, description="Output config id; equals the file name without .json.")
    name: LocalizedText = Field(description="Display name per language.")
    description: LocalizedText = Field(description="What the model is good at, per language.")
    media_type: Literal["image"] = Field(description="Kind of media produced.")
    chunk: str = Field(pattern=ID_PATTERN, description="Output chunk name (schemas/chunks/<name>.json).")
    model: ModelSource = Field(description="Where the weights come from.")
    defaults: GenerationDefaults = Field(description="Default generation parameters.")
    max_side_px: int = Field(1024, ge=64, le=4096, description="Largest width/height a request may ask for.")
    max_steps: int = Field(60, ge=1, le=150, description="Most steps a request may ask for.")
    optimization_instruction: LocalizedText = Field(
        description="Stage 3a instruction for the LLM: how to phrase prompts for this model."
    )
    optimization_template: str = Field(
        "{{INPUT_TEXT}}",
        description="Offline stage 3a: deterministic template with {{INPUT_TEXT}} (e.g. appending style keywords).",
    )
    prompt_max_tokens: int = Field(77, ge=8, le=512, description="Text encoder token limit (CLIP: 77).")
    estimated_duration_s: float = Field(gt=0, description="Rough seconds per image on the reference machine.")
    estimated_load_s: float = Field(
        20.0, gt=0, description="Rough seconds to load the model the first time after a server start (importing "
        "diffusers and reading the weights) on the reference machine; the studio shows it while the model warms up.")
    display: OutputDisplayHints = Field(default_factory=OutputDisplayHints, description="Picker hints.")

    @field_validator("max_side_px")
    @classmethod
    def _side_limit(cls, max_side_px: int, info: ValidationInfo) -> int:
        defaults = info.data.get("defaults")
        if defaults is not None and max(defaults.width, defaults.height) > max_side_px:
            raise ValueError(f"defaults.width/height exceed max_side_px ({max_side_px})")
        return max_side_px

    @field_validator("max_steps")
    @classmethod
    def _steps_limit(cls, max_steps: int, info: ValidationInfo) -> int:
        defaults = info.data.get("defaults")
        if defaults is not None and defaults.steps > max_steps:
            raise ValueError(f"defaults.steps exceeds max_steps ({max_steps})")
        return max_steps

    @field_validator("optimization_template")
    @classmethod
    def _has_input(cls, template: str) -> str:
        if "{{INPUT_TEXT}}" not in template:
            raise ValueError("optimization_template must contain {{INPUT_TEXT}}")
        return template
