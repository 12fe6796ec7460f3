"""Job kinds: what the queue can run, each kind mapped to its handler in one place (:func:`build_handlers`).

Every run that generates is a job, whether the caller waits for it (a synchronous call) or not
(``"async": true``). The queue (:mod:`devserver.jobs.queue`) owns the lifecycle (queued -> running ->
terminal, events, cancel, the status in the jobs table and in metadata.json); a handler owns what one kind
of job does. A handler provides:

- ``kind`` and ``request_model``: the name stored in the jobs table and the pydantic model of its request
  (stored as JSON, so a queued job survives a restart);
- :meth:`JobHandler.run_id_for`: the run the job writes into;
- :meth:`JobHandler.prepare`: check and resolve a request, writing nothing. The queue calls it when the job
  is submitted (so a bad request is a 4xx at once and nothing is queued) and once more only if the process
  restarted before the job ran (the plan lives in memory);
- :meth:`JobHandler.run`: do the work on a queue thread, reporting stages and steps to the observer
  (which also answers cancel checks); return the response model, or raise an ApiError;
- :meth:`JobHandler.outcome`: the terminal status and event of a returned response.

Adding a kind: write a handler (subclass :class:`JobHandler`), add it to :func:`build_handlers`, add its
name to ``devserver.contracts.jobs.JobKind``, and submit with ``queue.submit(kind, request)`` (202) or
``queue.call(kind, request)`` (wait for the result). With the Celery backend the handler still runs on the
web node; only stage 4 (``Orchestrator`` -> the generation backend) goes to GPU workers, as a versioned
message (:mod:`devserver.jobs.stage4`). A kind that needs a GPU worker for something other than stage 4
adds a Celery task next to ``devserver.jobs.gpu_worker.run_stage4`` and calls it from its ``run``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from devserver.contracts.api import BlockedResponse, ExecuteRequest, GenerationRequestBody
from devserver.contracts.generation import UpscaleRequest
from devserver.contracts.jobs import CompleteEvent
from devserver.pipeline.orchestrator import Orchestrator, RunObserver
from devserver.pipeline.upscaling import prepare_upscale, run_upscale
from devserver.storage.ids import new_id


class JobHandler:
    """What one kind of job does (see the module doc). Subclasses set ``kind`` and ``request_model``."""

    kind: str = ""
    request_model: type[BaseModel] = BaseModel

    def run_id_for(self, request: BaseModel) -> str:
        """The run this job writes into: a new UUID4 by default."""
        return new_id()

    def prepare(self, request: BaseModel) -> Any:
        """Check and resolve `request` without side effects; returns the plan :meth:`run` takes.

        Raises:
            ApiError (4xx): the request cannot run.
        """
        raise NotImplementedError

    def run(self, plan: Any, *, run_id: str, observer: RunObserver) -> BaseModel:
        """Run a prepared job on a queue thread; returns the response a synchronous caller gets.

        Raises:
            ApiError: the job failed (its code and message become the ``error`` event);
            GenerationCanceledError: a cancel was seen (observer.stage_start / a diffusion step).
        """
        raise NotImplementedError

    def outcome(self, result: BaseModel) -> tuple[str, str, BaseModel]:
        """(job status, terminal event type, event data) of a returned response.

        Default: a BlockedResponse ends ``blocked`` (its fields are the event), anything else ``success`` with a
        ``complete`` event carrying its ``media_output`` and every image of the result (``media_outputs``: a batch's
        images; one image otherwise).
        """
        if isinstance(result, BlockedResponse):
            return "blocked", "blocked", result
        return "success", "complete", CompleteEvent(media_output=result.media_output,  # type: ignore[attr-defined]
                                                    media_outputs=getattr(result, "media_outputs", None)
                                                    or [result.media_output])  # type: ignore[attr-defined]


class ExecuteJob(JobHandler):
    """``execute``: stages 1-4 of POST /api/schema/pipeline/execute in a new run."""

    kind = "execute"
    request_model = ExecuteRequest

    def __init__(self, orchestrator: Orchestrator) -> None:
        self._orchestrator = orchestrator

    def prepare(self, request: BaseModel) -> Any:
        """See :meth:`Orchestrator.prepare_execute`."""
        assert isinstance(request, ExecuteRequest)
        return self._orchestrator.prepare_execute(request)

    def run(self, plan: Any, *, run_id: str, observer: RunObserver) -> BaseModel:
        """See :meth:`Orchestrator.run_execute`."""
        return self._orchestrator.run_execute(plan, run_id=run_id, observer=observer)


class GenerationJob(JobHandler):
    """``generation``: stages 3b, 3c and 4 of POST /api/schema/pipeline/generation, in the named run or a new one."""

    kind = "generation"
    request_model = GenerationRequestBody

    def __init__(self, orchestrator: Orchestrator) -> None:
        self._orchestrator = orchestrator

    def run_id_for(self, request: BaseModel) -> str:
        """The run named by the request (a second image goes into it), else a new one."""
        assert isinstance(request, GenerationRequestBody)
        return request.run_id or new_id()

    def prepare(self, request: BaseModel) -> Any:
        """See :meth:`Orchestrator.prepare_generation`."""
        assert isinstance(request, GenerationRequestBody)
        return self._orchestrator.prepare_generation(request)

    def run(self, plan: Any, *, run_id: str, observer: RunObserver) -> BaseModel:
        """See :meth:`Orchestrator.run_generation`."""
        return self._orchestrator.run_generation(plan, run_id=run_id, observer=observer)


class WorkerGenerationJob(GenerationJob):
    """``worker_generation``: a generation of the worker protocol (``devserver worker``, POST /api/v1/worker): stage 1
    on the raw prompt and negative prompt, then 3b, 3c and 4 as ``generation`` (same run folder, 4b, provenance)."""

    kind = "worker_generation"

    def run(self, plan: Any, *, run_id: str, observer: RunObserver) -> BaseModel:
        """See :meth:`Orchestrator.run_generation` with ``raw_text_check``."""
        return self._orchestrator.run_generation(plan, run_id=run_id, observer=observer, raw_text_check=True)


class UpscaleJob(JobHandler):
    """``upscale``: a finished image made larger ("Vergrößern 2x/4x"), added to its run
    (devserver.pipeline.upscaling)."""

    kind = "upscale"
    request_model = UpscaleRequest

    def __init__(self, orchestrator: Orchestrator) -> None:
        self._orchestrator = orchestrator

    def run_id_for(self, request: BaseModel) -> str:
        """The image's own run."""
        assert isinstance(request, UpscaleRequest)
        return request.run_id

    def prepare(self, request: BaseModel) -> Any:
        """See :func:`devserver.pipeline.upscaling.prepare_upscale`."""
        assert isinstance(request, UpscaleRequest)
        return prepare_upscale(self._orchestrator, request)

    def run(self, plan: Any, *, run_id: str, observer: RunObserver) -> BaseModel:
        """See :func:`devserver.pipeline.upscaling.run_upscale`."""
        return run_upscale(self._orchestrator, plan, run_id=run_id, observer=observer)


def build_handlers(orchestrator: Orchestrator) -> dict[str, JobHandler]:
    """The job kinds of an app: kind name -> handler. Add new kinds here (and to ``contracts.jobs.JobKind``)."""
    handlers: list[JobHandler] = [ExecuteJob(orchestrator), GenerationJob(orchestrator),
                                  WorkerGenerationJob(orchestrator), UpscaleJob(orchestrator)]
    return {handler.kind: handler for handler in handlers}
