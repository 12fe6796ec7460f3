"""Response headers and the cross-site request check, applied to every request of the app (issue 7).

Headers on every response (OWASP Secure Headers Project, https://owasp.org/www-project-secure-headers/):

- ``Content-Security-Policy``: scripts, styles, fonts and connections only from this server, images also as
  ``data:``/``blob:`` (the favicon and previews), no plugins, no ``<base>``, forms only to this server, and
  ``frame-ancestors 'none'`` (no other page may frame the studio: clickjacking). The built studio has no
  inline scripts or styles (Vite emits files; Vue sets styles through the DOM, which CSP allows), so it runs
  under this policy unchanged; ``connect-src 'self'`` covers the same-origin WebSocket (CSP Level 3).
- ``X-Content-Type-Options: nosniff`` (media and JSON are never re-interpreted as HTML or script),
  ``X-Frame-Options: DENY`` (frame-ancestors for old browsers), ``Referrer-Policy: no-referrer`` (run ids in
  URLs never leave in a Referer), ``Cross-Origin-Opener-Policy: same-origin``.

Cross-site requests: a browser sends a "simple" POST (a form, a multipart upload) to any site without a CORS
preflight, so CORS alone does not stop another page from starting runs or uploading photos. Every
state-changing request (POST, PUT, PATCH, DELETE) whose ``Origin`` header is neither this server nor one of
``Settings.cors_origins`` is refused with 403 ``origin_not_allowed`` before the route runs. Requests without an
``Origin`` (curl, scripts, the worker, server-to-server calls) pass: browsers always send it on cross-site
POSTs (https://fetch.spec.whatwg.org/#origin-header).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, request

from devserver.errors import ApiError, excerpt

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
"""The studio's Content-Security-Policy (https://www.w3.org/TR/CSP3/)."""

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}
"""Headers set on every response."""

STATE_CHANGING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class OriginNotAllowedError(ApiError):
    """403: a state-changing request (or a WebSocket handshake) from a web page of another origin."""

    status = 403
    code = "origin_not_allowed"


def origin_allowed(origin: str | None, host: str, allowed: list[str]) -> bool:
    """Whether a request with this ``Origin`` header may change state.

    Args:
        origin: the header's value; None when the client sent none (not a browser page).
        host: the request's ``Host`` (``request.host``, e.g. ``127.0.0.1:17802``).
        allowed: ``Settings.cors_origins``.
    Returns:
        True without an Origin, for this server's own pages (same host and port) and for listed origins.
    """
    if origin is None:
        return True
    return urlsplit(origin).netloc == host or origin in allowed


def check_origin(allowed: list[str]) -> None:
    """Raise for a request whose Origin is not allowed (see :func:`origin_allowed`).

    Raises:
        OriginNotAllowedError (403).
    """
    origin = request.headers.get("Origin")
    if not origin_allowed(origin, request.host, allowed):
        shown = excerpt(origin or "", 100)
        raise OriginNotAllowedError(f"requests from the web page at {shown!r} are not allowed to change anything "
                                    "on this server", details={"origin": shown})


def register_security(app: Flask, cors_origins: list[str]) -> None:
    """Install the origin check (before every state-changing request) and the headers (after every request)."""

    @app.before_request
    def _refuse_cross_site_changes() -> None:
        if request.method in STATE_CHANGING_METHODS:
            check_origin(cors_origins)

    @app.after_request
    def _security_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response
