"""The seed-002 job API: ``POST /v1/jobs`` and ``GET /v1/jobs/<job_id>/stream`` (``data: Step k/N``, then the
base64 PNG), on the same queue, safety stages and run folders as the studio's runs."""

from __future__ import annotations

import base64
import io
import json
import re
from typing import Any

import numpy as np
import pytest
import requests
import sseclient
from PIL import Image, ImageFilter

from devserver.errors import GenerationError
from tests.api.conftest import WAIT_S
from tests.support.images import make_other_format

STEP = re.compile(r"^Step (\d+)/(\d+)$")


def b64(image: Image.Image, fmt: str = "PNG") -> str:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def photo() -> Image.Image:
    return Image.fromarray((np.random.RandomState(2).rand(64, 96, 3) * 255).astype(np.uint8))


def mask() -> Image.Image:
    image = Image.new("L", (96, 64), 0)
    image.paste(255, (30, 16, 60, 44))
    return image


def op(type_: str = "SDGenerate", **fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {"type": type_, "prompt": "a rusty robot", "steps": 4, "guidance_scale": 7.5,
                              "width": 64, "height": 64, "seed": 42}
    if type_ != "SDGenerate":
        values["image"] = b64(photo())
    if type_ == "SDInpaint":
        values["mask"] = b64(mask())
    values.update(fields)
    return {"operation": values}


def parse_sse(text: str) -> list[dict[str, Any]]:
    """Events of an SSE body: [{"id", "event", "data"}] (comments and the retry field left out)."""
    events = []
    for block in text.split("\n\n"):
        fields: dict[str, Any] = {}
        for line in block.split("\n"):
            if line and not line.startswith(":") and ": " in line:
                name, value = line.split(": ", 1)
                fields[name] = value
        if "data" in fields:
            events.append(fields)
    return events


def submit(client, body: dict[str, Any]) -> dict[str, Any]:
    res = client.post("/v1/jobs", json=body)
    assert res.status_code == 202, res.get_json()
    return res.get_json()


def stream(client, accepted: dict[str, Any]) -> list[dict[str, Any]]:
    res = client.get(accepted["stream_url"])
    assert res.status_code == 200 and res.mimetype == "text/event-stream"
    return parse_sse(res.get_data(as_text=True))


def steps_and_final(events: list[dict[str, Any]]) -> tuple[list[tuple[int, int]], dict[str, Any]]:
    *progress, final = events
    steps = []
    for event in progress:
        match = STEP.match(event["data"])
        assert match and "event" not in event, event
        steps.append((int(match[1]), int(match[2])))
    return steps, final


@pytest.mark.parametrize(("type_", "size"), [("SDGenerate", (64, 64)), ("SDImg2Img", (96, 64)),
                                             ("SDInpaint", (96, 64))])
def test_each_operation_streams_its_steps_then_the_png(client, app, type_, size):
    accepted = submit(client, op(type_, width=96, height=96) if type_ != "SDGenerate" else op(type_))
    assert accepted["stream_url"] == f"/v1/jobs/{accepted['job_id']}/stream" and accepted["status"] == "queued"

    steps, final = steps_and_final(stream(client, accepted))

    total = steps[-1][1]
    assert steps == [(k, total) for k in range(1, total + 1)], "Step 1/N .. Step N/N, in order"
    assert final["event"] == "complete"
    result = json.loads(final["data"])
    assert (result["status"], result["job_id"], result["seed"], result["mime_type"]) == (
        "success", accepted["job_id"], 42, "image/png")
    image = Image.open(io.BytesIO(base64.b64decode(result["image"])))
    assert image.format == "PNG" and image.size == size == (result["width"], result["height"])
    # the same run folder as every run: the PNG there is the one sent
    runs = app.extensions["devserver"].settings.runs_dir
    assert client.get(result["url"]).data == base64.b64decode(result["image"])
    meta = json.loads((runs / accepted["job_id"] / "metadata.json").read_text())
    assert (meta["api"], meta["operation"], meta["status"]) == ("v1/jobs", type_, "success")
    types = [entity["type"] for entity in meta["entities"]]
    assert types[0] == "input" and "safety_stage1" in types and "safety_stage3" in types
    assert ("input_image" in types) == (type_ != "SDGenerate") and ("input_mask" in types) == (type_ == "SDInpaint")
    status = client.get(f"/api/runs/{accepted['job_id']}").get_json()
    assert status["kind"] == "sd_job" and status["stages"]["stage4"]["mode"] == {
        "SDGenerate": "txt2img", "SDImg2Img": "img2img", "SDInpaint": "inpaint"}[type_]


def test_inpaint_keeps_the_photo_outside_the_mask_and_the_seed_reproduces(client):
    body = op("SDInpaint", width=96, height=96, mask_blur=0)
    first = json.loads(steps_and_final(stream(client, submit(client, body)))[1]["data"])
    again = json.loads(steps_and_final(stream(client, submit(client, body)))[1]["data"])

    out = np.asarray(Image.open(io.BytesIO(base64.b64decode(first["image"]))).convert("RGB")).astype(int)
    far = np.asarray(mask().filter(ImageFilter.MaxFilter(5))) == 0
    assert (out[far] == np.asarray(photo()).astype(int)[far]).all()
    pixels = [Image.open(io.BytesIO(base64.b64decode(r["image"]))).tobytes() for r in (first, again)]
    assert pixels[0] == pixels[1], "same seed, same pixels (the PNGs differ only in their provenance: run_id)"


def test_a_jpeg_and_a_data_url_are_accepted(client):
    body = op("SDImg2Img", image="data:image/jpeg;base64," + b64(photo(), "JPEG"))
    _, final = steps_and_final(stream(client, submit(client, body)))
    assert final["event"] == "complete"


@pytest.mark.parametrize(("field", "text"), [
    pytest.param("prompt", "a naked person", id="prompt"),
    pytest.param("negative_prompt", "no nudity, naked", id="negative_prompt"),
])
def test_a_blocked_prompt_ends_with_a_blocked_event_and_nothing_is_generated(client, app, field, text):
    accepted = submit(client, op(**{field: text}))

    events = stream(client, accepted)

    assert [event.get("event") for event in events] == ["blocked"], "no step ran"
    blocked = json.loads(events[0]["data"])
    assert (blocked["status"], blocked["stage"], blocked["job_id"]) == ("blocked", 1, accepted["job_id"])
    assert "naked" in blocked["found_terms"]
    meta = json.loads((app.extensions["devserver"].settings.runs_dir / accepted["job_id"] / "metadata.json")
                      .read_text())
    assert meta["status"] == "blocked" and meta["media"] == []
    stage1 = client.get(f"/api/runs/{accepted['job_id']}").get_json()["stages"]["stage1"]
    assert stage1["found_in"] == [f"operation.{field}"]


@pytest.mark.parametrize(("body", "status", "code"), [
    pytest.param(op("SDImg2Img", image="not base64!"), 400, "upload_invalid", id="bad_base64"),
    pytest.param(op("SDImg2Img", image=base64.b64encode(b"just some text").decode()), 400, "upload_invalid",
                 id="not_an_image"),
    pytest.param(op("SDImg2Img", image=base64.b64encode(make_other_format("GIF")).decode()), 415,
                 "unsupported_media_type", id="gif"),
    pytest.param(op("SDInpaint", mask=b64(Image.new("L", (96, 64), 0))), 422, "mask_empty", id="black_mask"),
    pytest.param(op("SDInpaint", mask=None), 422, "validation_error", id="inpaint_without_mask"),
    pytest.param(op("SDGenerate", image=b64(photo())), 422, "validation_error", id="generate_with_image"),
    pytest.param(op("SDUpscale"), 422, "validation_error", id="unknown_type"),
    pytest.param(op(width=100), 422, "validation_error", id="width_not_multiple_of_8"),
    pytest.param(op(steps=0), 422, "validation_error", id="zero_steps"),
    pytest.param(op(model="no-such-model"), 404, "model_not_found", id="unknown_model"),
    pytest.param(op(model="../../etc/passwd"), 404, "model_not_found", id="path_as_model"),
    pytest.param(op(model="tiny_sd_inpaint"), 422, "mode_unsupported", id="txt2img_on_an_inpainting_model"),
    pytest.param(op(model="tiny_sd3", width=72, height=64), 422, "validation_error", id="sd3_size"),
    pytest.param({"operation": {"type": "SDGenerate"}}, 422, "validation_error", id="no_prompt"),
    pytest.param({"prompt": "a cat"}, 422, "validation_error", id="no_operation"),
])
def test_bad_jobs_are_refused_before_queueing(client, app, body, status, code):
    res = client.post("/v1/jobs", json=body)

    assert res.status_code == status, res.get_json()
    error = res.get_json()["error"]
    assert error["code"] == code
    assert "Traceback" not in error["message"] and "/tmp" not in json.dumps(error)
    assert app.extensions["devserver"].queue.snapshot().jobs == []


def test_an_image_over_the_upload_limit_is_413(make_app):
    app = make_app(upload_max_bytes=4096)
    big = Image.fromarray((np.random.RandomState(0).rand(64, 64, 3) * 255).astype(np.uint8))  # ~12 KB as PNG
    try:
        res = app.test_client().post("/v1/jobs", json=op("SDImg2Img", image=b64(big)))
        assert res.status_code == 413
        assert res.get_json()["error"]["code"] == "upload_too_large"
        assert res.get_json()["error"]["details"] == {"field": "operation.image", "limit_bytes": 4096}
    finally:
        app.extensions["devserver"].queue.stop()


def test_a_body_over_two_images_is_refused_by_size(make_app):
    app = make_app(upload_max_bytes=4096)
    try:
        res = app.test_client().post("/v1/jobs", data=json.dumps(op(prompt="x" * 20_000)),
                                     content_type="application/json")
        assert res.status_code in (413, 422)
        huge = app.test_client().post("/v1/jobs", data=b"{" + b" " * 200_000 + b"}",
                                      content_type="application/json")
        assert huge.status_code == 413 and huge.get_json()["error"]["code"] == "upload_too_large"
    finally:
        app.extensions["devserver"].queue.stop()


def test_model_by_output_config_registry_id_or_alias(client):
    for name, output_config in (("tiny_sd2", "tiny_sd2"), ("tiny-sd2", "tiny_sd2"),
                                ("tiny-sdxl-turbo", "tiny_sdxl_turbo")):
        accepted = submit(client, op(model=name, steps=2))
        result = json.loads(steps_and_final(stream(client, accepted))[1]["data"])
        assert result["model"] == output_config, name


def test_unknown_job_ids(client):
    missing = client.get("/v1/jobs/00000000-0000-4000-8000-000000000000/stream")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "job_not_found"
    bad = client.get("/v1/jobs/..%2F..%2Fetc/stream")
    assert bad.status_code in (400, 404) and bad.is_json
    not_uuid = client.get("/v1/jobs/123/stream")
    assert not_uuid.status_code == 400 and not_uuid.get_json()["error"]["code"] == "invalid_id"
    studio_run = client.post("/api/schema/pipeline/generation", json={
        "prompt": "a cat", "async": True, "parameters": {"width": 64, "height": 64, "steps": 2}}).get_json()
    assert client.get(f"/v1/jobs/{studio_run['run_id']}/stream").status_code == 404
    assert client.get("/v1/jobs/nothing/here").status_code == 404


def test_a_failure_is_an_error_event(client, monkeypatch, generation_backend):
    def fail(*args: Any, **kwargs: Any) -> None:
        raise GenerationError("Model 'tiny_sd' failed to generate the image.",
                              details={"output_config": "tiny_sd", "exception_type": "RuntimeError"})

    monkeypatch.setattr(generation_backend, "generate", fail)
    events = stream(client, submit(client, op()))

    assert [event.get("event") for event in events] == ["error"]
    data = json.loads(events[0]["data"])
    assert data["status"] == "error" and data["error"] == {
        "code": "generation_failed", "message": "Model 'tiny_sd' failed to generate the image."}


def test_a_canceled_job_ends_with_a_canceled_event(live):
    held = live.hold()  # the queue runs one job at a time: the next one waits
    accepted = requests.post(live.url + "/v1/jobs", json=op(), timeout=WAIT_S).json()
    assert accepted["position"] == 1
    assert live.cancel(accepted["job_id"]).status_code == 200
    live.cancel(held)

    res = requests.get(live.url + accepted["stream_url"], timeout=WAIT_S)
    events = parse_sse(res.text)
    assert [event.get("event") for event in events] == ["canceled"]
    assert json.loads(events[0]["data"])["error"]["code"] == "canceled"


def test_the_stream_is_live_and_resumes_after_last_event_id(live):
    accepted = requests.post(live.url + "/v1/jobs", json=op(steps=6), timeout=WAIT_S).json()
    with requests.get(live.url + accepted["stream_url"], stream=True, timeout=WAIT_S) as res:
        # read as it arrives (an EventSource-style client: unnamed events are "message")
        events = [(e.id, e.event, e.data) for e in sseclient.SSEClient(res.iter_content(chunk_size=None)).events()]
    assert [kind for _, kind, _ in events] == ["message"] * (len(events) - 1) + ["complete"]
    third = next(event_id for event_id, _, data in events if data.startswith("Step 3/"))

    resumed = requests.get(live.url + accepted["stream_url"], headers={"Last-Event-ID": third}, timeout=WAIT_S)
    later = parse_sse(resumed.text)
    assert later[0]["data"].startswith("Step 4/") and later[-1]["event"] == "complete"
    assert len(later) == len(events) - 3


def test_foreign_web_pages_cannot_submit_and_allowed_origins_get_cors(client):
    refused = client.post("/v1/jobs", json=op(), headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "origin_not_allowed"

    preflight = client.options("/v1/jobs", headers={"Origin": "http://localhost:5173",
                                                     "Access-Control-Request-Method": "POST"})
    assert preflight.headers.get("Access-Control-Allow-Origin") == "http://localhost:5173"


def test_the_job_api_is_in_the_openapi_document(client):
    spec = client.get("/api/openapi.json").get_json()

    post = spec["paths"]["/v1/jobs"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("JobApiRequest")
    assert "202" in post["responses"] and "413" in post["responses"] and "403" in post["responses"]
    stream_op = spec["paths"]["/v1/jobs/{job_id}/stream"]["get"]
    assert "text/event-stream" in stream_op["responses"]["200"]["content"]
    assert stream_op["parameters"][0]["schema"]["pattern"].startswith("^[0-9a-f]{8}")


def test_a_stream_resumed_beyond_the_last_event_ends_with_the_job(live):
    """A Last-Event-ID past every event (a confused client) must not keep the stream open after the job ended."""
    held = live.hold()
    accepted = requests.post(live.url + "/v1/jobs", json=op(steps=2), timeout=WAIT_S).json()
    with requests.get(live.url + accepted["stream_url"], headers={"Last-Event-ID": "999999999"}, stream=True,
                      timeout=WAIT_S) as res:
        assert live.cancel(held).status_code == 202  # the job runs now, and ends
        assert parse_sse(res.text) == [], "nothing after event 999999999, and the stream closed at the job's end"


def test_a_waiting_job_shows_in_the_queue_and_the_teacher_view(live):
    held = live.hold()
    accepted = requests.post(live.url + "/v1/jobs", json=op("SDImg2Img", prompt="a rusty robot"), timeout=WAIT_S).json()
    try:
        jobs = live.get("/api/teacher/queue").json()["jobs"]
        waiting = next(job for job in jobs if job["run_id"] == accepted["job_id"])
        assert (waiting["kind"], waiting["status"], waiting["text"], waiting["image_mode"]) == (
            "sd_job", "queued", "a rusty robot", True)
    finally:
        live.cancel(accepted["job_id"])
        live.cancel(held)
