"""The orchestrator: runs stages 1-4 in order, records every step in the run folder, stops on a block.

Entry points mirror the HTTP API. The two that generate are jobs of the queue (``devserver.jobs``) and come
in two steps, so that a request is checked once, before it is queued: :meth:`Orchestrator.prepare_execute` /
:meth:`Orchestrator.prepare_generation` validate and resolve a request into a plan (raising the 4xx errors,
writing nothing), and :meth:`Orchestrator.run_execute` (stages 1-4) / :meth:`Orchestrator.run_generation`
(3b, 3c, 4) run a plan. They return a success response model or a :class:`BlockedResponse`, or raise
:class:`~devserver.errors.ApiError`; the job queue records the outcome (it is the only writer of a job's
status, in the jobs table and in metadata.json). :meth:`Orchestrator.stage2` (1-2) and
:meth:`Orchestrator.optimize` (3a) are direct calls of the step-by-step flow and record their own outcome.

A :class:`RunObserver` receives stage and step events (used by the job queue for SSE/WebSocket progress and
cancellation). Stage 4's image comes back from the generation backend (in-process diffusers, or a GPU worker
of the Celery backend) and is checked and recorded here, on the web node, in one place:
:meth:`Orchestrator.finish_generation`.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from PIL import Image
from pydantic import BaseModel

from devserver.contracts.api import (
    BlockedResponse,
    ModeAvailability,
    OutputModes,
    ExecuteRequest,
    ExecuteResponse,
    GenerationParameters,
    GenerationRequestBody,
    GenerationResponse,
    MediaOutput,
    OptimizeRequest,
    OptimizeResponse,
    SafetyStage,
    Stage2Report,
    Stage2Request,
    Stage2Response,
    Stage3Report,
    Stage4Report,
    Stages,
    TextStep,
)
from devserver.contracts.common import SEED_MAX
from devserver.contracts.schema_files import InterceptionConfig, OutputConfig, PipelineDef
from devserver.errors import (
    ApiError,
    Detached,
    OutputConfigNotFoundError,
    OutputConfigUnavailableError,
    RequestValidationError,
)
from devserver.generation.image_files import encode_image
from devserver.generation.backend import (
    MIN_SIDE_PX,
    check_request,
    DiffusersBackend,
    GenerationRequest,
    GenerationResult,
    ModelRef,
)
from devserver.generation import families, inpaint
from devserver.generation.png import format_parameters
from devserver.pipeline.enhanced import (
    checkpoint_config,
    condition_images,
    enhanced_request,
    enhancements_report,
    infotext_extra,
    with_config_loras,
)
from devserver.llm.base import LlmBackend
from devserver.pipeline.loader import SchemaRegistry
from devserver.pipeline.output_check import OutputCheck
from devserver.pipeline.placeholders import render
from devserver.pipeline.safety_gate import ClientTexts, SafetyGate
from devserver.pipeline.stages import (
    SafetyContext,
    run_interception,
    run_optimization,
    run_translation,
)
from devserver.safety.filters import SafetyFilter
from devserver.settings import Settings
from devserver.storage.recorder import Run, RunRecorder
from devserver.storage.uploads import UploadStore
from devserver.storage.uploads import encode_png as encode_upload_png

log = logging.getLogger(__name__)

STAGE_NAMES = {1: "safety", 2: "interception", 3: "pre_output", 4: "generation"}


class RunObserver:
    """Receives a run's progress. The default does nothing; the job queue subclasses it."""

    def run_started(self, run_id: str) -> None:
        """The run folder exists (called once, before stage 1 or the first stage of the call)."""

    def stage_start(self, stage: int, name: str) -> None:
        """Stage `stage` (1-4) named `name` starts."""

    def stage_complete(self, stage: int, name: str, report: BaseModel | None) -> None:
        """Stage `stage` finished; `report` is its report model."""

    def progress(self, step: int, total_steps: int) -> None:
        """Diffusion step `step` of `total_steps` finished (called from diffusers' step callback)."""

    def cancel_requested(self) -> bool:
        """True to stop the run at the next diffusion step."""
        return False


_NULL_OBSERVER = RunObserver()


class _Blocked(Exception):
    """Internal: unwinds the stage sequence when a safety stage blocks."""

    def __init__(self, response: BlockedResponse) -> None:
        super().__init__(response.reason)
        self.response = response


@dataclass(frozen=True)
class _Resolved:
    """A request's validated inputs, ready to run."""

    config: InterceptionConfig
    pipeline: PipelineDef
    rules: str
    rules_from_learner: bool


@dataclass(frozen=True)
class ExecutePlan:
    """A checked /execute request, ready to run (from :meth:`Orchestrator.prepare_execute`).

    Attributes:
        request: the request as parsed.
        resolved: its interception config, pipeline and rules.
        output_config: the target model's config.
        gen_request: stage 4's parameters (prompt empty until stage 3; the seed drawn if none was given).
    """

    request: ExecuteRequest
    resolved: _Resolved
    output_config: OutputConfig
    gen_request: GenerationRequest


@dataclass(frozen=True)
class GenerationPlan:
    """A checked /generation request, ready to run (from :meth:`Orchestrator.prepare_generation`)."""

    request: GenerationRequestBody
    output_config: OutputConfig
    gen_request: GenerationRequest


@dataclass(frozen=True)
class PromptJobPlan:
    """A checked job of the seed-002 job API (from :meth:`Orchestrator.prepare_prompt_job`): a final prompt (no
    interception, no optimization) with stage 4's request.

    Attributes:
        prompt / negative_prompt: the client's texts (the negative prompt None when it kept the default); both
            pass stage 1 and stage 3c.
        language: the prompt's language (stage 3b translates where the safety level asks for it).
        output_config: the target model's config.
        gen_request: stage 4's parameters, with the decoded images (prompt filled in by stage 3).
        record: extra fields for metadata.json (the API and operation that made the run).
    """

    prompt: str
    negative_prompt: str | None
    language: str
    output_config: OutputConfig
    gen_request: GenerationRequest
    record: dict[str, Any]


def model_ref(output_config: OutputConfig) -> ModelRef:
    """The generation backend's view of an output config's model source."""
    src = output_config.model
    return ModelRef(id=output_config.id, family=src.family, builtin=src.builtin, local_dir=src.local_dir,
                    hub_id=src.hub_id, single_file=src.single_file, inpainting=src.inpainting)


def output_modes(output_config: OutputConfig) -> OutputModes:
    """Which generation modes the output config's model can run, and why not (devserver.generation.families)."""
    support = families.mode_support(output_config.model.family, output_config.model.inpainting)
    return OutputModes(**{mode: ModeAvailability(available=reason is None, reason=reason)
                          for mode, reason in support.items()})


def _client_negative_prompt(params: GenerationParameters | None) -> str | None:
    """The negative prompt the client sent (None when it kept the output config's default)."""
    return params.negative_prompt if params is not None else None


def _ms_since(start: float) -> int:
    return int((time.perf_counter() - start) * 1000)


def _request_record(parameters: GenerationParameters | None, input_image: str | None,
                    mask_image: str | None = None) -> dict[str, Any]:
    """What metadata.json keeps of a request beyond the stages, so a client can restore it: the learner's
    ``parameters`` (only the ones sent), the ``input_image`` upload id (img2img) and the ``mask_image`` upload id
    (inpainting)."""
    record: dict[str, Any] = {"parameters": parameters.model_dump(exclude_none=True) if parameters else {}}
    if input_image is not None:
        record["input_image"] = input_image
    if mask_image is not None:
        record["mask_image"] = mask_image
    return record


class Orchestrator:
    """Runs the four stages; one instance per app (see :mod:`devserver.services`)."""

    def __init__(self, *, settings: Settings, registry: SchemaRegistry, safety: SafetyFilter, llm: LlmBackend,
                 generation: DiffusersBackend, recorder: RunRecorder, uploads: UploadStore,
                 output_check: OutputCheck | None = None) -> None:
        self.settings = settings
        self.output_check = output_check or OutputCheck("none", settings.safety_level)
        """Stage 4b, run on every generated image by :meth:`finish_generation` (devserver.pipeline.output_check)."""
        self.registry = registry
        self.llm = llm
        self.generation = generation
        self.recorder = recorder
        self.uploads = uploads
        self.safety_ctx = SafetyContext(filter=safety, llm=llm, registry=registry,
                                        llm_check=settings.llm_safety_check)
        self.usage_listener: Callable[[str, int], None] | None = None
        """Called with (output config id, generation ms) after every image (model usage history)."""
        self.gate = SafetyGate(self.safety_ctx)
        """The one safety entry point (stages 1 and 3c) for every client text; see devserver.pipeline.safety_gate."""
        self.catalog: Any = None
        """Resolves add-on names (refiner, VAE, LoRAs, ControlNets, upscalers) through the model registry
        (devserver.generation.addons.AddonCatalog; the model service, set by devserver.services)."""
        self.upscaler: Any = generation
        """Upscales finished images ("Vergrößern"): this process's DiffusersBackend (with the Celery backend too:
        the web node's own models folder), set by devserver.services."""

    # ----------------------------------------------------------------------------- jobs: /execute
    def prepare_execute(self, req: ExecuteRequest) -> ExecutePlan:
        """Check and resolve an /execute request without writing anything (the queue calls it before queueing).

        Returns:
            the plan :meth:`run_execute` runs; its seed is drawn here when the request has none.
        Raises:
            ConfigNotFoundError / OutputConfigNotFoundError / UploadNotFoundError (404), InvalidIdError (400),
            RequestValidationError (422), OutputConfigUnavailableError (409).
        """
        resolved = self._resolve_config(req.schema_, req.input_text, req.context_prompt, req.language,
                                        has_image=req.input_image is not None)
        output_config = self._output_config(req.output_config)
        gen_request = self._generation_request(output_config, req.parameters, req.seed, req.input_image,
                                               req.mask_image)
        gen_request = with_config_loras(gen_request, resolved.config, output_config, self.catalog)
        return ExecutePlan(request=req, resolved=resolved, output_config=output_config, gen_request=gen_request)

    def run_execute(self, plan: ExecutePlan, *, run_id: str,
                    observer: RunObserver = _NULL_OBSERVER) -> ExecuteResponse | BlockedResponse:
        """Stages 1-4 of a prepared request (text mode, or image mode with `input_image`), recorded in a new run folder.

        Args:
            plan: from :meth:`prepare_execute`.
            run_id: the new run's UUID4 (reserved by the job queue).
            observer: receives stage/step events and may cancel.
        Returns:
            ExecuteResponse, or BlockedResponse when stage 1 or 3c blocks (nothing generated).
        Raises:
            LLM errors (502/503/504), GenerationError (500), GenerationCanceledError (409),
            OutputConfigUnavailableError (409, the weights cannot be read), QueueUnavailableError (503, Celery).
        """
        start = time.perf_counter()
        req, resolved, output_config = plan.request, plan.resolved, plan.output_config
        stages = Stages()
        # 1. create the run and record its inputs
        run = self.recorder.create(safety_level=self.settings.safety_level, run_id=run_id,
                                   config=resolved.config.id, output_config=output_config.id, language=req.language,
                                   **_request_record(req.parameters, req.input_image, req.mask_image))
        observer.run_started(run.run_id)
        try:
            with self._logging_failures(run):
                self._record_inputs(run, resolved, req.input_text, req.language, req.input_image)
                self._record_mask(run, req.mask_image)
                # 2. stage 1: safety on everything the learner wrote
                negative = _client_negative_prompt(req.parameters)
                learner_texts = [("input_text", req.input_text),
                                 ("context_prompt", resolved.rules if resolved.rules_from_learner else None),
                                 ("interception_result", req.interception_result),
                                 ("optimized_prompt", req.optimized_prompt),
                                 ("parameters.negative_prompt", negative)]
                stages.stage1 = self._safety_stage(run, 1, learner_texts, stages, observer)
                # 3. stage 2: interception (or the learner's edited result, or skipped)
                stages.stage2 = self._interception_stage(run, resolved, req.input_text, req.language,
                                                         req.interception_result, observer)
                # 4. stage 3: optimization, translation, safety re-check
                stages.stage3 = self._pre_output_stage(run, stages, stages.stage2.output, output_config,
                                                       req.language, req.optimized_prompt, observer,
                                                       negative_prompt=negative)
                # 5. stage 4: generation
                media, stages.stage4 = self._generation_stage(run, stages, output_config, plan.gen_request, observer)
        except _Blocked as blocked:
            return blocked.response
        return ExecuteResponse(status="success", run_id=run.run_id, media_output=media[0], stages=stages,
                               duration_ms=_ms_since(start), media_outputs=media)

    # ----------------------------------------------------------------------------- jobs: /generation
    def prepare_generation(self, req: GenerationRequestBody) -> GenerationPlan:
        """Check and resolve a /generation request without writing anything (the queue calls it before queueing).

        Raises:
            as :meth:`prepare_execute`, plus RunNotFoundError (404) for an unknown `req.run_id`.
        """
        if req.run_id is not None:
            self.recorder.open(req.run_id)
        output_config = self._output_config(req.output_config)
        gen_request = self._generation_request(output_config, req.parameters, req.seed, req.input_image,
                                               req.mask_image)
        return GenerationPlan(request=req, output_config=output_config, gen_request=gen_request)

    def run_generation(self, plan: GenerationPlan, *, run_id: str, observer: RunObserver = _NULL_OBSERVER,
                       raw_text_check: bool = False) -> GenerationResponse | BlockedResponse:
        """Stages 3b, 3c and 4 on a final prompt; the image is added to the plan's run or a new run `run_id`.

        Args:
            plan: from :meth:`prepare_generation`.
            run_id: the run (``plan.request.run_id`` when it names one, else a new UUID4 reserved by the queue).
            observer: receives stage/step events and may cancel.
            raw_text_check: run stage 1 on the raw prompt and negative prompt first (the worker protocol, whose
                clients send their own texts straight to generation).
        Raises:
            as :meth:`run_execute`, plus RunNotFoundError (404) when the named run disappeared meanwhile.
        """
        start = time.perf_counter()
        req, output_config = plan.request, plan.output_config
        run = self._open_or_create(req.run_id, req.language, new_run_id=run_id)
        observer.run_started(run.run_id)
        stages = Stages()
        try:
            with self._logging_failures(run):
                run.update(output_config=output_config.id,
                           **_request_record(req.parameters, req.input_image, req.mask_image))
                if req.run_id is None:
                    run.add_text("input", req.prompt)
                if req.input_image is not None:
                    run.add_bytes("input_image", "png", self.uploads.path_for(req.input_image).read_bytes())
                self._record_mask(run, req.mask_image)
                if raw_text_check:
                    stages.stage1 = self._safety_stage(run, 1, [("prompt", req.prompt), (
                        "parameters.negative_prompt", _client_negative_prompt(req.parameters))], stages, observer)
                edited = TextStep(status="edited", output=req.prompt, detail="prompt given to /generation")
                stages.stage3 = self._pre_output_stage(run, stages, req.prompt, output_config, req.language,
                                                       req.prompt, observer, optimization=edited,
                                                       negative_prompt=_client_negative_prompt(req.parameters))
                media, stages.stage4 = self._generation_stage(run, stages, output_config, plan.gen_request, observer)
        except _Blocked as blocked:
            return blocked.response
        return GenerationResponse(status="success", run_id=run.run_id, media_output=media[0], stages=stages,
                                  duration_ms=_ms_since(start), media_outputs=media)

    # ----------------------------------------------------------------------------- jobs: the seed-002 job API
    def prepare_prompt_job(self, *, output_config: str | None, prompt: str, negative_prompt: str | None,
                           language: str, parameters: GenerationParameters, seed: int | None,
                           image: Image.Image | None, mask: Image.Image | None,
                           record: dict[str, Any]) -> PromptJobPlan:
        """Check a job of ``POST /v1/jobs`` without writing anything (its images are already decoded).

        Raises:
            OutputConfigNotFoundError (404), OutputConfigUnavailableError (409), RequestValidationError (422, also
            ``mask_empty`` and ``mode_unsupported``).
        """
        config = self._output_config(output_config)
        gen_request = self.build_generation_request(config, parameters, seed, image, mask)
        return PromptJobPlan(prompt=prompt, negative_prompt=negative_prompt, language=language, output_config=config,
                             gen_request=gen_request, record=record)

    def run_prompt_job(self, plan: PromptJobPlan, *, run_id: str,
                       observer: RunObserver = _NULL_OBSERVER) -> GenerationResponse | BlockedResponse:
        """Stages 1, 3 (3b, 3c; the prompt is final, so no 3a) and 4 of a seed-002 job, in a new run folder.

        Returns:
            GenerationResponse, or BlockedResponse when stage 1, 3c or 4b blocks (nothing generated or kept).
        Raises:
            as :meth:`run_generation`.
        """
        start = time.perf_counter()
        request = plan.gen_request
        run = self.recorder.create(safety_level=self.settings.safety_level, run_id=run_id,
                                   output_config=plan.output_config.id, language=plan.language, **plan.record)
        observer.run_started(run.run_id)
        stages = Stages()
        try:
            with self._logging_failures(run):
                run.add_text("input", plan.prompt)
                for entity, image in (("input_image", request.init_image), ("input_mask", request.mask_image)):
                    if image is not None:
                        run.add_bytes(entity, "png", encode_upload_png(image))
                texts = [("operation.prompt", plan.prompt), ("operation.negative_prompt", plan.negative_prompt)]
                stages.stage1 = self._safety_stage(run, 1, texts, stages, observer)
                final = TextStep(status="edited", output=plan.prompt, detail="the job's prompt is used as given")
                stages.stage3 = self._pre_output_stage(run, stages, plan.prompt, plan.output_config, plan.language,
                                                       plan.prompt, observer, optimization=final,
                                                       negative_prompt=plan.negative_prompt)
                media, stages.stage4 = self._generation_stage(run, stages, plan.output_config, request, observer)
        except _Blocked as blocked:
            return blocked.response
        return GenerationResponse(status="success", run_id=run.run_id, media_output=media[0], stages=stages,
                                  duration_ms=_ms_since(start), media_outputs=media)

    def resume_generation(self, run_id: str, stages: Stages, pending: Any,
                          observer: RunObserver) -> MediaOutput | BlockedResponse:
        """Finish stage 4 of a job whose image a GPU worker made, or still makes, while this process restarted
        (Celery backend): wait for the image through the backend, then record it as usual.

        Args:
            run_id: the job's run (its folder holds everything up to the generation prompt).
            stages: the stage reports published before the restart (from the stored events).
            pending: the backend's record of the stage-4 job (``QueueBackend.pending``).
            observer: receives progress and ``stage_complete``; may cancel.
        Returns:
            the media_output of the recorded image, or the BlockedResponse when the image check (4b) flagged it.
        Raises:
            RunNotFoundError (404), GenerationError (500), GenerationCanceledError (409), QueueUnavailableError (503).
        """
        run = self.recorder.open(run_id)
        try:
            with self._logging_failures(run):
                output_config = self.registry.output_config(pending.output_config)

                def on_step(step: int, total_steps: int) -> bool:
                    observer.progress(step, total_steps)
                    return observer.cancel_requested()

                result = self.generation.attach(pending, on_step=on_step, is_canceled=observer.cancel_requested)
                media, _ = self.finish_generation(run, stages, output_config, pending.request, result, observer)
        except _Blocked as blocked:  # 4b flagged the image the worker made
            return blocked.response
        return media

    # ----------------------------------------------------------------------------- step-by-step calls
    def stage2(self, req: Stage2Request) -> Stage2Response | BlockedResponse:
        """Stages 1-2: check the idea (and the learner's rules), then intercept it.

        A config whose pipeline skips stage 2 (``direct``) is answered like any other: stage 1 checks the idea,
        stage 2 is reported ``skipped`` and ``interception_result`` is the text stage 3 will receive (for
        ``direct`` the idea itself), so the step-by-step path works for every text-mode config.

        Raises:
            ConfigNotFoundError (404), RequestValidationError (422: e.g. an image-mode config, which needs an
            input_image this endpoint does not take), LLM errors (502/503/504).
        """
        resolved = self._resolve_config(req.schema_, req.input_text, req.context_prompt, req.language,
                                        has_image=False)
        stages = Stages()
        run = self.recorder.create(safety_level=self.settings.safety_level, config=resolved.config.id,
                                   language=req.language)
        try:
            with self._recording_failures(run):
                self._record_inputs(run, resolved, req.input_text, req.language, None)
                learner_texts = [("input_text", req.input_text),
                                 ("context_prompt", resolved.rules if resolved.rules_from_learner else None)]
                stages.stage1 = self._safety_stage(run, 1, learner_texts, stages, _NULL_OBSERVER)
                stages.stage2 = self._interception_stage(run, resolved, req.input_text, req.language, None,
                                                         _NULL_OBSERVER)
        except _Blocked as blocked:
            record_block(run, blocked.response)
            return blocked.response
        return Stage2Response(status="success", run_id=run.run_id, interception_result=stages.stage2.output,
                              stages=stages)

    def optimize(self, req: OptimizeRequest) -> OptimizeResponse | BlockedResponse:
        """Stage 3a on a (possibly learner-edited) text, recorded into `req.run_id` or a new run.

        The text is checked by the term filters first (it may have been edited by the learner).

        Raises:
            InvalidIdError (400), RunNotFoundError (404), OutputConfigNotFoundError (404), LLM errors.
        """
        output_config = self.registry.output_config(req.output_config)
        run = self._open_or_create(req.run_id, req.language)
        stages = Stages()
        try:
            with self._recording_failures(run):
                run.update(output_config=output_config.id)
                if req.run_id is None or run.latest_text("interception") != req.prompt:
                    run.add_text("optimization_input", req.prompt)
                safety = self.gate.stage3([("prompt", req.prompt)])
                if safety.status == "blocked":
                    run.add_json("safety_stage3", safety.model_dump(mode="json"))
                    stages.stage3 = Stage3Report(safety=safety, prompt=req.prompt)
                    raise _Blocked(self._block(run, 3, safety, stages))
                step = run_optimization(prompt=req.prompt, output_config=output_config, registry=self.registry,
                                        llm=self.llm, language=req.language)
                run.add_text("optimized_prompt", step.output)
                run.update(backends={"stage3_optimization": {"backend": step.backend, "model": step.model}})
                stages.stage3 = Stage3Report(optimization=step, prompt=step.output)
        except _Blocked as blocked:
            record_block(run, blocked.response)
            return blocked.response
        return OptimizeResponse(status="success", run_id=run.run_id, optimized_prompt=step.output, stages=stages)

    # ----------------------------------------------------------------------------- resolving
    def _resolve_config(self, config_id: str, input_text: str, context_prompt: str | None, language: str,
                        *, has_image: bool) -> _Resolved:
        config = self.registry.config(config_id)
        pipeline = self.registry.pipeline_for(config)
        needs = pipeline.input_requirements
        from_learner = context_prompt is not None and context_prompt.strip() != ""
        rules = context_prompt if from_learner else config.context.get(language)
        if needs.text and not input_text.strip():
            raise RequestValidationError(f"input_text is required for config {config.id!r} and must not be empty",
                                         details={"field": "input_text"})
        if needs.image and not has_image:
            raise RequestValidationError(
                f"input_image is required for config {config.id!r} (pipeline {pipeline.name!r}); upload an image "
                "with POST /api/media/upload/image and send its image_id", details={"field": "input_image"})
        if (needs.rules or not pipeline.skip_stage2) and not rules.strip():
            raise RequestValidationError(
                f"context_prompt is required: config {config.id!r} has no rules of its own, write the rules",
                details={"field": "context_prompt"})
        return _Resolved(config=config, pipeline=pipeline, rules=rules, rules_from_learner=from_learner)

    def _output_config(self, output_config_id: str | None) -> OutputConfig:
        try:
            output_config = self.registry.output_config(output_config_id or self.settings.default_output_config)
        except OutputConfigNotFoundError:
            # a checkpoint of the models folder without an output config of its own (worker protocol, model_name)
            output_config = checkpoint_config(self.registry, self.catalog, output_config_id or "",
                                              self.settings.resolved_models_dir)
        available, reason = self.generation.availability(model_ref(output_config))
        if not available:
            raise OutputConfigUnavailableError(
                f"output config {output_config.id!r} is not available: {reason}",
                details={"output_config": output_config.id, "reason": reason})
        return output_config

    def _generation_request(self, output_config: OutputConfig, params: GenerationParameters | None,
                            seed: int | None, input_image: str | None,
                            mask_image: str | None = None) -> GenerationRequest:
        """Stage 4's request from a request's parameters, the output config's defaults and the uploads.

        Raises:
            RequestValidationError (422): a size/steps limit of the output config, an img2img/inpainting parameter
                without its image, a mask without an input image; MaskEmptyError (422) for a mask with nothing
                painted; ModeUnsupportedError (422) when the model cannot run the mode.
            InvalidIdError (400), UploadNotFoundError (404): an upload id.
        """
        init_image = self.uploads.open_rgb(input_image) if input_image is not None else None
        mask = self.uploads.open_rgb(mask_image) if mask_image is not None else None
        return self.build_generation_request(output_config, params, seed, init_image, mask)

    def build_generation_request(self, output_config: OutputConfig, params: GenerationParameters | None,
                                 seed: int | None, init_image: Image.Image | None,
                                 mask: Image.Image | None) -> GenerationRequest:
        """:meth:`_generation_request` on images already in memory (the seed-002 job API decodes its own).

        Raises:
            as :meth:`_generation_request` (without the upload errors).
        """
        defaults = output_config.defaults
        p = params or GenerationParameters()
        width = p.width if p.width is not None else defaults.width
        height = p.height if p.height is not None else defaults.height
        steps = p.steps if p.steps is not None else defaults.steps
        for field, value in (("width", width), ("height", height)):
            if value > output_config.max_side_px:
                raise RequestValidationError(
                    f"{field} must be between {MIN_SIDE_PX} and {output_config.max_side_px} (a multiple of 8) for "
                    f"output config {output_config.id!r}, got {value}",
                    details={"field": f"parameters.{field}", "value": value, "min": MIN_SIDE_PX,
                             "max": output_config.max_side_px})
        if steps > output_config.max_steps:
            raise RequestValidationError(
                f"steps must be between 1 and {output_config.max_steps} for output config {output_config.id!r}, "
                f"got {steps}",
                details={"field": "parameters.steps", "value": steps, "min": 1, "max": output_config.max_steps})
        self._check_images(output_config, p, init_image, mask)
        request = GenerationRequest(
            prompt="",  # filled in by stage 3
            negative_prompt=p.negative_prompt if p.negative_prompt is not None else defaults.negative_prompt,
            width=width, height=height, steps=steps, cfg=p.cfg if p.cfg is not None else defaults.cfg,
            seed=seed if seed is not None else secrets.randbelow(SEED_MAX + 1),
            scheduler=p.scheduler if p.scheduler is not None else defaults.scheduler,
            init_image=init_image, strength=p.strength if p.strength is not None else defaults.strength,
            **enhanced_request(p, self.uploads, self.settings.output_max_side_px,
                               box=(width, height), img2img=init_image is not None),
            mask_image=mask, padding_mask_crop=p.padding_mask_crop,
            mask_blur=p.mask_blur if p.mask_blur is not None else inpaint.DEFAULT_MASK_BLUR_PX)
        # everything stage 4 would refuse, before queueing
        check_request(model_ref(output_config), request, self.settings.output_max_side_px)
        return self._resolve_addons(request, output_config)

    @staticmethod
    def _check_images(output_config: OutputConfig, p: GenerationParameters, init_image: Image.Image | None,
                      mask: Image.Image | None) -> None:
        """The images a request brings fit its parameters and the model can run the mode they make."""
        if p.strength is not None and init_image is None:
            raise RequestValidationError("strength applies to img2img and inpainting only; send input_image or "
                                         "omit strength", details={"field": "parameters.strength",
                                                                   "value": p.strength})
        if mask is not None and init_image is None:
            raise RequestValidationError("mask_image needs input_image: inpainting repaints part of an uploaded "
                                         "photo", details={"field": "mask_image"})
        for field in ("mask_blur", "padding_mask_crop"):
            if getattr(p, field) is not None and mask is None:
                raise RequestValidationError(f"{field} applies to inpainting only; send mask_image or omit {field}",
                                             details={"field": f"parameters.{field}", "value": getattr(p, field)})
        if mask is not None:
            inpaint.check_not_empty(mask)
        mode = "txt2img" if init_image is None else ("img2img" if mask is None else "inpaint")
        families.check_mode(output_config.id, output_config.model.family, mode,
                            inpainting_model=output_config.model.inpainting)

    def _resolve_addons(self, request: GenerationRequest, output_config: OutputConfig) -> GenerationRequest:
        """`request` with its add-ons checked (422/409 now, before the job is queued) and named by registry id."""
        if not request.has_addons:
            return request
        if self.catalog is None:
            raise RequestValidationError("this server has no model registry to resolve model names",
                                         details={"field": "parameters"})
        from devserver.generation.addons import resolve_addons

        resolved = resolve_addons(self.catalog, output_config.id, output_config.model.family, request)
        return dataclasses.replace(resolved.request, notes=request.notes + tuple(resolved.notes))

    def _open_or_create(self, run_id: str | None, language: str, *, new_run_id: str | None = None) -> Run:
        if run_id is not None:
            return self.recorder.open(run_id)
        return self.recorder.create(safety_level=self.settings.safety_level, run_id=new_run_id, language=language)

    # ----------------------------------------------------------------------------- stages
    def _record_inputs(self, run: Run, resolved: _Resolved, input_text: str, language: str,
                       input_image: str | None) -> None:
        config = resolved.config
        run.add_json("config_used", {
            "config": config.id, "pipeline": resolved.pipeline.name, "category": config.category,
            "language": language, "rules": resolved.rules,
            "rules_source": "learner" if resolved.rules_from_learner else "config",
            "name": config.name.get(language)})
        run.add_text("input", input_text)
        if input_image is not None:
            run.add_bytes("input_image", "png", self.uploads.path_for(input_image).read_bytes())

    def _record_mask(self, run: Run, mask_image: str | None) -> None:
        """Keep the inpainting mask in the run folder (``NN_input_mask.png``), as uploaded (normalised)."""
        if mask_image is not None:
            run.add_bytes("input_mask", "png", self.uploads.path_for(mask_image).read_bytes())

    def _safety_stage(self, run: Run, stage: int, texts: ClientTexts, stages: Stages,
                      observer: RunObserver) -> SafetyStage:
        observer.stage_start(stage, STAGE_NAMES[stage])
        report = self.gate.check(stage, texts)
        run.add_json(f"safety_stage{stage}", report.model_dump(mode="json"))
        if report.status == "blocked":
            if stage == 1:
                stages.stage1 = report
            raise _Blocked(self._block(run, stage, report, stages))
        observer.stage_complete(stage, STAGE_NAMES[stage], report)
        return report

    def _interception_stage(self, run: Run, resolved: _Resolved, input_text: str, language: str,
                            edited: str | None, observer: RunObserver) -> Stage2Report:
        observer.stage_start(2, STAGE_NAMES[2])
        config, pipeline = resolved.config, resolved.pipeline
        if pipeline.skip_stage2:
            text = render(config.offline_template.get(language), {"INPUT_TEXT": input_text,
                                                                  "CONTEXT": resolved.rules})
            report = Stage2Report(status="skipped", output=text, config=config.id, pipeline=pipeline.name,
                                  detail=f"pipeline {pipeline.name!r} skips stage 2: the rules go to stage 3")
        elif edited is not None:
            report = Stage2Report(status="edited", output=edited, config=config.id, pipeline=pipeline.name,
                                  detail="the learner's edited interception result was used")
            run.add_text("interception", edited)
        else:
            report = run_interception(config=config, pipeline=pipeline, registry=self.registry, llm=self.llm,
                                      input_text=input_text, context=resolved.rules, language=language)
            run.add_text("interception", report.output)
            run.update(backends={"stage2": {"backend": report.backend, "model": report.model}})
        observer.stage_complete(2, STAGE_NAMES[2], report)
        return report

    def _pre_output_stage(self, run: Run, stages: Stages, text: str, output_config: OutputConfig, language: str,
                          edited: str | None, observer: RunObserver,
                          optimization: TextStep | None = None, *, negative_prompt: str | None = None) -> Stage3Report:
        observer.stage_start(3, STAGE_NAMES[3])
        if optimization is None:
            if edited is not None:
                optimization = TextStep(status="edited", output=edited,
                                        detail="the learner's edited optimized prompt was used")
            else:
                optimization = run_optimization(prompt=text, output_config=output_config, registry=self.registry,
                                                llm=self.llm, language=language)
                run.update(backends={"stage3_optimization": {"backend": optimization.backend,
                                                             "model": optimization.model}})
            run.add_text("optimized_prompt", optimization.output)
        translation = run_translation(prompt=optimization.output, registry=self.registry, llm=self.llm,
                                      language=language)
        if translation.status == "done":
            run.add_text("translation", translation.output)
            run.update(backends={"stage3_translation": {"backend": translation.backend, "model": translation.model}})
        safety = self.gate.stage3([("prompt", translation.output), ("parameters.negative_prompt", negative_prompt)])
        run.add_json("safety_stage3", safety.model_dump(mode="json"))
        report = Stage3Report(optimization=optimization, translation=translation, safety=safety,
                              prompt=translation.output)
        stages.stage3 = report
        if safety.status == "blocked":
            raise _Blocked(self._block(run, 3, safety, stages))
        observer.stage_complete(3, STAGE_NAMES[3], report)
        return report

    def _generation_stage(self, run: Run, stages: Stages, output_config: OutputConfig, gen_request: GenerationRequest,
                          observer: RunObserver) -> tuple[list[MediaOutput], Stage4Report]:
        observer.stage_start(4, STAGE_NAMES[4])
        prompt = stages.stage3.prompt if stages.stage3 else ""
        request = dataclasses.replace(gen_request, prompt=prompt)
        run.add_text("generation_prompt", prompt)
        for png in condition_images(request):  # the ControlNets' conditions as the model gets them (edge maps)
            run.add_bytes("controlnet_condition", "png", png)

        def on_step(step: int, total_steps: int) -> bool:
            observer.progress(step, total_steps)
            return observer.cancel_requested()

        result = self.generation.generate(model_ref(output_config), request, on_step=on_step, run_id=run.run_id,
                                          is_canceled=observer.cancel_requested)
        return self.finish_batch(run, stages, output_config, request, result, observer)

    def finish_generation(self, run: Run, stages: Stages, output_config: OutputConfig, request: GenerationRequest,
                          result: GenerationResult, observer: RunObserver) -> tuple[MediaOutput, Stage4Report]:
        """:meth:`finish_batch`, answering the first image's media_output (a batch's others are in the run)."""
        media, report = self.finish_batch(run, stages, output_config, request, result, observer)
        return media[0], report

    def finish_batch(self, run: Run, stages: Stages, output_config: OutputConfig, request: GenerationRequest,
                     result: GenerationResult, observer: RunObserver) -> tuple[list[MediaOutput], Stage4Report]:
        """Stage 4's second half, on the web node: the images came back (from in-process diffusers or a GPU
        worker); check them (4b), report them, encode each with its provenance in the requested format, write them
        into the run folder, publish ``stage_complete``. This is the one place images enter a run.

        A batch is kept only as a whole: when 4b flags any of its images, none is kept (the run is blocked).

        Args:
            run: the run folder.
            stages: the reports so far (stage4 is set here).
            output_config: the target model's config.
            request: the generation request as sent (with its final prompt).
            result: the backend's images and the parameters it used.
            observer: receives ``stage_complete``.
        Returns:
            every image's media_output (index order) and stage 4's report.
        """
        if self.usage_listener is not None:
            self.usage_listener(output_config.id, result.duration_ms)
        # 4b. the output image check of every image, before anything is stored or shown
        verdicts = [self.output_check.check(image) for image in result.images]
        verdict = next((v for v in verdicts if v is not None and v.status == "blocked"), verdicts[0])
        blocked = verdict is not None and verdict.status == "blocked"
        enhancements = enhancements_report(request, result)
        report = Stage4Report(status="blocked" if blocked else "done", mode=result.mode,
                              output_config=output_config.id, model=result.model_source, seed=result.seed,
                              width=result.width, height=result.height, steps=result.steps,
                              total_steps=result.total_steps, cfg=result.cfg, scheduler=result.scheduler,
                              strength=result.strength, negative_prompt=request.negative_prompt,
                              device=result.device, duration_ms=result.duration_ms, output_check=verdict,
                              enhancements=enhancements, mask_blur=result.mask_blur,
                              padding_mask_crop=result.padding_mask_crop, mask_coverage=result.mask_coverage)
        stages.stage4 = report
        if verdict is not None:
            run.add_json("safety_stage4b", verdict.model_dump(mode="json"))
        if blocked:
            raise _Blocked(self._block(run, 4, verdict, stages))
        media = []
        for image, seed in zip(result.images, result.seeds or (result.seed,), strict=True):
            data, ext, mime = self._encode(run, result, request, output_config, stages, image, seed)
            record = run.add_image(data, {"media_type": "image", "seed": seed, "width": image.width,
                                          "height": image.height, "mime_type": mime,
                                          "output_config": output_config.id}, ext=ext)
            media.append(MediaOutput(**{k: record[k] for k in MediaOutput.model_fields}))
        stage4_backend = {"backend": "diffusers", "model": result.model_source, "device": result.device,
                          "dtype": result.dtype}
        if result.worker is not None:
            stage4_backend["worker"] = result.worker
        if enhancements is not None:
            stage4_backend["enhancements"] = enhancements.model_dump(mode="json")
        run.update(backends={"stage4": stage4_backend})
        observer.stage_complete(4, STAGE_NAMES[4], report)
        return media, report

    def _encode(self, run: Run, result: GenerationResult, request: GenerationRequest, output_config: OutputConfig,
                stages: Stages, image: Any, seed: int) -> tuple[bytes, str, str]:
        """One image file in the request's format with its provenance: (bytes, extension, MIME type)."""
        parameters = format_parameters(
            prompt=request.prompt, negative_prompt=request.negative_prompt, steps=result.steps,
            scheduler=result.scheduler, cfg=result.cfg, seed=seed, width=image.width, height=image.height,
            model=output_config.id, strength=result.strength, extra=infotext_extra(stages.stage4),
            mask_blur=result.mask_blur, padding_mask_crop=result.padding_mask_crop)
        meta: dict[str, Any] = {"run_id": run.run_id, "output_config": output_config.id, "mode": result.mode,
                                "model": result.model_source, "safety_level": self.settings.safety_level,
                                "seed": seed, "stages": stages.model_dump(mode="json", exclude_none=True)}
        return encode_image(image, request.output_format, request.quality, parameters=parameters,
                            devserver_meta=meta)

    def _block(self, run: Run, stage: int, report: SafetyStage, stages: Stages) -> BlockedResponse:
        """The BlockedResponse of a safety stage that blocked (recorded by the caller: the queue for jobs)."""
        reason = report.reason or f"blocked at stage {stage}"
        return BlockedResponse(status="blocked", stage=stage, reason=reason, found_terms=report.found_terms,
                               run_id=run.run_id, stages=stages)

    @contextmanager
    def _recording_failures(self, run: Run) -> Iterator[None]:
        """Step-by-step calls (not jobs): record an error in metadata.json, then let it propagate."""
        try:
            yield
        except _Blocked:
            raise
        except ApiError as exc:
            run.record_outcome("error", error={"code": exc.code, "message": exc.message})
            raise
        except Exception:
            log.exception("run %s failed", run.run_id)
            run.record_outcome("error", error={"code": "internal_error", "message": "unexpected server error"})
            raise

    @contextmanager
    def _logging_failures(self, run: Run) -> Iterator[None]:
        """Jobs: log an unexpected failure with its trace and let it propagate (the queue records the outcome)."""
        try:
            yield
        except (_Blocked, ApiError, Detached):
            raise
        except Exception:
            log.exception("run %s failed", run.run_id)
            raise


def record_block(run: Run, blocked: BlockedResponse) -> None:
    """Record a block in metadata.json: status ``blocked`` and the ``blocked`` record (stage, reason, found_terms)."""
    run.record_outcome("blocked", blocked={"stage": blocked.stage, "reason": blocked.reason,
                                           "found_terms": blocked.found_terms})
