"""The seed-002 job API (``../shared/seeds/002_8f61c1164354a351.txt``, "Step 4: HTTP API"), beside our own.

- ``POST /v1/jobs`` takes :class:`JobApiRequest` (``{"operation": {"type": "SDGenerate" | "SDImg2Img" | "SDInpaint",
  "prompt", ...}}``, the seed's field names) and answers 202 :class:`JobApiAccepted` (``{"job_id", "stream_url"}``).
- ``GET /v1/jobs/<job_id>/stream`` is Server-Sent Events: ``data: Step k/N`` lines while the image is made (the
  seed's progress format), then exactly one terminal event whose ``data`` is JSON: ``event: complete``
  (:class:`JobApiComplete`: the base64 PNG, its seed and the job's status), ``event: blocked``
  (:class:`JobApiBlocked`), ``event: error`` or ``event: canceled`` (:class:`JobApiFailed`).

Images travel as base64 PNG or JPEG (a ``data:image/...;base64,`` prefix is accepted) and are decoded through the
same normalisation, limits and refusals as uploads (devserver.storage.uploads).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from devserver.contracts.common import SEED_MAX, JsonInt, Language, check_multiple_of_8

OperationType = Literal["SDGenerate", "SDImg2Img", "SDInpaint"]
MAX_PROMPT_CHARS = 4000
"""Longest prompt or negative prompt, in characters (as devserver.contracts.api.MAX_TEXT_CHARS)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SDOperation(_Strict):
    """One operation of the seed's job API: txt2img (SDGenerate), img2img (SDImg2Img) or inpainting (SDInpaint)."""

    type: OperationType = Field(description="SDGenerate (text to image), SDImg2Img (change a photo) or SDInpaint "
                                            "(repaint the white area of `mask` in `image`).")
    prompt: str = Field(min_length=1, max_length=MAX_PROMPT_CHARS,
                        description="What to draw (checked by the safety stages 1 and 3c like every prompt).")
    negative_prompt: str | None = Field(None, max_length=MAX_PROMPT_CHARS,
                                        description="What to avoid; omitted: the model's default negative prompt.")
    steps: JsonInt | None = Field(None, ge=1, le=150, description="num_inference_steps; omitted: the model's default.")
    guidance_scale: float | None = Field(None, ge=0, le=30,
                                         description="Classifier-free guidance; omitted: the model's default.")
    width: JsonInt | None = Field(None, ge=64, le=2048, json_schema_extra={"multipleOf": 8},
                                  description="Width in pixels (multiple of 8; 16 for SD 3 and Flux). SDImg2Img and "
                                  "SDInpaint: with height the box the photo is fitted into.")
    height: JsonInt | None = Field(None, ge=64, le=2048, json_schema_extra={"multipleOf": 8},
                                   description="Height in pixels (multiple of 8; 16 for SD 3 and Flux).")
    seed: JsonInt | None = Field(None, ge=0, le=SEED_MAX, description="Seed; omitted: the server draws one and "
                                                                      "sends it with the image.")
    model: str | None = Field(None, min_length=1, max_length=200,
                              description="Output config id (GET /api/schema/output-configs) or a model registry id "
                              "or alias (GET /api/models) with an output config; never a path. Omitted: the "
                              "server's default model.")
    image: str | None = Field(None, min_length=1, description="SDImg2Img and SDInpaint: the photo, base64 PNG or "
                              "JPEG (WEBP too), checked like an upload (size limit, decompression-bomb limit).")
    mask: str | None = Field(None, min_length=1, description="SDInpaint: the mask, base64 PNG or JPEG; white = "
                             "repaint, black = keep; resized to the photo.")
    strength: float | None = Field(None, gt=0, le=1, description="SDImg2Img and SDInpaint: how strongly the photo "
                                   "is changed (0..1]; omitted: the model's default.")
    mask_blur: JsonInt | None = Field(None, ge=0, le=64, description="SDInpaint: feathering of the mask edge, in "
                                      "pixels (default 4).")
    language: Language = Field("en", description="Language of the prompt (the safety filters read German and "
                               "English; de asks stage 3b to translate where the server's level does that).")

    _multiple_of_8 = field_validator("width", "height")(check_multiple_of_8)

    @model_validator(mode="after")
    def _images_fit_type(self) -> SDOperation:
        needs_image = self.type in ("SDImg2Img", "SDInpaint")
        if needs_image and self.image is None:
            raise ValueError(f"{self.type} needs `image` (base64 PNG or JPEG)")
        if not needs_image and self.image is not None:
            raise ValueError("SDGenerate takes no `image`; use SDImg2Img or SDInpaint")
        if self.type == "SDInpaint" and self.mask is None:
            raise ValueError("SDInpaint needs `mask` (base64 PNG or JPEG; white = repaint)")
        if self.type != "SDInpaint" and self.mask is not None:
            raise ValueError(f"{self.type} takes no `mask`; use SDInpaint")
        if self.type == "SDGenerate" and self.strength is not None:
            raise ValueError("strength applies to SDImg2Img and SDInpaint only")
        if self.type != "SDInpaint" and self.mask_blur is not None:
            raise ValueError("mask_blur applies to SDInpaint only")
        return self


class JobApiRequest(_Strict):
    """POST /v1/jobs."""

    operation: SDOperation = Field(description="What to make.")


class JobApiAccepted(_Strict):
    """202 of POST /v1/jobs: the job is queued (the same queue as the studio's runs)."""

    status: Literal["queued"] = Field(description="Outcome: the job waits in the queue.")
    job_id: str = Field(description="The job's id (UUID4; also the run_id of its run folder).")
    stream_url: str = Field(description="Relative URL of the job's Server-Sent Events stream: /v1/jobs/<id>/stream.")
    position: int = Field(ge=1, description="Place in the queue when submitted: 1 = runs next.")


class JobApiComplete(_Strict):
    """``data`` of the stream's ``complete`` event: the image."""

    status: Literal["success"] = Field(description="The job's status.")
    job_id: str = Field(description="The job's id.")
    image: str = Field(description="The image: base64 of the PNG (with its provenance text chunks).")
    mime_type: Literal["image/png"] = Field(description="MIME type of `image`.")
    seed: int = Field(description="The seed that reproduces the image.")
    width: int = Field(description="Width in pixels.")
    height: int = Field(description="Height in pixels.")
    model: str = Field(description="The output config that made it.")
    url: str = Field(description="Relative URL of the same PNG in the run folder (/api/media/image/<id>/<index>).")


class JobApiBlocked(_Strict):
    """``data`` of the stream's ``blocked`` event: a safety stage stopped the job; nothing was generated (stage 1
    and 3) or kept (stage 4, the output image check)."""

    status: Literal["blocked"] = Field(description="The job's status.")
    job_id: str = Field(description="The job's id.")
    stage: int = Field(description="The stage that blocked: 1 and 3 check the prompts, 4 the image.")
    reason: str = Field(description="Why, in a human sentence.")
    found_terms: list[str] = Field(description="Listed terms found (may be empty).")


class JobApiError(_Strict):
    """An error inside :class:`JobApiFailed`."""

    code: str = Field(description="snake_case code, e.g. generation_failed, canceled, interrupted.")
    message: str = Field(description="Human sentence.")


class JobApiFailed(_Strict):
    """``data`` of the stream's ``error`` or ``canceled`` event."""

    status: Literal["error", "canceled"] = Field(description="The job's status.")
    job_id: str = Field(description="The job's id.")
    error: JobApiError = Field(description="What went wrong.")


JOB_API_MODELS: tuple[type[BaseModel], ...] = (JobApiRequest, JobApiAccepted, JobApiComplete, JobApiBlocked,
                                               JobApiFailed)
"""Models exported to schemas/json/ (and to the frontend's generated types)."""
