"""Request parsing and response helpers shared by the blueprints (thin: parse -> service -> serialize)."""

from __future__ import annotations

from typing import TypeVar

from flask import Response, jsonify, request
from pydantic import BaseModel

from devserver.contracts.api import BlockedResponse
from devserver.errors import BadRequestError, UnsupportedMediaTypeError

M = TypeVar("M", bound=BaseModel)


def parse_json(model: type[M]) -> M:
    """Parse the request body as JSON into `model`.

    Raises:
        UnsupportedMediaTypeError (415): Content-Type is not application/json.
        BadRequestError (400): the body is not valid JSON or not a JSON object.
        pydantic.ValidationError (-> 422): a field is missing or invalid.
    """
    if not request.is_json:
        raise UnsupportedMediaTypeError(
            f"the request body must be JSON (Content-Type: application/json), got {request.mimetype or 'none'!r}",
            details={"content_type": request.mimetype})
    data = request.get_json(silent=True)
    if data is None:
        raise BadRequestError("the request body is not valid JSON", details={})
    if not isinstance(data, dict):
        raise BadRequestError(f"the request body must be a JSON object, got {type(data).__name__}", details={})
    return model.model_validate(data)


def respond(model: BaseModel, status: int = 200) -> tuple[Response, int]:
    """Serialize a response model; a BlockedResponse is always 403 (DESIGN.md)."""
    if isinstance(model, BlockedResponse):
        status = 403
    return jsonify(model.model_dump(mode="json", by_alias=True)), status
