"""Admin operations: who may change the server for everyone (DESIGN.md, "Admin operations").

Model load/unload/optimize/benchmark/refresh/metadata, the teacher view's actions and the worker protocol's
admin actions over HTTP need ``Authorization: Bearer <DEVSERVER_ADMIN_TOKEN>``
(RFC 6750, https://datatracker.ietf.org/doc/html/rfc6750#section-2.1). A missing or wrong token is a 401
with a ``WWW-Authenticate: Bearer`` header. With no token configured, admin operations are allowed only
from loopback clients (127.0.0.1, ::1) and refused with 403 from any other address, so a fresh install on
a school machine is usable by the teacher sitting at it and by nobody else on the network.

Reading (lists, status, search) is open; learners' generation never needs a token.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import request

from devserver.errors import AdminAuthError, ForbiddenError
from devserver.services import get_services

F = TypeVar("F", bound=Callable[..., Any])

BEARER_PREFIX = "bearer "


def is_loopback(address: str | None) -> bool:
    """Whether `address` (``request.remote_addr``) is a loopback address (127.0.0.0/8, ::1, ::ffff:127.x)."""
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def check_admin() -> None:
    """Raise unless the current request may perform an admin operation.

    Raises:
        AdminAuthError (401, code "admin_token_required"): a token is configured and the request's bearer
            token is missing or wrong (compared in constant time).
        ForbiddenError (403, code "admin_only_from_this_machine"): no token is configured and the client is
            not a loopback address.
    """
    token = get_services().settings.admin_token
    if token is None:
        if not is_loopback(request.remote_addr):
            raise ForbiddenError(
                "Admin operations are allowed only from the server machine itself while no admin token is "
                "configured (set DEVSERVER_ADMIN_TOKEN to allow them from other machines).",
                code="admin_only_from_this_machine")
        return
    header = request.headers.get("Authorization", "")
    given = header[len(BEARER_PREFIX):].strip() if header.lower().startswith(BEARER_PREFIX) else ""
    if not given:
        raise AdminAuthError("This operation needs the admin token: send 'Authorization: Bearer <token>'.",
                             details={"reason": "missing"})
    if not is_admin_token(given):
        raise AdminAuthError("The admin token is wrong.", details={"reason": "wrong"})


def is_admin_token(given: str) -> bool:
    """Whether `given` is the configured admin token (compared in constant time); False when none is configured.

    For admin credentials that do not come as an ``Authorization`` header (the WebSocket's subscribe message:
    browsers cannot set headers on a WebSocket).
    """
    token = get_services().settings.admin_token
    if token is None:
        return False
    try:
        given_bytes = given.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from JSON: not the token
        return False
    return hmac.compare_digest(given_bytes, token.get_secret_value().encode("utf-8"))


def require_admin(view: F) -> F:
    """Route decorator: run :func:`check_admin` before the view (see the module docstring)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        check_admin()
        return view(*args, **kwargs)

    wrapper.requires_admin = True  # type: ignore[attr-defined]  # read by tests/api/test_openapi.py
    return wrapper  # type: ignore[return-value]


def is_admin_request() -> bool:
    """Whether the current request may perform admin operations (:func:`check_admin` would not raise)."""
    try:
        check_admin()
    except (AdminAuthError, ForbiddenError):
        return False
    return True
