"""Stage 4b, the output image check (issue 7): a flagged image is never stored or served, on the sync and the async
path; the run ends blocked at stage 4 with only the verdict on disk; a configured check that cannot run blocks at
kids/youth. Real parts: diffusers' StableDiffusionSafetyChecker with tiny random weights, and the fake LLM server
answering vision requests in the Ollama and OpenAI wire formats."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image

from devserver.pipeline.output_check import decide
from tests.api.conftest import SMALL, LiveServer
from tests.support.safety_checker import build_tiny_safety_checker

GENERATION = "/api/schema/pipeline/generation"
EXECUTE = "/api/schema/pipeline/execute"


@pytest.fixture(scope="module")
def checkers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two tiny safety checkers: one flags every image, one passes every image."""
    root = tmp_path_factory.mktemp("checkers")
    return {"flag": build_tiny_safety_checker(root / "flag", flag=True),
            "pass": build_tiny_safety_checker(root / "pass", flag=False)}


@pytest.mark.parametrize(("level", "flagged", "blocks"), [
    pytest.param("kids", True, True, id="kids-flagged"),
    pytest.param("research", True, True, id="research-flagged"),
    pytest.param("youth", False, False, id="youth-passed"),
    pytest.param("kids", None, True, id="kids-unavailable-fails-closed"),
    pytest.param("youth", None, True, id="youth-unavailable-fails-closed"),
    pytest.param("adult", None, False, id="adult-unavailable-passes"),
    pytest.param("research", None, False, id="research-unavailable-passes"),
])
def test_policy(level: str, flagged: bool | None, blocks: bool) -> None:
    assert decide(level, flagged) is blocks


def _assert_blocked_at_4b(app, body: dict) -> None:
    assert body["status"] == "blocked" and body["stage"] == 4, body
    assert "not kept" in body["reason"] and body["found_terms"] == []
    stage4 = body["stages"]["stage4"]
    assert stage4["status"] == "blocked" and stage4["output_check"]["status"] == "blocked"
    folder = app.extensions["devserver"].settings.runs_dir / body["run_id"]
    files = sorted(p.name for p in folder.iterdir())
    assert not [name for name in files if name.endswith(".png")], files
    verdict_files = [name for name in files if name.endswith("_safety_stage4b.json")]
    assert len(verdict_files) == 1
    verdict = json.loads((folder / verdict_files[0]).read_text())
    assert verdict["status"] == "blocked"
    meta = json.loads((folder / "metadata.json").read_text())
    assert meta["status"] == "blocked" and meta["blocked"]["stage"] == 4 and meta["media"] == []


@pytest.mark.parametrize("path", [GENERATION, EXECUTE])
def test_flagged_image_is_never_kept_or_served(make_app, checkers, path: str) -> None:
    app = make_app(output_check="safety_checker", output_check_dir=checkers["flag"])
    client = app.test_client()
    body = {"prompt": "a red fox"} if path == GENERATION else {"schema": "bauhaus", "input_text": "a red fox"}
    res = client.post(path, json={**body, "language": "en", "parameters": SMALL})
    assert res.status_code == 403, res.json
    _assert_blocked_at_4b(app, res.json)
    assert res.json["stages"]["stage4"]["output_check"]["checks"][0]["name"] == "image_safety_checker"
    run_id = res.json["run_id"]
    assert client.get(f"/api/media/image/{run_id}/0").status_code == 404
    assert client.get(f"/api/media/image/{run_id}").status_code == 404


def test_passing_image_is_served_with_its_verdict(make_app, checkers) -> None:
    app = make_app(output_check="safety_checker", output_check_dir=checkers["pass"], safety_level="kids")
    client = app.test_client()
    res = client.post(GENERATION, json={"prompt": "a red fox", "language": "en", "parameters": SMALL})
    assert res.status_code == 200, res.json
    check = res.json["stages"]["stage4"]["output_check"]
    assert check["status"] == "passed" and check["checks"][0]["verdict"] == "safe"
    image = client.get(res.json["media_output"]["url"])
    assert image.status_code == 200
    assert json.loads(Image.open(io.BytesIO(image.data)).text["devserver"])["stages"]["stage4"]["output_check"]


def test_flagged_image_on_the_async_path(make_app, checkers) -> None:
    import simple_websocket

    app = make_app(output_check="safety_checker", output_check_dir=checkers["flag"])
    live = LiveServer(app)
    try:
        ws = simple_websocket.Client.connect(live.ws_url)
        ws.send(json.dumps({"type": "subscribe", "job_ids": None}))
        assert json.loads(ws.receive(timeout=60))["type"] == "subscribed"
        run_id = live.submit("a red fox")
        events = live.events(run_id)
        assert events[-1].type == "blocked" and events[-1].data["stage"] == 4
        assert [e.type for e in events].count("progress") == SMALL["steps"]  # it was generated, then refused
        assert "complete" not in [e.type for e in events]
        status = live.get(f"/api/runs/{run_id}").json()
        assert status["status"] == "blocked" and status["blocked"]["stage"] == 4 and status["media_output"] is None
        while (message := json.loads(ws.receive(timeout=60)))["type"] != "generation_blocked":
            assert message["type"] != "generation_complete"
        assert message["data"]["stage"] == 4 and message["data"]["job_id"] == run_id
        ws.close()
        _assert_blocked_at_4b(app, {**events[-1].data, "status": "blocked"})
        assert live.get(f"/api/media/image/{run_id}/0").status_code == 404
    finally:
        live.close()


@pytest.mark.parametrize(("level", "status"), [
    pytest.param("kids", 403, id="kids-fails-closed"),
    pytest.param("youth", 403, id="youth-fails-closed"),
    pytest.param("adult", 200, id="adult-passes"),
])
def test_missing_checker(make_app, tmp_path, level: str, status: int) -> None:
    app = make_app(output_check="safety_checker", output_check_dir=tmp_path / "no-such-folder", safety_level=level)
    res = app.test_client().post(GENERATION, json={"prompt": "a red fox", "language": "en", "parameters": SMALL})
    assert res.status_code == status, res.json
    check = res.json["stages"]["stage4"]["output_check"]
    assert check["checks"][0]["verdict"] == "undecided"
    assert str(tmp_path) not in json.dumps(res.json)
    if status == 403:
        _assert_blocked_at_4b(app, res.json)
        assert "could not be checked" in res.json["reason"]


# --- a vision model over the LLM backend -------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["ollama", "openai"])
@pytest.mark.parametrize(("answer", "status"), [
    pytest.param("UNSAFE: shows blood", 403, id="unsafe"),
    pytest.param("SAFE", 200, id="safe"),
    pytest.param("I cannot tell", 403, id="nonsense-fails-closed"),
])
def test_vision_llm(make_app, fake_llm, backend: str, answer: str, status: int) -> None:
    seen: list[bytes] = []

    def respond(request):
        if request.images:
            seen.extend(request.images)
            return answer
        return "a red fox, bauhaus"  # text stages

    fake_llm.reply_with(respond)
    app = make_app(llm_backend=backend, llm_url=fake_llm.url, output_check="llm", output_check_model="llava")
    res = app.test_client().post(GENERATION, json={"prompt": "a red fox", "language": "en", "parameters": SMALL})
    assert res.status_code == status, res.json
    assert len(seen) == 1
    with Image.open(io.BytesIO(seen[0])) as image:
        assert image.format == "PNG" and image.size == (64, 64)
    vision_requests = [r for r in fake_llm.requests if r.images]
    assert vision_requests[0].body["model"] == "llava"
    check = res.json["stages"]["stage4"]["output_check"]["checks"][0]
    assert check["name"] == "vision_llm_check" and check["backend"] == backend
    if status == 403:
        _assert_blocked_at_4b(app, res.json)


@pytest.mark.parametrize(("level", "status"), [
    pytest.param("youth", 403, id="youth-fails-closed"),
    pytest.param("research", 200, id="research-passes"),
])
def test_unreachable_vision_llm(make_app, unreachable_llm_url, level: str, status: int) -> None:
    app = make_app(llm_backend="ollama", llm_url=unreachable_llm_url, output_check="llm", safety_level=level)
    res = app.test_client().post(GENERATION, json={"prompt": "a red fox", "language": "en", "parameters": SMALL})
    assert res.status_code == status, res.json
    assert unreachable_llm_url not in json.dumps(res.json)
    assert res.json["stages"]["stage4"]["output_check"]["checks"][0]["verdict"] == "undecided"


def test_template_backend_cannot_check_images(make_app) -> None:
    app = make_app(output_check="llm", safety_level="kids")
    res = app.test_client().post(GENERATION, json={"prompt": "a red fox", "language": "en", "parameters": SMALL})
    assert res.status_code == 403 and "could not be checked" in res.json["reason"]
