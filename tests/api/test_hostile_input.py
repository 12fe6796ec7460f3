"""Hostile and careless input (issue 7): no 500 from any JSON, small error bodies, no internals in any answer."""

from __future__ import annotations

import json

import pytest

from devserver.pipeline.orchestrator import model_ref
from tests.api.conftest import SMALL

EXECUTE = "/api/schema/pipeline/execute"
GENERATION = "/api/schema/pipeline/generation"
SECRET = "/srv/secret/models/sd15.safetensors at http://10.1.2.3:11434/api"
"""What a library's exception text may hold: a server path and a backend URL."""


def _post_raw(client, path: str, raw: str | bytes):
    return client.post(path, data=raw, content_type="application/json")


@pytest.mark.parametrize("raw", [
    pytest.param('{"schema": "bauhaus", "input_text": "\\ud800"}', id="lone-high-surrogate"),
    pytest.param('{"schema": "bauhaus", "input_text": "ok \\udfff ok"}', id="lone-low-surrogate"),
    pytest.param('{"schema": "bauhaus", "input_text": "a", "\\ud800": 1}', id="surrogate-in-key"),
    pytest.param('{"schema": "\\ud83d"}', id="half-an-emoji"),
])
def test_lone_surrogates_are_a_clean_400(client, raw: str) -> None:
    res = _post_raw(client, EXECUTE, raw)
    assert res.status_code == 400, res.data[:300]
    assert res.json["error"]["code"] == "invalid_unicode"
    assert "\\ud8" in res.json["error"]["message"] or "\\udf" in res.json["error"]["message"]


def test_valid_surrogate_pair_is_an_emoji(client) -> None:
    res = _post_raw(client, EXECUTE, '{"schema": "bauhaus", "input_text": "a cat \\ud83d\\udc31", "language": "en", '
                                     '"parameters": {"width": 64, "height": 64, "steps": 1}}')
    assert res.status_code == 200, res.json


@pytest.mark.parametrize("depth", [40, 3_000, 100_000])
def test_deep_nesting_is_a_clean_400(client, depth: int) -> None:
    raw = '{"schema": "bauhaus", "input_text": ' + "[" * depth + "]" * depth + "}"
    res = _post_raw(client, EXECUTE, raw)
    assert res.status_code == 400, res.data[:300]
    assert res.json["error"]["code"] == "json_too_deep"


def test_deep_nesting_in_an_object_is_a_clean_400(client) -> None:
    raw = '{"a":' * 100_000 + "1" + "}" * 100_000
    res = _post_raw(client, GENERATION, raw)
    assert res.status_code == 400 and res.json["error"]["code"] == "json_too_deep"


@pytest.mark.parametrize(("path", "body"), [
    pytest.param(EXECUTE, {"schema": "bauhaus", "input_text": "x" * 2_000_000}, id="execute-input-text"),
    pytest.param(GENERATION, {"prompt": "\u00e4" * 2_000_000}, id="generation-prompt-umlauts"),
    pytest.param(EXECUTE, {"schema": "b" * 2_000_000}, id="schema-id"),
    pytest.param(GENERATION, {"prompt": "a", "parameters": {"negative_prompt": "\x00" * 300_000}},
                 id="negative-prompt-controls"),
    pytest.param(GENERATION, {"prompt": "a", "k" * 2_000_000: 1}, id="unknown-long-key"),
    pytest.param(GENERATION, {"prompt": "a", **{f"extra{i}": "y" * 1000 for i in range(1500)}},
                 id="many-unknown-keys"),
])
def test_two_megabyte_fields_get_a_small_error(client, path: str, body: dict) -> None:
    res = client.post(path, json=body)
    assert res.status_code == 422, res.data[:300]
    assert len(res.data) < 4096, f"error body is {len(res.data)} bytes"
    for error in res.json["error"]["details"]["errors"]:
        assert error["input"] is None or not isinstance(error["input"], str) or len(error["input"]) <= 61


def test_error_excerpt_is_escaped(client) -> None:
    res = client.post(GENERATION, json={"prompt": "a", "parameters": {"scheduler": "\x1b[31mDDIM" + "z" * 100}})
    assert res.status_code == 422
    echoed = res.json["error"]["details"]["errors"][0]["input"]
    assert echoed.startswith("\\u001b[31mDDIM") and echoed.endswith("…") and "\x1b" not in res.get_data(as_text=True)


@pytest.mark.parametrize(("raw", "status"), [
    pytest.param(b"\xff\xfe{}", 400, id="not-utf8"),
    pytest.param(b'{"prompt": "a"', 400, id="truncated"),
    pytest.param(b"[1, 2, 3]", 400, id="not-an-object"),
    pytest.param(b'{"prompt": NaN}', 422, id="nan"),
    pytest.param(b'{"prompt": "a", "seed": 1e400}', 422, id="infinite-seed"),
    pytest.param(b'{"prompt": "a", "seed": 123456789012345678901234567890}', 422, id="huge-int"),
    pytest.param(b"", 400, id="empty"),
])
def test_other_broken_json_is_a_4xx(client, raw: bytes, status: int) -> None:
    res = _post_raw(client, GENERATION, raw)
    assert res.status_code == status, res.data[:300]
    assert res.json["status"] == "error" and len(res.data) < 4096


# --- internals never reach an answer -----------------------------------------------------------------------


class _BrokenPipe:
    """A pipeline whose call fails the way a library does: with its internals in the exception text."""

    scheduler = None

    def __call__(self, **kwargs):
        raise RuntimeError(f"CUDA error while reading {SECRET}")


@pytest.fixture
def broken_generation(app, monkeypatch):
    backend = app.extensions["devserver"].generation
    registry = app.extensions["devserver"].registry
    entry = backend._pipeline_entry(model_ref(registry.output_config("tiny_sd")), "txt2img")
    monkeypatch.setattr(entry, "obj", _BrokenPipe())  # the shared cache entry, restored after the test
    return app


def _no_internals(text: str) -> None:
    for secret in ("/srv/secret", "10.1.2.3", "CUDA error", "Traceback"):
        assert secret not in text, f"{secret!r} leaked: {text[:500]}"


def test_generation_failure_shows_no_exception_text(broken_generation, client) -> None:
    res = client.post(GENERATION, json={"prompt": "a red fox", "language": "en", "parameters": SMALL})
    assert res.status_code == 500
    assert res.json["error"] == {"code": "generation_failed",
                                 "message": "Model 'tiny_sd' failed to generate the image.",
                                 "details": {"output_config": "tiny_sd", "exception_type": "RuntimeError"}}
    _no_internals(res.get_data(as_text=True))
    runs = broken_generation.extensions["devserver"].settings.runs_dir
    (folder,) = runs.iterdir()
    meta = (folder / "metadata.json").read_text()
    _no_internals(meta)
    assert json.loads(meta)["error"]["code"] == "generation_failed"


def test_async_generation_failure_shows_no_exception_text(broken_generation) -> None:
    from tests.api.conftest import LiveServer

    live = LiveServer(broken_generation)
    try:
        run_id = live.submit("a red fox")
        events = live.events(run_id)
        assert events[-1].type == "error"
        assert events[-1].data["error"]["details"]["exception_type"] == "RuntimeError"
        _no_internals(json.dumps([e.data for e in events]))
        _no_internals(live.get(f"/api/runs/{run_id}").text)
        _no_internals(json.dumps(live.metadata(run_id)))
    finally:
        live.close()


def test_unavailable_models_name_no_server_paths(app, client) -> None:
    settings = app.extensions["devserver"].settings
    res = client.get("/api/schema/output-configs")
    text = res.get_data(as_text=True)
    unavailable = [c for c in res.json["output_configs"] if not c["available"]]
    assert unavailable and all(c["reason"] for c in unavailable)
    assert str(settings.resolved_models_dir) not in text and str(settings.exports_dir) not in text
    blocked = client.post(GENERATION, json={"prompt": "a fox", "output_config": unavailable[0]["id"]})
    assert blocked.status_code == 409
    assert str(settings.resolved_models_dir) not in blocked.get_data(as_text=True)


def test_broken_queue_database_is_a_503_not_a_500(make_app) -> None:
    """A disk that filled up before the first async job leaves a queue file SQLite cannot use: the queue and run
    endpoints say so with 503 (and recover by themselves once the file is usable), never 500."""
    app = make_app()
    database = app.extensions["devserver"].settings.exports_dir / "queue.sqlite3"
    database.parent.mkdir(parents=True, exist_ok=True)
    database.write_bytes(b"this is not a database " * 100)
    client = app.test_client()
    for url in ("/api/queue", "/api/runs/0b6c2a8e-1d4f-4c3a-9e5b-7f8a9b0c1d2e"):
        res = client.get(url)
        assert res.status_code == 503, (url, res.data[:200])
        assert res.json["error"]["code"] == "storage_unavailable" and res.headers["Retry-After"] == "30"
        _no_internals(res.get_data(as_text=True))
    database.unlink()
    assert client.get("/api/queue").status_code == 200
