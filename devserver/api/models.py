"""/api/models: the model registry and seed 001's ten model operations (thin: parse -> ModelService -> serialize).

Reading (list, search, get, status, device status, validate, job status) is open; what changes the server for
everyone (load, unload, optimize, benchmark, refresh, metadata) needs the admin token (``require_admin``).
GET parameters are the request models' fields; list fields take repeated or comma-separated values
(``?model_types=lora,vae``). Unknown parameters are a 422.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request, send_file

from devserver.api._io import respond
from devserver.api.auth import require_admin
from devserver.contracts.models import (
    BenchmarkModelRequest,
    DeviceStatusRequest,
    GetModelRequest,
    GetModelStatusRequest,
    ListModelsRequest,
    LoadModelRequest,
    ModelJobAccepted,
    OptimizeModelRequest,
    SearchModelsRequest,
    UnloadModelRequest,
    UpdateModelMetadataRequest,
    ValidateModelRequest,
)
from devserver.errors import BadRequestError, UnsupportedMediaTypeError
from devserver.services import get_services

bp = Blueprint("models", __name__, url_prefix="/api/models")

LIST_FIELDS = {"model_types", "tags", "search_fields", "compatible_devices"}


def _query(**extra: Any) -> dict[str, Any]:
    """The query string as a dict: list fields from repeated or comma-separated values."""
    data: dict[str, Any] = {}
    for key in request.args:
        values = request.args.getlist(key)
        if key in LIST_FIELDS:
            data[key] = [part.strip() for value in values for part in value.split(",") if part.strip()]
        else:
            data[key] = values[-1]
    return {**data, **extra}


def _body(**extra: Any) -> dict[str, Any]:
    """The JSON body (optional: an empty body means defaults) merged with the URL's fields.

    Raises:
        UnsupportedMediaTypeError (415), BadRequestError (400).
    """
    if not request.get_data(cache=True):
        return dict(extra)
    if not request.is_json:
        raise UnsupportedMediaTypeError(f"the request body must be JSON, got {request.mimetype or 'none'!r}",
                                        details={"content_type": request.mimetype})
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequestError("the request body must be a JSON object", details={})
    return {**data, **extra}


def _accepted_or_done(result: Any):  # type: ignore[no-untyped-def]
    return respond(result, 202 if isinstance(result, ModelJobAccepted) else 200)


@bp.get("", strict_slashes=False)
def list_models():  # type: ignore[no-untyped-def]
    """List models: filters, sort, pagination, type/status distributions."""
    return respond(get_services().models.list_models(ListModelsRequest.model_validate(_query())))


@bp.get("/search")
def search_models():  # type: ignore[no-untyped-def]
    """Fuzzy search with relevance, highlights, facets."""
    return respond(get_services().models.search_models(SearchModelsRequest.model_validate(_query())))


@bp.get("/device-status")
def device_status():  # type: ignore[no-untyped-def]
    """Device memory and the loaded models (seed 001's get_vram_model_status)."""
    return respond(get_services().models.device_status(DeviceStatusRequest.model_validate(_query())))


@bp.post("/refresh")
@require_admin
def refresh():  # type: ignore[no-untyped-def]
    """Scan the models folder again."""
    return respond(get_services().models.refresh())


@bp.get("/jobs/<job_id>")
def job_status(job_id: str):  # type: ignore[no-untyped-def]
    """A benchmark/optimize/load job: state, progress, result."""
    return respond(get_services().models.job_status(job_id))


@bp.get("/<model_id>")
def get_model(model_id: str):  # type: ignore[no-untyped-def]
    """One model with compatibility, requirements, usage and benchmarks."""
    return respond(get_services().models.get_model(GetModelRequest.model_validate(_query(model_id=model_id))))


@bp.get("/<model_id>/status")
def model_status(model_id: str):  # type: ignore[no-untyped-def]
    """The model's live state and health."""
    req = GetModelStatusRequest.model_validate(_query(model_id=model_id))
    return respond(get_services().models.get_model_status(req))


@bp.get("/<model_id>/preview")
def preview(model_id: str):  # type: ignore[no-untyped-def]
    """The model's preview image (PNG)."""
    return send_file(get_services().models.preview_path(model_id), mimetype="image/png", max_age=60)


@bp.post("/<model_id>/load")
@require_admin
def load(model_id: str):  # type: ignore[no-untyped-def]
    """Load (200), or queue the load (202) with wait_for_completion false."""
    req = LoadModelRequest.model_validate(_body(model_id=model_id))
    return _accepted_or_done(get_services().models.load_model(req))


@bp.post("/<model_id>/unload")
@require_admin
def unload(model_id: str):  # type: ignore[no-untyped-def]
    """Unload and free memory (409 while a job uses it, unless force)."""
    req = UnloadModelRequest.model_validate(_body(model_id=model_id))
    return respond(get_services().models.unload_model(req))


@bp.post("/<model_id>/validate")
def validate(model_id: str):  # type: ignore[no-untyped-def]
    """Check files, format, family, dtype, memory (loads nothing)."""
    req = ValidateModelRequest.model_validate(_body(model_id=model_id))
    return respond(get_services().models.validate_model(req))


@bp.post("/<model_id>/optimize")
@require_admin
def optimize(model_id: str):  # type: ignore[no-untyped-def]
    """Queue an optimize run (202), or wait for it with wait_for_completion (200)."""
    req = OptimizeModelRequest.model_validate(_body(model_id=model_id))
    return _accepted_or_done(get_services().models.optimize_model(req))


@bp.post("/<model_id>/benchmark")
@require_admin
def benchmark(model_id: str):  # type: ignore[no-untyped-def]
    """Queue a benchmark (202), or wait for it with wait_for_completion (200)."""
    req = BenchmarkModelRequest.model_validate(_body(model_id=model_id))
    return _accepted_or_done(get_services().models.benchmark_model(req))


@bp.patch("/<model_id>/metadata")
@require_admin
def update_metadata(model_id: str):  # type: ignore[no-untyped-def]
    """Change metadata (validated); returns updated_fields and the model."""
    req = UpdateModelMetadataRequest.model_validate(_body(model_id=model_id))
    return respond(get_services().models.update_metadata(req))
