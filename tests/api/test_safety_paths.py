"""Every client text is checked on every path (issue 7): the negative prompt on /execute and /generation, sync and
async, the learner's edited texts, and the image mode's rules; nothing is generated for a blocked text."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from tests.api.conftest import SMALL

EXECUTE = "/api/schema/pipeline/execute"
GENERATION = "/api/schema/pipeline/generation"


def _execute_body(**overrides):
    body = {"schema": "bauhaus", "input_text": "a cat on a roof", "language": "en", "parameters": dict(SMALL)}
    body.update(overrides)
    return body


def _generation_body(**overrides):
    body = {"prompt": "a red fox", "language": "en", "parameters": dict(SMALL)}
    body.update(overrides)
    return body


def _assert_blocked_without_image(app, body, stage: int, term: str, field: str) -> None:
    assert body["status"] == "blocked" and body["stage"] == stage, body
    assert term in body["found_terms"]
    report = body["stages"][f"stage{stage}"] if stage == 1 else body["stages"]["stage3"]["safety"]
    assert field in report["found_in"]
    folder = app.extensions["devserver"].settings.runs_dir / body["run_id"]
    assert not [p for p in folder.iterdir() if p.suffix == ".png"]
    meta = json.loads((folder / "metadata.json").read_text())
    assert meta["status"] == "blocked" and meta["media"] == []


@pytest.mark.parametrize(("negative", "term"), [
    pytest.param("Hakenkreuz", "Hakenkreuz", id="plain"),
    pytest.param("Ha\u0301kenkreuz", "Hakenkreuz", id="combining-accent"),
    pytest.param("Haken-Kreuz, blurry", "Hakenkreuz", id="hyphen-split"),
    pytest.param("sw\u0430stika", "swastika", id="cyrillic-a"),
])
def test_negative_prompt_is_checked_on_execute(client, app, negative: str, term: str) -> None:
    res = client.post(EXECUTE, json=_execute_body(parameters={**SMALL, "negative_prompt": negative}))
    assert res.status_code == 403, res.json
    _assert_blocked_without_image(app, res.json, 1, term, "parameters.negative_prompt")


@pytest.mark.parametrize(("negative", "term"), [
    pytest.param("Hakenkreuz", "Hakenkreuz", id="plain"),
    pytest.param("low quality, n\u0430zi", "Nazi", id="cyrillic-a"),
])
def test_negative_prompt_is_checked_on_generation(client, app, negative: str, term: str) -> None:
    res = client.post(GENERATION, json=_generation_body(parameters={**SMALL, "negative_prompt": negative}))
    assert res.status_code == 403, res.json
    _assert_blocked_without_image(app, res.json, 3, term, "parameters.negative_prompt")


def test_clean_negative_prompt_reaches_the_png(client) -> None:
    res = client.post(GENERATION, json=_generation_body(parameters={**SMALL, "negative_prompt": "blurry, text"}))
    assert res.status_code == 200, res.json
    assert res.json["stages"]["stage3"]["safety"]["found_in"] == []
    png = client.get(res.json["media_output"]["url"]).data
    with Image.open(io.BytesIO(png)) as image:
        assert "Negative prompt: blurry, text" in image.text["parameters"]


@pytest.mark.parametrize(("path", "body", "stage", "field"), [
    pytest.param(EXECUTE, _execute_body(parameters={**SMALL, "negative_prompt": "Hakenkreuz"}), 1,
                 "parameters.negative_prompt", id="execute-negative"),
    pytest.param(GENERATION, _generation_body(parameters={**SMALL, "negative_prompt": "Hakenkreuz"}), 3,
                 "parameters.negative_prompt", id="generation-negative"),
    pytest.param(EXECUTE, _execute_body(interception_result="ein Hakenkreuz"), 1, "interception_result",
                 id="execute-edited-interception"),
    pytest.param(EXECUTE, _execute_body(optimized_prompt="Haken kreuz"), 1, "optimized_prompt",
                 id="execute-edited-optimized"),
    pytest.param(EXECUTE, _execute_body(context_prompt="male ein Hak-enkreuz"), 1, "context_prompt",
                 id="execute-own-rules"),
    pytest.param(GENERATION, _generation_body(prompt="swastica"), 3, "prompt", id="generation-prompt"),
])
def test_async_path_checks_the_same_texts(live, path: str, body: dict, stage: int, field: str) -> None:
    res = live.post(path, {**body, "async": True})
    assert res.status_code == 202, res.text
    run_id = res.json()["run_id"]
    events = live.events(run_id)
    assert events[-1].type == "blocked" and events[-1].data["stage"] == stage
    assert not [e for e in events if e.type == "progress"], "nothing may be generated"
    report = events[-1].data["stages"]["stage1"] if stage == 1 else events[-1].data["stages"]["stage3"]["safety"]
    assert field in report["found_in"]
    status = live.get(f"/api/runs/{run_id}").json()
    assert status["status"] == "blocked" and status["media_output"] is None


def test_stage2_checks_own_rules(client) -> None:
    res = client.post("/api/schema/pipeline/stage2", json={"schema": "user_defined", "input_text": "a house",
                                                           "context_prompt": "paint it with a s w a s t i k a",
                                                           "language": "en"})
    assert res.status_code == 403, res.json
    assert res.json["stages"]["stage1"]["found_in"] == ["context_prompt"]


def test_optimize_checks_the_edited_text(client) -> None:
    res = client.post("/api/schema/pipeline/optimize", json={"prompt": "pr0n", "output_config": "tiny_sd"})
    assert res.status_code == 403, res.json
    assert res.json["stage"] == 3 and res.json["found_terms"] == ["porn"]


def test_kids_level_blocks_graphic_violence_and_passes_picture_books(make_app) -> None:
    client = make_app(safety_level="kids").test_client()
    blocked = client.post(EXECUTE, json=_execute_body(input_text="Er ersticht ihn mit einem Messer", language="de"))
    assert blocked.status_code == 403 and blocked.json["found_terms"] == ["ersticht"]
    knight = client.post(EXECUTE, json=_execute_body(input_text="Ritter mit Schwert", language="de"))
    assert knight.status_code == 200, knight.json


@pytest.mark.parametrize(("level", "present", "absent"), [
    pytest.param("kids", {"graphic_violence", "nazi_figures", "weapons", "extremism"}, set(), id="kids"),
    pytest.param("youth", {"extremism", "self_harm"}, {"graphic_violence", "nazi_figures", "weapons"}, id="youth"),
    pytest.param("adult", {"sexualised_minors"}, {"extremism"}, id="adult"),
])
def test_health_tells_teachers_what_the_level_means(make_app, level: str, present: set, absent: set) -> None:
    safety = make_app(safety_level=level).test_client().get("/api/health").json["safety"]
    names = {item["name"] for item in safety["lists"]}
    assert safety["level"] == level and present <= names and not absent & names
    assert all(item["description"] for item in safety["lists"])
    assert "DEVSERVER_SAFETY_LEVEL" in safety["setting"] and safety["output_check"] == "none"
