"""The OpenAPI 3.1 document of the HTTP API, generated from the pydantic contracts with spectree (issue 7).

Why spectree (https://github.com/0b01001001/spectree, v3): it annotates plain Flask routes of existing
blueprints with a decorator, turns pydantic v2 models into OpenAPI 3.1 components (pydantic's own JSON Schema,
draft 2020-12, which OpenAPI 3.1 uses unchanged), and discovers paths and path parameters from the Flask
``url_map``. flask-openapi3 would replace ``Flask`` and every blueprint with its own classes and validate
requests itself (another error shape); apispec needs YAML in docstrings or hand-written path dicts. Here
spectree only documents: :class:`_DocumentingPlugin` turns its request/response validation off, so the routes
keep parsing with :func:`devserver.api._io.parse_json` and answer the JSON error shape of DESIGN.md.

How to document a route (one line above the route function, below ``@bp.get/post``)::

    @bp.post("/pipeline/execute")
    @documented(json=ExecuteRequest, responses={200: ExecuteResponse, 202: QueuedResponse, 403: BlockedResponse})
    def execute(): ...

``responses`` maps statuses to response models (None: no body); the common errors (400, 404, 405, 413, 415,
422 and, for POSTs, 403 origin_not_allowed and 429) are added as :class:`ErrorResponse` automatically; ``media``
names non-JSON bodies (``{200: "image/png"}``). ``admin=True`` marks an admin operation (``require_admin``): it adds
401 and 403 and the ``adminToken`` security requirement (``Authorization: Bearer <DEVSERVER_ADMIN_TOKEN>``).
``body_required=False`` says an empty body is allowed (the body model's defaults apply). A path parameter needs an
entry in :data:`PATH_PARAMETERS` (its real schema: what the route accepts); a route that reads ``request.args``
documents them with a ``query`` model, best the one it parses them with (:func:`devserver.api._io.parse_query`).
tests/api/test_openapi.py fails when an ``/api`` route of the Flask url_map is not documented, and
``devserver contracts export --check`` when ``schemas/openapi.json`` is stale. The document is served at
``GET /api/openapi.json``, a Swagger UI page at ``GET /api/docs`` (self-hosted assets from the offapi package, no
CDN, no inline script: it runs under the studio's CSP).
"""

from __future__ import annotations

import copy
import json
import re
import threading
from collections.abc import Callable
from importlib import resources
from typing import Any

from flask import Blueprint, Flask, Response, current_app
from pydantic import BaseModel, Field
from spectree import Response as SpecResponse
from spectree import SpecTree
from spectree.plugins.flask_plugin import FlaskPlugin

from devserver import __version__
from devserver.contracts.api import UUID4_PATTERN, ErrorResponse
from devserver.contracts.http_params import MODEL_ID_SEGMENT, MODEL_ROUTE_WORDS
from devserver.contracts.models import MODEL_NAME_MAX_CHARS
from devserver.contracts.schema_files import ID_PATTERN
from devserver.errors import NotFoundError

OPENAPI_PATH = "/api/openapi.json"
DOCS_PATH = "/api/docs"

COMMON_ERRORS = (400, 404, 405, 413, 415, 422, 503)
"""Error statuses any route may answer (bad request, unknown path or id, wrong method, body too large, wrong
content type, validation, storage unavailable), documented as ErrorResponse on every operation."""
POST_ERRORS = (403, 409, 429)
"""Additional statuses of state-changing routes: origin_not_allowed, conflicts, queue_full."""
PATH_PARAMETERS = {
    "run_id": {"type": "string", "pattern": UUID4_PATTERN, "description": "A run's id (UUID4)."},
    "image_id": {"type": "string", "pattern": UUID4_PATTERN, "description": "An upload's id (UUID4)."},
    "config_id": {"type": "string", "description": "An interception config id, e.g. bauhaus."},
    "index": {"type": "integer", "minimum": 0, "description": "0-based index of the image within its run."},
    "output_config_id": {"type": "string", "pattern": ID_PATTERN,
                         "description": "An output config id (GET /api/schema/output-configs), e.g. tiny_sd."},
    "job_id": {"type": "string", "pattern": UUID4_PATTERN,
               "description": "A job's id (UUID4): a job of POST /v1/jobs, or a model job (the job_id of a 202 "
                               "answer; a run_id of the shared queue)."},
    "model_id": {"type": "string", "minLength": 1, "maxLength": MODEL_NAME_MAX_CHARS,
                 "pattern": f"^{MODEL_ID_SEGMENT}$",
                 "description": "A registry model id (GET /api/models lists them, e.g. tiny-sd or "
                                "loras:tiny-lora.safetensors) or one of its aliases (an output config id, a metadata "
                                "alias; aliases are matched case-insensitively). Aliases holding '/' (Hugging Face "
                                "ids) cannot be named in a URL path: use the registry id; "
                                f"{', '.join(MODEL_ROUTE_WORDS)} are operations of their own.",
                 "examples": ["tiny-sd", "loras:tiny-lora.safetensors", "vae:tiny-vae"]},
    "name": {"type": "string", "description": "A file of the documentation page, e.g. swagger-ui.css."},
}
"""Schemas of the path parameters, by name (spectree derives only the type from the Flask converter)."""
URI_TOO_LONG = {
    "description": "URI Too Long: the request line is longer than the HTTP server accepts (devserver serve: "
                   "4094 bytes, gunicorn's limit_request_line); answered by the HTTP server itself, as HTML.",
    "content": {"text/html": {"schema": {"type": "string"}}}}
"""The 414 of operations with query parameters (long query strings, e.g. many long search tags)."""
ADMIN_SCHEME = "adminToken"
ADMIN_SECURITY_SCHEME = {
    "type": "http", "scheme": "bearer",
    "description": "The admin token (DESIGN.md, \"Admin operations\"): `Authorization: Bearer "
                   "<DEVSERVER_ADMIN_TOKEN>`; missing or wrong: 401 admin_token_required. With no token configured, "
                   "admin operations are allowed only from the server machine itself (loopback), 403 "
                   "admin_only_from_this_machine from anywhere else."}
"""The OpenAPI security scheme of admin operations (``documented(admin=True)``)."""

DESCRIPTION = """The HTTP API of devserver, a local web studio for arts education (DESIGN.md, "HTTP contract").

Every JSON answer carries `status`. Errors: `{"status": "error", "error": {"code", "message", "details"}}`.
A safety block is HTTP 403 `BlockedResponse` (stage 1 and 3c check texts, 4 the generated image).

Not described as operations: the WebSocket `/api/v1/ws/progress` (seed 003: send `{"type": "subscribe",
"job_ids": [...] | null}`; `null`, every run, is for admins: the `Authorization` header when connecting or a
`"token"` field; every server message is `{"type", "timestamp", "data": {...}}`; the message models are
`WsProgressUpdate`, `WsGenerationComplete`, ... in schemas/json/), and the studio's own pages."""


class _DocumentingPlugin(FlaskPlugin):
    """spectree's Flask plugin with its request/response validation off: the decorator only documents."""

    def validate(self, func: Callable, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        # spectree passes its 11 own arguments first, then the view's arguments
        view_args, view_kwargs = args[11:], kwargs
        return func(*view_args, **view_kwargs)


_spec = SpecTree(
    "flask", backend=_DocumentingPlugin, mode="strict", annotations=False, title="devserver API",
    version=__version__, description=DESCRIPTION, path="apidoc", validation_error_model=ErrorResponse,
    naming_strategy=lambda model: model.__name__, nested_naming_strategy=lambda _parent, child: child)
"""The declaration registry: which route documents which models (no per-app state: the document is built from the
current app's url_map on request)."""

_GENERATE_LOCK = threading.Lock()
_MEDIA: dict[str, dict[int, str | dict[str, Any]]] = {}
"""Non-JSON response bodies per view function (qualified name): status -> media type."""
_OPERATION_EXTRAS: dict[str, dict[str, Any]] = {}
"""Per view function (qualified name): what spectree does not write itself (``admin``, ``body_required``)."""


def documented(*, responses: dict[int, type[BaseModel] | None], json: type[BaseModel] | None = None,
               query: type[BaseModel] | None = None, headers: type[BaseModel] | None = None,
               form: type[BaseModel] | None = None, media: dict[int, str | dict[str, Any]] | None = None,
               tags: list[str] | None = None, admin: bool = False,
               body_required: bool = True) -> Callable[[Callable], Callable]:
    """Document a Flask route in the OpenAPI document (see the module docstring for an example).

    Args:
        responses: status -> response model (None for a body that is not a model, see `media`).
        json / query / headers / form: request models.
        media: status -> media type of non-JSON bodies ("image/png", "text/html"), or ``{media type: JSON Schema}``
            where the body has a structure (Server-Sent Events: one schema per event).
        tags: grouping in the docs page; default: the blueprint's name.
        admin: an admin operation (``require_admin``): adds 401 and 403 (ErrorResponse) and the
            :data:`ADMIN_SCHEME` security requirement.
        body_required: False where an empty body is accepted (the `json` model's defaults apply).
    Returns:
        a decorator that returns a view which behaves exactly like the undecorated one.
    """
    errors = COMMON_ERRORS + (POST_ERRORS if json is not None or form is not None else ())
    errors += (401, 403) if admin else ()
    codes: dict[str, Any] = {f"HTTP_{status}": ErrorResponse for status in errors}
    codes.update({f"HTTP_{status}": model for status, model in responses.items()})

    def decorate(func: Callable) -> Callable:
        key = f"{func.__module__}.{func.__qualname__}"
        if media:
            _MEDIA[key] = media
        _OPERATION_EXTRAS[key] = {"admin": admin, "body_required": body_required}
        wrapped = _spec.validate(json=json, query=query, headers=headers, form=form, resp=SpecResponse(**codes),
                                 tags=tags or [func.__module__.rsplit(".", 1)[-1]], skip_validation=True)(func)
        return wrapped

    return decorate


def is_documented(view: Callable) -> bool:
    """Whether a view function was annotated with :func:`documented`."""
    return _spec.get_function_metadata(view) is not None


def undocumented_routes(app: Flask) -> list[str]:
    """``"METHOD /api/path"`` of every ``/api`` (and ``/v1``, the seed-002 job API) route of `app` that is not
    annotated with :func:`documented` (WebSocket routes excepted: OpenAPI cannot describe them; the document's
    description points to them)."""
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(("/api", "/v1")) or getattr(rule, "websocket", False):
            continue
        if not is_documented(app.view_functions[rule.endpoint]):
            missing += [f"{method} {rule.rule}" for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})]
    return missing


def build_openapi(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3.1 document of `app`'s documented routes (deterministic: sorted, no host names).

    Raises:
        nothing at run time; a route documented with an unknown model fails at import.
    """
    with _GENERATE_LOCK, app.app_context():
        # spectree lifts nested "$defs" out of its model registry while generating (once, by design); keep the
        # registry intact so every app (tests build many) gets the whole document
        models = copy.deepcopy(_spec.models)
        try:
            spec = copy.deepcopy(_spec._generate_spec())
        finally:
            _spec.models = models
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            view = _view_for(app, path, method)
            key = f"{view.__module__}.{view.__qualname__}" if view is not None else ""
            for status, media_type in _MEDIA.get(key, {}).items():
                if isinstance(media_type, dict):  # {"text/event-stream": {schema}}
                    content = {name: {"schema": schema} for name, schema in media_type.items()}
                else:
                    schema = {"type": "string", "format": "binary"} if media_type.startswith("image/") else {
                        "type": "string"}
                    content = {media_type: {"schema": schema}}
                operation["responses"][str(status)]["content"] = content
            extras = _OPERATION_EXTRAS.get(key, {})
            if extras.get("admin"):
                operation["security"] = [{ADMIN_SCHEME: []}]
                spec["components"].setdefault("securitySchemes", {})[ADMIN_SCHEME] = ADMIN_SECURITY_SCHEME
            if "requestBody" in operation and not extras.get("body_required", True):
                operation["requestBody"]["required"] = False
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["name"] in PATH_PARAMETERS:
                    known = dict(PATH_PARAMETERS[parameter["name"]])
                    parameter["description"] = known.pop("description")
                    parameter["schema"] = known
                elif parameter["in"] in ("query", "header"):
                    parameter["schema"] = _not_null(parameter["schema"])
                if parameter["in"] == "query" and parameter["schema"].get("type") == "array":
                    # parse_query takes ids=a,b as well as ids=a&ids=b; the comma form keeps long lists (100 run
                    # ids) within the HTTP server's request-line limit
                    parameter.update(style="form", explode=False)
            if any(parameter["in"] == "query" for parameter in operation.get("parameters", [])):
                operation["responses"]["414"] = URI_TOO_LONG
            operation["operationId"] = f"{method}{path}".replace("/", "_").replace("{", "").replace("}", "") \
                .replace("-", "_")
    _prefix_items(spec)
    spec["paths"] = dict(sorted(spec["paths"].items()))
    spec["components"]["schemas"] = dict(sorted(spec["components"]["schemas"].items()))
    if not spec.get("security"):
        spec.pop("security", None)
    return spec


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query or header parameter is a string or absent, never JSON null: drop pydantic's ``anyOf [.., null]``."""
    options = [option for option in schema.get("anyOf", []) if option.get("type") != "null"]
    if len(options) != 1:
        return schema
    plain = {**options[0], **{k: v for k, v in schema.items() if k not in ("anyOf", "default")}}
    return plain


def _prefix_items(node: Any) -> None:
    """Tuples in a form every OpenAPI 3.1 tool reads: a tuple of one item type (``[width, height]``) becomes
    ``items`` + ``minItems``/``maxItems``; others keep JSON Schema 2020-12's ``prefixItems`` (spectree's deep copy
    writes the draft-07 array form of ``items``, which OpenAPI 3.1 does not allow)."""
    stack = [node]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            tuple_items = value.pop("prefixItems", None) or (value.pop("items") if isinstance(value.get("items"), list)
                                                             else None)
            if tuple_items is not None:
                if all(item == tuple_items[0] for item in tuple_items):
                    value["items"] = tuple_items[0]
                else:
                    value["prefixItems"] = tuple_items
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)


_RULE_VARIABLE = re.compile(r"<(?:[^<>:]+:)?([^<>:]+)>")
"""A variable of a Flask rule, with or without its converter (``<run_id>``, ``<int:index>``, ``<model_id:...>``)."""


def _view_for(app: Flask, path: str, method: str) -> Callable | None:
    """The view function behind an OpenAPI path (``/api/runs/{run_id}``) and method."""
    for rule in app.url_map.iter_rules():
        rule_path = _RULE_VARIABLE.sub(r"{\1}", rule.rule)  # /<int:index> -> /{index}
        if rule_path == path and method.upper() in (rule.methods or ()):
            return app.view_functions[rule.endpoint]
    return None


def openapi_text(app: Flask) -> str:
    """The document as the text of ``schemas/openapi.json`` (pretty, sorted keys, trailing newline)."""
    return json.dumps(build_openapi(app), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# --- serving -----------------------------------------------------------------------------------------------

bp = Blueprint("apidocs", __name__, url_prefix="/api")  # spectree skips endpoints named "openapi*"

DOCS_ASSETS = {"swagger-ui.css": ("swagger_style.css", "text/css"),
               "swagger-ui-bundle.js": ("swagger_bundle.js", "text/javascript")}
"""Swagger UI 5 files shipped by the offapi package (https://github.com/kemingy/offapi), served from here."""

DOCS_INIT_JS = """// Starts Swagger UI on /api/openapi.json (a file, not an inline script: the CSP allows only 'self').
window.addEventListener("DOMContentLoaded", function () {
  window.ui = SwaggerUIBundle({
    url: "/api/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    validatorUrl: null
  });
});
"""

DOCS_HTML = """<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>devserver API</title>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="/api/docs/assets/swagger-ui.css">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/api/docs/assets/swagger-ui-bundle.js"></script>
    <script src="/api/docs/assets/init.js"></script>
  </body>
</html>
"""


class OpenApiDocument(BaseModel):
    """The OpenAPI 3.1 document (https://spec.openapis.org/oas/v3.1.0)."""

    model_config = {"extra": "allow"}

    openapi: str = Field(description="OpenAPI version: 3.1.0.")
    info: dict[str, Any] = Field(description="Title, version and description of the API.")
    paths: dict[str, Any] = Field(description="The operations by path.")


@bp.get("/openapi.json")
@documented(responses={200: OpenApiDocument}, tags=["docs"])
def openapi_json():  # type: ignore[no-untyped-def]
    """This document: OpenAPI 3.1, generated from the pydantic contracts."""
    cached = current_app.extensions.setdefault("devserver_openapi", {})
    if "text" not in cached:
        cached["text"] = openapi_text(current_app)  # type: ignore[arg-type]
    return Response(cached["text"], mimetype="application/json")


@bp.get("/docs")
@documented(responses={200: None}, media={200: "text/html"}, tags=["docs"])
def docs_page():  # type: ignore[no-untyped-def]
    """The API documentation page (Swagger UI, self-hosted)."""
    return Response(DOCS_HTML, mimetype="text/html")


@bp.get("/docs/assets/<name>")
@documented(responses={200: None}, media={200: "application/octet-stream"}, tags=["docs"])
def docs_asset(name: str):  # type: ignore[no-untyped-def]
    """A file of the documentation page (Swagger UI's script and style, and the page's start script)."""
    if name == "init.js":
        return Response(DOCS_INIT_JS, mimetype="text/javascript", headers={"Cache-Control": "no-cache"})
    if name not in DOCS_ASSETS:
        raise NotFoundError(f"no documentation asset named {name[:40]!r}", details={"name": name[:40]})
    file_name, mimetype = DOCS_ASSETS[name]
    text = (resources.files("offapi") / file_name).read_text(encoding="utf-8")
    return Response(text, mimetype=mimetype, headers={"Cache-Control": "public, max-age=86400"})
