"""The enhanced stage-4 contract (DESIGN.md "Enhanced generation"): refiner, VAE, LoRAs, ControlNets,
post-processing, batches and the output format, as the studio API's ``parameters`` and the worker protocol use them.

Every model is named by a registry id or one of its aliases (``GET /api/models``), never by a file path: a name
that looks like a path is refused (422) before anything touches the filesystem. Request models live here; the
report models (what stage 4 applied) are at the end. This module is a leaf: it imports only
:mod:`devserver.contracts.common`.

Sources of the value ranges:

- ``high_noise_frac`` (0.8): the "ensemble of expert denoisers" of the diffusers SDXL docs
  (https://huggingface.co/docs/diffusers/using-diffusers/sdxl#base--refiner-model): the base denoises the first
  80 % (``denoising_end``), the refiner the rest (``denoising_start``).
- LoRA weights -2..2: the adapter scale of diffusers' ``set_adapters`` (negative weights invert a LoRA's style,
  as in AUTOMATIC1111); ControlNet weight 0..2: ``controlnet_conditioning_scale``; ``guidance_start/end``:
  ``control_guidance_start/end`` (https://huggingface.co/docs/diffusers/api/pipelines/controlnet).
- Canny thresholds 100/200: the values of the diffusers ControlNet guide (``cv2.Canny(image, 100, 200)``).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from devserver.contracts.common import JsonInt, UUID4_PATTERN

MAX_LORAS = 5
"""Most LoRAs in one request."""
MAX_CONTROLNETS = 3
"""Most ControlNets in one request."""
MAX_BATCH_SIZE = 8
"""Most images in one request (``batch_size``)."""
LANCZOS = "lanczos"
"""The upscale ``model`` that needs no model file: Pillow's Lanczos resampling."""
DEFAULT_QUALITY = 95
"""JPEG/WebP quality when a request names none (seed 000's example)."""
_PATH_LIKE = re.compile(r"^(?:[/~\\]|[A-Za-z]:[\\/])|(?:^|[/\\])\.\.(?:[/\\]|$)|\\")


def check_model_name(value: str) -> str:
    """A model name must be a registry id or alias, never a file path.

    Refused: absolute paths (``/models/x``, ``C:\\x``), home paths (``~/x``), parent steps (``../x``) and
    backslashes. Relative names with ``/`` pass (hub-style aliases such as ``stabilityai/sdxl-base-1.0``); the
    registry then knows them or not.

    Raises:
        ValueError: the name looks like a file path (pydantic turns it into a 422 naming the field).
    """
    if _PATH_LIKE.search(value):
        raise ValueError(f"{value[:80]!r} looks like a file path; name models by their registry id or alias "
                         "(GET /api/models lists them), never by a path")
    return value


ModelName = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(check_model_name)]
"""A registry id or alias of a model (see :func:`check_model_name`)."""


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Report(BaseModel):
    model_config = ConfigDict(extra="forbid")


# =========================================================================== request parts


class LoraSpec(_Request):
    """One LoRA applied to the base model's UNet and text encoders, with its weight."""

    id: ModelName = Field(description="Registry id or alias of a LoRA of the base model's family.")
    weight: float = Field(1.0, ge=-2, le=2, description="Adapter weight -2..2 (0 = no effect, negative inverts).")


class ControlNetSpec(_Request):
    """One ControlNet with its conditioning image (an upload), preprocessed or used as it is."""

    id: ModelName = Field(description="Registry id or alias of a ControlNet of the base model's family.")
    image_id: str = Field(pattern=UUID4_PATTERN,
                          description="image_id of the uploaded conditioning image (POST /api/media/upload/image).")
    weight: float = Field(1.0, ge=0, le=2, description="controlnet_conditioning_scale 0..2.")
    guidance_start: float = Field(0.0, ge=0, le=1, description="Share of the steps after which it starts (0..1).")
    guidance_end: float = Field(1.0, ge=0, le=1, description="Share of the steps after which it stops (0..1).")
    preprocessor: Literal["none", "canny"] = Field(
        "none", description="none: the image is the condition as it is; canny: OpenCV's Canny edge map of it.")
    low_threshold: JsonInt = Field(100, ge=1, le=255, description="canny: lower hysteresis threshold (0-255).")
    high_threshold: JsonInt = Field(200, ge=1, le=255, description="canny: upper hysteresis threshold (0-255).")

    @model_validator(mode="after")
    def _ranges(self) -> ControlNetSpec:
        if self.guidance_start >= self.guidance_end:
            raise ValueError(f"guidance_start must be below guidance_end, got {self.guidance_start} and "
                             f"{self.guidance_end}")
        if self.low_threshold > self.high_threshold:
            raise ValueError(f"low_threshold must not exceed high_threshold, got {self.low_threshold} and "
                             f"{self.high_threshold}")
        return self


class RefinerSpec(_Request):
    """An SDXL refiner: as the second expert of an ensemble (default), or as img2img on the finished image."""

    id: ModelName = Field(description="Registry id or alias of an SDXL refiner.")
    mode: Literal["ensemble", "img2img"] = Field(
        "ensemble", description="ensemble: the base denoises to high_noise_frac and hands its latents over; "
        "img2img: the refiner reworks the finished image with `strength`.")
    high_noise_frac: float = Field(0.8, gt=0, lt=1, description="ensemble: share of the steps the base runs "
                                   "(denoising_end of the base, denoising_start of the refiner).")
    strength: float = Field(0.3, gt=0, le=1, description="img2img: how much of the finished image is redone.")


class PostProcessingStep(_Request):
    """A step after generation; only ``upscale`` for now."""

    type: Literal["upscale"] = Field(description="What the step does.")
    model: ModelName = Field(LANCZOS, description="Registry id or alias of an upscaler (ESRGAN, Real-ESRGAN, "
                             "SwinIR, SPAN, ... loaded by spandrel), or 'lanczos' (Pillow, always available).")
    factor: Literal[2, 4] = Field(2, description="Scale factor: the output is exactly factor x the size.")


# =========================================================================== what stage 4 applied (reports)


class AppliedRefiner(_Report):
    """The refiner a run used."""

    id: str = Field(description="Registry id.")
    mode: Literal["ensemble", "img2img"] = Field(description="ensemble or img2img.")
    high_noise_frac: float | None = Field(description="ensemble: where the base handed over (0..1).")
    strength: float | None = Field(description="img2img: the strength.")


class AppliedLora(_Report):
    """A LoRA a run used."""

    id: str = Field(description="Registry id.")
    weight: float = Field(description="Its weight.")
    source: Literal["request", "config"] = Field(description="Sent by the client, or brought by the interception "
                                                             "config.")


class AppliedControlNet(_Report):
    """A ControlNet a run used."""

    id: str = Field(description="Registry id.")
    image_id: str | None = Field(description="The conditioning image's upload id (null when it came another way).")
    weight: float = Field(description="controlnet_conditioning_scale.")
    guidance_start: float = Field(description="control_guidance_start.")
    guidance_end: float = Field(description="control_guidance_end.")
    preprocessor: Literal["none", "canny"] = Field(description="How the image became the condition.")


class AppliedPostProcessing(_Report):
    """A post-processing step a run applied."""

    type: Literal["upscale"] = Field(description="The step.")
    model: str = Field(description="Upscaler registry id, or lanczos.")
    factor: int = Field(description="Scale factor.")
    width: int = Field(description="Width after the step, pixels.")
    height: int = Field(description="Height after the step, pixels.")


class EnhancementsReport(_Report):
    """Everything stage 4 used beyond the base model (also in metadata.json and the PNG's provenance)."""

    base_model: str | None = Field(None, description="Registry id of the base model (null when it is not in the "
                                                     "models folder, e.g. a hub id).")
    refiner: AppliedRefiner | None = Field(None, description="The refiner, if any.")
    vae: str | None = Field(None, description="Registry id of the swapped-in VAE, if any.")
    loras: list[AppliedLora] = Field(default_factory=list, description="LoRAs with their weights.")
    controlnets: list[AppliedControlNet] = Field(default_factory=list, description="ControlNets with weights and "
                                                                                   "preprocessors.")
    post_processing: list[AppliedPostProcessing] = Field(default_factory=list, description="Post-processing steps.")
    batch_size: int = Field(1, ge=1, description="Images made (image i used seed + i).")
    seeds: list[int] = Field(default_factory=list, description="Each image's seed, in order.")
    output_format: Literal["png", "jpeg", "webp"] = Field("png", description="File format of the images.")
    notes: list[str] = Field(default_factory=list, description="What was left out and why (e.g. a LoRA the "
                                                              "interception config brings that does not fit).")


# =========================================================================== studio helpers


class UpscaleRequest(_Request):
    """POST /api/media/upscale: make a finished image of a run larger ("Vergrößern 2x/4x"); the result is a new image
    of the same run."""

    run_id: str = Field(pattern=UUID4_PATTERN, description="The run of the image.")
    index: JsonInt = Field(ge=0, le=10_000, description="Index of the image within the run.")
    factor: Literal[2, 4] = Field(description="2 or 4: the new image is exactly factor x the size.")
    model: ModelName | None = Field(None, description="Registry id or alias of an upscaler, or lanczos; default: an "
                                    "installed upscaler of that factor (else any installed one, else lanczos).")
    async_: bool = Field(False, alias="async", description="True: queue it and answer 202 at once.")

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class AddonOut(_Report):
    """An add-on the studio may offer for the chosen model."""

    id: str = Field(description="Registry id (send it in parameters).")
    name: str = Field(description="Display name.")
    family: str = Field(description="Its model family.")
    trigger_words: list[str] = Field(default_factory=list, description="Words that bring out a LoRA's style.")
    scale: int | None = Field(None, description="Upscalers: the model's own factor.")


class AddonsResponse(_Report):
    """200 of GET /api/schema/output-configs/<id>/addons: what fits the output config's model (the family table
    of devserver.generation.addons), for the studio's "Weitere Einstellungen"."""

    status: Literal["success"] = Field(description="Outcome.")
    output_config: str = Field(description="The output config id.")
    base_model: str | None = Field(description="Registry id of its weights (null when not in the models folder).")
    families: list[str] = Field(description="The families its model may have.")
    refiners: list[AddonOut] = Field(description="Refiners that fit (SDXL).")
    vaes: list[AddonOut] = Field(description="VAEs that fit.")
    loras: list[AddonOut] = Field(description="LoRAs that fit.")
    controlnets: list[AddonOut] = Field(description="ControlNets that fit.")
    upscalers: list[AddonOut] = Field(description="Installed upscalers (any model).")


class EdgesQuery(_Request):
    """GET /api/media/uploads/<image_id>/edges: the Canny thresholds of the preview."""

    low_threshold: JsonInt = Field(100, ge=1, le=255, description="Lower hysteresis threshold (0-255).")
    high_threshold: JsonInt = Field(200, ge=1, le=255, description="Upper hysteresis threshold (0-255).")

    @model_validator(mode="after")
    def _ordered(self) -> EdgesQuery:
        if self.low_threshold > self.high_threshold:
            raise ValueError(f"low_threshold must not exceed high_threshold, got {self.low_threshold} and "
                             f"{self.high_threshold}")
        return self
