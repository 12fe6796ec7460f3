"""``/examples/``: the repository's browser examples, served from this server (issue 7).

``examples/websocket_test_client.html`` (seed 003's test client) must be served by devserver itself: the WebSocket
handshake accepts only this server's own pages and ``Settings.cors_origins`` (a page opened as a file sends the
Origin ``null``, which is refused), and the page keeps to the studio's CSP (its script and style are files).
Only the files listed in :data:`EXAMPLE_FILES` are served.
"""

from __future__ import annotations

from flask import Blueprint, send_from_directory

from devserver.errors import NotFoundError
from devserver.settings import PROJECT_ROOT

bp = Blueprint("examples", __name__, url_prefix="/examples")

EXAMPLES_DIR = PROJECT_ROOT / "examples"
EXAMPLE_FILES = {"websocket_test_client.html": "text/html", "websocket_test_client.js": "text/javascript",
                 "websocket_test_client.css": "text/css"}


@bp.get("/<name>")
def example_file(name: str):  # type: ignore[no-untyped-def]
    """One of :data:`EXAMPLE_FILES` (not cached: they are for trying things out)."""
    if name not in EXAMPLE_FILES or not (EXAMPLES_DIR / name).is_file():
        raise NotFoundError(f"no example named {name[:60]!r}", details={"available": sorted(EXAMPLE_FILES)})
    response = send_from_directory(EXAMPLES_DIR, name, mimetype=EXAMPLE_FILES[name], max_age=0)
    response.cache_control.no_cache = True
    return response
