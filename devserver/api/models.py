"""/api/models: the model registry and seed 001's ten model operations (thin: parse -> ModelService -> serialize).

Reading (list, search, get, status, device status, validate, job status) is open; what changes the server for
everyone (load, unload, optimize, benchmark, refresh, metadata) needs the admin token (``require_admin``).
GET parameters are the request models' fields; list fields take repeated or comma-separated values
(``?model_types=lora,vae``). Unknown parameters are a 422.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, send_file
from flask.blueprints import BlueprintSetupState
from werkzeug.routing import BaseConverter

from devserver.api._io import parse_json, parse_query, respond
from devserver.api.auth import require_admin
from devserver.api.openapi import documented
from devserver.contracts.api import ErrorResponse
from devserver.contracts.http_params import (
    MODEL_ID_SEGMENT,
    BenchmarkModelBody,
    GetModelQuery,
    LoadModelBody,
    ModelStatusQuery,
    OptimizeModelBody,
    UnloadModelBody,
    UpdateModelMetadataBody,
    ValidateModelBody,
)
from devserver.contracts.models import (
    BenchmarkModelRequest,
    BenchmarkModelResponse,
    DeviceStatusRequest,
    DeviceStatusResponse,
    GetModelRequest,
    GetModelResponse,
    GetModelStatusRequest,
    GetModelStatusResponse,
    ListModelsRequest,
    ListModelsResponse,
    LoadModelRequest,
    LoadModelResponse,
    ModelJobAccepted,
    ModelJobStatusResponse,
    OptimizeModelRequest,
    OptimizeModelResponse,
    RefreshModelsResponse,
    SearchModelsRequest,
    SearchModelsResponse,
    UnloadModelRequest,
    UnloadModelResponse,
    UpdateModelMetadataRequest,
    UpdateModelMetadataResponse,
    ValidateModelRequest,
    ValidateModelResponse,
)
from devserver.services import get_services

bp = Blueprint("models", __name__, url_prefix="/api/models")

class ModelIdConverter(BaseConverter):
    """The ``<model_id:...>`` URL converter: one path segment that is not one of ``MODEL_ROUTE_WORDS``, so that
    ``GET /api/models/refresh`` is a 405 (refresh is a POST) rather than a lookup of a model named "refresh", and
    the ``Allow`` header of ``/api/models/refresh`` lists only its own methods."""

    regex = MODEL_ID_SEGMENT
    part_isolating = True  # one path segment, like Flask's default converter (werkzeug sees "/" in [^/] and would
    # otherwise match the rule's whole remaining path with one regular expression)


@bp.record
def _register_converter(state: BlueprintSetupState) -> None:
    """Make the converter known to the app before the blueprint's rules are added (deferred functions run in
    the order they were recorded, and this one is recorded before every route)."""
    state.app.url_map.converters.setdefault("model_id", ModelIdConverter)


def _accepted_or_done(result: Any):  # type: ignore[no-untyped-def]
    return respond(result, 202 if isinstance(result, ModelJobAccepted) else 200)


@bp.get("", strict_slashes=False)
@documented(query=ListModelsRequest, responses={200: ListModelsResponse})
def list_models():  # type: ignore[no-untyped-def]
    """List models: filters, sort, pagination, type/status distributions."""
    return respond(get_services().models.list_models(parse_query(ListModelsRequest)))


@bp.get("/search")
@documented(query=SearchModelsRequest, responses={200: SearchModelsResponse})
def search_models():  # type: ignore[no-untyped-def]
    """Fuzzy search with relevance, highlights, facets."""
    return respond(get_services().models.search_models(parse_query(SearchModelsRequest)))


@bp.get("/device-status")
@documented(query=DeviceStatusRequest, responses={200: DeviceStatusResponse})
def device_status():  # type: ignore[no-untyped-def]
    """Device memory and the loaded models (seed 001's get_vram_model_status)."""
    return respond(get_services().models.device_status(parse_query(DeviceStatusRequest)))


@bp.post("/refresh")
@documented(responses={200: RefreshModelsResponse}, admin=True)
@require_admin
def refresh():  # type: ignore[no-untyped-def]
    """Scan the models folder again."""
    return respond(get_services().models.refresh())


@bp.get("/jobs/<job_id>")
@documented(responses={200: ModelJobStatusResponse})
def job_status(job_id: str):  # type: ignore[no-untyped-def]
    """A benchmark/optimize/load job: state, progress, result."""
    return respond(get_services().models.job_status(job_id))


@bp.get("/<model_id:model_id>")
@documented(query=GetModelQuery, responses={200: GetModelResponse})
def get_model(model_id: str):  # type: ignore[no-untyped-def]
    """One model with compatibility, requirements, usage and benchmarks."""
    return respond(get_services().models.get_model(parse_query(GetModelRequest, path_fields={"model_id": model_id})))


@bp.get("/<model_id:model_id>/status")
@documented(query=ModelStatusQuery, responses={200: GetModelStatusResponse})
def model_status(model_id: str):  # type: ignore[no-untyped-def]
    """The model's live state and health."""
    req = parse_query(GetModelStatusRequest, path_fields={"model_id": model_id})
    return respond(get_services().models.get_model_status(req))


@bp.get("/<model_id:model_id>/preview")
@documented(responses={200: None}, media={200: "image/png"})
def preview(model_id: str):  # type: ignore[no-untyped-def]
    """The model's preview image (PNG)."""
    return send_file(get_services().models.preview_path(model_id), mimetype="image/png", max_age=60)


@bp.post("/<model_id:model_id>/load")
@documented(json=LoadModelBody, body_required=False, admin=True,
            responses={200: LoadModelResponse, 202: ModelJobAccepted})
@require_admin
def load(model_id: str):  # type: ignore[no-untyped-def]
    """Load (200), or queue the load (202) with wait_for_completion false."""
    req = parse_json(LoadModelRequest, path_fields={"model_id": model_id}, optional=True)
    return _accepted_or_done(get_services().models.load_model(req))


@bp.post("/<model_id:model_id>/unload")
@documented(json=UnloadModelBody, body_required=False, admin=True, responses={200: UnloadModelResponse})
@require_admin
def unload(model_id: str):  # type: ignore[no-untyped-def]
    """Unload and free memory (409 while a job uses it, unless force)."""
    req = parse_json(UnloadModelRequest, path_fields={"model_id": model_id}, optional=True)
    return respond(get_services().models.unload_model(req))


@bp.post("/<model_id:model_id>/validate")
@documented(json=ValidateModelBody, body_required=False, responses={200: ValidateModelResponse})
def validate(model_id: str):  # type: ignore[no-untyped-def]
    """Check files, format, family, dtype, memory (loads nothing)."""
    req = parse_json(ValidateModelRequest, path_fields={"model_id": model_id}, optional=True)
    return respond(get_services().models.validate_model(req))


@bp.post("/<model_id:model_id>/optimize")
@documented(json=OptimizeModelBody, body_required=False, admin=True,
            responses={200: OptimizeModelResponse, 202: ModelJobAccepted, 500: ErrorResponse})
@require_admin
def optimize(model_id: str):  # type: ignore[no-untyped-def]
    """Queue an optimize run (202), or wait for it with wait_for_completion (200)."""
    req = parse_json(OptimizeModelRequest, path_fields={"model_id": model_id}, optional=True)
    return _accepted_or_done(get_services().models.optimize_model(req))


@bp.post("/<model_id:model_id>/benchmark")
@documented(json=BenchmarkModelBody, body_required=False, admin=True,
            responses={200: BenchmarkModelResponse, 202: ModelJobAccepted, 500: ErrorResponse})
@require_admin
def benchmark(model_id: str):  # type: ignore[no-untyped-def]
    """Queue a benchmark (202), or wait for it with wait_for_completion (200)."""
    req = parse_json(BenchmarkModelRequest, path_fields={"model_id": model_id}, optional=True)
    return _accepted_or_done(get_services().models.benchmark_model(req))


@bp.patch("/<model_id:model_id>/metadata")
@documented(json=UpdateModelMetadataBody, body_required=False, admin=True, responses={200: UpdateModelMetadataResponse})
@require_admin
def update_metadata(model_id: str):  # type: ignore[no-untyped-def]
    """Change metadata (validated); returns updated_fields and the model."""
    req = parse_json(UpdateModelMetadataRequest, path_fields={"model_id": model_id}, optional=True)
    return respond(get_services().models.update_metadata(req))
