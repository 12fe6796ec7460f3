"""The pipeline endpoints end to end: stages 1-4 with the real tiny model, runs on disk, provenance."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

SMALL = {"width": 64, "height": 64, "steps": 2}
FULL_TEXT_RUN = ["01_config_used.json", "02_input.txt", "03_safety_stage1.json", "04_interception.txt",
                 "05_optimized_prompt.txt", "06_safety_stage3.json", "07_generation_prompt.txt",
                 "08_output_image.png"]


def execute(client, **body):
    body.setdefault("schema", "bauhaus")
    body.setdefault("input_text", "a cat on a roof")
    body.setdefault("language", "en")
    body.setdefault("parameters", SMALL)
    return client.post("/api/schema/pipeline/execute", json=body)


def png_text(data: bytes) -> dict[str, str]:
    with Image.open(io.BytesIO(data)) as im:
        return dict(im.text)


def test_execute_text_run_end_to_end(client, app):
    res = execute(client, seed=42)
    assert res.status_code == 200, res.json
    body = res.json
    assert body["status"] == "success"
    run_id = body["run_id"]
    media = body["media_output"]
    assert media == {"media_type": "image", "url": f"/api/media/image/{run_id}/0", "run_id": run_id, "index": 0,
                     "seed": 42, "width": 64, "height": 64, "mime_type": "image/png", "output_config": "tiny_sd"}
    stages = body["stages"]
    assert stages["stage1"]["status"] == "passed" and stages["stage1"]["level"] == "youth"
    assert stages["stage2"]["status"] == "done" and stages["stage2"]["backend"] == "template"
    assert "a cat on a roof" in stages["stage2"]["output"] and "Bauhaus" in stages["stage2"]["output"]
    assert stages["stage3"]["translation"]["status"] == "skipped"
    assert stages["stage3"]["safety"]["status"] == "passed"
    assert stages["stage4"]["mode"] == "txt2img" and stages["stage4"]["seed"] == 42
    # the run folder is exactly DESIGN.md's full text run
    folder = app.extensions["devserver"].settings.runs_dir / run_id
    assert sorted(p.name for p in folder.iterdir()) == sorted(FULL_TEXT_RUN + ["metadata.json"])
    meta = json.loads((folder / "metadata.json").read_text())
    assert [e["file"] for e in meta["entities"]] == FULL_TEXT_RUN
    assert meta["status"] == "success" and meta["seed"] == 42 and meta["safety_level"] == "youth"
    assert meta["backends"]["stage2"]["backend"] == "template"
    assert (folder / "07_generation_prompt.txt").read_text() == stages["stage3"]["prompt"]
    # the served PNG is the recorded one and carries its provenance
    png = client.get(media["url"])
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert png.data == (folder / "08_output_image.png").read_bytes()
    text = png_text(png.data)
    assert "Seed: 42" in text["parameters"] and "Size: 64x64" in text["parameters"]
    assert text["parameters"].startswith(stages["stage3"]["prompt"])
    provenance = json.loads(text["devserver"])
    assert provenance["run_id"] == run_id and provenance["output_config"] == "tiny_sd"
    assert provenance["stages"]["stage2"]["output"] == stages["stage2"]["output"]


def test_same_seed_same_pixels_over_http(client):
    first = client.get(execute(client, seed=7).json["media_output"]["url"]).data
    second = client.get(execute(client, seed=7).json["media_output"]["url"]).data
    third = client.get(execute(client, seed=8).json["media_output"]["url"]).data
    pixels = [Image.open(io.BytesIO(d)).convert("RGB").tobytes() for d in (first, second, third)]
    assert pixels[0] == pixels[1]
    assert pixels[0] != pixels[2]


def test_omitted_seed_is_drawn_and_returned(client):
    res = execute(client)
    seed = res.json["media_output"]["seed"]
    assert isinstance(seed, int) and 0 <= seed <= 2**32 - 1
    assert f"Seed: {seed}" in png_text(client.get(res.json["media_output"]["url"]).data)["parameters"]


def test_edited_texts_are_used_and_still_checked(client):
    res = execute(client, interception_result="a quiet blue lake", optimized_prompt="a quiet blue lake, morning")
    stages = res.json["stages"]
    assert stages["stage2"] == stages["stage2"] | {"status": "edited", "output": "a quiet blue lake"}
    assert stages["stage3"]["optimization"]["status"] == "edited"
    assert stages["stage3"]["prompt"] == "a quiet blue lake, morning"
    blocked = execute(client, optimized_prompt="a bloody gore scene")
    assert blocked.status_code == 403 and blocked.json["stage"] == 1


def test_stepwise_flow_records_one_run(client, app):
    s2 = client.post("/api/schema/pipeline/stage2",
                     json={"schema": "cubism", "input_text": "a guitar", "language": "en"})
    assert s2.status_code == 200, s2.json
    run_id = s2.json["run_id"]
    assert set(s2.json["stages"]) >= {"stage1", "stage2"}
    edited = s2.json["interception_result"] + " with a red sun"
    opt = client.post("/api/schema/pipeline/optimize",
                      json={"prompt": edited, "output_config": "tiny_sd", "run_id": run_id, "language": "en"})
    assert opt.status_code == 200, opt.json
    assert opt.json["run_id"] == run_id and "red sun" in opt.json["optimized_prompt"]
    gen = client.post("/api/schema/pipeline/generation",
                      json={"prompt": opt.json["optimized_prompt"], "run_id": run_id, "seed": 5,
                            "parameters": SMALL, "language": "en"})
    assert gen.status_code == 200, gen.json
    assert gen.json["media_output"]["url"] == f"/api/media/image/{run_id}/0"
    again = client.post("/api/schema/pipeline/generation",
                        json={"prompt": opt.json["optimized_prompt"], "run_id": run_id, "seed": 6,
                              "parameters": SMALL, "language": "en"})
    assert again.json["media_output"]["index"] == 1
    info = client.get(f"/api/media/info/{run_id}").json["run"]
    files = [e["file"] for e in info["entities"]]
    assert files[:5] == ["01_config_used.json", "02_input.txt", "03_safety_stage1.json", "04_interception.txt",
                         "05_optimization_input.txt"]
    assert files.count("output_image") == 0 and sum(f.endswith("_output_image.png") for f in files) == 2
    assert [m["seed"] for m in info["media"]] == [5, 6]
    latest = client.get(f"/api/media/image/{run_id}")
    assert latest.data == client.get(f"/api/media/image/{run_id}/1").data


def test_generation_without_run_id_makes_a_new_run(client):
    res = client.post("/api/schema/pipeline/generation",
                      json={"prompt": "red circles", "parameters": SMALL, "seed": 1})
    assert res.status_code == 200, res.json
    assert res.json["stages"]["stage3"]["safety"]["status"] == "passed"
    assert res.json["stages"]["stage4"]["steps"] == 2


def test_parameters_reach_the_pipeline(client):
    res = execute(client, seed=3, parameters={"width": 64, "height": 96, "steps": 3, "cfg": 4.0,
                                              "scheduler": "EulerDiscrete", "negative_prompt": "blurry"})
    s4 = res.json["stages"]["stage4"]
    assert (s4["width"], s4["height"], s4["steps"], s4["cfg"], s4["scheduler"]) == (64, 96, 3, 4.0, "EulerDiscrete")
    text = png_text(client.get(res.json["media_output"]["url"]).data)["parameters"]
    assert "Negative prompt: blurry" in text and "Sampler: EulerDiscrete" in text


def test_image_mode_runs_img2img_keeping_aspect(client, app):
    buf = io.BytesIO()
    Image.new("RGB", (300, 200), (200, 40, 40)).save(buf, "JPEG")
    up = client.post("/api/media/upload/image", data={"file": (io.BytesIO(buf.getvalue()), "photo.jpg")},
                     content_type="multipart/form-data")
    assert up.status_code == 200, up.json
    res = execute(client, schema="image_transformation", input_text="", context_prompt="paint it as a watercolour",
                  input_image=up.json["image_id"], seed=11, parameters={"width": 96, "height": 96, "steps": 4})
    assert res.status_code == 200, res.json
    stages = res.json["stages"]
    assert stages["stage2"]["status"] == "skipped"
    assert "watercolour" in stages["stage3"]["prompt"]
    assert stages["stage4"]["mode"] == "img2img" and stages["stage4"]["strength"] == 0.75
    media = res.json["media_output"]
    assert (media["width"], media["height"]) == (96, 64)
    image = Image.open(io.BytesIO(client.get(media["url"]).data))
    assert image.size == (96, 64)
    folder = app.extensions["devserver"].settings.runs_dir / res.json["run_id"]
    assert (folder / "03_input_image.png").is_file()
    assert "Denoising strength: 0.75" in png_text(client.get(media["url"]).data)["parameters"]


def test_image_mode_with_picked_config_uses_its_rules(client):
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), "white").save(buf, "PNG")
    buf.seek(0)
    up = client.post("/api/media/upload/image", data={"file": (buf, "a.png")}, content_type="multipart/form-data")
    cfg = client.get("/api/schema/configs/image_transformation").json["config"]
    res = execute(client, schema="image_transformation", input_text="", input_image=up.json["image_id"],
                  context_prompt=cfg["context"]["en"], parameters={"width": 64, "height": 64, "steps": 2})
    assert res.status_code == 200, res.json


def test_direct_pipeline_passes_the_idea_through(client):
    res = execute(client, schema="direct", input_text="green triangles")
    assert res.status_code == 200, res.json
    assert res.json["stages"]["stage2"]["status"] == "skipped"
    assert res.json["stages"]["stage3"]["prompt"].startswith("green triangles")


def test_user_defined_needs_rules(client):
    res = execute(client, schema="user_defined")
    assert res.status_code == 422 and res.json["error"]["details"]["field"] == "context_prompt"
    ok = execute(client, schema="user_defined", context_prompt="only circles, everything pink")
    assert ok.status_code == 200, ok.json
    assert "only circles, everything pink" in ok.json["stages"]["stage2"]["output"]


def test_german_request_reports_skipped_translation(client):
    res = execute(client, language="de", input_text="eine Katze auf dem Dach")
    assert res.status_code == 200, res.json
    translation = res.json["stages"]["stage3"]["translation"]
    assert translation["status"] == "skipped" and "LLM" in translation["detail"]
    assert "Katze" in res.json["stages"]["stage2"]["output"]


@pytest.mark.parametrize("level, blocked", [
    pytest.param("kids", True, id="kids"),
    pytest.param("youth", True, id="youth"),
    pytest.param("adult", False, id="adult"),
    pytest.param("research", False, id="research"),
])
def test_safety_level_is_server_wide(make_app, level, blocked):
    client = make_app(safety_level=level).test_client()
    assert client.get("/api/health").json["safety_level"] == level
    res = execute(client, input_text="a bloody gore scene with a knife")
    assert (res.status_code == 403) is blocked, res.json


def test_blocked_run_generates_nothing_and_is_recorded(client, app):
    res = execute(client, input_text="a bloody gore scene")
    assert res.status_code == 403
    body = res.json
    assert body["status"] == "blocked" and body["stage"] == 1
    assert "gore" in body["found_terms"] and "gore" in body["reason"]
    folder = app.extensions["devserver"].settings.runs_dir / body["run_id"]
    assert sorted(p.name for p in folder.iterdir()) == ["01_config_used.json", "02_input.txt",
                                                        "03_safety_stage1.json", "metadata.json"]
    meta = json.loads((folder / "metadata.json").read_text())
    assert meta["status"] == "blocked" and meta["media"] == []
    assert meta["blocked"] == {"stage": 1, "reason": body["reason"], "found_terms": body["found_terms"]}
    assert json.loads((folder / "03_safety_stage1.json").read_text())["status"] == "blocked"
    assert client.get(f"/api/media/image/{body['run_id']}").status_code == 404


def test_stage3_blocks_the_final_prompt(client, app):
    res = client.post("/api/schema/pipeline/generation", json={"prompt": "a g0re scene", "parameters": SMALL})
    assert res.status_code == 403 and res.json["stage"] == 3
    folder = app.extensions["devserver"].settings.runs_dir / res.json["run_id"]
    assert not any(p.suffix == ".png" for p in folder.iterdir())


def test_stage2_blocks_before_interception(client):
    res = client.post("/api/schema/pipeline/stage2",
                      json={"schema": "bauhaus", "input_text": "naked people", "language": "en"})
    assert res.status_code == 403 and res.json["stage"] == 1
    assert "stage2" not in {k for k, v in res.json["stages"].items() if v}


def test_optimize_blocks_edited_text(client):
    res = client.post("/api/schema/pipeline/optimize",
                      json={"prompt": "a bloody gore scene", "output_config": "tiny_sd"})
    assert res.status_code == 403 and res.json["stage"] == 3
