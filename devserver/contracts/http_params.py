"""Query, header and form parameters of the HTTP API, as pydantic models for the OpenAPI document (issue 7).

The routes read these values themselves (``request.args``, ``request.headers``, ``request.files``); the models
say what the routes accept, so ``/api/openapi.json`` documents them like the JSON bodies.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class RunEventsQuery(BaseModel):
    """Query of ``GET /api/runs/<run_id>/events``."""

    model_config = ConfigDict(extra="allow")

    last_event_id: str | None = Field(
        None, pattern=r"^[0-9]+$", max_length=18,
        description="Resume after this event id (for clients that cannot send the Last-Event-ID header).")


class RunEventsHeaders(BaseModel):
    """Headers of ``GET /api/runs/<run_id>/events``."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    last_event_id: str | None = Field(
        None, alias="Last-Event-ID", pattern=r"^[0-9]+$", max_length=18,
        description="Resume after this event id; browsers' EventSource sends it when reconnecting.")


class UploadForm(BaseModel):
    """multipart/form-data body of ``POST /api/media/upload/image``."""

    file: bytes = Field(description="The image file: PNG, JPEG or WEBP, at most the server's upload limit "
                                    "(GET /api/health: limits.upload_max_bytes).")
