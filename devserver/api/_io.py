"""Request parsing and response helpers shared by the blueprints (thin: parse -> service -> serialize)."""

from __future__ import annotations

import json
from types import UnionType
from typing import Any, TypeVar, Union, get_args, get_origin

from flask import Response, jsonify, request
from pydantic import AliasChoices, BaseModel

from devserver.contracts.api import BlockedResponse
from devserver.errors import BadRequestError, RequestValidationError, UnsupportedMediaTypeError, excerpt

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


def parse_json(model: type[M], *, path_fields: dict[str, Any] | None = None, optional: bool = False) -> M:
    """Parse the request body as JSON into `model`.

    Args:
        model: the request model.
        path_fields: values from the URL's path (e.g. ``{"model_id": ...}``) that complete the body; the body
            must not name them itself (by field name or alias): the URL says which resource is meant.
        optional: an empty body is allowed and means ``{}`` (the model's defaults).
    Raises:
        UnsupportedMediaTypeError (415): Content-Type is not application/json.
        BadRequestError (400): the body is not valid JSON (code "bad_request"), nested too deeply
            ("json_too_deep"), holds lone surrogates ("invalid_unicode") or is not a JSON object.
        RequestValidationError (422): the body names a path field.
        pydantic.ValidationError (-> 422): a field is missing, has another JSON type than the schema says
            (validated in pydantic's strict JSON mode: no "5" for 5, no 1 for true) or is out of range.
    """
    raw = request.get_data(cache=True)
    if optional and not raw:
        data: Any = {}
    else:
        data = _json_object(raw)
    if not path_fields:
        # strict JSON mode: a JSON type the schema does not allow is refused ("5" for an integer, 1 for a boolean)
        return model.model_validate_json(raw or b"{}", strict=True)
    for field in path_fields:
        _refuse_path_field(model, field, data)
    return model.model_validate_json(json.dumps({**data, **path_fields}), strict=True)


def _json_object(raw: bytes) -> dict[str, Any]:
    """The request body as a checked JSON object (see :func:`parse_json` for the errors raised)."""
    if not request.is_json:
        got = excerpt(request.mimetype or "none")
        raise UnsupportedMediaTypeError(
            f"the request body must be JSON (Content-Type: application/json), got {got!r}",
            details={"content_type": excerpt(request.mimetype or "", 80)})
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
    return data


def parse_query(model: type[M], *, path_fields: dict[str, Any] | None = None) -> M:
    """Parse the query string into `model` (the same model documents the query in the OpenAPI document).

    A list field takes repeated and comma-separated values (``?ids=a&ids=b``, ``?ids=a,b``; blank items are
    dropped, a list parameter with no value at all is a 422); another field repeated takes its last value.
    Values are strings converted by pydantic's lax mode ("2" -> 2, "true" -> True).

    Args:
        model: the query model (extra parameters forbidden by its config are a 422).
        path_fields: values from the URL's path that complete the query; the query must not name them.
    Raises:
        RequestValidationError (422): the query names a path field, or a list parameter is empty.
        pydantic.ValidationError (-> 422): a value is missing, of the wrong type or out of range.
    """
    data: dict[str, Any] = {}
    list_names = {name for field, info in model.model_fields.items() if _is_list(info.annotation)
                  for name in _input_names(model, field)}
    for key in request.args:
        values = request.args.getlist(key)
        if key in list_names:
            data[key] = [part.strip() for value in values for part in value.split(",") if part.strip()]
            if not data[key]:  # "?tags=": neither a value nor clearly "no filter"; say so instead of guessing
                raise RequestValidationError(
                    f"{excerpt(key, 40)}: give one or more values (comma-separated or repeated), or leave the "
                    "parameter out", details={"errors": [{"field": excerpt(key, 40), "message": "empty list parameter",
                                                          "input": ""}], "count": 1})
        else:
            data[key] = values[-1]
    for field in path_fields or {}:
        _refuse_path_field(model, field, data)
    return model.model_validate({**data, **(path_fields or {})})


def _is_list(annotation: Any) -> bool:
    """Whether a field's type is a list (``list[X]`` or ``list[X] | None``)."""
    if get_origin(annotation) is list:
        return True
    return get_origin(annotation) in (Union, UnionType) and any(get_origin(arg) is list
                                                                for arg in get_args(annotation))


def _refuse_path_field(model: type[BaseModel], field: str, data: dict[str, Any]) -> None:
    named = sorted(_input_names(model, field) & set(data))
    if named:
        raise RequestValidationError(
            f"{named[0]}: the URL names the {field.removesuffix('_id')}; leave {named[0]!r} out of the request",
            details={"errors": [{"field": named[0], "message": "given by the URL path", "input": None}], "count": 1})


def _input_names(model: type[BaseModel], field: str) -> set[str]:
    """Every key that fills `field` of `model` in input: its name and its validation aliases."""
    alias = model.model_fields[field].validation_alias
    choices = alias.choices if isinstance(alias, AliasChoices) else [alias] if alias is not None else []
    return {field} | {choice for choice in choices if isinstance(choice, str)}


def json_object() -> dict[str, Any]:
    """The request body as a JSON object of any shape (for endpoints that dispatch on its content themselves).

    Raises:
        UnsupportedMediaTypeError (415), BadRequestError (400): as :func:`parse_json`.
    """
    return _json_object(request.get_data(cache=True))


def respond(model: BaseModel, status: int = 200) -> tuple[Response, int]:
    """Serialize a response model; a BlockedResponse is always 403 (DESIGN.md)."""
    if isinstance(model, BlockedResponse):
        status = 403
    return jsonify(model.model_dump(mode="json", by_alias=True)), status
