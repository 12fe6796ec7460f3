"""Admin operations (DESIGN.md, "Admin operations"): bearer token, or loopback only when none is configured."""

from __future__ import annotations

import pytest
from flask import Blueprint

from devserver.api.auth import is_loopback, require_admin


def _app_with_admin_route(make_app, **settings):
    app = make_app(**settings)
    bp = Blueprint("admin_probe", __name__)

    @bp.post("/api/_admin_probe")
    @require_admin
    def probe():  # type: ignore[no-untyped-def]
        return {"status": "success"}

    app.register_blueprint(bp)
    return app


@pytest.mark.parametrize(("address", "expected"), [
    pytest.param("127.0.0.1", True, id="ipv4_loopback"),
    pytest.param("127.8.9.10", True, id="ipv4_loopback_net"),
    pytest.param("::1", True, id="ipv6_loopback"),
    pytest.param("::ffff:127.0.0.1", True, id="ipv4_mapped_loopback"),
    pytest.param("10.0.0.7", False, id="lan"),
    pytest.param("192.168.1.20", False, id="lan_192"),
    pytest.param("::ffff:10.0.0.7", False, id="ipv4_mapped_lan"),
    pytest.param("", False, id="empty"),
    pytest.param(None, False, id="none"),
    pytest.param("not-an-ip", False, id="garbage"),
])
def test_is_loopback(address, expected):
    assert is_loopback(address) is expected


def test_no_token_loopback_is_allowed(make_app):
    client = _app_with_admin_route(make_app).test_client()
    res = client.post("/api/_admin_probe", environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert res.status_code == 200, res.json


def test_no_token_other_address_is_403(make_app):
    client = _app_with_admin_route(make_app).test_client()
    res = client.post("/api/_admin_probe", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert res.status_code == 403
    assert res.json["error"]["code"] == "admin_only_from_this_machine"
    assert "DEVSERVER_ADMIN_TOKEN" in res.json["error"]["message"]


@pytest.mark.parametrize(("header", "reason"), [
    pytest.param(None, "missing", id="missing"),
    pytest.param("Bearer ", "missing", id="empty_bearer"),
    pytest.param("Basic c2VjcmV0", "missing", id="basic_scheme"),
    pytest.param("Bearer wrong-token", "wrong", id="wrong"),
    pytest.param("Bearer s3cret-token-x", "wrong", id="longer"),
])
def test_token_configured_missing_or_wrong_is_401(make_app, header, reason):
    client = _app_with_admin_route(make_app, admin_token="s3cret-token").test_client()
    headers = {"Authorization": header} if header is not None else {}
    # loopback does not help when a token is configured
    res = client.post("/api/_admin_probe", headers=headers, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert res.status_code == 401
    assert res.json["status"] == "error"
    assert res.json["error"]["code"] == "admin_token_required"
    assert res.json["error"]["details"] == {"reason": reason}
    assert res.headers["WWW-Authenticate"].startswith("Bearer")
    assert "s3cret" not in res.get_data(as_text=True)


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_right_token_from_anywhere_is_allowed(make_app, scheme):
    client = _app_with_admin_route(make_app, admin_token="s3cret-token").test_client()
    res = client.post("/api/_admin_probe", headers={"Authorization": f"{scheme} s3cret-token"},
                      environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert res.status_code == 200
