"""The text stages: safety (1 and 3c), interception (2), optimization (3a) and translation (3b).

Each function does one stage on plain values and returns its report model; the orchestrator decides the
order, records the results and stops the run on a block. No Flask, no torch here.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from devserver.contracts.api import FilterCheck, SafetyStage, Stage2Report, TextStep
from devserver.contracts.schema_files import InterceptionConfig, OutputConfig, PipelineDef, ProcessingChunk
from devserver.errors import ApiError
from devserver.llm.base import LlmBackend, LlmRequest, LlmResult
from devserver.pipeline.loader import CHUNK_PLACEHOLDERS, SchemaRegistry
from devserver.pipeline.placeholders import render
from devserver.safety.filters import SafetyFilter

LANGUAGE_NAMES = {"de": "German (Deutsch)", "en": "English"}
AGE_RANGES = {"kids": "children aged 8-12", "youth": "young people aged 13-17",
              "adult": "adults", "research": "adult researchers"}
FAIL_CLOSED_LEVELS = frozenset({"kids", "youth"})
"""Levels at which an LLM safety check that cannot run blocks the run (DESIGN.md, "fails closed")."""


def _ms_since(start: float) -> int:
    return int((time.perf_counter() - start) * 1000)


def _complete_chunk(llm: LlmBackend, chunk: ProcessingChunk, *, template_output: str, purpose: str,
                    default_temperature: float, **values: str) -> LlmResult:
    """Render `chunk`'s system/user templates with `values` (missing placeholders empty) and send them."""
    filled = {name: "" for name in CHUNK_PLACEHOLDERS} | values
    return llm.complete(LlmRequest(
        system=render(chunk.system_template, filled), prompt=render(chunk.template, filled),
        template_output=template_output, purpose=purpose,
        temperature=float(chunk.params.get("temperature", default_temperature)),
        max_tokens=int(chunk.params["max_tokens"]) if "max_tokens" in chunk.params else None))


@dataclass(frozen=True)
class SafetyContext:
    """What a safety stage needs: the term filter, the LLM backend, the chunk registry and the policy."""

    filter: SafetyFilter
    llm: LlmBackend
    registry: SchemaRegistry
    llm_check: bool

    @property
    def level(self) -> str:
        """The server's safety level."""
        return self.filter.level


def parse_llm_verdict(text: str) -> tuple[bool | None, str]:
    """Parse a safety_check answer: ``SAFE`` or ``UNSAFE: reason`` on its first non-empty line.

    Returns:
        (True, "") for SAFE, (False, reason) for UNSAFE, (None, text) when the answer is neither.
    """
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    head = line.upper().lstrip("*# ").rstrip(".!*")
    if head.startswith("UNSAFE"):
        reason = line.split(":", 1)[1].strip() if ":" in line else ""
        return False, reason
    if head == "SAFE" or head.startswith("SAFE ") or head.startswith("SAFE:"):
        return True, ""
    return None, line[:200]


def run_safety(stage: int, text: str | Sequence[tuple[str, str]], ctx: SafetyContext) -> SafetyStage:
    """Stage 1 (raw input) or 3c (final prompt): term filters, then the optional LLM check.

    Call it through :class:`devserver.pipeline.safety_gate.SafetyGate`, the one entry point every path uses.

    Policy: a filter hit blocks. When `ctx.llm_check` is on and the backend is a real LLM, the LLM judges
    the texts too: at adult/research it may clear fuzzy (non-exact) filter hits; at every level its
    UNSAFE verdict blocks. If the LLM cannot be reached or answers nonsense, kids/youth block (fail
    closed) and adult/research keep the filter's verdict.

    Args:
        stage: 1 or 3 (for messages).
        text: one text, or ``(field, text)`` pairs (``("input_text", ...)``, ``("parameters.negative_prompt",
            ...)``): each text is filtered on its own (no phrase spans two fields); the LLM judges them together.
        ctx: filter, LLM and policy.
    Returns:
        the stage report; ``status == "blocked"`` stops the run; ``found_in`` names the fields with hits.
    """
    start = time.perf_counter()
    texts = [("text", text)] if isinstance(text, str) else [(field, value) for field, value in text if value.strip()]
    found: dict[str, str] = {}
    found_in: list[str] = []
    exact_hits = False
    for field, value in texts:
        result = ctx.filter.check(value)
        if result.blocked:
            found_in.append(field)
            exact_hits = exact_hits or any(hit.score >= 100 for hit in result.hits)
            for term in result.found_terms:
                found.setdefault(term.casefold(), term)
    found_terms = list(found.values())
    blocked = bool(found_terms)
    checks = [FilterCheck(name="term_filter", passed=not blocked, found_terms=list(found_terms),
                          detail=f"{len(ctx.filter.lists)} term lists for level {ctx.level}",
                          duration_ms=_ms_since(start))]
    reason = (f"Stage {stage}: the text contains terms that are not allowed at safety level "
              f"'{ctx.level}': {', '.join(found_terms)}") if blocked else None
    joined = "\n".join(value for _, value in texts)

    if ctx.llm_check and not ctx.llm.is_offline_template and joined:
        llm_start = time.perf_counter()
        chunk = ctx.registry.processing_chunk("safety_check")
        verdict: bool | None
        try:
            answer = _complete_chunk(ctx.llm, chunk, template_output="SAFE", purpose="safety",
                                     default_temperature=0.0, INPUT_TEXT=joined, SAFETY_LEVEL=ctx.level,
                                     AGE_RANGE=AGE_RANGES[ctx.level], LANGUAGE_NAME="English")
            verdict, detail = parse_llm_verdict(answer.text)
            if verdict is None:
                detail = f"unparseable LLM answer: {detail!r}"
        except ApiError as exc:
            verdict, detail = None, f"the LLM safety check could not run ({exc.code})"
        if verdict is None:
            if ctx.level in FAIL_CLOSED_LEVELS:
                blocked = True
                reason = reason or (f"Stage {stage}: the safety check could not be completed ({detail}); "
                                    f"at safety level '{ctx.level}' the run is blocked to be safe.")
        elif verdict is False:
            blocked = True
            reason = reason or (f"Stage {stage}: the safety check judged the text unsuitable: "
                                f"{detail or 'no reason given'}")
        elif blocked and ctx.level not in FAIL_CLOSED_LEVELS and not exact_hits:
            blocked, reason = False, None
            detail = "LLM cleared the fuzzy filter matches"
        checks.append(FilterCheck(name="llm_check", passed=verdict is True, detail=detail,
                                  verdict={True: "safe", False: "unsafe", None: "undecided"}[verdict],
                                  backend=ctx.llm.name, duration_ms=_ms_since(llm_start)))

    return SafetyStage(status="blocked" if blocked else "passed", level=ctx.level, checks=checks,
                       found_terms=found_terms, found_in=found_in, reason=reason, duration_ms=_ms_since(start))


def run_interception(*, config: InterceptionConfig, pipeline: PipelineDef, registry: SchemaRegistry,
                     llm: LlmBackend, input_text: str, context: str, language: str) -> Stage2Report:
    """Stage 2: rewrite the idea through the config's perspective, chunk by chunk.

    Offline (template backend) the config's authored ``offline_template`` is rendered; with an LLM, each
    processing chunk's system/user templates are rendered and sent.

    Raises:
        LlmUnavailableError / LlmTimeoutError / LlmResponseError: the LLM failed.
    """
    start = time.perf_counter()
    previous = input_text
    first = True
    backend = model = None
    offline = render(config.offline_template.get(language), {"INPUT_TEXT": input_text, "CONTEXT": context})
    for name in pipeline.chunks:
        chunk = registry.processing_chunk(name)
        answer = _complete_chunk(llm, chunk, template_output=offline if first else previous,
                                 purpose="interception", default_temperature=0.7, INPUT_TEXT=input_text,
                                 CONTEXT=context, PREVIOUS_OUTPUT=previous, LANGUAGE_NAME=LANGUAGE_NAMES[language])
        first = False
        previous, backend, model = answer.text, answer.backend, answer.model
    return Stage2Report(status="done", backend=backend, model=model, output=previous,
                        config=config.id, pipeline=pipeline.name, duration_ms=_ms_since(start))


def run_optimization(*, prompt: str, output_config: OutputConfig, registry: SchemaRegistry,
                     llm: LlmBackend, language: str) -> TextStep:
    """Stage 3a: phrase the prompt for the target model (its optimization instruction / offline template).

    Raises:
        LlmUnavailableError / LlmTimeoutError / LlmResponseError: the LLM failed.
    """
    start = time.perf_counter()
    chunk = registry.processing_chunk("optimization")
    answer = _complete_chunk(llm, chunk, purpose="optimization", default_temperature=0.4,
                             template_output=render(output_config.optimization_template, {"INPUT_TEXT": prompt}),
                             INPUT_TEXT=prompt, CONTEXT=output_config.optimization_instruction.get(language),
                             PREVIOUS_OUTPUT=prompt, LANGUAGE_NAME=LANGUAGE_NAMES[language])
    return TextStep(status="done", backend=answer.backend, model=answer.model, output=answer.text,
                    duration_ms=_ms_since(start))


def run_translation(*, prompt: str, registry: SchemaRegistry, llm: LlmBackend, language: str) -> TextStep:
    """Stage 3b: translate the prompt to English (what the text encoders were trained on).

    Skipped, and reported as skipped, when the prompt is already English or no LLM is configured.

    Raises:
        LlmUnavailableError / LlmTimeoutError / LlmResponseError: the LLM failed.
    """
    if language == "en":
        return TextStep(status="skipped", output=prompt, detail="the prompt is already in English")
    if llm.is_offline_template:
        return TextStep(status="skipped", output=prompt, backend=llm.name,
                        detail="no LLM configured: the prompt was not translated to English")
    start = time.perf_counter()
    chunk = registry.processing_chunk("translation")
    answer = _complete_chunk(llm, chunk, template_output=prompt, purpose="translation", default_temperature=0.2,
                             INPUT_TEXT=prompt, PREVIOUS_OUTPUT=prompt, LANGUAGE_NAME="English")
    return TextStep(status="done", backend=answer.backend, model=answer.model, output=answer.text,
                    duration_ms=_ms_since(start))
