"""Model jobs in the shared queue: benchmark, optimize and (asynchronous) load of a registered model.

They wait in the same first-in-first-out queue as learners' runs (issue 9: a benchmark never runs beside a
learner's generation and never starves it). Each kind is a :class:`~devserver.jobs.kinds.JobHandler` whose work
is :meth:`devserver.models.service.ModelService.run_job`; its terminal ``complete`` event carries the operation's
response (``{"result": ...}``) instead of a ``media_output``. With the Celery queue backend these jobs run on the
web node, on the models it holds itself (README, "Deployment").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from devserver.contracts.api import BlockedResponse
from devserver.contracts.models import BenchmarkModelRequest, LoadModelRequest, OptimizeModelRequest
from devserver.jobs.kinds import JobHandler
from devserver.pipeline.orchestrator import RunObserver

if TYPE_CHECKING:  # pragma: no cover
    from devserver.models.service import ModelService

MODEL_JOB_REQUESTS: dict[str, type[BaseModel]] = {
    "model_benchmark": BenchmarkModelRequest,
    "model_optimize": OptimizeModelRequest,
    "model_load": LoadModelRequest,
}
"""Model job kinds and the request model each stores in the jobs table."""


class ModelJob(JobHandler):
    """One model job kind; the request was checked by the service before it was submitted."""

    def __init__(self, kind: str, service: ModelService) -> None:
        self.kind = kind
        self.request_model = MODEL_JOB_REQUESTS[kind]
        self._service = service

    def prepare(self, request: BaseModel) -> Any:
        """The request itself: :class:`ModelService` resolved the model and checked the request before submitting."""
        return request

    def run(self, plan: Any, *, run_id: str, observer: RunObserver) -> BaseModel:
        """See :meth:`ModelService.run_job`."""
        return self._service.run_job(self.kind, plan.model_dump(mode="json", by_alias=True), observer)

    def outcome(self, result: BaseModel) -> tuple[str, str, BaseModel]:
        """A model job ends ``success`` with its result as the ``complete`` event's data."""
        if isinstance(result, BlockedResponse):  # pragma: no cover - model jobs are never blocked
            return "blocked", "blocked", result
        return "success", "complete", result


def model_job_handlers(service: ModelService) -> dict[str, JobHandler]:
    """The model job kinds for :class:`~devserver.jobs.queue.JobQueue`'s handler table."""
    return {kind: ModelJob(kind, service) for kind in MODEL_JOB_REQUESTS}
