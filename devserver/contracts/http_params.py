"""Query, header and form parameters of the HTTP API, as pydantic models for the OpenAPI document (issue 7).

The routes read these values themselves (``request.args``, ``request.headers``, ``request.files``); the models
say what the routes accept, so ``/api/openapi.json`` documents them like the JSON bodies.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from devserver.contracts.models import (
    BenchmarkModelRequest,
    GetModelRequest,
    GetModelStatusRequest,
    LoadModelRequest,
    OptimizeModelRequest,
    UnloadModelRequest,
    UpdateModelMetadataRequest,
    ValidateModelRequest,
)


class RunEventsQuery(BaseModel):
    """Query of ``GET /api/runs/<run_id>/events``."""

    model_config = ConfigDict(extra="allow")

    last_event_id: str | None = Field(
        None, pattern=r"^[0-9]*$", max_length=18,
        description="Resume after this event id (for clients that cannot send the Last-Event-ID header); empty: "
                    "from the start.")


class RunEventsHeaders(BaseModel):
    """Headers of ``GET /api/runs/<run_id>/events``."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    last_event_id: str | None = Field(
        None, alias="Last-Event-ID", pattern=r"^[0-9]*$", max_length=18,
        description="Resume after this event id; browsers' EventSource sends it when reconnecting. Empty: as if "
                    "not sent (the HTML standard's empty last event ID; then the query's last_event_id applies).")


class UploadForm(BaseModel):
    """multipart/form-data body of ``POST /api/media/upload/image``."""

    file: bytes = Field(description="The image file: PNG, JPEG or WEBP, at most the server's upload limit "
                                    "(GET /api/health: limits.upload_max_bytes).")


# --------------------------------------------------------------------------- /api/models (issue 9's routes)
# The routes parse query and body with the request models of devserver.contracts.models, which also carry the
# model's id (the worker protocol sends it in the message); over HTTP the id is the URL's path parameter. These
# models are derived from those request models without ``model_id``, so the document follows every change of
# the request models (fields, limits, descriptions) by construction.


MODEL_ROUTE_WORDS = ("search", "device-status", "refresh", "jobs")
"""Path segments after ``/api/models/`` that are operations of their own, never read as a model id."""
MODEL_ID_SEGMENT = "(?!(?:" + "|".join(MODEL_ROUTE_WORDS) + ")$)[^/]+"
"""Regular expression of the ``model_id`` path segment: one segment that is not one of :data:`MODEL_ROUTE_WORDS`
(the URL converter of ``devserver.api.models`` and the OpenAPI path parameter use it)."""


def without_model_id(model: type[BaseModel], name: str, doc: str) -> type[BaseModel]:
    """`model` without its ``model_id`` field: the query or JSON body of a route whose path names the model.

    Args:
        model: a request model of :mod:`devserver.contracts.models` (same config: extra fields forbidden,
            PascalCase aliases accepted).
        name: the new model's name (its OpenAPI component name).
        doc: its docstring (the component's description).
    Returns:
        a pydantic model with the same fields (annotations, defaults, limits, descriptions) but ``model_id``.
    """
    fields: dict[str, Any] = {field: (info.annotation, info) for field, info in model.model_fields.items()
                              if field != "model_id"}
    derived = create_model(name, __config__=model.model_config, __doc__=doc, __module__=__name__, **fields)
    return derived


GetModelQuery = without_model_id(GetModelRequest, "GetModelQuery", "Query of ``GET /api/models/<model_id>``.")
ModelStatusQuery = without_model_id(GetModelStatusRequest, "ModelStatusQuery",
                                    "Query of ``GET /api/models/<model_id>/status``.")
LoadModelBody = without_model_id(LoadModelRequest, "LoadModelBody",
                                 "JSON body of ``POST /api/models/<model_id>/load`` (optional: defaults apply).")
UnloadModelBody = without_model_id(UnloadModelRequest, "UnloadModelBody",
                                   "JSON body of ``POST /api/models/<model_id>/unload`` (optional).")
ValidateModelBody = without_model_id(ValidateModelRequest, "ValidateModelBody",
                                     "JSON body of ``POST /api/models/<model_id>/validate`` (optional).")
OptimizeModelBody = without_model_id(OptimizeModelRequest, "OptimizeModelBody",
                                     "JSON body of ``POST /api/models/<model_id>/optimize`` (optional).")
BenchmarkModelBody = without_model_id(BenchmarkModelRequest, "BenchmarkModelBody",
                                      "JSON body of ``POST /api/models/<model_id>/benchmark`` (optional).")
UpdateModelMetadataBody = without_model_id(UpdateModelMetadataRequest, "UpdateModelMetadataBody",
                                           "JSON body of ``PATCH /api/models/<model_id>/metadata``.")
