"""Text backends for stages 1-3: offline template, Ollama, OpenAI-compatible.

``build_llm_backend(settings)`` returns the configured one; every backend answers
``complete(LlmRequest) -> LlmResult`` and raises LlmUnavailableError (503), LlmTimeoutError (504)
or LlmResponseError (502) from devserver.errors.
"""

from devserver.llm.base import LlmBackend, LlmRequest, LlmResult
from devserver.llm.factory import build_llm_backend
from devserver.llm.ollama import OllamaBackend
from devserver.llm.openai_compat import OpenAICompatibleBackend
from devserver.llm.template import TemplateBackend

__all__ = [
    "LlmBackend",
    "LlmRequest",
    "LlmResult",
    "OllamaBackend",
    "OpenAICompatibleBackend",
    "TemplateBackend",
    "build_llm_backend",
]
