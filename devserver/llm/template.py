"""The offline backend: no model runs, the caller's rendered template is the answer."""

from __future__ import annotations

import time

from devserver.llm.base import LlmBackend, LlmRequest, LlmResult

OFFLINE_TEMPLATE_MODEL = "offline-template"
"""The model name recorded for answers of the template backend."""


class TemplateBackend(LlmBackend):
    """Deterministic offline backend: returns ``request.template_output``, stripped.

    The caller renders the template (a config's authored offline template with its placeholders
    filled), so the same request always gives the same text. Never raises.
    """

    name = "template"

    def __init__(self) -> None:
        self.model = OFFLINE_TEMPLATE_MODEL

    @property
    def is_offline_template(self) -> bool:
        """Always True: callers can report that a stage used its template, not a model."""
        return True

    def complete(self, request: LlmRequest) -> LlmResult:
        """Return the pre-rendered template text (``system`` and ``prompt`` are not used)."""
        started = time.perf_counter()
        text = request.template_output.strip()
        return LlmResult(text=text, backend=self.name, model=self.model,
                         duration_ms=round((time.perf_counter() - started) * 1000))
