"""The seed-002 job API on our queue: the ``sd_job`` job kind and its Server-Sent Events in the seed's format.

``POST /v1/jobs`` (``devserver.api.v1_jobs``) submits a :class:`~devserver.contracts.job_api.JobApiRequest` as a job
of kind ``sd_job`` to the same queue as every studio run (same cap, same FIFO order, same cancel, same run folder):

- :meth:`SdJob.prepare` decodes the base64 images through the upload normalisation (in memory: nothing is written
  before the job runs), resolves ``model`` to an output config (:func:`resolve_output_config`) and checks the
  request like ``/generation`` does (sizes, limits, modes, an empty mask);
- :meth:`SdJob.run` runs stage 1 and stage 3 (3b, 3c) on the prompt and the negative prompt, then stage 4 with
  4b, through the orchestrator (:meth:`~devserver.pipeline.orchestrator.Orchestrator.run_prompt_job`).

:func:`stream_events` turns the job's stored and live events into the seed's stream: ``data: Step k/N`` for each
diffusion step (k counting 1..N, N the steps the pipeline really runs), then one terminal event with JSON data
(``complete`` with the base64 PNG, ``blocked``, ``error`` or ``canceled``).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from devserver.contracts.api import GenerationParameters
from devserver.contracts.job_api import (
    JobApiBlocked,
    JobApiComplete,
    JobApiError,
    JobApiFailed,
    JobApiRequest,
    SDOperation,
)
from devserver.errors import NotFoundError, RequestValidationError
from devserver.jobs.events import RunStream
from devserver.jobs.kinds import JobHandler
from devserver.pipeline.loader import SchemaRegistry
from devserver.pipeline.orchestrator import Orchestrator, RunObserver
from devserver.storage.ids import validate_id
from devserver.storage.recorder import RunRecorder

KIND = "sd_job"
"""The job kind of ``POST /v1/jobs`` (``contracts.jobs.JobKind``)."""
MODES = {"SDGenerate": "txt2img", "SDImg2Img": "img2img", "SDInpaint": "inpaint"}
"""The seed's operation types and the generation modes they are."""


class JobNotFoundError(NotFoundError):
    """404: no job of the job API with this id."""

    code = "job_not_found"


def stream_url(job_id: str) -> str:
    """Relative URL of a job's stream (the seed's ``stream_url``)."""
    return f"/v1/jobs/{job_id}/stream"


def resolve_output_config(name: str | None, schemas: SchemaRegistry, models: Any) -> str | None:
    """The output config a job's ``model`` names: an output config id, an output config's hub id, or a model
    registry id or alias (``ModelService.resolve``) whose weights an output config uses. Never a path.

    Args:
        name: the operation's ``model``; None keeps the server's default.
        schemas: the output configs.
        models: the ModelService (its registry of the models folder).
    Returns:
        the output config id, or None for the default.
    Raises:
        ModelNotFoundError (404): nothing has this name.
        RequestValidationError (422): a registered model no output config uses (devserver cannot know its defaults).
    """
    if name is None or name in schemas.output_configs:
        return name
    for config in schemas.output_configs.values():
        if config.model.hub_id is not None and config.model.hub_id.lower() == name.lower():
            return config.id
    record = models.resolve(name)
    if not record.output_configs:
        raise RequestValidationError(
            f"operation.model: model {record.id!r} is registered, but no output config uses it, so there are no "
            "defaults to run it with; name an output config (GET /api/schema/output-configs)",
            details={"field": "operation.model", "model_id": record.id})
    return record.output_configs[0]


def _parameters(op: SDOperation) -> GenerationParameters:
    """The operation's numbers as the studio API's parameters (omitted ones keep the output config's defaults)."""
    return GenerationParameters(width=op.width, height=op.height, steps=op.steps, cfg=op.guidance_scale,
                                negative_prompt=op.negative_prompt, strength=op.strength, mask_blur=op.mask_blur)


class SdJob(JobHandler):
    """``sd_job``: one operation of the seed-002 job API (see the module doc).

    Args:
        orchestrator: runs the stages.
        models: the ModelService, to resolve ``model`` by registry id or alias.
    """

    kind = KIND
    request_model = JobApiRequest

    def __init__(self, orchestrator: Orchestrator, models: Any) -> None:
        self._orchestrator = orchestrator
        self._models = models

    def prepare(self, request: BaseModel) -> Any:
        """Decode, resolve and check the operation; writes nothing.

        Raises:
            UploadTooLargeError (413), UploadInvalidError (400), UnsupportedMediaTypeError (415): an image; the
            output config's errors (404, 409, 422) as for /generation; ModelNotFoundError (404).
        """
        assert isinstance(request, JobApiRequest)
        op = request.operation
        orchestrator = self._orchestrator
        uploads = orchestrator.uploads
        image = uploads.decode_base64(op.image, field="operation.image") if op.image is not None else None
        mask = uploads.decode_base64(op.mask, field="operation.mask") if op.mask is not None else None
        output_config = resolve_output_config(op.model, orchestrator.registry, self._models)
        record = {"api": "v1/jobs", "operation": op.type,
                  "parameters": _parameters(op).model_dump(exclude_none=True)}
        return orchestrator.prepare_prompt_job(
            output_config=output_config, prompt=op.prompt, negative_prompt=op.negative_prompt, language=op.language,
            parameters=_parameters(op), seed=op.seed, image=image, mask=mask, record=record)

    def run(self, plan: Any, *, run_id: str, observer: RunObserver) -> BaseModel:
        """See :meth:`Orchestrator.run_prompt_job`."""
        return self._orchestrator.run_prompt_job(plan, run_id=run_id, observer=observer)


def job_api_handlers(orchestrator: Orchestrator, models: Any) -> dict[str, JobHandler]:
    """The job API's kinds for ``queue.handlers`` (added in the composition root, beside the model jobs)."""
    return {KIND: SdJob(orchestrator, models)}


@dataclass(frozen=True)
class SseEvent:
    """One event of the job stream: ``id`` (for Last-Event-ID), an optional ``event`` name and one ``data`` line."""

    id: int
    data: str
    event: str | None = None

    def text(self) -> str:
        """The event as SSE text (ends with the blank line)."""
        head = f"id: {self.id}\n" + (f"event: {self.event}\n" if self.event else "")
        return f"{head}data: {self.data}\n\n"


def open_stream(queue: Any, job_id: str, *, after_id: int, heartbeat_s: float) -> RunStream:
    """The event stream of a job of the job API (close it when done).

    Raises:
        InvalidIdError (400): `job_id` is not a UUID4.
        JobNotFoundError (404): no job API job has this id (runs of the studio API are not served here).
    """
    job = queue.store.job(validate_id(job_id, "job_id"))
    if job is None or job.kind != KIND:
        raise JobNotFoundError(f"no job with job_id {job_id}: POST /v1/jobs answers the job_id of a new job",
                               details={"job_id": job_id})
    return queue.stream(job_id, after_id=after_id, heartbeat_s=heartbeat_s)


def stream_events(stream: RunStream, recorder: RunRecorder, job_id: str) -> Iterator[SseEvent | None]:
    """The seed's stream of one job: progress as ``Step k/N``, then its terminal event; None for a heartbeat.

    Other events of the queue (queued, started, stage_start, stage_complete) are left out: the seed's clients
    read ``data:`` lines and know only these.
    """
    for event in stream:
        if event is None:
            yield None
        elif event.type == "progress":
            yield SseEvent(event.id, f"Step {event.data['step']}/{event.data['total_steps']}")
        elif event.type in ("complete", "blocked", "error", "canceled"):
            payload = _terminal(event.type, event.data, recorder, job_id)
            yield SseEvent(event.id, json.dumps(payload.model_dump(mode="json"), ensure_ascii=False), event.type)


def _terminal(kind: str, data: dict[str, Any], recorder: RunRecorder, job_id: str) -> BaseModel:
    """The terminal event's data (the image is read back from the run folder, the one place it is kept)."""
    if kind == "complete":
        media = data["media_output"]
        png = recorder.open(job_id).image_path(media["index"]).read_bytes()
        return JobApiComplete(status="success", job_id=job_id, image=base64.b64encode(png).decode("ascii"),
                              mime_type="image/png", seed=media["seed"], width=media["width"],
                              height=media["height"], model=media["output_config"], url=media["url"])
    if kind == "blocked":
        return JobApiBlocked(status="blocked", job_id=job_id, stage=data["stage"], reason=data["reason"],
                             found_terms=data.get("found_terms", []))
    if kind == "canceled":
        return JobApiFailed(status="canceled", job_id=job_id,
                            error=JobApiError(code="canceled", message="The job was canceled."))
    error = data.get("error", {})
    return JobApiFailed(status="error", job_id=job_id, error=JobApiError(
        code=str(error.get("code", "internal_error")), message=str(error.get("message", "The job failed."))))
