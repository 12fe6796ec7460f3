"""Ollama's native chat API: ``POST /api/chat`` (https://github.com/ollama/ollama/blob/main/docs/api.md)."""

from __future__ import annotations

import base64
from typing import Any

from devserver.llm.base import HttpChatBackend, LlmRequest


class OllamaBackend(HttpChatBackend):
    """An Ollama server, non-streaming.

    Request: ``{"model", "messages": [system?, user], "stream": false,
    "options": {"temperature", "num_predict"?}}``; answer in ``message.content``. Ollama reports a
    missing model as HTTP 404 ``{"error": "model 'x' not found"}``, which becomes LlmResponseError.
    Constructor: see :meth:`HttpChatBackend.__init__` (``base_url`` like ``http://127.0.0.1:11434``).
    """

    name = "ollama"
    label = "Ollama"
    content_path = ("message", "content")

    def _user_message(self, request: LlmRequest) -> dict[str, Any]:
        """The user message; images go base64-encoded in its ``images`` list (Ollama's vision models)."""
        message: dict[str, Any] = {"role": "user", "content": request.prompt}
        if request.images:
            message["images"] = [base64.b64encode(image).decode("ascii") for image in request.images]
        return message

    def _chat_url(self, base_url: str) -> str:
        return f"{base_url}/api/chat"

    def _payload(self, request: LlmRequest) -> dict[str, Any]:
        options: dict[str, Any] = {"temperature": request.temperature}
        if request.max_tokens is not None:
            options["num_predict"] = request.max_tokens
        return {"model": self.model, "messages": self._messages(request), "stream": False, "options": options}
