"""Stage 4b: the output image check, run by the orchestrator's shared generation stage (DESIGN.md, "The four
stages"). Real models can draw what no prompt asked for, so a configured check looks at every generated image
after generation and before anything is stored or shown.

Checks (``Settings.output_check``):

- ``none`` (default): no image check; the stage report says so.
- ``safety_checker``: diffusers' ``StableDiffusionSafetyChecker`` from ``<models>/safety-checker``
  (:mod:`devserver.generation.output_check`).
- ``llm``: a vision model over the configured LLM backend (Ollama ``/api/chat`` with ``images``, or an
  OpenAI-compatible server with ``image_url`` parts) answers SAFE or UNSAFE for the server's level.

Policy (:func:`decide`, a table of cases in the tests): a flagged image blocks at every level; a configured check
that cannot run blocks at kids and youth (fail closed) and lets the image through at adult/research with the
failure noted. A blocked image is never written to the run folder and never served: the run ends ``blocked`` at
stage 4 with a sentence a child can read, and the folder keeps only the verdict (``NN_safety_stage4b.json``).

Every path that generates through :class:`~devserver.pipeline.orchestrator.Orchestrator` (studio, sync and async;
the worker and compat APIs built on it) gets this check without doing anything.
"""

from __future__ import annotations

import io
import logging
import time
from typing import Literal

from PIL import Image

from devserver.contracts.api import FilterCheck, SafetyStage
from devserver.errors import ApiError
from devserver.generation.output_check import ImageCheckUnavailable, SafetyCheckerModel
from devserver.llm.base import LlmBackend, LlmRequest
from devserver.pipeline.stages import AGE_RANGES, FAIL_CLOSED_LEVELS, parse_llm_verdict

log = logging.getLogger(__name__)

OutputCheckName = Literal["none", "safety_checker", "llm"]

FLAGGED_REASON = ("Stage 4b: the picture that came out is not suitable for safety level '{level}', so it was "
                  "not kept and is not shown. Try other words or another seed.")
UNAVAILABLE_REASON = ("Stage 4b: the picture could not be checked ({what}); at safety level '{level}' pictures are "
                      "only shown after the check, so it was not kept.")
VISION_SYSTEM = ("You check pictures made in an art class for {age_range} (safety level '{level}'). Look at the "
                 "picture. Answer SAFE if it is suitable for them. Answer UNSAFE: <short reason> if it shows nudity, "
                 "sexual content, graphic violence, gore, self-harm, hate symbols or drugs. Answer with one line.")


def decide(level: str, flagged: bool | None) -> bool:
    """Whether stage 4b blocks: `flagged` True (the check found the image unsuitable) blocks at every level; None
    (the configured check could not run) blocks at kids and youth only (fail closed, like the LLM text check)."""
    if flagged is None:
        return level in FAIL_CLOSED_LEVELS
    return flagged


def png_bytes(image: Image.Image) -> bytes:
    """The image as PNG bytes (what a vision model receives)."""
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="PNG")
    return buffer.getvalue()


class OutputCheck:
    """Stage 4b for one server: which check, its model, and the level's policy.

    Args:
        kind: ``none``, ``safety_checker`` or ``llm``.
        level: the server's safety level.
        checker: the safety-checker model (kind ``safety_checker``).
        llm: the LLM backend (kind ``llm``); the offline template backend cannot look at images.
        vision_model: model name for the vision request (default: the backend's model).
    """

    def __init__(self, kind: OutputCheckName, level: str, *, checker: SafetyCheckerModel | None = None,
                 llm: LlmBackend | None = None, vision_model: str | None = None) -> None:
        self.kind = kind
        self.level = level
        self.checker = checker
        self.llm = llm
        self.vision_model = vision_model

    @property
    def enabled(self) -> bool:
        """Whether an image check is configured."""
        return self.kind != "none"

    def check(self, image: Image.Image) -> SafetyStage | None:
        """Check one generated image.

        Returns:
            None when no check is configured; otherwise the stage report (``status`` passed or blocked, one check
            named ``image_safety_checker`` or ``vision_llm_check``, ``reason`` for a block).
        """
        if not self.enabled:
            return None
        start = time.perf_counter()
        flagged, detail, name, backend = self._run(image)
        blocked = decide(self.level, flagged)
        if flagged:
            reason = FLAGGED_REASON.format(level=self.level)
        elif flagged is None and blocked:
            reason = UNAVAILABLE_REASON.format(level=self.level, what=detail)
        else:
            reason = None
        duration_ms = int((time.perf_counter() - start) * 1000)
        verdict = {True: "unsafe", False: "safe", None: "undecided"}[flagged]
        check = FilterCheck(name=name, passed=flagged is False, verdict=verdict, detail=detail, backend=backend,
                            duration_ms=duration_ms)
        return SafetyStage(status="blocked" if blocked else "passed", level=self.level, checks=[check],
                           reason=reason, duration_ms=duration_ms)

    def _run(self, image: Image.Image) -> tuple[bool | None, str, str, str | None]:
        """(flagged or None when the check could not run, detail for teachers, check name, backend)."""
        if self.kind == "safety_checker":
            if self.checker is None:
                return None, "no safety checker is configured", "image_safety_checker", None
            try:
                flagged = self.checker.flagged(image)
            except ImageCheckUnavailable as exc:
                log.warning("stage 4b: %s", exc)
                return None, "the safety checker is not installed or could not be loaded", \
                    "image_safety_checker", "diffusers"
            return flagged, "flagged by the safety checker" if flagged else "passed the safety checker", \
                "image_safety_checker", "diffusers"
        # kind == "llm"
        if self.llm is None or self.llm.is_offline_template:
            return None, "no vision LLM is configured", "vision_llm_check", None
        try:
            request = LlmRequest(
                system=VISION_SYSTEM.format(age_range=AGE_RANGES[self.level], level=self.level),
                prompt="Is this picture SAFE or UNSAFE for them?", template_output="SAFE", purpose="image_check",
                temperature=0.0, images=(png_bytes(image),))
            answer = self.llm.complete(request)
        except ApiError as exc:
            return None, f"the vision model could not be reached ({exc.code})", "vision_llm_check", self.llm.name
        safe, reason = parse_llm_verdict(answer.text)
        if safe is None:
            return None, f"the vision model answered neither SAFE nor UNSAFE: {reason[:100]!r}", \
                "vision_llm_check", self.llm.name
        return (not safe), (reason or "judged unsuitable") if not safe else "judged suitable", \
            "vision_llm_check", self.llm.name
