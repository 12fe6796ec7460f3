"""The composition root: the one place that builds the concrete services of an app.

Routes reach them through :func:`get_services` (``current_app.extensions["devserver"]``); nothing else
constructs a service, so every test can build an isolated app with its own settings.
"""

from __future__ import annotations

from dataclasses import dataclass

from pathlib import Path
from typing import Any

from devserver.generation.backend import DiffusersBackend
from devserver.jobs.backends import QueueBackend
from devserver.generation.tokens import PromptTokenCounter
from devserver.jobs.events import EventBus
from devserver.jobs.job_api import job_api_handlers
from devserver.jobs.kinds import build_handlers
from devserver.jobs.limits import QueueCap
from devserver.jobs.queue import JobQueue
from devserver.jobs.retention import EventCompactor
from devserver.jobs.store import JobStore
from devserver.llm.base import LlmBackend
from devserver.llm.factory import build_llm_backend
from devserver.models.registry import ModelRegistry
from devserver.models.jobs import model_job_handlers
from devserver.models.service import ModelService
from devserver.models.store import ModelStore
from devserver.pipeline.loader import SchemaRegistry
from devserver.generation.output_check import SafetyCheckerModel
from devserver.pipeline.orchestrator import Orchestrator
from devserver.pipeline.output_check import OutputCheck
from devserver.safety.filters import SafetyFilter
from devserver.settings import Settings
from devserver.storage.recorder import RunRecorder
from devserver.storage.uploads import UploadStore


@dataclass(frozen=True)
class Services:
    """Everything an app's routes need, built once per app."""

    settings: Settings
    registry: SchemaRegistry
    safety: SafetyFilter
    llm: LlmBackend
    generation: Any
    """Stage 4: the in-process DiffusersBackend, or with the Celery backend the CeleryBackend (GPU workers)."""
    recorder: RunRecorder
    uploads: UploadStore
    orchestrator: Orchestrator
    queue: JobQueue
    models: ModelService
    tokens: PromptTokenCounter


def build_services(settings: Settings, *, generation_backend: DiffusersBackend | None = None,
                   llm_backend: LlmBackend | None = None, queue_db: Path | None = None) -> Services:
    """Build all services for `settings`.

    Args:
        settings: the app's settings.
        generation_backend: share an existing backend (tests share one per session so weights load once);
            ignored with the Celery backend (stage 4 runs on GPU workers).
        llm_backend: override the LLM backend chosen by settings.
        queue_db: the jobs database; default ``<exports>/queue.sqlite3`` (``devserver run`` uses a private one).
    Raises:
        SchemaFileError: a file under schemas/ is broken (names file and field).
    """
    registry = SchemaRegistry.load(settings.schemas_dir)
    registry.output_config(settings.default_output_config)  # a typo in the setting fails at start-up
    safety = SafetyFilter.load(settings.schemas_dir / "filters", settings.safety_level)
    llm = llm_backend or build_llm_backend(settings)
    # stage 4 in this process (embedded), or on GPU workers (celery); model management always works on the
    # models this process holds itself (with Celery: the web node's own models folder, see README "Deployment")
    local = generation_backend or DiffusersBackend(
        device=settings.device, models_dir=settings.resolved_models_dir,
        allow_downloads=settings.allow_model_downloads, threads=settings.torch_threads,
        cache_bytes=settings.model_cache_bytes)
    backend: QueueBackend
    if settings.queue_backend == "celery":
        from devserver.jobs.remote import CeleryBackend

        backend = generation = CeleryBackend(settings)
    else:
        backend = QueueBackend()
        generation = local
    recorder = RunRecorder(settings.runs_dir)
    retention_h = settings.upload_retention_hours
    uploads = UploadStore(settings.uploads_dir, max_bytes=settings.upload_max_bytes,
                          max_side_px=settings.upload_max_side_px, max_pixels=settings.upload_max_pixels,
                          retention_s=retention_h * 3600 if retention_h is not None else None)
    uploads.purge_expired()
    orchestrator = Orchestrator(settings=settings, registry=registry, safety=safety, llm=llm,
                                generation=generation, recorder=recorder, uploads=uploads,
                                output_check=build_output_check(settings, llm))
    store = JobStore(queue_db or settings.exports_dir / "queue.sqlite3")
    queue = JobQueue(bus=EventBus(store), handlers=build_handlers(orchestrator), orchestrator=orchestrator,
                     recorder=recorder, backend=backend, concurrency=settings.queue_concurrency,
                     cap=QueueCap(max_total=settings.queue_max_jobs, max_per_client=settings.queue_max_jobs_per_client),
                     compactor=EventCompactor(store, settings.event_retention_hours))
    models = ModelService(registry=ModelRegistry(settings.resolved_models_dir, registry.output_configs),
                          store=ModelStore(settings.exports_dir / "models.sqlite3"), backend=local, queue=queue,
                          uploads=uploads, previews_dir=settings.exports_dir / "model_previews")
    # benchmark/optimize/load run as jobs, FIFO with learners' runs
    queue.handlers.update(model_job_handlers(models))
    # the seed-002 job API (POST /v1/jobs): same queue, same stages
    queue.handlers.update(job_api_handlers(orchestrator, models))
    orchestrator.usage_listener = models.record_usage
    # issue 10: add-on names (refiner, VAE, LoRAs, ControlNets, upscalers) resolve through the model registry
    local.catalog = orchestrator.catalog = models
    orchestrator.upscaler = local
    local.max_output_side_px = settings.output_max_side_px
    return Services(settings=settings, registry=registry, safety=safety, llm=llm, generation=generation,
                    recorder=recorder, uploads=uploads, orchestrator=orchestrator, queue=queue, models=models,
                    tokens=PromptTokenCounter(local))


def build_output_check(settings: Settings, llm: LlmBackend) -> OutputCheck:
    """Stage 4b as configured by ``output_check``, ``output_check_dir`` and ``output_check_model``."""
    if settings.output_check == "safety_checker":
        folder = settings.output_check_dir or settings.resolved_models_dir / "safety-checker"
        device = "cpu" if settings.device == "auto" else settings.device
        return OutputCheck("safety_checker", settings.safety_level, checker=SafetyCheckerModel(folder, device))
    if settings.output_check == "llm":
        vision = llm
        if settings.output_check_model and not llm.is_offline_template:
            vision = build_llm_backend(settings.model_copy(update={"llm_model": settings.output_check_model}))
        return OutputCheck("llm", settings.safety_level, llm=vision)
    return OutputCheck("none", settings.safety_level)


def get_services() -> Services:
    """The current app's services (inside a request or app context)."""
    from flask import current_app

    return current_app.extensions["devserver"]
