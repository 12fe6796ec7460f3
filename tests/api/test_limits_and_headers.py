"""Limits, headers and retention (issue 7): the queue cap, the cross-site origin check, security headers and
caching, and the compaction of finished runs' per-step events."""

from __future__ import annotations

import io

import pytest
import requests

from devserver.contracts.api import GenerationRequestBody
from devserver.jobs.limits import QueueCap, QueueFullError, queue_cap_verdict, retry_after_s
from tests.api.conftest import SMALL, WAIT_S
from tests.support.images import make_png

EVIL = "http://evil.example"


# --- the queue cap -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("total", "for_client", "verdict"), [
    pytest.param(0, 0, None, id="empty"),
    pytest.param(119, 19, None, id="just-below-both"),
    pytest.param(119, 20, "client", id="client-full"),
    pytest.param(120, 0, "total", id="queue-full"),
    pytest.param(120, 20, "client", id="both-full-client-first"),
])
def test_queue_cap_policy(total: int, for_client: int, verdict: str | None) -> None:
    assert queue_cap_verdict(QueueCap(max_total=120, max_per_client=20), total, for_client) == verdict


@pytest.mark.parametrize(("durations", "ahead", "workers", "seconds"), [
    pytest.param([], 1, 1, 5, id="no-history-default"),
    pytest.param([2.0, 4.0, 100.0], 3, 1, 12, id="median-times-ahead"),
    pytest.param([10.0], 4, 2, 20, id="two-workers"),
    pytest.param([0.01], 1, 1, 1, id="at-least-one"),
    pytest.param([60.0], 100, 1, 300, id="at-most-five-minutes"),
])
def test_retry_after_estimate(durations, ahead: int, workers: int, seconds: int) -> None:
    assert retry_after_s(durations, ahead, workers) == seconds


def test_queue_cap_per_client_and_total(serve) -> None:
    server = serve(queue_max_jobs=4, queue_max_jobs_per_client=2)
    holder = server.hold()  # running: counts for this client
    body = {"prompt": "a fox", "language": "en", "parameters": SMALL, "async": True}
    assert server.post("/api/schema/pipeline/generation", body).status_code == 202
    refused = server.post("/api/schema/pipeline/generation", body)
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"]["code"] == "queue_full"
    assert refused.json()["error"]["details"]["limit"] == "client"
    assert 1 <= int(refused.headers["Retry-After"]) <= 300
    # reads are not limited; the cap counts only queued and running runs (sync calls are jobs and count too)
    assert server.get("/api/queue").json()["queued"] == 1
    # other client addresses (another learner) still get places, until the total is reached
    queue = server.queue
    for address in ("10.0.0.2", "10.0.0.3"):
        queue.submit("generation", GenerationRequestBody.model_validate(body), client=address)
    with pytest.raises(QueueFullError) as info:
        queue.submit("generation", GenerationRequestBody.model_validate(body), client="10.0.0.4")
    assert info.value.details["limit"] == "total" and "Retry-After" in info.value.headers
    server.cancel(holder)


# --- the origin check --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "kwargs"), [
    pytest.param("/api/schema/pipeline/execute", {"json": {"schema": "bauhaus", "input_text": "a cat"}},
                 id="json-execute"),
    pytest.param("/api/schema/pipeline/generation", {"json": {"prompt": "a cat", "async": True}},
                 id="json-async-generation"),
    pytest.param("/api/media/upload/image", {"data": lambda: {"file": (io.BytesIO(make_png("RGB", (8, 8))), "x.png")},
                                             "content_type": "multipart/form-data"}, id="multipart-upload"),
    pytest.param("/api/media/upload/image", {"data": "file=x", "content_type": "application/x-www-form-urlencoded"},
                 id="form-post"),
    pytest.param("/api/runs/0b6c2a8e-1d4f-4c3a-9e5b-7f8a9b0c1d2e/cancel", {}, id="cancel"),
])
@pytest.mark.parametrize("origin", [EVIL, "null", "http://localhost.evil.example", "http://localhost:8080"])
def test_cross_site_state_changes_are_refused(client, app, path: str, kwargs: dict, origin: str) -> None:
    kwargs = {key: value() if callable(value) else value for key, value in kwargs.items()}
    res = client.post(path, headers={"Origin": origin}, **kwargs)
    assert res.status_code == 403, res.json
    assert res.json["status"] == "error" and res.json["error"]["code"] == "origin_not_allowed"
    assert not any(app.extensions["devserver"].settings.uploads_dir.glob("*.png")), "nothing may be stored"


@pytest.mark.parametrize("headers", [
    pytest.param({}, id="no-origin-curl"),
    pytest.param({"Origin": "http://localhost"}, id="same-origin"),
    pytest.param({"Origin": "http://localhost:5173"}, id="vite-dev-server"),
])
def test_allowed_origins_pass(client, headers: dict) -> None:
    res = client.post("/api/media/upload/image", headers=headers, content_type="multipart/form-data",
                      data={"file": (io.BytesIO(make_png("RGB", (8, 8))), "x.png")})
    assert res.status_code == 200, res.json


def test_reads_from_other_origins_are_not_refused(client) -> None:
    assert client.get("/api/health", headers={"Origin": EVIL}).status_code == 200


# --- headers and caching -----------------------------------------------------------------------------------


def test_security_headers_on_every_kind_of_response(live) -> None:
    run_id = live.submit()
    live.events(run_id)
    urls = ["/api/health", "/api/nope", f"/api/media/image/{run_id}/0", f"/api/runs/{run_id}",
            f"/api/runs/{run_id}/events"]
    for url in urls:
        res = requests.get(live.url + url, timeout=WAIT_S)
        assert res.headers["X-Content-Type-Options"] == "nosniff", url
        assert res.headers["Referrer-Policy"] == "no-referrer", url
        assert "frame-ancestors 'none'" in res.headers["Content-Security-Policy"], url
        assert res.headers["X-Frame-Options"] == "DENY", url
    post = live.post("/api/schema/pipeline/generation", {"prompt": "x" * 5000})
    assert post.status_code == 422 and post.headers["X-Content-Type-Options"] == "nosniff"


def test_spa_caching_and_csp(make_app, tmp_path) -> None:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>t</title>")
    (dist / "assets" / "index-abc123.js").write_text("console.log(1)")
    (dist / "robots.txt").write_text("User-agent: *")
    client = make_app(frontend_dist=dist).test_client()
    asset = client.get("/assets/index-abc123.js")
    assert asset.headers["Cache-Control"] == "max-age=31536000, public, immutable"
    for path in ("/", "/text-transformation", "/robots.txt"):
        page = client.get(path)
        assert "no-cache" in page.headers["Cache-Control"] and "immutable" not in page.headers["Cache-Control"], path
        csp = page.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp


# --- retention ---------------------------------------------------------------------------------------------


def test_finished_runs_keep_stage_and_terminal_events_only(serve) -> None:
    server = serve(event_retention_hours=0)
    first = server.submit(parameters={**SMALL, "steps": 5})
    before = server.events(first)
    assert [e.type for e in before].count("progress") == 5
    second = server.submit()  # finishing it compacts the finished first run (and itself)
    server.events(second)
    after = server.events(first)
    kept = [e.type for e in after]
    assert kept.count("progress") == 1, kept  # the last step stays: the status still shows 5 of 5
    assert [e for e in after if e.type == "progress"][0].data["step"] == 5
    assert [t for t in kept if t != "progress"] == [e.type for e in before if e.type != "progress"]
    status = server.get(f"/api/runs/{first}").json()
    assert status["status"] == "success" and status["progress"]["step"] == 5


def test_retention_keeps_recent_runs(serve) -> None:
    server = serve(event_retention_hours=24)
    run_id = server.submit(parameters={**SMALL, "steps": 4})
    server.events(run_id)
    assert server.queue.compactor.compact() == 0
    assert [e.type for e in server.events(run_id)].count("progress") == 4
