"""Non-/api GET paths serve the SPA with history-mode fallback and cache headers."""

from __future__ import annotations

import pytest


@pytest.fixture
def dist(tmp_path):
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html><div id=app></div>")
    (root / "assets" / "index-abc123.js").write_text("console.log(1)")
    (root / "favicon.svg").write_text("<svg/>")
    return root


def test_spa_fallback_and_caching(make_app, dist):
    client = make_app(frontend_dist=dist).test_client()
    for path in ("/", "/text-transformation", "/image-transformation", "/some/deep/route"):
        res = client.get(path)
        assert res.status_code == 200 and b'id=app' in res.data
        assert "no-cache" in res.headers["Cache-Control"]
    asset = client.get("/assets/index-abc123.js")
    assert asset.status_code == 200 and "immutable" in asset.headers["Cache-Control"]
    assert client.get("/favicon.svg").status_code == 200
    assert client.get("/assets/missing.js").status_code == 404
    assert client.get("/api/unknown").get_json()["error"]["code"] == "not_found"


def test_unbuilt_frontend_explains(make_app, tmp_path):
    res = make_app(frontend_dist=tmp_path / "nothing").test_client().get("/")
    assert res.status_code == 503 and b"make run" in res.data
