"""The LLM text backend interface and the HTTP plumbing shared by the Ollama and OpenAI backends.

A backend turns an :class:`LlmRequest` (system text, user text, the offline template's rendering)
into an :class:`LlmResult`. Three implementations exist: ``TemplateBackend`` (offline, returns the
caller's rendered template), ``OllamaBackend`` and ``OpenAICompatibleBackend`` (both HTTP, built on
:class:`HttpChatBackend` here).

Privacy: the learner's text (``LlmRequest.prompt``) and the system text never appear in a log
line or an error message; only metadata does (backend, URL, model, purpose, sizes, durations).
"""

from __future__ import annotations

import logging
import re
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, NoReturn

import requests

from devserver.errors import ApiError, LlmResponseError, LlmTimeoutError, LlmUnavailableError

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 5.0
"""Upper bound for opening the TCP connection, in seconds (the backend's timeout applies if smaller)."""

SERVER_MESSAGE_MAX_CHARS = 300
"""Longest excerpt of a server's error message carried into our error message and details."""


@dataclass(frozen=True)
class LlmRequest:
    """One text completion to run.

    Attributes:
        system: the instruction (a config's meta-prompt, an optimization instruction); sent as the
            system message, left out when empty.
        prompt: the user text (the learner's idea, the prompt to optimize); sent as the user message.
        template_output: what the offline template backend returns, already rendered by the caller.
        purpose: what the text is for (``"interception"``, ``"optimization"``, ``"translation"``,
            ``"safety"``, default ``"text"``); used in logs and error details only.
        temperature: sampling temperature, 0.0-2.0 (the range OpenAI documents for chat completions).
        max_tokens: limit of generated tokens, at least 1; None leaves the server's default.
        images: PNG files sent with the user message to a vision model (stage 4b's output check); each backend
            puts them where its wire format wants them (Ollama: ``images`` as base64, OpenAI: ``image_url``
            content parts with a ``data:`` URL).

    Raises:
        ValueError: temperature outside 0.0-2.0 or max_tokens below 1.
    """

    system: str
    prompt: str
    template_output: str
    purpose: str = "text"
    temperature: float = 0.7
    max_tokens: int | None = None
    images: tuple[bytes, ...] = ()

    def __post_init__(self) -> None:
        if not 0.0 <= self.temperature <= 2.0:
            raise ValueError(f"temperature must be between 0.0 and 2.0, got {self.temperature}")
        if self.max_tokens is not None and self.max_tokens < 1:
            raise ValueError(f"max_tokens must be at least 1, got {self.max_tokens}")


@dataclass(frozen=True)
class LlmResult:
    """A finished completion.

    Attributes:
        text: the answer, stripped, with ``<think>...</think>`` reasoning removed; never empty for
            the HTTP backends.
        backend: ``"template"``, ``"ollama"`` or ``"openai"``.
        model: the model that answered (as the server reports it, else as configured);
            ``"offline-template"`` for the template backend.
        duration_ms: wall time of the call, in milliseconds.
    """

    text: str
    backend: str
    model: str
    duration_ms: int


class LlmBackend(ABC):
    """A text backend. Implementations: TemplateBackend, OllamaBackend, OpenAICompatibleBackend.

    Attributes:
        name: ``"template"``, ``"ollama"`` or ``"openai"`` (the values of ``Settings.llm_backend``).
        model: the model name sent to the server (``"offline-template"`` for the template backend).
    """

    name: ClassVar[str]
    model: str

    @property
    def is_offline_template(self) -> bool:
        """True only for the offline TemplateBackend (no model runs; the caller's template is the answer)."""
        return False

    @abstractmethod
    def complete(self, request: LlmRequest) -> LlmResult:
        """Run one completion.

        Raises:
            LlmUnavailableError (503): the server cannot be reached.
            LlmTimeoutError (504): the server did not answer within the timeout.
            LlmResponseError (502): error status, unparseable body, missing or empty content.
        """


_THINK_BLOCK = re.compile(r"<think>.*?</think>", re.IGNORECASE | re.DOTALL)
_THINK_HEAD = re.compile(r"^.*</think>", re.IGNORECASE | re.DOTALL)
_THINK_TAIL = re.compile(r"<think>.*$", re.IGNORECASE | re.DOTALL)


def strip_reasoning(text: str) -> str:
    """Remove reasoning blocks that thinking models (DeepSeek-R1, Qwen3, ...) put in their answer.

    Removes every ``<think>...</think>`` block; then, for a closing tag without an opening one (the
    opening tag came from the chat template), everything up to it; then, for an opening tag that
    was never closed (the answer was cut off while thinking), everything from it on.

    Args:
        text: raw model output.
    Returns:
        the answer without reasoning, stripped of surrounding whitespace (may be empty).
    """
    text = _THINK_BLOCK.sub("", text)
    text = _THINK_HEAD.sub("", text)
    text = _THINK_TAIL.sub("", text)
    return text.strip()


def _root_cause(exc: BaseException) -> BaseException:
    """The innermost cause of a requests exception (urllib3's MaxRetryError wraps it in ``reason``)."""
    seen: set[int] = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        inner = getattr(exc, "reason", None)
        if not isinstance(inner, BaseException):
            inner = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else None
        if inner is None:
            break
        exc = inner
    return exc


def _server_error_message(response: requests.Response) -> str:
    """The server's own explanation of an error status, shortened to SERVER_MESSAGE_MAX_CHARS.

    Understands Ollama (``{"error": "..."}``), OpenAI and llama.cpp (``{"error": {"message": ...}}``),
    vLLM (``{"message": ...}``) and FastAPI (``{"detail": "..."}``) bodies; else the raw text.
    """
    try:
        body = response.json()
    except ValueError:
        body = None
    candidates: list[Any] = []
    if isinstance(body, dict):
        error = body.get("error")
        candidates = [error.get("message") if isinstance(error, dict) else error, body.get("message"),
                      body.get("detail")]
    for candidate in [*candidates, response.text]:
        if isinstance(candidate, str) and candidate.strip():
            return candidate.strip()[:SERVER_MESSAGE_MAX_CHARS]
    return response.reason or "(empty body)"


def _format_path(path: tuple[str | int, ...]) -> str:
    """``("choices", 0, "message", "content")`` -> ``"choices[0].message.content"``."""
    out = ""
    for key in path:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else key)
    return out


class HttpChatBackend(LlmBackend):
    """A chat-completion server reached over HTTP with ``requests``; subclasses define the wire format.

    No retries: a failed call raises at once and the caller decides (safety checks fail closed).
    The timeout is ``(min(CONNECT_TIMEOUT_S, timeout_s), timeout_s)``: the read part bounds each wait
    for data, which for these non-streaming calls is the wait for the whole answer.

    Attributes:
        label: human name used in messages ("Ollama", "OpenAI-compatible").
        content_path: where the answer text sits in the response JSON.
        base_url: the configured base URL without trailing slash.
        url: the chat endpoint that is POSTed to.
        timeout_s: read timeout in seconds.
    """

    label: ClassVar[str]
    content_path: ClassVar[tuple[str | int, ...]]

    def __init__(self, base_url: str, model: str, timeout_s: float, session: requests.Session | None = None) -> None:
        """Args:
            base_url: ``http(s)://host:port`` of the server (a path prefix is kept).
            model: model name sent with every request.
            timeout_s: seconds to wait for the answer, > 0.
            session: a requests Session to reuse (connection pooling, tests); a new one if None.

        Raises:
            ValueError: base_url is not http(s), model is empty or timeout_s is not positive.
        """
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"{self.label} base URL must start with http:// or https://, got {base_url!r}")
        if not model.strip():
            raise ValueError(f"{self.label} model name must not be empty")
        if timeout_s <= 0:
            raise ValueError(f"{self.label} timeout must be positive, got {timeout_s} s")
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.timeout_s = timeout_s
        self.url = self._chat_url(self.base_url)
        self._session = session if session is not None else requests.Session()

    @abstractmethod
    def _chat_url(self, base_url: str) -> str:
        """The chat endpoint for a base URL without trailing slash."""

    @abstractmethod
    def _payload(self, request: LlmRequest) -> dict[str, Any]:
        """The JSON body for one request."""

    def _headers(self) -> dict[str, str]:
        """Extra HTTP headers (authorization); none by default."""
        return {}

    def _messages(self, request: LlmRequest) -> list[dict[str, Any]]:
        """Chat messages: the system message (left out when empty), then the user message."""
        messages: list[dict[str, Any]] = []
        if request.system.strip():
            messages.append({"role": "system", "content": request.system})
        return [*messages, self._user_message(request)]

    def _user_message(self, request: LlmRequest) -> dict[str, Any]:
        """The user message; subclasses add ``request.images`` in their wire format."""
        return {"role": "user", "content": request.prompt}

    def complete(self, request: LlmRequest) -> LlmResult:
        """POST the request to the chat endpoint and return the answer without reasoning blocks.

        Raises:
            LlmUnavailableError (503): connection refused, DNS failure, unreachable host, or no
                connection within the connect timeout.
            LlmTimeoutError (504): no answer within ``timeout_s``.
            LlmResponseError (502): non-2xx status (with the server's message), a body that is not
                JSON, a missing or non-string content field, or an empty answer.
        """
        # 1. send
        started = time.perf_counter()
        connect_s = min(CONNECT_TIMEOUT_S, self.timeout_s)
        try:
            response = self._session.post(self.url, json=self._payload(request), headers=self._headers(),
                                          timeout=(connect_s, self.timeout_s))
        except requests.exceptions.ConnectTimeout as exc:
            self._raise(LlmUnavailableError, request, f"did not accept a connection within {connect_s:g} s",
                        exc=exc, timeout_s=connect_s)
        except requests.exceptions.Timeout as exc:
            self._raise(LlmTimeoutError, request, f"did not answer within the timeout of {self.timeout_s:g} s",
                        exc=exc, timeout_s=self.timeout_s)
        except requests.exceptions.RequestException as exc:
            self._raise(LlmUnavailableError, request, "cannot be reached", exc=exc,
                        exception_type=type(_root_cause(exc)).__name__)
        # 2. check the status
        if not 200 <= response.status_code < 300:
            log.warning("llm %s answered HTTP %d: %s", self.name, response.status_code, _server_error_message(response))
            self._raise(LlmResponseError, request, f"answered HTTP {response.status_code}",
                        status_code=response.status_code)
        # 3. parse and extract the answer
        try:
            body = response.json()
        except ValueError:
            self._raise(LlmResponseError, request,
                        f"sent a response that is not JSON ({response.headers.get('Content-Type', 'no content type')}, "
                        f"{len(response.content)} bytes)", status_code=response.status_code)
        content: Any = body
        for key in self.content_path:
            try:
                content = content[key]
            except (KeyError, IndexError, TypeError):
                self._raise(LlmResponseError, request, f"sent a response without {_format_path(self.content_path)}",
                            missing=_format_path(self.content_path))
        if not isinstance(content, str):
            self._raise(LlmResponseError, request,
                        f"sent {_format_path(self.content_path)} as {type(content).__name__}, not a string")
        text = strip_reasoning(content)
        if not text:
            self._raise(LlmResponseError, request,
                        "sent an empty answer" + (" (only reasoning)" if content.strip() else ""))
        # 4. report
        reported_model = body.get("model") if isinstance(body, dict) else None
        model = reported_model if isinstance(reported_model, str) and reported_model else self.model
        duration_ms = round((time.perf_counter() - started) * 1000)
        log.info("llm %s model=%s purpose=%s: %d ms, %d chars in, %d chars out", self.name, model,
                 request.purpose, duration_ms, len(request.system) + len(request.prompt), len(text))
        return LlmResult(text=text, backend=self.name, model=model, duration_ms=duration_ms)

    def _raise(self, error: type[ApiError], request: LlmRequest, problem: str, *, exc: BaseException | None = None,
               **details: Any) -> NoReturn:
        """Log and raise `error` with a message naming backend and model (never the texts, the URL or the
        exception's text: those go to the log only; details carry ``exception_type`` at most)."""
        message = f"The {self.label} server (model {self.model!r}) {problem}."
        log.warning("llm %s at %s purpose=%s failed: %s%s", self.name, self.url, request.purpose, message,
                    f" ({exc!r})" if exc is not None else "")
        raise error(message, details={"backend": self.name, "model": self.model, "purpose": request.purpose,
                                      **details}) from exc
