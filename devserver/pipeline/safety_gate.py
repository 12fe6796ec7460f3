"""The one safety entry point: every text a learner or client controls goes through :class:`SafetyGate`.

Every path that accepts text (the studio's /execute, /stage2, /optimize and /generation, sync and async; later
the JSON-lines worker, ``POST /api/v1/worker``, ``POST /v1/jobs`` and batch prompts) calls the gate; none calls
the term filter or the LLM check directly. How a new path must use it:

1. **Stage 1, before any LLM sees a text**: ``gate.stage1(texts)`` with every raw client text, each under the
   request field it came from: the idea, the rules (only when the client wrote them), edited interception or
   optimized texts, the negative prompt (only when the client sent one), every batch prompt
   (``"prompts[3]"``), worker fields (``"data.prompt"``). Paths without stages 1-2 (a plain prompt) may go
   straight to step 2.
2. **Stage 3c, on exactly what stage 4 receives**: ``gate.stage3(texts)`` with the final prompt (after
   optimization and translation) and the client's negative prompt, per image of a batch.
3. A report with ``status == "blocked"`` ends the run: nothing later runs, nothing is generated; the
   orchestrator records it and answers :class:`~devserver.contracts.api.BlockedResponse` (403).
4. The generated image is checked by stage 4b (:mod:`devserver.pipeline.output_check`) inside the
   orchestrator's shared generation stage, so a path that generates through the orchestrator gets it for free.

Server-authored texts (a config's own rules, an output config's default negative prompt) are not client text
and are not passed in: the default negative prompt of a model lists exactly the words the filters block.
"""

from __future__ import annotations

from collections.abc import Iterable

from devserver.contracts.api import SafetyStage
from devserver.pipeline.stages import SafetyContext, run_safety

ClientTexts = Iterable[tuple[str, str | None]]
"""``(request field, text)`` pairs; None or blank texts are skipped."""


class SafetyGate:
    """Stages 1 and 3c for every path (see the module docstring). One instance per app, thread-safe.

    Args:
        ctx: the server's term filter (its safety level), LLM backend, chunk registry and LLM-check policy.
    """

    def __init__(self, ctx: SafetyContext) -> None:
        self.ctx = ctx

    @property
    def level(self) -> str:
        """The server's safety level (kids, youth, adult, research)."""
        return self.ctx.level

    def check(self, stage: int, texts: ClientTexts) -> SafetyStage:
        """Filter each text on its own, then (if configured) let the LLM judge them together.

        Args:
            stage: 1 (raw input) or 3 (final prompt, "3c").
            texts: ``(field, text)`` pairs, e.g. ``[("prompt", p), ("parameters.negative_prompt", n)]``.
        Returns:
            the stage report: ``status`` passed/blocked, ``found_terms``, ``found_in`` (the fields with hits),
            ``reason`` a sentence naming the level and the terms.
        """
        pairs = [(field, text) for field, text in texts if text is not None and text.strip()]
        return run_safety(stage, pairs, self.ctx)

    def stage1(self, texts: ClientTexts) -> SafetyStage:
        """Stage 1 on the client's raw texts; see :meth:`check`."""
        return self.check(1, texts)

    def stage3(self, texts: ClientTexts) -> SafetyStage:
        """Stage 3c on the final prompt(s) and the client's negative prompt; see :meth:`check`."""
        return self.check(3, texts)
