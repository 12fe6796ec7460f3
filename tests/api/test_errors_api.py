"""Every failure answers DESIGN.md's error shape with the right status and code."""

from __future__ import annotations

import pytest

RUN = "/api/schema/pipeline/execute"
GEN = "/api/schema/pipeline/generation"
OPT = "/api/schema/pipeline/optimize"
S2 = "/api/schema/pipeline/stage2"
GOOD_ID = "8b0d3c4e-1f2a-4b5c-9d6e-7f8091a2b3c4"


def assert_error(res, status: int, code: str) -> dict:
    assert res.status_code == status, (res.status_code, res.get_json())
    body = res.get_json()
    assert body["status"] == "error", body
    assert body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["details"], dict)
    return body["error"]


@pytest.mark.parametrize("path, body, status, code, needle", [
    pytest.param(RUN, {"schema": "no_such_config", "input_text": "x"}, 404, "config_not_found", "no_such_config",
                 id="unknown_config"),
    pytest.param(RUN, {"schema": "bauhaus", "input_text": "x", "output_config": "nope"}, 404,
                 "output_config_not_found", "nope", id="unknown_output_config"),
    pytest.param(GEN, {"prompt": "x", "output_config": "nope"}, 404, "output_config_not_found", "nope",
                 id="generation_unknown_output_config"),
    pytest.param(OPT, {"prompt": "x", "output_config": "nope"}, 404, "output_config_not_found", "nope",
                 id="optimize_unknown_output_config"),
    pytest.param(S2, {"schema": "nope", "input_text": "x"}, 404, "config_not_found", "nope", id="stage2_unknown"),
    pytest.param(RUN, {"schema": "bauhaus", "input_text": "x", "output_config": "sd15"}, 409,
                 "output_config_unavailable", "sd15", id="weights_not_on_disk"),
    pytest.param(RUN, {"schema": "bauhaus", "input_text": "x", "parameters": {"width": 500}}, 422,
                 "validation_error", "500", id="width_not_multiple_of_8"),
    pytest.param(RUN, {"schema": "bauhaus", "input_text": "x", "parameters": {"height": 1000}}, 422,
                 "validation_error", "1000", id="height_over_model_limit"),
    pytest.param(GEN, {"prompt": "x", "parameters": {"width": 60}}, 422, "validation_error", "60",
                 id="width_below_minimum"),
    pytest.param(GEN, {"prompt": "x", "parameters": {"steps": 0}}, 422, "validation_error", "steps",
                 id="zero_steps"),
    pytest.param(GEN, {"prompt": "x", "parameters": {"steps": 100}}, 422, "validation_error", "100",
                 id="steps_over_model_limit"),
    pytest.param(GEN, {"prompt": "x", "parameters": {"scheduler": "Warp"}}, 422, "validation_error", "Warp",
                 id="unknown_scheduler"),
    pytest.param(GEN, {"prompt": "x", "parameters": {"strength": 0.5}}, 422, "validation_error", "img2img",
                 id="strength_without_image"),
    pytest.param(GEN, {"prompt": "x", "parameters": {"colour": 1}}, 422, "validation_error", "colour",
                 id="unknown_parameter"),
    pytest.param(GEN, {"prompt": "x", "seed": -1}, 422, "validation_error", "seed", id="negative_seed"),
    pytest.param(GEN, {"prompt": "x", "seed": 2**40}, 422, "validation_error", "seed", id="huge_seed"),
    pytest.param(RUN, {"input_text": "x"}, 422, "validation_error", "schema", id="missing_schema"),
    pytest.param(RUN, {"schema": "bauhaus"}, 422, "validation_error", "input_text", id="missing_input_text"),
    pytest.param(RUN, {"schema": "bauhaus", "input_text": "   "}, 422, "validation_error", "input_text",
                 id="blank_input_text"),
    pytest.param(GEN, {}, 422, "validation_error", "prompt", id="missing_prompt"),
    pytest.param(OPT, {"prompt": "x"}, 422, "validation_error", "output_config", id="missing_output_config"),
    pytest.param(RUN, {"schema": "bauhaus", "input_text": "x", "language": "fr"}, 422, "validation_error",
                 "language", id="unknown_language"),
    pytest.param(RUN, {"schema": "image_transformation", "context_prompt": "watercolour"}, 422,
                 "validation_error", "input_image", id="image_mode_without_image"),
    pytest.param(RUN, {"schema": "bauhaus", "input_text": "x", "input_image": GOOD_ID}, 404, "upload_not_found",
                 GOOD_ID, id="unknown_input_image"),
    pytest.param(RUN, {"schema": "bauhaus", "input_text": "x", "input_image": "../../etc/passwd"}, 422,
                 "validation_error", "input_image", id="traversal_input_image"),
    pytest.param(GEN, {"prompt": "x", "run_id": "../x"}, 422, "validation_error", "run_id", id="traversal_run_id"),
    pytest.param(GEN, {"prompt": "x", "run_id": GOOD_ID}, 404, "run_not_found", GOOD_ID, id="unknown_run_id"),
    pytest.param(S2, {"schema": "image_transformation", "input_text": "x"}, 422, "validation_error", "input_image",
                 id="stage2_on_image_config"),
    pytest.param(RUN, {"schema": "bauhaus", "input_text": "x" * 4001}, 422, "validation_error", "input_text",
                 id="text_too_long"),
])
def test_bad_requests(client, path, body, status, code, needle):
    err = assert_error(client.post(path, json=body), status, code)
    assert needle in err["message"] + str(err["details"]), err


@pytest.mark.parametrize("kwargs, status, code", [
    pytest.param({"data": "not json", "content_type": "application/json"}, 400, "bad_request", id="invalid_json"),
    pytest.param({"data": "[1, 2]", "content_type": "application/json"}, 400, "bad_request", id="json_array"),
    pytest.param({"data": "schema=bauhaus", "content_type": "application/x-www-form-urlencoded"}, 415,
                 "unsupported_media_type", id="form_body"),
    pytest.param({"data": "hello", "content_type": "text/plain"}, 415, "unsupported_media_type", id="text_body"),
    pytest.param({}, 415, "unsupported_media_type", id="no_body"),
])
@pytest.mark.parametrize("path", [RUN, GEN, OPT, S2])
def test_non_json_bodies(client, path, kwargs, status, code):
    assert_error(client.post(path, **kwargs), status, code)


@pytest.mark.parametrize("url, status, code", [
    pytest.param("/api/media/image/not-a-uuid", 400, "invalid_id", id="image_malformed"),
    pytest.param("/api/media/image/..", 400, "invalid_id", id="image_dotdot"),
    pytest.param("/api/media/image/..%2F..%2Fsettings.py", 404, "not_found", id="image_encoded_traversal"),
    pytest.param("/api/media/image/%2e%2e", 400, "invalid_id", id="image_encoded_dots"),
    pytest.param(f"/api/media/image/{GOOD_ID}", 404, "run_not_found", id="image_unknown_run"),
    pytest.param(f"/api/media/image/{GOOD_ID}/0", 404, "run_not_found", id="image_unknown_run_index"),
    pytest.param(f"/api/media/image/{GOOD_ID.upper()}", 400, "invalid_id", id="image_uppercase_uuid"),
    pytest.param("/api/media/info/../../etc", 404, "not_found", id="info_traversal"),
    pytest.param("/api/media/info/x'--", 400, "invalid_id", id="info_malformed"),
    pytest.param(f"/api/media/info/{GOOD_ID}", 404, "run_not_found", id="info_unknown"),
    pytest.param("/api/media/uploads/..%2Fjson", 404, "not_found", id="upload_encoded_traversal"),
    pytest.param("/api/media/uploads/abc.png", 400, "invalid_id", id="upload_malformed"),
    pytest.param(f"/api/media/uploads/{GOOD_ID}", 404, "upload_not_found", id="upload_unknown"),
    pytest.param("/api/schema/configs/..%2F..%2Fpyproject", 404, "not_found", id="config_traversal"),
    pytest.param("/api/schema/configs/NOPE", 404, "config_not_found", id="config_unknown"),
    pytest.param("/api/nothing-here", 404, "not_found", id="unknown_api_path"),
])
def test_bad_ids_and_paths(client, url, status, code):
    assert_error(client.get(url), status, code)


def test_uuid_v1_is_not_a_run_id(client):
    assert_error(client.get("/api/media/info/8b0d3c4e-1f2a-1b5c-9d6e-7f8091a2b3c4"), 400, "invalid_id")


def test_wrong_method_is_json_405(client):
    res = client.get(RUN)
    assert_error(res, 405, "method_not_allowed")
    assert "POST" in res.headers["Allow"]


def test_index_out_of_range(client):
    run = client.post(GEN, json={"prompt": "blue", "parameters": {"width": 64, "height": 64, "steps": 2}})
    run_id = run.get_json()["run_id"]
    err = assert_error(client.get(f"/api/media/image/{run_id}/1"), 404, "media_not_found")
    assert err["details"] == {"run_id": run_id, "index": 1, "count": 1}


def test_cors_allows_localhost_only(client):
    ok = client.get("/api/health", headers={"Origin": "http://localhost:5173"})
    assert ok.headers.get("Access-Control-Allow-Origin") == "http://localhost:5173"
    evil = client.get("/api/health", headers={"Origin": "http://evil.example"})
    assert "Access-Control-Allow-Origin" not in evil.headers


def test_wildcard_cors_is_refused(settings_factory):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="not allowed"):
        settings_factory(cors_origins=["*"])
