"""OpenAI-compatible chat completions: ``POST /v1/chat/completions``
(https://platform.openai.com/docs/api-reference/chat/create), as served by OpenAI, vLLM,
llama.cpp's server, LM Studio, LocalAI and Ollama's compatibility layer."""

from __future__ import annotations

import base64
from typing import Any

import requests

from devserver.llm.base import HttpChatBackend, LlmRequest


class OpenAICompatibleBackend(HttpChatBackend):
    """A server speaking the OpenAI chat-completions format, non-streaming.

    Request: ``{"model", "messages": [system?, user], "temperature", "max_tokens"?, "stream": false}``
    with ``Authorization: Bearer <api_key>`` when a key is set; answer in
    ``choices[0].message.content``. Error bodies ``{"error": {"message": ...}}`` become
    LlmResponseError carrying that message.
    """

    name = "openai"
    label = "OpenAI-compatible"
    content_path = ("choices", 0, "message", "content")

    def __init__(self, base_url: str, model: str, timeout_s: float, api_key: str | None = None,
                 session: requests.Session | None = None) -> None:
        """Args:
            base_url: ``http(s)://host:port``, with or without a trailing ``/v1``.
            model: model name sent with every request.
            timeout_s: seconds to wait for the answer, > 0.
            api_key: bearer token; None or empty sends no Authorization header.
            session: a requests Session to reuse; a new one if None.

        Raises:
            ValueError: see :meth:`HttpChatBackend.__init__`.
        """
        super().__init__(base_url, model, timeout_s, session)
        self._api_key = api_key or None

    def _user_message(self, request: LlmRequest) -> dict[str, Any]:
        """The user message; with images its content is a list of parts: the text, then one ``image_url`` part
        per image with a ``data:image/png;base64,...`` URL (https://platform.openai.com/docs/guides/vision)."""
        if not request.images:
            return {"role": "user", "content": request.prompt}
        parts: list[dict[str, Any]] = [{"type": "text", "text": request.prompt}]
        parts += [{"type": "image_url", "image_url": {"url": "data:image/png;base64,"
                                                             + base64.b64encode(image).decode("ascii")}}
                  for image in request.images]
        return {"role": "user", "content": parts}

    def _chat_url(self, base_url: str) -> str:
        prefix = base_url if base_url.endswith("/v1") else f"{base_url}/v1"
        return f"{prefix}/chat/completions"

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}

    def _payload(self, request: LlmRequest) -> dict[str, Any]:
        payload: dict[str, Any] = {"model": self.model, "messages": self._messages(request),
                                   "temperature": request.temperature, "stream": False}
        if request.max_tokens is not None:
            payload["max_tokens"] = request.max_tokens
        return payload
