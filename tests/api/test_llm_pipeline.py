"""The pipeline with real LLM backends, against the fake LLM server on 127.0.0.1 (both wire formats)."""

from __future__ import annotations

import json

import pytest

SMALL = {"width": 64, "height": 64, "steps": 2}


def respond_by_purpose(request) -> str:
    """Answer like a cooperative LLM, by what the system message asks for."""
    system = request.system or ""
    if system.startswith("You are a safety reviewer"):
        return "SAFE"
    if system.startswith("Translate the text"):
        return "a cat on the roof, translated"
    if system.startswith("You work in an art-education studio"):
        return "a cat built from red circles and yellow squares"
    return "optimized: " + (request.user or "")


@pytest.mark.parametrize("backend, path", [
    pytest.param("ollama", "/api/chat", id="ollama"),
    pytest.param("openai", "/v1/chat/completions", id="openai"),
])
def test_llm_runs_stages_2_and_3(make_app, fake_llm, backend, path):
    fake_llm.reply_with(respond_by_purpose)
    client = make_app(llm_backend=backend, llm_url=fake_llm.url, llm_model="test-model").test_client()
    assert client.get("/api/health").get_json()["llm_backend"] == backend
    res = client.post("/api/schema/pipeline/execute", json={
        "schema": "bauhaus", "input_text": "eine Katze auf dem Dach (cat)", "language": "de", "parameters": SMALL})
    assert res.status_code == 200, res.get_json()
    stages = res.get_json()["stages"]
    assert stages["stage2"]["output"] == "a cat built from red circles and yellow squares"
    assert stages["stage2"]["backend"] == backend
    assert stages["stage3"]["optimization"]["output"].startswith("optimized: a cat built")
    assert stages["stage3"]["translation"] == stages["stage3"]["translation"] | {
        "status": "done", "output": "a cat on the roof, translated"}
    assert stages["stage3"]["prompt"] == "a cat on the roof, translated"
    paths = [r.path for r in fake_llm.requests]
    assert paths == [path, path, path]  # interception, optimization, translation
    interception = fake_llm.requests[0]
    assert "Bauhaus" in interception.system and interception.user == "eine Katze auf dem Dach (cat)"
    assert interception.body["model"] == "test-model" and interception.body["stream"] is False


def test_llm_unreachable_is_a_503_and_recorded(make_app, unreachable_llm_url):
    app = make_app(llm_backend="ollama", llm_url=unreachable_llm_url)
    res = app.test_client().post("/api/schema/pipeline/stage2",
                                 json={"schema": "dada", "input_text": "a clock", "language": "en"})
    assert res.status_code == 503 and res.get_json()["error"]["code"] == "llm_unavailable"
    runs = list(app.extensions["devserver"].settings.runs_dir.iterdir())
    assert len(runs) == 1
    meta = json.loads((runs[0] / "metadata.json").read_text())
    assert meta["status"] == "error" and meta["error"]["code"] == "llm_unavailable"


def test_slow_llm_times_out_with_504(make_app, fake_llm):
    fake_llm.delay(5)
    client = make_app(llm_backend="openai", llm_url=fake_llm.url, llm_timeout_s=0.3).test_client()
    res = client.post("/api/schema/pipeline/optimize", json={"prompt": "a tree", "output_config": "tiny_sd"})
    assert res.status_code == 504 and res.get_json()["error"]["code"] == "llm_timeout"
    assert "0.3" in res.get_json()["error"]["message"]


@pytest.mark.parametrize("level, answer, status, blocked_reason", [
    pytest.param("kids", "UNSAFE: too scary for children", 403, "too scary", id="kids_llm_unsafe"),
    pytest.param("youth", "SAFE", 200, None, id="youth_llm_safe"),
    pytest.param("adult", "UNSAFE: illegal", 403, "illegal", id="adult_llm_unsafe"),
    pytest.param("kids", "I am not sure", 403, "could not be completed", id="kids_nonsense_fails_closed"),
    pytest.param("adult", "I am not sure", 200, None, id="adult_nonsense_passes"),
])
def test_llm_safety_check(make_app, fake_llm, level, answer, status, blocked_reason):
    fake_llm.reply_with(lambda r: answer if "UNSAFE" in (r.system or "") else "a calm harbour")
    client = make_app(llm_backend="ollama", llm_url=fake_llm.url, llm_safety_check=True,
                      safety_level=level).test_client()
    res = client.post("/api/schema/pipeline/stage2",
                      json={"schema": "impressionism", "input_text": "a harbour at dawn", "language": "en"})
    assert res.status_code == status, res.get_json()
    checks = res.get_json()["stages"]["stage1"]["checks"]
    assert [c["name"] for c in checks] == ["term_filter", "llm_check"]
    expected_verdict = "safe" if answer == "SAFE" else "unsafe" if answer.startswith("UNSAFE") else "undecided"
    assert checks[0]["verdict"] is None and checks[1]["verdict"] == expected_verdict
    if blocked_reason:
        assert res.get_json()["stage"] == 1 and blocked_reason in res.get_json()["reason"]


@pytest.mark.parametrize("level, status", [
    pytest.param("kids", 403, id="kids_fails_closed"),
    pytest.param("youth", 403, id="youth_fails_closed"),
    pytest.param("research", 503, id="research_keeps_filter_verdict_then_llm_error"),
])
def test_unreachable_llm_safety_check(make_app, unreachable_llm_url, level, status):
    client = make_app(llm_backend="ollama", llm_url=unreachable_llm_url, llm_safety_check=True,
                      safety_level=level).test_client()
    res = client.post("/api/schema/pipeline/stage2",
                      json={"schema": "impressionism", "input_text": "a harbour at dawn", "language": "en"})
    assert res.status_code == status, res.get_json()
    if status == 403:
        assert "could not be completed" in res.get_json()["reason"]


def test_llm_cannot_clear_filter_hits_for_kids(make_app, fake_llm):
    fake_llm.reply_with(lambda r: "SAFE" if "UNSAFE" in (r.system or "") else "ok")
    text = "a b0mb on a table"  # digit trick for a kids-level term
    kids = make_app(llm_backend="ollama", llm_url=fake_llm.url, llm_safety_check=True, safety_level="kids")
    res = kids.test_client().post("/api/schema/pipeline/stage2",
                                  json={"schema": "cubism", "input_text": text, "language": "en"})
    assert res.status_code == 403
