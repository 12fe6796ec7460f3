"""LLM backends against a real HTTP server on 127.0.0.1 (tests/support/fake_llm.py), both wire formats."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from devserver.errors import ApiError, LlmResponseError, LlmTimeoutError, LlmUnavailableError
from devserver.llm import (
    LlmBackend,
    LlmRequest,
    OllamaBackend,
    OpenAICompatibleBackend,
    TemplateBackend,
    build_llm_backend,
)
from devserver.llm.base import HttpChatBackend, strip_reasoning
from devserver.settings import Settings
from tests.support.fake_llm import DEFAULT_MODELS, FakeLlmServer, ReceivedRequest

MODEL = "test-model"
SYSTEM = "You are a painter of the Bauhaus."
PROMPT = "a red fox in the snow"


@dataclass(frozen=True)
class Wire:
    """One wire format: how to build its backend and where it POSTs."""

    name: str
    label: str
    path: str
    backend_class: type[HttpChatBackend]

    def build(self, url: str, timeout_s: float = 5.0, **kwargs: Any) -> HttpChatBackend:
        return self.backend_class(url, MODEL, timeout_s, **kwargs)


OLLAMA = Wire("ollama", "Ollama", "/api/chat", OllamaBackend)
OPENAI = Wire("openai", "OpenAI-compatible", "/v1/chat/completions", OpenAICompatibleBackend)
WIRES = [pytest.param(OLLAMA, id="ollama"), pytest.param(OPENAI, id="openai")]


def make_request(**overrides: Any) -> LlmRequest:
    values: dict[str, Any] = dict(system=SYSTEM, prompt=PROMPT, template_output="unused", purpose="interception")
    values.update(overrides)
    return LlmRequest(**values)


def ollama_answer(content: Any) -> dict[str, Any]:
    return {"model": MODEL, "message": {"role": "assistant", "content": content}, "done": True}


def openai_answer(content: Any) -> dict[str, Any]:
    return {"model": MODEL, "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]}


# -- request shape (checked on the server side) ---------------------------------------------------

SYSTEM_MSG = {"role": "system", "content": SYSTEM}
USER_MSG = {"role": "user", "content": PROMPT}


@pytest.mark.parametrize(("wire", "request_kwargs", "expected_body"), [
    pytest.param(OLLAMA, dict(temperature=0.2, max_tokens=50),
                 {"model": MODEL, "messages": [SYSTEM_MSG, USER_MSG], "stream": False,
                  "options": {"temperature": 0.2, "num_predict": 50}}, id="ollama_all_fields"),
    pytest.param(OLLAMA, dict(system=""),
                 {"model": MODEL, "messages": [USER_MSG], "stream": False, "options": {"temperature": 0.7}},
                 id="ollama_no_system_no_max_tokens"),
    pytest.param(OPENAI, dict(temperature=0.2, max_tokens=50),
                 {"model": MODEL, "messages": [SYSTEM_MSG, USER_MSG], "temperature": 0.2, "max_tokens": 50,
                  "stream": False}, id="openai_all_fields"),
    pytest.param(OPENAI, dict(system="  "),
                 {"model": MODEL, "messages": [USER_MSG], "temperature": 0.7, "stream": False},
                 id="openai_blank_system_no_max_tokens"),
])
def test_request_body_shape(fake_llm: FakeLlmServer, wire: Wire, request_kwargs: dict, expected_body: dict) -> None:
    wire.build(fake_llm.url).complete(make_request(**request_kwargs))

    [received] = fake_llm.requests
    assert (received.method, received.path) == ("POST", wire.path)
    assert received.headers["content-type"] == "application/json"
    assert received.body == expected_body


@pytest.mark.parametrize(("wire", "kwargs", "expected_header"), [
    pytest.param(OLLAMA, {}, None, id="ollama_never"),
    pytest.param(OPENAI, {}, None, id="openai_no_key"),
    pytest.param(OPENAI, {"api_key": ""}, None, id="openai_empty_key"),
    pytest.param(OPENAI, {"api_key": "sk-test-123"}, "Bearer sk-test-123", id="openai_key"),
])
def test_authorization_header(fake_llm: FakeLlmServer, wire: Wire, kwargs: dict, expected_header: str | None) -> None:
    wire.build(fake_llm.url, **kwargs).complete(make_request())

    assert fake_llm.requests[0].headers.get("authorization") == expected_header


# -- answers --------------------------------------------------------------------------------------

@pytest.mark.parametrize("wire", WIRES)
def test_happy_path_returns_stripped_text(fake_llm: FakeLlmServer, wire: Wire) -> None:
    fake_llm.reply("\n  A fox, painted in primary colours and squares.  \n")

    result = wire.build(fake_llm.url).complete(make_request())

    assert result.text == "A fox, painted in primary colours and squares."
    assert (result.backend, result.model) == (wire.name, MODEL)
    assert isinstance(result.duration_ms, int) and 0 <= result.duration_ms < 5000


@pytest.mark.parametrize(("wire", "body", "expected_model"), [
    pytest.param(OLLAMA, {**ollama_answer("ok"), "model": "llama3.2:latest"}, "llama3.2:latest", id="ollama_reported"),
    pytest.param(OPENAI, {**openai_answer("ok"), "model": "gpt-4o-2024-08-06"}, "gpt-4o-2024-08-06",
                 id="openai_reported"),
    pytest.param(OPENAI, {"choices": [{"message": {"content": "ok"}}]}, MODEL, id="openai_unreported"),
    pytest.param(OLLAMA, {**ollama_answer("ok"), "model": ""}, MODEL, id="ollama_empty_reported"),
])
def test_result_model_is_what_the_server_reports(fake_llm: FakeLlmServer, wire: Wire, body: dict,
                                                 expected_model: str) -> None:
    fake_llm.fail(200, body)

    assert wire.build(fake_llm.url).complete(make_request()).model == expected_model


@pytest.mark.parametrize(("wire", "suffix"), [
    pytest.param(OLLAMA, "", id="ollama_plain"),
    pytest.param(OLLAMA, "/", id="ollama_trailing_slash"),
    pytest.param(OPENAI, "", id="openai_plain"),
    pytest.param(OPENAI, "/", id="openai_trailing_slash"),
    pytest.param(OPENAI, "/v1", id="openai_v1"),
    pytest.param(OPENAI, "/v1/", id="openai_v1_trailing_slash"),
])
def test_base_url_variants_reach_the_chat_endpoint(fake_llm: FakeLlmServer, wire: Wire, suffix: str) -> None:
    backend = wire.build(fake_llm.url + suffix)

    assert backend.url == fake_llm.url + wire.path
    assert backend.complete(make_request()).text == "fake llm reply"
    assert [r.path for r in fake_llm.requests] == [wire.path]


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param("<think>The user wants a fox.</think>\n\nA fox.", "A fox.", id="leading_block"),
    pytest.param("<THINK>a</THINK>A <think>b\nc</think>fox", "A fox", id="several_blocks_any_case"),
    pytest.param("opening tag was in the template</think>A fox.", "A fox.", id="orphan_closing_tag"),
    pytest.param("A fox.<think>cut off while thinking", "A fox.", id="unterminated_block"),
    pytest.param("<think>only reasoning</think>", "", id="only_reasoning"),
    pytest.param("  A fox, no reasoning. ", "A fox, no reasoning.", id="no_reasoning"),
])
def test_strip_reasoning(text: str, expected: str) -> None:
    assert strip_reasoning(text) == expected


@pytest.mark.parametrize("wire", WIRES)
def test_think_blocks_are_removed_from_answers(fake_llm: FakeLlmServer, wire: Wire) -> None:
    fake_llm.reply("<think>\nShould the fox be blue?\n</think>\n\nA blue fox.")

    assert wire.build(fake_llm.url).complete(make_request()).text == "A blue fox."


# -- errors ---------------------------------------------------------------------------------------

def assert_api_error(exc: ApiError, error_type: type[ApiError], status: int, code: str, wire: Wire, url: str,
                     *fragments: str) -> None:
    """The error's type/status/code, and a message naming backend, model and `fragments`, never the backend's URL
    (issue 7: no internals in answers; the URL and the exception go to the log)."""
    assert type(exc) is error_type
    assert (exc.status, exc.code) == (status, code)
    for fragment in (wire.label, repr(MODEL), *fragments):
        assert fragment in exc.message, f"{fragment!r} not in {exc.message!r}"
    assert url not in exc.message and "127.0.0.1" not in exc.message
    assert "127.0.0.1" not in repr(exc.details)
    assert {k: exc.details[k] for k in ("backend", "model", "purpose")} == {
        "backend": wire.name, "model": MODEL, "purpose": "interception"}


@pytest.mark.parametrize(("wire", "status", "body", "server_message"), [
    pytest.param(OLLAMA, 404, {"error": f"model '{MODEL}' not found, try pulling it first"},
                 f"model '{MODEL}' not found, try pulling it first", id="ollama_model_not_found"),
    pytest.param(OPENAI, 401, {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}},
                 "Incorrect API key provided", id="openai_bad_key"),
    pytest.param(OPENAI, 400, {"object": "error", "message": "max_tokens is too large", "code": 400},
                 "max_tokens is too large", id="vllm_message"),
    pytest.param(OPENAI, 503, {"detail": "Model is still loading"}, "Model is still loading", id="fastapi_detail"),
    pytest.param(OLLAMA, 500, "llama runner process has terminated", "llama runner process has terminated",
                 id="plain_text_body"),
    pytest.param(OLLAMA, 502, "", "Bad Gateway", id="empty_body_uses_reason"),
    pytest.param(OPENAI, 500, "x" * 1000, "x" * 300, id="long_body_truncated"),
])
def test_error_status_logs_the_server_message(fake_llm: FakeLlmServer, wire: Wire, status: int, body: Any,
                                              server_message: str, caplog: pytest.LogCaptureFixture) -> None:
    """The server's own words may name its files and internals: they go to the log, the answer says the status."""
    fake_llm.fail(status, body)

    with pytest.raises(LlmResponseError) as caught:
        wire.build(fake_llm.url).complete(make_request())

    assert_api_error(caught.value, LlmResponseError, 502, "llm_bad_response", wire, fake_llm.url,
                     f"answered HTTP {status}")
    assert caught.value.details["status_code"] == status
    assert server_message not in caught.value.message and "server_message" not in caught.value.details
    assert server_message in caplog.text


@pytest.mark.parametrize(("wire", "body", "fragment"), [
    pytest.param(OLLAMA, "this is not json", "not JSON (text/plain; charset=utf-8, 16 bytes)", id="ollama_not_json"),
    pytest.param(OPENAI, "<html>proxy login</html>", "not JSON", id="openai_html"),
    pytest.param(OLLAMA, [1, 2], "without message.content", id="ollama_list_body"),
    pytest.param(OLLAMA, {"message": {"role": "assistant"}}, "without message.content", id="ollama_no_content"),
    pytest.param(OLLAMA, {"done": True}, "without message.content", id="ollama_no_message"),
    pytest.param(OPENAI, {"choices": []}, "without choices[0].message.content", id="openai_no_choices"),
    pytest.param(OPENAI, {"choices": [{"finish_reason": "stop"}]}, "without choices[0].message.content",
                 id="openai_no_message"),
    pytest.param(OLLAMA, ollama_answer(42), "sent message.content as int, not a string", id="ollama_int_content"),
    pytest.param(OPENAI, openai_answer(None), "sent choices[0].message.content as NoneType, not a string",
                 id="openai_null_content"),
    pytest.param(OLLAMA, ollama_answer("  \n "), "sent an empty answer.", id="ollama_blank_content"),
    pytest.param(OPENAI, openai_answer(""), "sent an empty answer.", id="openai_empty_content"),
    pytest.param(OPENAI, openai_answer("<think>no idea</think>"), "sent an empty answer (only reasoning)",
                 id="openai_only_reasoning"),
])
def test_malformed_success_is_a_bad_response(fake_llm: FakeLlmServer, wire: Wire, body: Any, fragment: str) -> None:
    fake_llm.fail(200, body)

    with pytest.raises(LlmResponseError) as caught:
        wire.build(fake_llm.url).complete(make_request())

    assert_api_error(caught.value, LlmResponseError, 502, "llm_bad_response", wire, fake_llm.url, fragment)


@pytest.mark.parametrize("wire", WIRES)
def test_unreachable_server_is_unavailable(unreachable_llm_url: str, wire: Wire) -> None:
    with pytest.raises(LlmUnavailableError) as caught:
        wire.build(unreachable_llm_url).complete(make_request())

    assert_api_error(caught.value, LlmUnavailableError, 503, "llm_unavailable", wire, unreachable_llm_url,
                     "cannot be reached")
    assert caught.value.details["exception_type"] in {"NewConnectionError", "ConnectionRefusedError"}
    assert "Connection refused" not in caught.value.message


@pytest.mark.parametrize("wire", WIRES)
def test_slow_server_times_out_quickly(fake_llm: FakeLlmServer, wire: Wire) -> None:
    fake_llm.delay(2.0)
    started = time.perf_counter()

    with pytest.raises(LlmTimeoutError) as caught:
        wire.build(fake_llm.url, timeout_s=0.3).complete(make_request())

    elapsed = time.perf_counter() - started
    assert elapsed < 1.5, f"the 0.3 s timeout took {elapsed:.2f} s"
    assert_api_error(caught.value, LlmTimeoutError, 504, "llm_timeout", wire, fake_llm.url,
                     "did not answer within the timeout of 0.3 s")
    assert caught.value.details["timeout_s"] == 0.3


SECRET_PROMPT = "Lena-from-class-4b-secret-idea"
SECRET_SYSTEM = "secret-meta-prompt-7f3a"


def _unreachable(fake: FakeLlmServer, unreachable_url: str) -> tuple[str, float]:
    return unreachable_url, 5.0


def _slow(fake: FakeLlmServer, unreachable_url: str) -> tuple[str, float]:
    fake.delay(2.0)
    return fake.url, 0.2


def _error_status(fake: FakeLlmServer, unreachable_url: str) -> tuple[str, float]:
    fake.fail(500, {"error": "out of memory"})
    return fake.url, 5.0


def _not_json(fake: FakeLlmServer, unreachable_url: str) -> tuple[str, float]:
    fake.fail(200, "garbage")
    return fake.url, 5.0


def _empty(fake: FakeLlmServer, unreachable_url: str) -> tuple[str, float]:
    fake.reply("<think>thinking</think>")
    return fake.url, 5.0


@pytest.mark.parametrize("wire", WIRES)
@pytest.mark.parametrize("scenario", [
    pytest.param(_unreachable, id="unreachable"),
    pytest.param(_slow, id="timeout"),
    pytest.param(_error_status, id="error_status"),
    pytest.param(_not_json, id="not_json"),
    pytest.param(_empty, id="empty"),
])
def test_texts_never_appear_in_errors_or_logs(fake_llm: FakeLlmServer, unreachable_llm_url: str,
                                              caplog: pytest.LogCaptureFixture, wire: Wire,
                                              scenario: Callable[[FakeLlmServer, str], tuple[str, float]]) -> None:
    url, timeout_s = scenario(fake_llm, unreachable_llm_url)
    caplog.set_level(logging.DEBUG)

    with pytest.raises(ApiError) as caught:
        wire.build(url, timeout_s=timeout_s).complete(make_request(system=SECRET_SYSTEM, prompt=SECRET_PROMPT))

    exposed = caught.value.message + json.dumps(caught.value.details) + caplog.text
    assert "failed" in caplog.text  # the failure was logged, with metadata only
    for secret in (SECRET_PROMPT, SECRET_SYSTEM):
        assert secret not in exposed


@pytest.mark.parametrize("wire", WIRES)
def test_success_log_has_metadata_only(fake_llm: FakeLlmServer, caplog: pytest.LogCaptureFixture, wire: Wire) -> None:
    caplog.set_level(logging.DEBUG)

    wire.build(fake_llm.url).complete(make_request(system=SECRET_SYSTEM, prompt=SECRET_PROMPT))

    assert f"llm {wire.name} model={MODEL} purpose=interception" in caplog.text
    assert SECRET_PROMPT not in caplog.text and SECRET_SYSTEM not in caplog.text


# -- construction and validation ------------------------------------------------------------------

@pytest.mark.parametrize(("wire", "base_url", "model", "timeout_s", "message"), [
    pytest.param(OLLAMA, "localhost:11434", MODEL, 5.0, "must start with http:// or https://", id="no_scheme"),
    pytest.param(OPENAI, "ftp://host", MODEL, 5.0, "must start with http:// or https://", id="wrong_scheme"),
    pytest.param(OLLAMA, "http://127.0.0.1:11434", " ", 5.0, "model name must not be empty", id="blank_model"),
    pytest.param(OPENAI, "http://127.0.0.1:8000", MODEL, 0.0, "timeout must be positive, got 0.0 s", id="zero_timeout"),
])
def test_bad_backend_configuration_is_refused(wire: Wire, base_url: str, model: str, timeout_s: float,
                                              message: str) -> None:
    with pytest.raises(ValueError, match=message):
        wire.backend_class(base_url, model, timeout_s)


@pytest.mark.parametrize(("kwargs", "message"), [
    pytest.param({"temperature": -0.1}, "temperature must be between 0.0 and 2.0, got -0.1", id="negative_temperature"),
    pytest.param({"temperature": 2.5}, "temperature must be between 0.0 and 2.0, got 2.5", id="high_temperature"),
    pytest.param({"max_tokens": 0}, "max_tokens must be at least 1, got 0", id="zero_max_tokens"),
])
def test_bad_request_values_are_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_request(**kwargs)


# -- template backend and factory ----------------------------------------------------------------

@pytest.mark.parametrize(("request_", "expected_text"), [
    pytest.param(make_request(template_output="  A fox, seen by the Bauhaus.\n"), "A fox, seen by the Bauhaus.",
                 id="stripped"),
    pytest.param(make_request(system="", prompt="", template_output="Fuchs im Schnee"), "Fuchs im Schnee",
                 id="ignores_system_and_prompt"),
    pytest.param(make_request(template_output="<think>kept</think> as authored"), "<think>kept</think> as authored",
                 id="template_is_not_model_output"),
])
def test_template_backend_is_deterministic(request_: LlmRequest, expected_text: str) -> None:
    backend = TemplateBackend()

    first, second = backend.complete(request_), backend.complete(request_)

    assert (first.text, first.backend, first.model) == (expected_text, "template", "offline-template")
    assert (second.text, second.backend, second.model) == (first.text, first.backend, first.model)
    assert backend.is_offline_template


@pytest.mark.parametrize(("name", "backend_class", "expected_requests"), [
    pytest.param("template", TemplateBackend, [], id="template"),
    pytest.param("ollama", OllamaBackend, [("/api/chat", None)], id="ollama"),
    pytest.param("openai", OpenAICompatibleBackend, [("/v1/chat/completions", "Bearer sk-local")], id="openai"),
])
def test_build_llm_backend_from_settings(fake_llm: FakeLlmServer, name: str, backend_class: type[LlmBackend],
                                         expected_requests: list[tuple[str, str | None]]) -> None:
    settings = Settings(llm_backend=name, llm_url=fake_llm.url, llm_model=MODEL, llm_timeout_s=7.5,
                        llm_api_key="sk-local")

    backend = build_llm_backend(settings)
    result = backend.complete(make_request(template_output="offline text"))

    assert type(backend) is backend_class
    assert backend.is_offline_template == (name == "template")
    assert result.backend == name
    assert result.text == ("offline text" if name == "template" else "fake llm reply")
    assert [(r.path, r.headers.get("authorization")) for r in fake_llm.requests] == expected_requests
    if isinstance(backend, HttpChatBackend):
        assert (backend.model, backend.timeout_s) == (MODEL, 7.5)


# -- the fake server itself (the lead's pipeline tests rely on it) --------------------------------

@pytest.mark.parametrize(("path", "expected"), [
    pytest.param("/api/tags", {"models": [{"name": m, "model": m, "size": 0} for m in DEFAULT_MODELS]},
                 id="ollama_tags"),
    pytest.param("/v1/models", {"object": "list", "data": [
        {"id": m, "object": "model", "created": 0, "owned_by": "fake_llm"} for m in DEFAULT_MODELS]},
                 id="openai_models"),
])
def test_fake_llm_lists_models(fake_llm: FakeLlmServer, path: str, expected: dict) -> None:
    response = requests.get(fake_llm.url + path, timeout=5)

    assert (response.status_code, response.json()) == (200, expected)


def test_fake_llm_unknown_route_is_404(fake_llm: FakeLlmServer) -> None:
    response = requests.post(fake_llm.url + "/api/generate", json={}, timeout=5)

    assert (response.status_code, response.json()) == (404, {"error": "fake_llm has no route POST /api/generate"})


@pytest.mark.parametrize("wire", WIRES)
def test_fake_llm_reply_with_sees_path_and_texts(fake_llm: FakeLlmServer, wire: Wire) -> None:
    fake_llm.reply_with(lambda req: f"{req.path} | {req.body['model']} | {req.system} | {req.user}")

    result = wire.build(fake_llm.url).complete(make_request())

    assert result.text == f"{wire.path} | {MODEL} | {SYSTEM} | {PROMPT}"


def test_fake_llm_responder_error_surfaces_as_500(fake_llm: FakeLlmServer) -> None:
    def broken(request: ReceivedRequest) -> str:
        raise RuntimeError("bad test setup")

    fake_llm.reply_with(broken)

    with pytest.raises(LlmResponseError, match=r"answered HTTP 500") as caught:
        OLLAMA.build(fake_llm.url).complete(make_request())
    assert "bad test setup" not in caught.value.message


def test_fake_llm_reset_restores_defaults(fake_llm: FakeLlmServer) -> None:
    fake_llm.reply("custom")
    fake_llm.fail(500, {"error": "down"})
    fake_llm.delay(30.0)
    backend = OPENAI.build(fake_llm.url, timeout_s=0.2)
    with pytest.raises(LlmTimeoutError):
        backend.complete(make_request())

    fake_llm.reset()

    assert fake_llm.requests == []
    assert backend.complete(make_request()).text == "fake llm reply"
    assert len(fake_llm.requests) == 1


def test_fake_llm_reply_clears_a_failure(fake_llm: FakeLlmServer) -> None:
    fake_llm.fail(503, {"error": "loading"})
    fake_llm.reply("back again")

    assert OLLAMA.build(fake_llm.url).complete(make_request()).text == "back again"
