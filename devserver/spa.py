"""Serving the built Vue SPA (frontend/dist) for every non-/api GET path.

Hashed files under ``/assets/`` are cached for a year (their names change with their content, as Vite
emits them); everything else falls back to ``index.html`` (history-mode routing) and is not cached.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, send_from_directory
from werkzeug.exceptions import NotFound
from werkzeug.routing import PathConverter

ASSET_MAX_AGE_S = 365 * 24 * 3600


class NonApiPathConverter(PathConverter):
    """A ``path`` that never starts with ``api/`` or ``v1/``: /api and /v1 URLs stay with the API's own routes, so
    an unknown one is a JSON 404 and a wrong method a JSON 405, never the SPA."""

    regex = r"(?!(?:api|v1)(?:/|$))[^/].*?"


def register_spa(app: Flask, dist: Path) -> None:
    """Add the catch-all route serving `dist` (which may not exist yet: then a 503 page explains)."""

    app.url_map.converters["non_api_path"] = NonApiPathConverter

    @app.get("/", defaults={"path": ""})
    @app.get("/<non_api_path:path>")
    def spa(path: str) -> Response:
        index = dist / "index.html"
        if not index.is_file():
            return Response(
                "<!doctype html><title>devserver</title><p>The studio UI is not built yet. "
                "Run <code>make run</code> (or <code>npm run build</code> in frontend/).</p>",
                status=503, mimetype="text/html")
        if path:
            try:
                response = send_from_directory(dist, path, max_age=0)
                response.cache_control.no_cache = None  # werkzeug's max_age=0 sets it; decided here instead
                response.cache_control.max_age = None
                if path.startswith("assets/"):
                    response.cache_control.max_age = ASSET_MAX_AGE_S
                    response.cache_control.public = True
                    response.cache_control.immutable = True
                else:
                    response.cache_control.no_cache = True
                return response
            except NotFound:
                if path.startswith("assets/"):
                    raise
        response = send_from_directory(dist, "index.html", max_age=0)
        response.cache_control.no_cache = True
        return response
