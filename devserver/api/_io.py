"""Request parsing and response helpers shared by the blueprints (thin: parse -> service -> serialize)."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from flask import Response, jsonify, request
from pydantic import BaseModel

from devserver.contracts.api import BlockedResponse
from devserver.errors import BadRequestError, UnsupportedMediaTypeError, excerpt

M = TypeVar("M", bound=BaseModel)


MAX_JSON_DEPTH = 32
"""Deepest nesting of objects and arrays accepted in a request body (the API's own bodies need 3)."""


def check_json_value(data: Any) -> None:
    """Refuse JSON that parsed but cannot be processed safely: nesting deeper than :data:`MAX_JSON_DEPTH` and
    strings (values or keys) with lone UTF-16 surrogates ("\\ud800"), which no UTF-8 file, log or answer can hold.

    Iterative (no recursion), so any depth is checked in bounded stack.

    Raises:
        BadRequestError (400, code "json_too_deep" or "invalid_unicode") naming the path of the bad value.
    """
    stack: list[tuple[Any, str, int]] = [(data, "(body)", 0)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            _check_text(value, path)
            continue
        if not isinstance(value, (dict, list)):
            continue
        if depth >= MAX_JSON_DEPTH:
            raise BadRequestError(f"the request body is nested more than {MAX_JSON_DEPTH} levels deep",
                                  code="json_too_deep", details={"max_depth": MAX_JSON_DEPTH})
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if isinstance(key, str):
                _check_text(key, path)
            child = f"{path}.{excerpt(str(key), 40)}" if path != "(body)" else excerpt(str(key), 40)
            stack.append((item, child, depth + 1))


def _check_text(text: str, path: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise BadRequestError(f"{path}: the text contains a lone UTF-16 surrogate ({excerpt(text[exc.start:], 8)}); "
                              "send valid Unicode", code="invalid_unicode", details={"field": path}) from None


def parse_json(model: type[M]) -> M:
    """Parse the request body as JSON into `model`.

    Raises:
        UnsupportedMediaTypeError (415): Content-Type is not application/json.
        BadRequestError (400): the body is not valid JSON (code "bad_request"), nested too deeply
            ("json_too_deep"), holds lone surrogates ("invalid_unicode") or is not a JSON object.
        pydantic.ValidationError (-> 422): a field is missing, has another JSON type than the schema says
            (validated in pydantic's strict JSON mode: no "5" for 5, no 1 for true) or is out of range.
    """
    if not request.is_json:
        got = excerpt(request.mimetype or "none")
        raise UnsupportedMediaTypeError(
            f"the request body must be JSON (Content-Type: application/json), got {got!r}",
            details={"content_type": excerpt(request.mimetype or "", 80)})
    raw = request.get_data(cache=True)
    try:
        data = json.loads(raw)
    except RecursionError:
        raise BadRequestError(f"the request body is nested more than {MAX_JSON_DEPTH} levels deep",
                              code="json_too_deep", details={"max_depth": MAX_JSON_DEPTH}) from None
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError (body not UTF-8)
        position = getattr(exc, "pos", None)
        raise BadRequestError("the request body is not valid JSON" + (f" (at character {position})"
                              if position is not None else ""), details={}) from None
    check_json_value(data)
    if not isinstance(data, dict):
        raise BadRequestError(f"the request body must be a JSON object, got {type(data).__name__}", details={})
    # strict JSON mode: a JSON type the schema does not allow is refused ("5" for an integer, 1 for a boolean)
    return model.model_validate_json(raw, strict=True)


def json_object() -> dict[str, Any]:
    """The request body as a JSON object of any shape (for endpoints that dispatch on its content themselves).

    Raises:
        UnsupportedMediaTypeError (415), BadRequestError (400): as :func:`parse_json`.
    """
    if not request.is_json:
        got = excerpt(request.mimetype or "none")
        raise UnsupportedMediaTypeError(
            f"the request body must be JSON (Content-Type: application/json), got {got!r}",
            details={"content_type": excerpt(request.mimetype or "", 80)})
    try:
        data = json.loads(request.get_data(cache=True))
    except RecursionError:
        raise BadRequestError(f"the request body is nested more than {MAX_JSON_DEPTH} levels deep",
                              code="json_too_deep", details={"max_depth": MAX_JSON_DEPTH}) from None
    except ValueError:
        raise BadRequestError("the request body is not valid JSON", details={}) from None
    check_json_value(data)
    if not isinstance(data, dict):
        raise BadRequestError(f"the request body must be a JSON object, got {type(data).__name__}", details={})
    return data


def respond(model: BaseModel, status: int = 200) -> tuple[Response, int]:
    """Serialize a response model; a BlockedResponse is always 403 (DESIGN.md)."""
    if isinstance(model, BlockedResponse):
        status = 403
    return jsonify(model.model_dump(mode="json", by_alias=True)), status
