"""Typed server settings, read from ``DEVSERVER_*`` environment variables.

Every field can be set as an environment variable named ``DEVSERVER_<FIELD>`` (upper case),
for example ``DEVSERVER_SAFETY_LEVEL=kids`` or ``DEVSERVER_EXPORTS_DIR=/srv/devserver``.
List fields take JSON (``DEVSERVER_CORS_ORIGINS='["http://localhost:5173"]'``).
Parsing is done by pydantic-settings (https://docs.pydantic.dev/latest/concepts/pydantic_settings/).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from devserver.contracts.common import SafetyLevel

PROJECT_ROOT = Path(__file__).resolve().parent.parent
"""The repository root: the folder holding ``schemas/``, ``frontend/`` and ``exports/``."""

LlmBackendName = Literal["template", "ollama", "openai"]
DeviceName = Literal["auto", "cpu", "cuda", "mps"]

DEFAULT_CORS_ORIGINS = [
    "http://localhost:17802",
    "http://127.0.0.1:17802",
    "http://localhost:5173",
    "http://127.0.0.1:5173",
]


class Settings(BaseSettings):
    """Server-wide configuration; one instance per app (``app.extensions["devserver"].settings``).

    Raises:
        pydantic.ValidationError: a variable has a bad value (for example a CORS origin ``*``).
    """

    model_config = SettingsConfigDict(env_prefix="DEVSERVER_", extra="ignore")

    host: str = Field("127.0.0.1", description="Interface `devserver serve` binds to.")
    port: int = Field(17802, ge=1, le=65535, description="TCP port `devserver serve` listens on.")
    exports_dir: Path = Field(
        PROJECT_ROOT / "exports",
        description="Runtime output: runs (json/<run_id>/), uploads (uploads_tmp/), models (models/), queue.",
    )
    schemas_dir: Path = Field(PROJECT_ROOT / "schemas", description="Pipelines, chunks, configs, filters.")
    frontend_dist: Path = Field(
        PROJECT_ROOT / "frontend" / "dist", description="Built SPA served for non-/api GET paths."
    )
    safety_level: SafetyLevel = Field(
        "youth", description="Server-wide safety level; a request cannot change it."
    )

    llm_backend: LlmBackendName = Field(
        "template", description="Text backend for stages 2 and 3: offline templates, Ollama or OpenAI-compatible."
    )
    llm_url: str = Field(
        "http://127.0.0.1:11434",
        description="Base URL of the LLM server (Ollama: http://127.0.0.1:11434, OpenAI-compatible: http://host:port).",
    )
    llm_model: str = Field("llama3.2", description="Model name sent to the LLM server.")
    llm_timeout_s: float = Field(60.0, gt=0, le=600, description="Timeout of one LLM request, in seconds.")
    llm_api_key: SecretStr | None = Field(None, description="Bearer token for OpenAI-compatible servers.")
    llm_safety_check: bool = Field(
        False,
        description=(
            "Ask the LLM to judge texts in stages 1 and 3c in addition to the term filters. "
            "For kids/youth an unreachable LLM blocks the run (fail closed)."
        ),
    )

    upload_max_bytes: int = Field(10 * 1024 * 1024, ge=1024, description="Largest accepted upload, in bytes.")
    upload_max_side_px: int = Field(
        1024, ge=64, le=4096, description="Uploads are downscaled so the longest side is at most this, in pixels."
    )
    upload_max_pixels: int = Field(
        90_000_000,
        ge=1_000_000,
        description="Decompression-bomb limit: images with more pixels than this are refused before decoding.",
    )

    upload_retention_hours: float | None = Field(
        24.0, gt=0, description="Uploaded photos are deleted after this many hours (runs keep their own copy); "
        "unset (null) keeps them."
    )

    admin_token: SecretStr | None = Field(
        None,
        description="Bearer token for admin operations (model load/unload/benchmark, teacher view actions). "
        "Unset: admin operations are allowed only from loopback clients (127.0.0.1, ::1).",
    )

    cors_origins: list[str] = Field(
        default_factory=lambda: list(DEFAULT_CORS_ORIGINS),
        description="Origins allowed to call /api from a browser; localhost only by default, never '*'.",
    )

    device: DeviceName = Field("auto", description="Torch device: auto picks cuda, then mps, then cpu.")
    models_dir: Path | None = Field(
        None, description="Folder with local model weights; defaults to <exports_dir>/models."
    )
    allow_model_downloads: bool = Field(
        False, description="Let output configs naming a Hugging Face id download weights (never during tests)."
    )
    default_output_config: str = Field("tiny_sd", description="Output config used when a request names none.")
    torch_threads: int | None = Field(
        None, ge=1, le=256, description="torch.set_num_threads; None keeps torch's choice."
    )

    queue_concurrency: int = Field(
        1, ge=1, le=16,
        description="Queue worker threads running async jobs (generation itself is one at a time per device).",
    )
    sse_heartbeat_s: float = Field(15.0, gt=0, le=300, description="Seconds between SSE/WebSocket heartbeats.")

    model_cache_bytes: int | None = Field(
        None, ge=0,
        description="Memory budget of loaded models in bytes (LRU: loading past it evicts the least recently used "
        "idle model). Unset: measured, half of the available RAM at start on CPU, 80 % of GPU memory on CUDA.")

    # -- scale-out: the Celery queue backend (README "Deployment: several GPU machines")
    queue_backend: Literal["embedded", "celery"] = Field(
        "embedded", description="Where stage 4 runs: embedded (in the server process) or celery (GPU workers, "
        "`devserver worker --celery`, through a Redis broker).")
    broker_url: str = Field(
        "redis://127.0.0.1:6379/0", description="Redis URL of the Celery broker and of the progress streams "
        "(celery backend and `devserver worker --celery`).")
    celery_visibility_timeout_s: float = Field(
        600.0, ge=5, le=86400, description="Seconds after which Redis hands a job whose worker vanished (machine "
        "lost, process killed) to another worker; must exceed the longest stage 4 including model loading.")
    worker_heartbeat_s: float = Field(
        2.0, gt=0, le=60, description="Seconds between a GPU worker's heartbeats in Redis; a worker silent for "
        "3 heartbeats is gone.")

    # --- issue 7: limits, retention and the output image check
    queue_max_jobs: int = Field(
        120, ge=1, le=100_000,
        description="Most runs waiting or running at once (a class of 30 with 4 runs each); more get 429.")
    queue_max_jobs_per_client: int = Field(
        20, ge=1, le=100_000,
        description="Most runs waiting or running per client address (one learner's browser, one script).")
    output_check: Literal["none", "safety_checker", "llm"] = Field(
        "none",
        description="Stage 4b, the check of every generated image before it is kept or shown: none; safety_checker "
        "(diffusers' StableDiffusionSafetyChecker from <models>/safety-checker); llm (a vision model over the LLM "
        "backend). For kids/youth a configured check that cannot run blocks the image (fail closed).")
    output_check_model: str | None = Field(
        None, description="Vision model name for output_check=llm (e.g. llava); unset: llm_model.")
    output_check_dir: Path | None = Field(
        None, description="Folder of the safety checker for output_check=safety_checker; unset: "
        "<models>/safety-checker (config.json, model.safetensors, preprocessor_config.json).")
    event_retention_hours: float | None = Field(
        24.0, ge=0,
        description="Finished runs keep their per-step progress events this long (stage and terminal events and "
        "the last progress stay); 0 compacts at once, unset (null) keeps everything.")

    # --- issue 10: enhanced generation
    output_max_side_px: int = Field(
        4096, ge=256, le=16384,
        description="Longest side of an upscaled image in pixels (post_processing); a request past it is a 422 "
        "before any work.")

    @field_validator("cors_origins")
    @classmethod
    def _no_wildcard(cls, origins: list[str]) -> list[str]:
        for origin in origins:
            if origin.strip() == "*" or "*" in origin:
                raise ValueError("CORS origins must be explicit; '*' is not allowed")
            if not origin.startswith(("http://", "https://")):
                raise ValueError(f"CORS origin must start with http:// or https://, got {origin!r}")
        return origins

    @property
    def runs_dir(self) -> Path:
        """Folder of run folders: ``<exports_dir>/json``."""
        return self.exports_dir / "json"

    @property
    def uploads_dir(self) -> Path:
        """Folder of normalised uploads: ``<exports_dir>/uploads_tmp``."""
        return self.exports_dir / "uploads_tmp"

    @property
    def resolved_models_dir(self) -> Path:
        """Where local weights live: ``models_dir`` or ``<exports_dir>/models``."""
        return self.models_dir if self.models_dir is not None else self.exports_dir / "models"
