"""Build the configured LLM backend from Settings (called once, by the composition root)."""

from __future__ import annotations

from devserver.llm.base import LlmBackend
from devserver.llm.ollama import OllamaBackend
from devserver.llm.openai_compat import OpenAICompatibleBackend
from devserver.llm.template import TemplateBackend
from devserver.settings import Settings


def build_llm_backend(settings: Settings) -> LlmBackend:
    """The backend named by ``settings.llm_backend``.

    Args:
        settings: uses ``llm_backend`` (``template`` | ``ollama`` | ``openai``), ``llm_url``,
            ``llm_model``, ``llm_timeout_s`` (seconds) and ``llm_api_key`` (OpenAI only).
    Returns:
        TemplateBackend, OllamaBackend or OpenAICompatibleBackend.
    Raises:
        ValueError: an unknown backend name, or a bad URL/model (see HttpChatBackend).
    """
    match settings.llm_backend:
        case "template":
            return TemplateBackend()
        case "ollama":
            return OllamaBackend(settings.llm_url, settings.llm_model, settings.llm_timeout_s)
        case "openai":
            key = settings.llm_api_key.get_secret_value() if settings.llm_api_key is not None else None
            return OpenAICompatibleBackend(settings.llm_url, settings.llm_model, settings.llm_timeout_s, api_key=key)
    raise ValueError(f"unknown llm_backend {settings.llm_backend!r}; expected template, ollama or openai")
