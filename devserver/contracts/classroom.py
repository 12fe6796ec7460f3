"""Contracts of the studio's classroom features: prompt token counts, "Meine Bilder" (run summaries and
details read from the run folders) and the teacher view (issue 8).

- ``POST /api/schema/prompt-tokens`` takes :class:`PromptTokensRequest`, answers :class:`PromptTokensResponse`.
- ``GET /api/runs?ids=<id>,<id>...&page=&per_page=`` answers :class:`RunListResponse` (the gallery).
- ``GET /api/runs/<run_id>/detail`` answers :class:`RunDetailResponse` (one run as it was, to show or restore).
- ``GET /api/teacher/queue`` answers :class:`TeacherQueueResponse`, ``GET /api/teacher/runs`` a
  :class:`RunListResponse` of the server's runs of one day, ``POST /api/teacher/runs/<run_id>/cancel`` a
  ``RunStatusResponse`` (all three need the admin token, DESIGN.md "Admin operations").

This module builds on :mod:`devserver.contracts.api` and :mod:`devserver.contracts.jobs`; nothing imports it
back (the export list is assembled in :mod:`devserver.contracts`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from devserver.contracts.api import MAX_TEXT_CHARS, UUID4_PATTERN, MediaOutput, Stages
from devserver.contracts.common import GenerationMode, Language, SafetyLevel
from devserver.contracts.jobs import ActiveStatus, JobKind

MAX_LISTED_IDS = 100
"""Most run ids one ``GET /api/runs?ids=`` may name (36 characters each: the URL stays under 4 KB,
gunicorn's default request-line limit)."""
MAX_PER_PAGE = 50
"""Largest page of run summaries."""


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Response(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------- prompt tokens


class PromptTokensRequest(_Request):
    """POST /api/schema/prompt-tokens: how much of `prompt` the output config's model reads."""

    prompt: str = Field(max_length=MAX_TEXT_CHARS, description="The stage-3 prompt (what stage 4 receives).")
    output_config: str = Field(min_length=1, max_length=64, description="Output config id whose model reads it.")


class EncoderTokens(_Response):
    """One text encoder's view of the prompt (SD 1.x: one CLIP; SDXL: two CLIPs; SD 3: two CLIPs and a T5)."""

    tokenizer: str = Field(description="The tokenizer's folder in the model, e.g. tokenizer, tokenizer_2.")
    max_tokens: int = Field(ge=1, description="Tokens the encoder reads, including its special tokens "
                            "(CLIP: 77 = start + 75 + end; SD 3's T5: 256).")
    token_count: int = Field(ge=0, description="Tokens of the whole prompt, including the special tokens.")
    read_chars: int = Field(ge=0, description="Characters of the prompt this encoder reads: the prompt's length, "
                            "or the offset of the first character of the first token it cuts off.")


class PromptTokensResponse(_Response):
    """200 of POST /api/schema/prompt-tokens (counted with the model's own tokenizers, no weights loaded)."""

    status: Literal["success"] = Field(description="Outcome.")
    output_config: str = Field(description="Output config id.")
    countable: bool = Field(description="False when the model's tokenizer files are not on this computer.")
    reason: str | None = Field(None, description="Why it cannot be counted (English, for teachers).")
    prompt_chars: int = Field(ge=0, description="Length of the prompt in characters (JavaScript counts UTF-16 "
                              "units: offsets here are Python characters, i.e. code points).")
    token_count: int | None = Field(None, description="Tokens of the prompt for the first text encoder, "
                                    "including its special tokens.")
    max_tokens: int | None = Field(None, description="Tokens the first text encoder reads, incl. special tokens.")
    truncated: bool = Field(False, description="Some encoder does not read the whole prompt.")
    read_chars: int | None = Field(None, description="Characters every encoder reads (the prompt's start).")
    ignored_from: int | None = Field(
        None, description="Character offset from which no encoder reads anything (the part the model ignores); "
        "null when some encoder reads the whole prompt.")
    encoders: list[EncoderTokens] = Field(default_factory=list, description="Per text encoder.")


# --------------------------------------------------------------------------- runs ("Meine Bilder")


class PageQuery(_Request):
    """Paging of a run list (query parameters ``page`` and ``per_page``)."""

    page: int = Field(1, ge=1, le=10_000, description="1-based page.")
    per_page: int = Field(24, ge=1, le=MAX_PER_PAGE, description="Runs per page.")


class RunListQuery(PageQuery):
    """GET /api/runs?ids=<id>,<id>...&page=&per_page=: the runs this browser knows."""

    ids: list[Annotated[str, Field(json_schema_extra={"pattern": UUID4_PATTERN})]] = Field(
        min_length=1, max_length=MAX_LISTED_IDS,
        description="Run ids (UUID4; another id is a 400 invalid_id), repeated (ids=a&ids=b) or comma-separated "
                    "(ids=a,b) in the URL; at most 100.")


class RunBlock(_Response):
    """Why a run stopped at a safety stage."""

    stage: int = Field(ge=1, le=4, description="The stage that blocked (1, 3, or 4 for the output image check).")
    reason: str = Field(description="The server's sentence (English, for teachers).")
    found_terms: list[str] = Field(default_factory=list, description="Terms found.")


class RunSummary(_Response):
    """One run as the gallery lists it, read from its folder (metadata.json and its text files)."""

    run_id: str = Field(description="The run's id.")
    created_at: str = Field(description="ISO 8601 UTC creation time.")
    status: str = Field(description="The run folder's status: success, blocked, error, canceled, in_progress.")
    mode: GenerationMode | None = Field(description="txt2img, img2img or inpaint (from the input image and mask); "
                                        "null for a run without an image that never reached stage 4.")
    config: str | None = Field(description="Interception config id (the perspective); null for a /generation run.")
    config_name: str | None = Field(description="The perspective's name in the run's language, as recorded.")
    rules_source: Literal["config", "learner"] | None = Field(
        description="Whether the rules were the config's own or written/edited by the learner.")
    idea: str | None = Field(description="The learner's idea (image mode: the note); null for a /generation run.")
    prompt: str | None = Field(description="The prompt stage 4 received (null before stage 4).")
    language: Language | None = Field(description="Language of the run's texts.")
    output_config: str | None = Field(description="Output config id.")
    seed: int | None = Field(description="Seed of the latest image.")
    media: list[MediaOutput] = Field(description="The run's images, oldest first.")
    thumbnail_url: str | None = Field(description="Small version of the latest image (WebP), or null.")
    input_image_url: str | None = Field(description="The run's own copy of the input photo (img2img), or null.")
    blocked: RunBlock | None = Field(description="The block, when a safety stage stopped the run.")
    mask_image_url: str | None = Field(None, description="The run's own copy of its inpainting mask, or null.")


class RunListResponse(_Response):
    """200 of GET /api/runs?ids=... (and of the teacher's GET /api/teacher/runs): newest first, paged."""

    status: Literal["success"] = Field(description="Outcome.")
    page: int = Field(ge=1, description="This page, 1-based.")
    per_page: int = Field(ge=1, description="Runs per page.")
    total: int = Field(ge=0, description="Runs found in all pages.")
    runs: list[RunSummary] = Field(description="This page's runs, newest first.")
    missing: list[str] = Field(
        description="Requested ids of no run on this server (deleted, or never created: a run that was refused "
        "or canceled before it started); the browser may forget them. A run still waiting in the queue has no "
        "folder yet: it is neither listed nor missing.")


class RunDetail(RunSummary):
    """One run as it was: its inputs, the texts of every stage and the stage reports, for the gallery's
    detail view and for restoring the studio ("Weiterarbeiten", reload)."""

    rules: str | None = Field(description="The rules text the run used (the config's context or the learner's).")
    interception: str | None = Field(description="Stage 2's text (as run, or as the learner edited it).")
    optimized_prompt: str | None = Field(description="Stage 3a's text (as optimized, or as the learner edited it).")
    parameters: dict[str, Any] = Field(description="The generation parameters the request sent (width, height, "
                                       "steps, cfg, negative_prompt, scheduler, strength; only those sent).")
    input_image: str | None = Field(description="image_id of the upload the run started from (uploads expire; "
                                    "input_image_url is the run's own copy).")
    mask_image: str | None = Field(None, description="image_id of the uploaded inpainting mask (uploads expire; "
                                   "mask_image_url is the run's own copy).")
    safety_level: SafetyLevel = Field(description="The server's safety level during the run.")
    stages: Stages = Field(description="The stage reports as the run produced them (from the latest image's "
                           "provenance; for a run without an image, rebuilt from its files).")
    error: dict[str, Any] | None = Field(description="The error record (code, message) of a failed run.")


class RunDetailResponse(_Response):
    """200 of GET /api/runs/<run_id>/detail."""

    status: Literal["success"] = Field(description="Outcome of this request.")
    run: RunDetail = Field(description="The run.")


# --------------------------------------------------------------------------- teacher view


class TeacherQueueEntry(_Response):
    """A running or waiting run, with what it is about (the teacher sees learners' texts; learners never do)."""

    run_id: str = Field(description="The run's id.")
    status: ActiveStatus = Field(description="running or queued.")
    position: int = Field(ge=0, description="0 = running, 1.. = place in the queue (1 = next).")
    kind: JobKind = Field(description="execute (stages 1-4) or generation (stages 3c-4).")
    cancel_requested: bool = Field(description="A cancel was requested while running.")
    created_at: str = Field(description="ISO 8601 UTC time queued.")
    started_at: str | None = Field(description="ISO 8601 UTC time started (running only).")
    config: str | None = Field(description="Interception config id of an execute run.")
    text: str = Field(description="The idea (execute) or the prompt (generation), as sent.")
    image_mode: bool = Field(description="The run transforms an uploaded photo (img2img).")
    output_config: str | None = Field(description="Output config id, when the request named one.")


class TeacherQueueResponse(_Response):
    """200 of GET /api/teacher/queue."""

    status: Literal["success"] = Field(description="Outcome of this request.")
    concurrency: int = Field(ge=1, description="Runs the server works on at the same time.")
    running: int = Field(ge=0, description="How many runs are running.")
    queued: int = Field(ge=0, description="How many runs wait.")
    jobs: list[TeacherQueueEntry] = Field(description="Running runs, then queued ones by position.")


CLASSROOM_MODELS: tuple[type[BaseModel], ...] = (
    PromptTokensRequest,
    PromptTokensResponse,
    RunListResponse,
    RunDetailResponse,
    TeacherQueueResponse,
)
"""Models exported to schemas/json/ (see :data:`devserver.contracts.ALL_MODELS`)."""
