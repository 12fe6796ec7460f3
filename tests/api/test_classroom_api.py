"""The studio's classroom API: the step-by-step path for every config, prompt token counts, the gallery's run
list and run detail (read from run folders), thumbnails and input photos, the model's ready state, the
truthful step count, and the teacher view's endpoints behind the admin token."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta

import pytest
from PIL import Image

from devserver.contracts.classroom import MAX_LISTED_IDS
from devserver.generation.backend import DiffusersBackend, ModelRef
from devserver.storage.ids import new_id

SMALL = {"width": 64, "height": 64, "steps": 2}
LAN = {"REMOTE_ADDR": "10.0.0.23"}
"""A learner's computer in the school network (not the server itself)."""


def execute(client, **body):
    body = {"schema": "dada", "input_text": "ein Fuchs im Regen", "language": "de", "parameters": SMALL, **body}
    res = client.post("/api/schema/pipeline/execute", json=body)
    assert res.status_code in (200, 403), res.json
    return res.json


def upload(client, width: int = 96, height: int = 64) -> str:
    image = Image.new("RGB", (width, height), (200, 120, 40))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    res = client.post("/api/media/upload/image", data={"file": (io.BytesIO(buffer.getvalue()), "foto.png")},
                      content_type="multipart/form-data")
    assert res.status_code == 200, res.json
    return res.json["image_id"]


# --------------------------------------------------------------------------- "Direkt" and the step-by-step path


def test_stage2_answers_a_passthrough_config_with_the_idea_and_a_skipped_stage2(client):
    res = client.post("/api/schema/pipeline/stage2", json={"schema": "direct", "input_text": "grüne Dreiecke"})
    assert res.status_code == 200, res.json
    assert res.json["interception_result"] == "grüne Dreiecke"
    assert res.json["stages"]["stage1"]["status"] == "passed"
    assert res.json["stages"]["stage2"]["status"] == "skipped"
    optimized = client.post("/api/schema/pipeline/optimize", json={
        "prompt": res.json["interception_result"], "output_config": "tiny_sd", "run_id": res.json["run_id"]})
    assert optimized.status_code == 200, optimized.json
    assert optimized.json["optimized_prompt"] == "grüne Dreiecke"


def test_stage2_still_checks_the_idea_of_a_passthrough_config(client):
    res = client.post("/api/schema/pipeline/stage2", json={"schema": "direct", "input_text": "a gore scene"})
    assert res.status_code == 403 and res.json["stage"] == 1


def test_stage2_of_an_image_config_names_the_missing_photo_not_the_config(client):
    res = client.post("/api/schema/pipeline/stage2", json={"schema": "image_transformation", "input_text": "x"})
    assert res.status_code == 422
    assert res.json["error"]["details"]["field"] == "input_image"


# --------------------------------------------------------------------------- refusals name the allowed range


@pytest.mark.parametrize(("parameters", "field", "low", "high"), [
    pytest.param({"steps": 80}, "parameters.steps", 1, 50, id="steps"),
    pytest.param({"width": 1024}, "parameters.width", 64, 512, id="width"),
])
def test_a_refused_setting_names_the_allowed_range(client, parameters, field, low, high):
    res = client.post("/api/schema/pipeline/execute", json={"schema": "dada", "input_text": "x",
                                                            "parameters": parameters})
    assert res.status_code == 422
    error = res.json["error"]
    assert error["details"]["field"] == field
    assert (error["details"]["min"], error["details"]["max"]) == (low, high)
    assert f"between {low} and {high}" in error["message"]


# --------------------------------------------------------------------------- true step counts


def test_stage4_reports_the_steps_that_really_ran(client):
    txt2img = execute(client, parameters={**SMALL, "steps": 3})
    assert txt2img["stages"]["stage4"]["steps"] == 3
    assert txt2img["stages"]["stage4"]["total_steps"] == 4, "tiny_sd's PNDM scheduler runs steps + 1 timesteps"
    ddim = execute(client, parameters={**SMALL, "steps": 3, "scheduler": "DDIM"})
    assert ddim["stages"]["stage4"]["total_steps"] == 3
    img2img = execute(client, schema="image_transformation", input_text="", input_image=upload(client),
                      parameters={"steps": 8, "strength": 0.5, "scheduler": "DDIM", "width": 64, "height": 64})
    assert img2img["stages"]["stage4"]["total_steps"] == 4, "img2img runs int(steps * strength)"


# --------------------------------------------------------------------------- prompt tokens


def tokens(client, prompt: str, output_config: str = "tiny_sd"):
    return client.post("/api/schema/prompt-tokens", json={"prompt": prompt, "output_config": output_config})


def test_a_short_prompt_is_read_whole(client):
    res = tokens(client, "ab")
    assert res.status_code == 200, res.json
    body = res.json
    assert body["countable"] is True and body["truncated"] is False
    assert body["max_tokens"] == 77
    assert body["token_count"] == 4, "start token, 'a', 'b</w>', end token in the byte-level tiny tokenizer"
    assert body["read_chars"] == 2 and body["ignored_from"] is None


def test_a_long_prompt_is_cut_where_the_models_own_tokenizer_cuts_it(client, tiny_model_dir):
    from transformers import AutoTokenizer

    prompt = "A fox dancing in the rain, paper collage, " * 6
    body = tokens(client, prompt).json
    assert body["truncated"] is True and body["token_count"] > 77
    cut = body["ignored_from"]
    assert cut == body["read_chars"] and 0 < cut < len(prompt)
    # what diffusers' StableDiffusionPipeline keeps: tokenizer(..., truncation=True, max_length=77)
    tokenizer = AutoTokenizer.from_pretrained(str(tiny_model_dir / "tiny-sd" / "tokenizer"))
    kept = tokenizer(prompt, truncation=True, max_length=77)["input_ids"]
    read = tokenizer.decode(kept, skip_special_tokens=True)
    assert read.replace(" ", "") == prompt[:cut].lower().replace(" ", ""), "the unmarked part is what the model reads"


def test_a_model_without_files_cannot_be_counted_and_says_so(client):
    body = tokens(client, "a fox", "sd15").json
    assert body["countable"] is False and "not on this computer" in body["reason"]
    assert body["token_count"] is None and body["encoders"] == []


@pytest.mark.parametrize(("body", "status", "code"), [
    pytest.param({"prompt": "a", "output_config": "nope"}, 404, "output_config_not_found", id="unknown_model"),
    pytest.param({"prompt": "a"}, 422, "validation_error", id="missing_model"),
    pytest.param({"prompt": "a" * 4001, "output_config": "tiny_sd"}, 422, "validation_error", id="too_long"),
])
def test_prompt_tokens_bad_requests(client, body, status, code):
    res = client.post("/api/schema/prompt-tokens", json=body)
    assert res.status_code == status and res.json["error"]["code"] == code


# --------------------------------------------------------------------------- the gallery's run list


def test_runs_are_listed_by_the_ids_the_browser_sends_newest_first(client):
    first = execute(client, input_text="erste Idee", seed=7)
    second = execute(client, input_text="zweite Idee", schema="bauhaus", seed=8)
    someone_elses = execute(client, input_text="nicht meins")
    unknown = new_id()

    res = client.get(f"/api/runs?ids={first['run_id']},{second['run_id']},{unknown}")
    assert res.status_code == 200, res.json
    body = res.json
    assert [run["run_id"] for run in body["runs"]] == [second["run_id"], first["run_id"]]
    assert someone_elses["run_id"] not in json.dumps(body), "a run is listed only when its id is sent"
    assert body["missing"] == [unknown] and body["total"] == 2
    newest = body["runs"][0]
    assert newest["idea"] == "zweite Idee" and newest["config"] == "bauhaus" and newest["config_name"] == "Bauhaus"
    assert newest["seed"] == 8 and newest["mode"] == "txt2img" and newest["status"] == "success"
    assert newest["media"] == [second["media_output"]]
    assert newest["thumbnail_url"] == f"/api/media/thumbnail/{second['run_id']}/0"
    assert newest["prompt"] == second["stages"]["stage3"]["prompt"]


def test_runs_are_paged(client):
    ids = [execute(client, input_text=f"Idee {n}")["run_id"] for n in range(3)]
    page1 = client.get(f"/api/runs?ids={','.join(ids)}&per_page=2").json
    page2 = client.get(f"/api/runs?ids={','.join(ids)}&per_page=2&page=2").json
    assert page1["total"] == page2["total"] == 3
    assert [r["run_id"] for r in page1["runs"]] + [r["run_id"] for r in page2["runs"]] == ids[::-1]


def test_run_ids_may_be_repeated_or_comma_separated(client):
    """The OpenAPI document describes ``ids`` as an array; both of its URL forms list the same runs."""
    ids = [execute(client, input_text=f"Idee {n}")["run_id"] for n in range(2)]
    comma = client.get(f"/api/runs?ids={','.join(ids)}").json
    repeated = client.get(f"/api/runs?ids={ids[0]}&ids={ids[1]}").json
    assert comma == repeated and [r["run_id"] for r in comma["runs"]] == ids[::-1]


def test_a_run_waiting_in_the_queue_is_not_missing(live):
    """A queued run has no folder until it starts; it was reported ``missing``, and the gallery then made the browser
    forget it for good (the learner never saw that image)."""
    holder = live.hold()
    waiting = live.submit()
    gone = new_id()
    body = live.get(f"/api/runs?ids={holder},{waiting},{gone}").json()
    assert body["missing"] == [gone]
    assert [run["run_id"] for run in body["runs"]] == [holder] and body["runs"][0]["status"] == "in_progress"
    assert live.cancel(waiting).json()["status"] == "canceled"
    assert live.cancel(holder).status_code == 202
    live.events(holder)
    body = live.get(f"/api/runs?ids={holder},{waiting}").json()
    assert body["missing"] == [waiting], "canceled before it started: nothing to show, the browser may forget it"


@pytest.mark.parametrize(("query", "status", "code"), [
    pytest.param("", 422, "validation_error", id="no_ids"),
    pytest.param("?ids=../../etc", 400, "invalid_id", id="traversal"),
    pytest.param("?ids=" + ",".join(new_id() for _ in range(MAX_LISTED_IDS + 1)), 422, "validation_error",
                 id="too_many_ids"),
    pytest.param(f"?ids={new_id()}&per_page=500", 422, "validation_error", id="page_too_large"),
    pytest.param(f"?ids={new_id()}&sort=seed", 422, "validation_error", id="unknown_parameter"),
    pytest.param("?ids=,", 422, "validation_error", id="empty_list"),
])
def test_run_list_bad_queries(client, query, status, code):
    res = client.get("/api/runs" + query)
    assert res.status_code == status and res.json["error"]["code"] == code


# --------------------------------------------------------------------------- run detail


def test_run_detail_has_everything_to_show_and_restore_a_text_run(client):
    run = execute(client, context_prompt="Alles wird aus Papier.", seed=99,
                  parameters={"width": 64, "height": 72, "steps": 3},
                  interception_result="ein Fuchs aus Papier", optimized_prompt="paper fox, rain")
    res = client.get(f"/api/runs/{run['run_id']}/detail")
    assert res.status_code == 200, res.json
    detail = res.json["run"]
    assert detail["idea"] == "ein Fuchs im Regen" and detail["config"] == "dada"
    assert detail["rules"] == "Alles wird aus Papier." and detail["rules_source"] == "learner"
    assert detail["interception"] == "ein Fuchs aus Papier" and detail["optimized_prompt"] == "paper fox, rain"
    assert detail["parameters"] == {"width": 64, "height": 72, "steps": 3}
    assert detail["seed"] == 99 and detail["language"] == "de" and detail["output_config"] == "tiny_sd"
    assert detail["stages"] == run["stages"], "the stages as they were, from the image's provenance"
    assert detail["safety_level"] == "youth" and detail["input_image"] is None


def test_run_detail_of_an_image_run_serves_its_own_copy_of_the_photo(client):
    image_id = upload(client, 96, 64)
    run = execute(client, schema="image_transformation", input_text="mein Hof", input_image=image_id)
    detail = client.get(f"/api/runs/{run['run_id']}/detail").json["run"]
    assert detail["mode"] == "img2img" and detail["input_image"] == image_id
    assert detail["input_image_url"] == f"/api/media/input/{run['run_id']}"
    photo = client.get(detail["input_image_url"])
    assert photo.status_code == 200 and photo.mimetype == "image/png"
    assert Image.open(io.BytesIO(photo.data)).size == (96, 64)


def test_run_detail_of_a_blocked_run_rebuilds_its_stages_from_its_files(client):
    run = execute(client, optimized_prompt="a gore scene")
    assert run["status"] == "blocked"
    detail = client.get(f"/api/runs/{run['run_id']}/detail").json["run"]
    assert detail["status"] == "blocked" and detail["blocked"]["stage"] == 1
    assert detail["stages"]["stage1"] == run["stages"]["stage1"]
    assert detail["media"] == [] and detail["thumbnail_url"] is None


@pytest.mark.parametrize(("path", "status"), [
    pytest.param(f"/api/runs/{new_id()}/detail", 404, id="unknown_run"),
    pytest.param("/api/runs/not-a-uuid/detail", 400, id="invalid_id"),
    pytest.param(f"/api/media/thumbnail/{new_id()}/0", 404, id="thumbnail_unknown_run"),
    pytest.param(f"/api/media/input/{new_id()}", 404, id="input_unknown_run"),
])
def test_missing_runs(client, path, status):
    assert client.get(path).status_code == status


def test_thumbnails_are_small_webps(client):
    run = execute(client, parameters={"width": 512, "height": 384, "steps": 1})
    res = client.get(f"/api/media/thumbnail/{run['run_id']}/0")
    assert res.status_code == 200 and res.mimetype == "image/webp"
    assert Image.open(io.BytesIO(res.data)).size == (256, 192)
    assert client.get(f"/api/media/thumbnail/{run['run_id']}/1").status_code == 404
    assert client.get(f"/api/media/input/{run['run_id']}").status_code == 404, "a text run has no photo"


# --------------------------------------------------------------------------- ready state


def test_health_says_whether_the_default_model_is_loaded(make_app, tiny_model_dir):
    from devserver import create_app

    backend = DiffusersBackend(device="cpu", models_dir=tiny_model_dir)
    app = create_app(make_app().extensions["devserver"].settings, generation_backend=backend, start_queue=False)
    cold = app.test_client().get("/api/health").json["default_model"]
    assert cold == {"output_config": "tiny_sd", "ready": False, "loading": False, "estimated_wait_s": 15.0}
    backend.warm_up(ModelRef(id="tiny_sd", family="sd", builtin="tiny_sd"))
    warm = app.test_client().get("/api/health").json["default_model"]
    assert warm == {"output_config": "tiny_sd", "ready": True, "loading": False, "estimated_wait_s": None}


# --------------------------------------------------------------------------- learners do not see others' run ids


def _keep_queued(app, monkeypatch) -> None:
    """No queue thread starts: submitted jobs stay queued for the test."""
    monkeypatch.setattr(app.extensions["devserver"].queue, "_ensure_workers", lambda: None)


def test_the_public_queue_shows_run_ids_only_to_admin_callers(make_app, monkeypatch):
    app = make_app(admin_token="classroom-secret")
    _keep_queued(app, monkeypatch)
    client = app.test_client()
    res = client.post("/api/schema/pipeline/generation", json={"prompt": "a fox", "async": True,
                                                               "parameters": SMALL})
    run_id = res.json["run_id"]
    learner = client.get("/api/queue", environ_base=LAN).json
    assert learner["queued"] == 1 and learner["jobs"][0]["run_id"] is None
    teacher = client.get("/api/queue", headers={"Authorization": "Bearer classroom-secret"}).json
    assert teacher["jobs"][0]["run_id"] == run_id


# --------------------------------------------------------------------------- teacher view


TOKEN = {"Authorization": "Bearer classroom-secret"}


@pytest.mark.parametrize(("method", "path"), [
    pytest.param("get", "/api/teacher/queue", id="queue"),
    pytest.param("get", "/api/teacher/runs", id="todays_runs"),
    pytest.param("post", f"/api/teacher/runs/{new_id()}/cancel", id="cancel"),
])
@pytest.mark.parametrize(("headers", "status", "code"), [
    pytest.param({}, 401, "admin_token_required", id="no_token"),
    pytest.param({"Authorization": "Bearer guess"}, 401, "admin_token_required", id="wrong_token"),
])
def test_teacher_actions_need_the_token(make_app, method, path, headers, status, code):
    client = make_app(admin_token="classroom-secret").test_client()
    res = getattr(client, method)(path, headers=headers, environ_base=LAN)
    assert res.status_code == status and res.json["error"]["code"] == code
    assert res.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("method", "path"), [
    pytest.param("get", "/api/teacher/queue", id="queue"),
    pytest.param("get", "/api/teacher/runs", id="todays_runs"),
    pytest.param("post", f"/api/teacher/runs/{new_id()}/cancel", id="cancel"),
])
def test_without_a_configured_token_teacher_actions_work_only_on_the_server_machine(make_app, method, path):
    client = make_app().test_client()
    res = getattr(client, method)(path, environ_base=LAN)
    assert res.status_code == 403 and res.json["error"]["code"] == "admin_only_from_this_machine"
    here = getattr(client, method)(path, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert here.status_code in (200, 404), here.json  # 404: the cancel's run does not exist


def test_the_teacher_sees_the_queue_with_the_ideas_and_cancels_any_run(make_app, monkeypatch):
    app = make_app(admin_token="classroom-secret")
    _keep_queued(app, monkeypatch)
    client = app.test_client()
    execute_body = {"schema": "dada", "input_text": "ein Fuchs", "async": True, "parameters": SMALL}
    first = client.post("/api/schema/pipeline/execute", json=execute_body, environ_base=LAN).json["run_id"]
    second = client.post("/api/schema/pipeline/generation", json={"prompt": "a paper fox", "async": True},
                         environ_base=LAN).json["run_id"]

    queue = client.get("/api/teacher/queue", headers=TOKEN, environ_base=LAN).json
    assert [(j["run_id"], j["position"], j["text"], j["config"]) for j in queue["jobs"]] == [
        (first, 1, "ein Fuchs", "dada"), (second, 2, "a paper fox", None)]

    res = client.post(f"/api/teacher/runs/{first}/cancel", headers=TOKEN, environ_base=LAN)
    assert res.status_code == 200 and res.json["status"] == "canceled"
    assert [j["run_id"] for j in client.get("/api/teacher/queue", headers=TOKEN).json["jobs"]] == [second]


def test_the_teacher_sees_todays_runs_of_the_whole_server(make_app):
    app = make_app(admin_token="classroom-secret")
    client = app.test_client()
    mine = execute(client)["run_id"]
    theirs = execute(client, input_text="ein Haus")["run_id"]
    # a run of yesterday does not count
    old = execute(client, input_text="gestern")["run_id"]
    meta_path = app.extensions["devserver"].settings.runs_dir / old / "metadata.json"
    meta = json.loads(meta_path.read_text())
    meta["created_at"] = (datetime.now().astimezone() - timedelta(days=1)).isoformat()
    meta_path.write_text(json.dumps(meta))

    body = client.get("/api/teacher/runs", headers=TOKEN, environ_base=LAN).json
    assert [run["run_id"] for run in body["runs"]] == [theirs, mine]
    assert body["runs"][0]["thumbnail_url"] is not None
