"""/api/schema: configs for the pickers and the pipeline endpoints (stages 1-4)."""

from __future__ import annotations

from flask import Blueprint, request

from devserver.api._io import parse_json, respond
from devserver.api.openapi import documented
from devserver.contracts.api import (
    BlockedResponse,
    CategoryOut,
    ConfigDetail,
    ConfigDetailResponse,
    ConfigListResponse,
    ConfigSummary,
    ExecuteRequest,
    ErrorResponse,
    ExecuteResponse,
    GenerationRequestBody,
    GenerationResponse,
    OptimizeRequest,
    OptimizeResponse,
    OutputConfigListResponse,
    OutputConfigOut,
    Stage2Request,
    Stage2Response,
)
from devserver.classroom.prompts import prompt_tokens_response
from devserver.contracts.classroom import PromptTokensRequest, PromptTokensResponse
from devserver.contracts.generation import AddonsResponse
from devserver.contracts.jobs import QueuedResponse
from devserver.pipeline.orchestrator import model_ref, output_modes
from devserver.pipeline.upscaling import compatible_addons
from devserver.services import get_services

bp = Blueprint("schema", __name__, url_prefix="/api/schema")

_NOT_LISTED = {"context", "summary", "offline_template", "tags", "loras"}
"""Config fields the picker list leaves out (its detail adds context and summary)."""


@bp.get("/configs")
@documented(responses={200: ConfigListResponse})
def list_configs():  # type: ignore[no-untyped-def]
    """Interception configs for the picker, grouped by category (display order)."""
    registry = get_services().registry
    configs = sorted(registry.configs.values(), key=lambda c: (c.display.order, c.id))
    return respond(ConfigListResponse(
        status="success",
        categories=[CategoryOut.model_validate(c.model_dump(include={"id", "name"})) for c in registry.categories],
        configs=[ConfigSummary.model_validate(c.model_dump(exclude=_NOT_LISTED)) for c in configs]))


@bp.get("/configs/<config_id>")
@documented(responses={200: ConfigDetailResponse})
def get_config(config_id: str):  # type: ignore[no-untyped-def]
    """One interception config with its rules (context) per language."""
    config = get_services().registry.config(config_id)
    return respond(ConfigDetailResponse(
        status="success",
        config=ConfigDetail.model_validate(config.model_dump(exclude={"offline_template", "tags", "loras"}))))


@bp.get("/output-configs")
@documented(responses={200: OutputConfigListResponse})
def list_output_configs():  # type: ignore[no-untyped-def]
    """Output configs (target models) with availability: weights on disk or not, and why."""
    services = get_services()
    items = []
    for oc in sorted(services.registry.output_configs.values(), key=lambda c: (c.display.order, c.id)):
        available, reason = services.generation.availability(model_ref(oc))
        items.append(OutputConfigOut(
            id=oc.id, media_type=oc.media_type, name=oc.name.model_dump(), description=oc.description.model_dump(),
            defaults=oc.defaults.model_dump(), max_side_px=oc.max_side_px, max_steps=oc.max_steps,
            available=available, reason=None if available else reason,
            estimated_duration_s=oc.estimated_duration_s, family=oc.model.family, modes=output_modes(oc),
            folded=oc.display.folded))
    return respond(OutputConfigListResponse(status="success", default=services.settings.default_output_config,
                                            output_configs=items))


@bp.post("/pipeline/execute")
@documented(json=ExecuteRequest, responses={200: ExecuteResponse, 202: QueuedResponse, 403: BlockedResponse,
                                            500: ErrorResponse, 502: ErrorResponse, 503: ErrorResponse,
                                            504: ErrorResponse})
def execute():  # type: ignore[no-untyped-def]
    """Stages 1-4 as a job: waited for, or with ``"async": true`` checked, queued and answered 202 at once."""
    return _job("execute", parse_json(ExecuteRequest))


@bp.post("/pipeline/stage2")
@documented(json=Stage2Request, responses={200: Stage2Response, 403: BlockedResponse, 502: ErrorResponse,
                                           503: ErrorResponse, 504: ErrorResponse})
def stage2():  # type: ignore[no-untyped-def]
    """Stages 1-2: safety, then interception."""
    return respond(get_services().orchestrator.stage2(parse_json(Stage2Request)))


@bp.post("/pipeline/optimize")
@documented(json=OptimizeRequest, responses={200: OptimizeResponse, 403: BlockedResponse, 502: ErrorResponse,
                                             503: ErrorResponse, 504: ErrorResponse})
def optimize():  # type: ignore[no-untyped-def]
    """Stage 3a: optimize a prompt for an output config."""
    return respond(get_services().orchestrator.optimize(parse_json(OptimizeRequest)))


@bp.post("/pipeline/generation")
@documented(json=GenerationRequestBody, responses={200: GenerationResponse, 202: QueuedResponse,
                                                   403: BlockedResponse, 500: ErrorResponse, 502: ErrorResponse,
                                                   503: ErrorResponse, 504: ErrorResponse})
def generation():  # type: ignore[no-untyped-def]
    """Stages 3b, 3c and 4 on a final prompt as a job: waited for, or with ``"async": true`` answered 202 at once."""
    return _job("generation", parse_json(GenerationRequestBody))


def _job(kind: str, req: ExecuteRequest | GenerationRequestBody):  # type: ignore[no-untyped-def]
    """Queue the run: answer 202 at once (``"async": true``), or wait for its end and answer its result."""
    queue = get_services().queue
    if req.async_:
        return respond(queue.submit(kind, req, client=request.remote_addr), 202)
    return respond(queue.call(kind, req, client=request.remote_addr))


@bp.post("/prompt-tokens")
@documented(json=PromptTokensRequest, responses={200: PromptTokensResponse})
def prompt_tokens():  # type: ignore[no-untyped-def]
    """How much of a prompt the output config's model reads (its own tokenizers; no weights are loaded)."""
    req = parse_json(PromptTokensRequest)
    services = get_services()
    output_config = services.registry.output_config(req.output_config)
    return respond(prompt_tokens_response(output_config.id, services.tokens.count(model_ref(output_config),
                                                                                  req.prompt), req.prompt))


@bp.get("/output-configs/<output_config_id>/addons")
@documented(responses={200: AddonsResponse})
def output_config_addons(output_config_id: str):  # type: ignore[no-untyped-def]
    """The refiners, VAEs, LoRAs, ControlNets and upscalers that fit an output config's model (for the studio)."""
    services = get_services()
    return respond(compatible_addons(services.models, services.registry.output_config(output_config_id)))
