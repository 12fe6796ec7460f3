"""Models of the job queue's HTTP, SSE and WebSocket contract (async runs, issue 4).

- ``POST /api/schema/pipeline/execute`` and ``/generation`` with ``"async": true`` answer 202 :class:`QueuedResponse`.
- ``GET /api/runs/<run_id>`` answers :class:`RunStatusResponse`; ``POST /api/runs/<run_id>/cancel`` too.
- ``GET /api/queue`` answers :class:`QueueResponse`.
- ``GET /api/runs/<run_id>/events`` streams Server-Sent Events; the ``data`` of each event type is the
  model in :data:`EVENT_MODELS` (``queued`` -> :class:`QueuedEvent`, ...).
- ``/api/v1/ws/progress`` (WebSocket) takes :class:`WsSubscribe` / :class:`WsUnsubscribe` and sends the
  ``Ws*`` messages below.

This module builds on the shared models of :mod:`devserver.contracts.api` (MediaOutput, Stages, ...), and
that module lists these models in ``API_MODELS`` (so their JSON Schemas are exported with the others). To
allow that mutual import in either order, the shared models are imported at the end of this module and the
annotations naming them are resolved there with ``model_rebuild()``
(https://docs.pydantic.dev/latest/concepts/models/#rebuilding-model-schema).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from devserver.contracts.common import RunStatus

JobKind = Literal["execute", "generation", "model_benchmark", "model_optimize", "model_load", "worker_generation",
                  "upscale", "sd_job"]
"""Which pipeline call a job runs: stages 1-4 (``/execute``) or 3c-4 (``/generation``); or a model job
(benchmark, optimize, load: ``devserver.models.service``), queued FIFO with learners' runs; ``worker_generation``:
a generation of the worker protocol (stages 1, 3b, 3c, 4); ``upscale``: a finished image made larger; or
``sd_job``, an operation of the seed-002 job API (``POST /v1/jobs``: stages 1, 3 and 4 on a final prompt)."""
ActiveStatus = Literal["queued", "running"]
TERMINAL_STATUSES: frozenset[str] = frozenset({"success", "blocked", "error", "canceled"})
"""Statuses a job never leaves."""
TERMINAL_EVENTS: frozenset[str] = frozenset({"complete", "blocked", "error", "canceled"})
"""Event types that end a run's stream; each run has exactly one of them."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------- HTTP responses


class QueuedResponse(_Model):
    """202 of /execute and /generation with ``"async": true``: the run is queued."""

    status: Literal["queued"] = Field(description="Outcome: the run waits in the queue.")
    run_id: str = Field(description="The run's id (UUID4); its folder appears when the run starts.")
    events_url: str = Field(description="Relative URL of the run's Server-Sent Events stream.")
    status_url: str = Field(description="Relative URL of the run's status (GET).")
    position: int = Field(ge=1, description="Place in the queue when submitted: 1 = runs next.")


class ProgressInfo(_Model):
    """The latest diffusion step of a run."""

    step: int = Field(ge=0, description="Steps finished.")
    total_steps: int = Field(ge=1, description="Steps the diffusion loop runs in total.")
    percent: float = Field(ge=0, le=100, description="100 * step / total_steps, never decreasing.")


class BlockedInfo(_Model):
    """Why a safety stage blocked the run."""

    stage: Literal[1, 3, 4] = Field(description="The stage that blocked (4: the output image check).")
    reason: str = Field(description="Human sentence naming why.")
    found_terms: list[str] = Field(description="Terms found (may be empty for an LLM verdict).")


class RunStatusResponse(_Model):
    """200 of GET /api/runs/<run_id> (and of POST .../cancel): a queued run's state, stages so far, result."""

    status: RunStatus = Field(description="The run's state: queued, running, or its outcome.")
    run_id: str = Field(description="The run's id.")
    kind: JobKind = Field(description="execute (stages 1-4) or generation (stages 3c-4).")
    position: int | None = Field(description="0 while running, 1.. while queued (1 = next), null when finished.")
    cancel_requested: bool = Field(description="A cancel was requested while the run was running.")
    created_at: str = Field(description="ISO 8601 UTC time the run was queued.")
    started_at: str | None = Field(description="ISO 8601 UTC time a worker started it.")
    finished_at: str | None = Field(description="ISO 8601 UTC time it ended.")
    stages: Stages = Field(description="Reports of the stages completed so far.")
    progress: ProgressInfo | None = Field(description="Latest diffusion step, null before stage 4 starts.")
    media_output: MediaOutput | None = Field(description="The image, once the run succeeded.")
    media_outputs: list[MediaOutput] = Field(
        default_factory=list, description="Every image of the run's result, index order (a batch: one per image, "
        "each with its seed; media_output is the first); empty until the run succeeded.")
    blocked: BlockedInfo | None = Field(description="The block, when a safety stage blocked the run.")
    error: ErrorBody | None = Field(description="What went wrong, when the run ended in error.")
    events_url: str = Field(description="Relative URL of the run's Server-Sent Events stream.")


class QueueEntry(_Model):
    """A run in GET /api/queue (no prompts: learners see only their own texts)."""

    run_id: str | None = Field(description="The run's id; null unless the caller may perform admin operations "
                               "(knowing a run's id is what lets one see and cancel it).")
    status: ActiveStatus = Field(description="running or queued.")
    position: int = Field(ge=0, description="0 = running, 1.. = place in the queue (1 = next).")
    kind: JobKind = Field(description="execute or generation.")
    cancel_requested: bool = Field(description="A cancel was requested while running.")
    created_at: str = Field(description="ISO 8601 UTC time queued.")
    started_at: str | None = Field(description="ISO 8601 UTC time started (running only).")


class WorkerInfo(_Model):
    """A GPU worker of the Celery backend (``devserver worker --celery``), as its heartbeat in Redis tells."""

    name: str = Field(description="The worker's name (Celery node name, e.g. gpu1@host).")
    models: list[str] = Field(description="Output config ids it serves (its Celery queues).")
    concurrency: int = Field(ge=1, description="Jobs it runs at the same time.")
    status: Literal["busy", "idle"] = Field(description="busy while it runs at least one job.")
    current_runs: list[str] = Field(description="run_ids of the jobs it runs now.")
    heartbeat_age_s: float = Field(ge=0, description="Seconds since its last heartbeat (Redis server time).")


class QueueResponse(_Model):
    """200 of GET /api/queue: running runs, then queued runs in the order they will run."""

    status: Literal["success"] = Field(description="Outcome of this request.")
    concurrency: int = Field(ge=1, description="Runs the server works on at the same time.")
    running: int = Field(ge=0, description="How many runs are running.")
    queued: int = Field(ge=0, description="How many runs wait.")
    jobs: list[QueueEntry] = Field(description="Running runs (position 0), then queued ones by position.")
    workers: list[WorkerInfo] | None = Field(
        None, exclude_if=lambda workers: workers is None,
        description="Celery backend only (absent with the embedded one): the GPU workers with a live heartbeat, "
        "by name.")


# --------------------------------------------------------------------------- SSE event data


class QueuedEvent(_Model):
    """SSE ``queued``: the run entered the queue."""

    position: int = Field(ge=1, description="Place in the queue when submitted: 1 = runs next.")


class StartedEvent(_Model):
    """SSE ``started``: a worker picked the run up; stage events follow."""

    waited_ms: int = Field(ge=0, description="Time spent in the queue, in milliseconds.")


class StageStartEvent(_Model):
    """SSE ``stage_start``."""

    stage: int = Field(ge=1, le=4, description="Stage number 1-4.")
    name: str = Field(description="safety, interception, pre_output or generation.")


class StageCompleteEvent(_Model):
    """SSE ``stage_complete``: the stage's report, as in the synchronous response's ``stages``."""

    stage: int = Field(ge=1, le=4, description="Stage number 1-4.")
    name: str = Field(description="safety, interception, pre_output or generation.")
    report: SafetyStage | Stage2Report | Stage3Report | Stage4Report = Field(description="The stage's report.")


class ProgressEvent(_Model):
    """SSE ``progress``: one per diffusion step (from diffusers' ``callback_on_step_end``)."""

    step: int = Field(ge=0, description="Steps finished.")
    total_steps: int = Field(ge=1, description="Steps the diffusion loop runs in total.")
    percent: float = Field(ge=0, le=100, description="100 * step / total_steps, never decreasing within a run.")
    ts: float = Field(description="Server time of the step callback, Unix seconds (time.time()).")


class CompleteEvent(_Model):
    """SSE ``complete`` (terminal): the run succeeded."""

    media_output: MediaOutput = Field(description="The generated image (the first of a batch).")
    media_outputs: list[MediaOutput] = Field(default_factory=list, description="Every image of the batch, index "
                                             "order (media_output is the first).")


class ErrorEvent(_Model):
    """SSE ``error`` (terminal): the run failed (or was interrupted by a restart)."""

    error: ErrorBody = Field(description="What went wrong.")


class CanceledEvent(_Model):
    """SSE ``canceled`` (terminal): canceled on request; no image was written."""

    while_status: ActiveStatus = Field(description="Whether the run was still queued or already running.")




# --------------------------------------------------------------------------- WebSocket messages


class WsSubscribe(_Model):
    """Client -> server: receive the events of these runs (null: of every run)."""

    type: Literal["subscribe"] = Field(description="Message type.")
    job_ids: list[JobId] | None = Field(
        description="run_ids to follow, or null for all runs (admin only: the handshake's 'Authorization: Bearer "
                    "<token>' header, the token field, or the server machine itself while no admin token is "
                    "configured; anyone else gets an error message and no events).")
    token: str | None = Field(None, max_length=4096, description=(
        "The admin token (DEVSERVER_ADMIN_TOKEN), for clients that cannot set headers on a WebSocket (browsers); "
        "needed only for job_ids null. A wrong token is an error message; the subscription does not change."))


class WsUnsubscribe(_Model):
    """Client -> server: stop receiving the events of these runs (null: of every run)."""

    type: Literal["unsubscribe"] = Field(description="Message type.")
    job_ids: list[JobId] | None = Field(description="run_ids to stop following, or null for all.")




class _WsMessage(_Model):
    """Seed 003's envelope: every server message is ``{"type", "timestamp", "data": {...}}``."""

    timestamp: str = Field(description="ISO 8601 UTC time of the event.")


class WsSubscribedData(_Model):
    """data of ``subscribed`` / ``unsubscribed``."""

    job_ids: list[str] | None = Field(description="The run_ids of the request that the server knows (null: all runs).")


class WsSubscribed(_WsMessage):
    """Server -> client: the subscription was changed."""

    type: Literal["subscribed", "unsubscribed"] = Field(description="Acknowledges subscribe or unsubscribe.")
    data: WsSubscribedData = Field(description="The subscription.")


class WsJobData(_Model):
    """data of ``generation_started`` and ``generation_canceled``."""

    job_id: str = Field(description="The run_id.")
    status: Literal["running", "canceled"] = Field(description="The run's state.")


class WsGenerationStarted(_WsMessage):
    """Server -> client: a worker started the run."""

    type: Literal["generation_started"] = Field(description="Message type.")
    data: WsJobData = Field(description="Which run.")


class WsProgressData(_Model):
    """data of ``progress_update`` (seed 003: ``const { job_id, progress, status } = message.data``)."""

    job_id: str = Field(description="The run_id.")
    progress: float = Field(ge=0, le=1, description="Fraction done, 0..1, never decreasing.")
    status: Literal["running"] = Field(description="The run's state.")
    step: int = Field(ge=0, description="Steps finished.")
    total_steps: int = Field(ge=1, description="Steps in total.")


class WsProgressUpdate(_WsMessage):
    """Server -> client: one diffusion step finished."""

    type: Literal["progress_update"] = Field(description="Message type.")
    data: WsProgressData = Field(description="The progress.")


class WsCompleteData(_Model):
    """data of ``generation_complete``."""

    job_id: str = Field(description="The run_id.")
    status: Literal["success"] = Field(description="The run's state.")
    progress: float = Field(ge=1, le=1, description="Always 1.")
    media_output: MediaOutput = Field(description="The generated image (of a batch: the first).")
    media_outputs: list[MediaOutput] = Field(
        default_factory=list, description="Every image of the run, index order (a batch: one per image, each with "
        "its seed), as the complete event of the run's SSE stream.")


class WsGenerationComplete(_WsMessage):
    """Server -> client: the run succeeded."""

    type: Literal["generation_complete"] = Field(description="Message type.")
    data: WsCompleteData = Field(description="The result.")


class WsErrorData(_Model):
    """data of ``generation_error``."""

    job_id: str = Field(description="The run_id.")
    status: Literal["error"] = Field(description="The run's state.")
    error: ErrorBody = Field(description="What went wrong.")


class WsGenerationError(_WsMessage):
    """Server -> client: the run failed."""

    type: Literal["generation_error"] = Field(description="Message type.")
    data: WsErrorData = Field(description="What went wrong.")


class WsGenerationCanceled(_WsMessage):
    """Server -> client: the run was canceled."""

    type: Literal["generation_canceled"] = Field(description="Message type.")
    data: WsJobData = Field(description="Which run.")


class WsBlockedData(_Model):
    """data of ``generation_blocked``."""

    job_id: str = Field(description="The run_id.")
    status: Literal["blocked"] = Field(description="The run's state.")
    stage: Literal[1, 3, 4] = Field(description="The stage that blocked (4: the output image check).")
    reason: str = Field(description="Human sentence naming why.")
    found_terms: list[str] = Field(description="Terms found (empty for an LLM or image verdict).")


class WsGenerationBlocked(_WsMessage):
    """Server -> client: a safety stage blocked the run."""

    type: Literal["generation_blocked"] = Field(description="Message type.")
    data: WsBlockedData = Field(description="The block.")


class WsErrorMessageData(_Model):
    """data of ``error``."""

    message: str = Field(description="What was wrong with the client's message.")
    code: str = Field("bad_message", description=(
        "bad_message (not understood), unknown_job (a named run_id is not known), admin_token_required "
        "(job_ids null without admin rights), admin_token_wrong (the token field is wrong)."))


class WsError(_WsMessage):
    """Server -> client: the last client message was not understood (the socket stays open)."""

    type: Literal["error"] = Field(description="Message type.")
    data: WsErrorMessageData = Field(description="The problem.")


JOB_MODELS: tuple[type[BaseModel], ...] = (
    QueuedResponse,
    RunStatusResponse,
    WorkerInfo,
    QueueResponse,
    QueuedEvent,
    StartedEvent,
    StageStartEvent,
    StageCompleteEvent,
    ProgressEvent,
    CompleteEvent,
    ErrorEvent,
    CanceledEvent,
    WsSubscribe,
    WsUnsubscribe,
    WsSubscribed,
    WsGenerationStarted,
    WsProgressUpdate,
    WsGenerationComplete,
    WsGenerationError,
    WsGenerationCanceled,
    WsGenerationBlocked,
    WsError,
)
"""Models exported to schemas/json/ (appended to ``devserver.contracts.api.API_MODELS``)."""


# --------------------------------------------------------------------------- the shared models (see the module doc)
from devserver.contracts.api import (  # noqa: E402
    UUID4_PATTERN,
    BlockedResponse,
    ErrorBody,
    MediaOutput,
    SafetyStage,
    Stage2Report,
    Stage3Report,
    Stage4Report,
    Stages,
)

JobId = Annotated[str, Field(pattern=UUID4_PATTERN, description="A run_id (UUID4).")]

for _model in JOB_MODELS:
    _model.model_rebuild()

WsClientMessage = TypeAdapter(Annotated[WsSubscribe | WsUnsubscribe, Field(discriminator="type")])
"""Parses a client message (raises pydantic.ValidationError for anything else)."""

EVENT_MODELS: dict[str, type[BaseModel]] = {
    "queued": QueuedEvent,
    "started": StartedEvent,
    "stage_start": StageStartEvent,
    "stage_complete": StageCompleteEvent,
    "progress": ProgressEvent,
    "complete": CompleteEvent,
    "blocked": BlockedResponse,
    "error": ErrorEvent,
    "canceled": CanceledEvent,
}
"""SSE event type -> model of its ``data`` (``blocked`` carries the BlockedResponse fields)."""
