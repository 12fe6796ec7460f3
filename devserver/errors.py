"""The ApiError family and the one place that turns errors into DESIGN.md's JSON error shape.

Services raise subclasses of :class:`ApiError`; :func:`register_error_handlers` turns them, pydantic
``ValidationError`` (422), werkzeug HTTP errors and unexpected exceptions (500, logged, no internals
leaked) into ``{"status": "error", "error": {"code", "message", "details"}}``.

This module imports Flask only inside :func:`register_error_handlers`, so services can raise
these errors without depending on Flask.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error with an HTTP status, a snake_case code and a human sentence.

    Attributes:
        status: HTTP status code (4xx/5xx).
        code: stable snake_case identifier clients can switch on.
        message: one human-readable sentence naming the bad value.
        details: JSON-serialisable extra facts (the offending field, the limit, ...).
    """

    status: int = 500
    code: str = "internal_error"
    headers: dict[str, str] = {}
    """Extra response headers (``WWW-Authenticate`` of a 401, ``Retry-After`` of a 429, ...)."""

    def __init__(self, message: str, *, details: dict[str, Any] | None = None, code: str | None = None,
                 status: int | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}
        if headers is not None:
            self.headers = headers
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status

    def to_dict(self) -> dict[str, Any]:
        """The JSON body: ``{"status": "error", "error": {"code", "message", "details"}}``."""
        return {"status": "error", "error": {"code": self.code, "message": self.message, "details": self.details}}


class BadRequestError(ApiError):
    """400: the request cannot be understood (not JSON, wrong shape)."""

    status = 400
    code = "bad_request"


class InvalidIdError(ApiError):
    """400: a run_id/image_id is not a UUID4 string (checked before any filesystem access)."""

    status = 400
    code = "invalid_id"


class UnsupportedMediaTypeError(ApiError):
    """415: the request body or uploaded file has a type the endpoint does not take."""

    status = 415
    code = "unsupported_media_type"


class RequestValidationError(ApiError):
    """422: the body parsed but a field is missing or out of range."""

    status = 422
    code = "validation_error"


class NotFoundError(ApiError):
    """404: generic not-found."""

    status = 404
    code = "not_found"


class RunNotFoundError(NotFoundError):
    """404: no run folder for this run_id."""

    code = "run_not_found"


class MediaNotFoundError(NotFoundError):
    """404: the run exists but has no media at this index."""

    code = "media_not_found"


class UploadNotFoundError(NotFoundError):
    """404: no stored upload for this image_id."""

    code = "upload_not_found"


class ConfigNotFoundError(NotFoundError):
    """404: no interception config with this id."""

    code = "config_not_found"


class OutputConfigNotFoundError(NotFoundError):
    """404: no output config with this id."""

    code = "output_config_not_found"


class OutputConfigUnavailableError(ApiError):
    """409: the output config exists but its weights are not on disk (and downloads are off)."""

    status = 409
    code = "output_config_unavailable"


class UploadTooLargeError(ApiError):
    """413: the uploaded file is larger than the configured limit."""

    status = 413
    code = "upload_too_large"


class UploadInvalidError(ApiError):
    """400: the uploaded file is not a decodable png/jpeg/webp image (or is a decompression bomb)."""

    status = 400
    code = "upload_invalid"


class LlmUnavailableError(ApiError):
    """503: the configured LLM server cannot be reached."""

    status = 503
    code = "llm_unavailable"


class LlmTimeoutError(ApiError):
    """504: the LLM server did not answer within the timeout."""

    status = 504
    code = "llm_timeout"


class LlmResponseError(ApiError):
    """502: the LLM server answered with an error status or an unparseable body."""

    status = 502
    code = "llm_bad_response"


class GenerationError(ApiError):
    """500: the diffusers pipeline failed."""

    status = 500
    code = "generation_failed"


class GenerationCanceledError(ApiError):
    """409: the run was canceled (raised from the diffusion step callback; no image is written)."""

    status = 409
    code = "canceled"


class ConflictError(ApiError):
    """409: the request conflicts with the current state (e.g. canceling a finished run)."""

    status = 409
    code = "conflict"


class AdminAuthError(ApiError):
    """401: an admin operation without the right ``Authorization: Bearer <DEVSERVER_ADMIN_TOKEN>`` header."""

    status = 401
    code = "admin_token_required"
    headers = {"WWW-Authenticate": 'Bearer realm="devserver admin"'}


class ForbiddenError(ApiError):
    """403: the request is understood but not allowed from this client (e.g. admin operations from another
    machine while no admin token is configured)."""

    status = 403
    code = "forbidden"


class StorageUnavailableError(ApiError):
    """503: the server cannot read or write its own storage (the queue database; e.g. the disk is full)."""

    status = 503
    code = "storage_unavailable"
    headers = {"Retry-After": "30"}


class QueueUnavailableError(ApiError):
    """503: the job queue's broker (Redis, with the Celery backend) cannot be reached; nothing was queued."""

    status = 503
    code = "queue_unavailable"


class ServerStoppingError(ApiError):
    """503: the server is shutting down; a synchronous call's run was interrupted or left to finish without it."""

    status = 503
    code = "server_stopping"


class Detached(Exception):
    """Not an API error: a remote generation backend stops following a job because the server stops; the GPU
    worker goes on and the next start of the web node picks the result up (``devserver.jobs.remote``)."""


class SchemaFileError(Exception):
    """A JSON file under schemas/ is broken; raised at start-up with file and field in the message."""

    def __init__(self, path: str, field: str, problem: str) -> None:
        super().__init__(f"{path}: field '{field}': {problem}")
        self.path = path
        self.field = field
        self.problem = problem


EXCERPT_CHARS = 60
"""Longest excerpt of a client's value echoed in an error, in characters."""
MAX_LISTED_ERRORS = 10
"""Most validation errors listed in ``details.errors``; ``details.count`` says how many there were."""


def excerpt(value: str, limit: int = EXCERPT_CHARS) -> str:
    """A short, escaped excerpt of a client's text for an error: at most `limit` characters (after escaping),
    then "…" if cut; control characters, lone surrogates and other unprintable characters are written as
    ``\\uXXXX``.

    Example: ``excerpt("a" * 1000, 5)`` -> ``"aaaaa…"``.
    """
    out: list[str] = []
    length = 0
    for index, ch in enumerate(value):
        piece = ch if ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF else f"\\u{ord(ch):04x}"
        if length + len(piece) > limit:
            return "".join(out) + "…"
        out.append(piece)
        length += len(piece)
        if index >= limit:
            break
    return "".join(out) + ("…" if len(value) > len(out) else "")


def _field(loc: Any) -> str:
    """A pydantic error location as a dotted field name, shortened to 100 characters."""
    return excerpt(".".join(str(p) for p in loc), 100) if loc else ""


def validation_details(exc: Any) -> dict[str, Any]:
    """Turn a pydantic ``ValidationError`` into JSON details: ``{"errors": [{"field", "message", "input"}], "count"}``.

    Inputs are echoed as short escaped excerpts (:func:`excerpt`), never whole, so an error body stays small
    whatever the request held; objects and lists are not echoed (None).

    Args:
        exc: a ``pydantic.ValidationError``.
    Returns:
        details dict with at most :data:`MAX_LISTED_ERRORS` errors and their total ``count``.
    """
    errors = []
    all_errors = exc.errors(include_url=False, include_context=False)
    for err in all_errors[:MAX_LISTED_ERRORS]:
        value = err.get("input")
        if isinstance(value, str):
            value = excerpt(value)
        elif isinstance(value, float) and (value != value or abs(value) == float("inf")):
            value = str(value)  # NaN and infinity are not JSON
        elif not isinstance(value, (int, float, bool, type(None))):
            value = None
        errors.append({"field": _field(err.get("loc", ())) or "(body)", "message": excerpt(err.get("msg", ""), 200),
                       "input": value})
    return {"errors": errors, "count": len(all_errors)}


def validation_message(exc: Any) -> str:
    """One sentence summarising a pydantic ``ValidationError`` (first error, with its field)."""
    errs = exc.errors(include_url=False, include_context=False)
    if not errs:
        return "Invalid request."
    first = errs[0]
    field = _field(first.get("loc", ())) or "body"
    msg = excerpt(first.get("msg", "invalid value"), 200)
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    more = f" (and {len(errs) - 1} more)" if len(errs) > 1 else ""
    return f"{field}: {msg}{more}"


def register_error_handlers(app: Any) -> None:
    """Install JSON error handlers on a Flask app.

    ApiError -> its status; pydantic ValidationError -> 422; werkzeug HTTPException -> its code
    (413 from MAX_CONTENT_LENGTH included); anything else -> 500 with a generic message (logged).
    """
    from flask import jsonify
    from pydantic import ValidationError
    from werkzeug.exceptions import HTTPException

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):  # type: ignore[no-untyped-def]
        return jsonify(exc.to_dict()), exc.status, exc.headers

    @app.errorhandler(ValidationError)
    def _validation_error(exc: ValidationError):  # type: ignore[no-untyped-def]
        err = RequestValidationError(validation_message(exc), details=validation_details(exc))
        return jsonify(err.to_dict()), err.status

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):  # type: ignore[no-untyped-def]
        code = (exc.name or "http_error").lower().replace(" ", "_").replace("'", "")
        status = exc.code or 500
        message = exc.name if status == 400 else (exc.description or exc.name)  # werkzeug 400s may echo input
        details: dict[str, Any] = {}
        if status == 413:
            from flask import has_request_context, request

            limit = request.max_content_length if has_request_context() else app.config.get("MAX_CONTENT_LENGTH")
            code = "upload_too_large"
            message = f"The request body is larger than the limit of {limit} bytes."
            details = {"limit_bytes": limit}
        body = {"status": "error", "error": {"code": code, "message": message, "details": details}}
        response = jsonify(body)
        response.status_code = status
        valid_methods = getattr(exc, "valid_methods", None)
        if status == 405 and valid_methods:
            response.headers["Allow"] = ", ".join(valid_methods)
        return response

    @app.errorhandler(sqlite3.Error)
    def _storage(exc: sqlite3.Error):  # type: ignore[no-untyped-def]
        log.error("queue database failed: %r", exc)
        err = StorageUnavailableError("The server cannot use its storage right now (is the disk full?). "
                                      "Try again in a moment.", details={"exception_type": type(exc).__name__})
        return jsonify(err.to_dict()), err.status, err.headers

    @app.errorhandler(RecursionError)
    def _too_deep(exc: RecursionError):  # type: ignore[no-untyped-def]
        log.warning("request needed too deep a recursion: %s", type(exc).__name__)
        err = BadRequestError("the request is nested too deeply to be processed", code="json_too_deep")
        return jsonify(err.to_dict()), err.status

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):  # type: ignore[no-untyped-def]
        log.exception("unhandled error")
        body = {"status": "error", "error": {"code": "internal_error",
                                             "message": "An unexpected error occurred on the server.",
                                             "details": {}}}
        return jsonify(body), 500
