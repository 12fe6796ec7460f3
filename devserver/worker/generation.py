"""A generation request of the worker protocol: validated, run as a ``worker_generation`` job of the queue, answered
in seed 000's response form.

The job lifecycle is the studio's (:mod:`devserver.jobs`): stage 1 checks the raw prompt and negative prompt, 3b
translates where the safety level asks for it, 3c checks the final prompt, stage 4 generates through the
orchestrator (4b checks every image) into a run folder with provenance. Conditioning images arrive inline (base64)
and are stored through the upload store first, so they are decoded, normalised and size-checked like any upload.
Model names resolve through the model registry by id or alias (``ModelService.resolve``); the base may be an
output config id or any registered checkpoint folder.
"""

from __future__ import annotations

import base64
import binascii
import io
import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from devserver.contracts.api import BlockedResponse, GenerationRequestBody, GenerationResponse
from devserver.contracts.worker import (
    BlockedOut,
    EnhancedSdxlResponse,
    GeneratedImage,
    GeneratedImageMetadata,
    GenerationData,
    InferenceData,
    InferenceRequest,
    ModelInfoOut,
    ProcessingMetrics,
    ProgressMessage,
)
from devserver.errors import (
    ApiError,
    NotFoundError,
    OutputConfigNotFoundError,
    RequestValidationError,
    validation_message,
)
from devserver.worker.transform import csharp_path, csharp_to_flat

log = logging.getLogger(__name__)

Emit = Callable[[dict[str, Any]], None]
_PARAMETER_FIELDS = (
    (re.compile(r"^parameters\.loras\[(\d+)\]\.id"), r"loras.\1.model_path"),
    (re.compile(r"^parameters\.controlnets\[(\d+)\]\.id"), r"controlnets.\1.model_path"),
    (re.compile(r"^parameters\.post_processing\[(\d+)\]\.model"), r"post_processing.\1.model"),
    (re.compile(r"^parameters\.post_processing"), "post_processing"),
    (re.compile(r"^parameters\.refiner\.id"), "refiner_model"),
    (re.compile(r"^parameters\.vae"), "vae_model"),
    (re.compile(r"^parameters\.(width|height|steps|seed|batch_size|quality|output_format)"), r"\1"),
    (re.compile(r"^parameters\.cfg"), "guidance_scale"),
    (re.compile(r"^parameters\.scheduler"), "scheduler_type"),
    (re.compile(r"^parameters\.negative_prompt"), "negative_prompt"),
)
"""Field names of the studio API (in errors of the shared pipeline) -> the flat form's."""
_DATA_URL = re.compile(r"^data:image/[a-z+.-]+;base64,", re.IGNORECASE)


def flat_field(field: str) -> str:
    """A studio-API field name as the flat form names it (``parameters.loras[0].id`` -> ``loras.0.model_path``)."""
    for pattern, replacement in _PARAMETER_FIELDS:
        if pattern.match(field):
            return pattern.sub(replacement, field, count=1)
    return field


def _decode_image(text: str, field: str) -> bytes:
    try:
        return base64.b64decode(_DATA_URL.sub("", text.strip()), validate=True)
    except (binascii.Error, ValueError):
        raise RequestValidationError(f"{field} is not a base64-encoded PNG, JPEG or WebP image",
                                     details={"field": field}) from None


class GenerationHandler:
    """Runs generation messages on an app's services (see the module doc)."""

    def __init__(self, services: Any) -> None:
        self.services = services

    def handle(self, message: dict[str, Any], *, csharp: bool, client: str | None = None,
               on_progress: Emit | None = None) -> dict[str, Any]:
        """Answer one generation message (flat or C# form); never raises.

        Args:
            message: the parsed message.
            csharp: it is seed 000's C# form (errors then name the C# paths).
            client: the caller's address (the queue's per-client cap).
            on_progress: receives progress lines while the images are made.
        Returns:
            the EnhancedSdxlResponse as JSON data.
        """
        started = time.perf_counter()
        request_id = str(message.get("request_id") or message.get("RequestId") or uuid.uuid4())
        warnings: list[str] = []
        try:
            if csharp:
                message, warnings = csharp_to_flat(message)
                request_id = message["request_id"]
            flat = InferenceRequest.model_validate(message)
            request_id = flat.request_id
            body, base = self._body(flat.data)
            queued, future = self.services.queue.call_following("worker_generation", body, client=client)
            if on_progress is not None:
                self._follow(queued.run_id, request_id, on_progress)
            result = future.result()
        except ValidationError as exc:
            return self._error(request_id, "validation_error", self._field_message(validation_message(exc), csharp),
                               warnings)
        except ApiError as exc:
            return self._error(request_id, exc.code, self._field_message(exc.message, csharp), warnings)
        except Exception:  # noqa: BLE001 - a worker answers every message and goes on
            log.exception("worker generation %s failed", request_id)
            return self._error(request_id, "internal_error", "An unexpected error occurred in the worker.", warnings)
        return self._answer(result, request_id, base, started, warnings)

    # -- request ---------------------------------------------------------------------------------------------
    def _base(self, name: str) -> tuple[str, str]:
        """(output config id, registry id) of the base model named `name`."""
        registry = self.services.registry
        try:
            config = registry.output_config(name)
        except OutputConfigNotFoundError:
            pass
        else:
            base = self.services.models.base_of(config.id)
            return config.id, base.id if base is not None else config.id
        try:
            record = self.services.models.resolve(name)
        except NotFoundError:
            raise RequestValidationError(f"model_name: no model is called {name[:120]!r}; name models by their "
                                         "registry id or alias (GET /api/models lists them)", code="unknown_model",
                                         details={"field": "model_name", "model_id": name[:120]}) from None
        kind = self.services.models.addon(record.id).type
        if kind != "checkpoint":
            raise RequestValidationError(f"model_name: '{record.id}' is a {kind or 'model of unknown type'}, not a "
                                         "checkpoint", code="wrong_model_type",
                                         details={"field": "model_name", "model_id": record.id})
        return (record.output_configs[0] if record.output_configs else record.id), record.id

    def _body(self, data: InferenceData) -> tuple[GenerationRequestBody, str]:
        """The studio API's request body for `data` (conditioning images stored as uploads), and the base's id."""
        output_config, base = self._base(data.model_name)
        parameters: dict[str, Any] = {
            "width": data.width, "height": data.height, "steps": data.steps, "cfg": data.guidance_scale,
            "negative_prompt": data.negative_prompt, "scheduler": data.scheduler_type, "vae": data.vae_model,
            "batch_size": data.batch_size, "output_format": data.output_format, "quality": data.quality,
            "loras": [{"id": lora.model_path, "weight": lora.weight} for lora in data.loras] or None,
            "post_processing": [step.model_dump() for step in data.post_processing] or None,
        }
        if data.refiner_model is not None:
            parameters["refiner"] = {"id": data.refiner_model, "mode": data.refiner_mode,
                                     "high_noise_frac": data.high_noise_frac, "strength": data.refiner_strength}
        controlnets = []
        for index, controlnet in enumerate(data.controlnets):
            raw = _decode_image(controlnet.conditioning_image, f"controlnets.{index}.conditioning_image")
            stored = self.services.uploads.save(io.BytesIO(raw), "conditioning.png")
            controlnets.append({"id": controlnet.model_path, "image_id": stored.image_id, "weight": controlnet.weight,
                                "guidance_start": controlnet.guidance_start, "guidance_end": controlnet.guidance_end,
                                "preprocessor": controlnet.preprocessor})
        if controlnets:
            parameters["controlnets"] = controlnets
        body = GenerationRequestBody.model_validate({
            "prompt": data.prompt, "output_config": output_config, "seed": data.seed, "language": "en",
            "parameters": {key: value for key, value in parameters.items() if value is not None}})
        return body, base

    def _follow(self, run_id: str, request_id: str, on_progress: Emit) -> None:
        """Pass the job's progress events on as progress lines until it ends."""
        stream = self.services.queue.stream(run_id, after_id=0, heartbeat_s=5.0)
        try:
            for event in stream:
                if event is None:
                    continue
                if event.type == "progress":
                    on_progress(ProgressMessage(message_type="progress", request_id=request_id,
                                                step=event.data["step"],
                                                total_steps=event.data["total_steps"]).model_dump(mode="json"))
                elif event.type in ("complete", "error", "canceled", "blocked"):
                    return
        finally:
            stream.close()

    # -- answers ---------------------------------------------------------------------------------------------
    @staticmethod
    def _field_message(message: str, csharp: bool) -> str:
        """`message` with its leading field named as the client wrote it (flat form, or the C# path)."""
        field, sep, rest = message.partition(": ")
        if not sep or " " in field:
            return message
        flat = flat_field(field).removeprefix("data.")
        return f"{csharp_path(flat) if csharp else flat}: {rest}"

    @staticmethod
    def _error(request_id: str, code: str, message: str, warnings: list[str]) -> dict[str, Any]:
        return EnhancedSdxlResponse(request_id=request_id, success=False, status="error", error=message,
                                    error_code=code, warnings=warnings).model_dump(mode="json", exclude_none=True)

    def _metrics(self, started: float, inference_ms: int) -> ProcessingMetrics:
        backend = self.services.models.backend
        device = backend.device
        name, used = device, backend.cache.used_bytes()
        if device.startswith("cuda"):
            import torch

            name, used = torch.cuda.get_device_name(0), int(torch.cuda.max_memory_allocated())
        return ProcessingMetrics(total_time=round(time.perf_counter() - started, 3),
                                 inference_time=round(inference_ms / 1000, 3), device_memory_used=used,
                                 device_name=name)

    def _answer(self, result: Any, request_id: str, base: str, started: float,
                warnings: list[str]) -> dict[str, Any]:
        stage4 = result.stages.stage4
        metrics = self._metrics(started, stage4.duration_ms if stage4 is not None else 0)
        if isinstance(result, BlockedResponse):
            data = GenerationData(generated_images=[], processing_metrics=metrics, run_id=result.run_id,
                                  blocked=BlockedOut(stage=result.stage, reason=result.reason,
                                                     found_terms=result.found_terms))
            return EnhancedSdxlResponse(request_id=request_id, success=False, status="blocked", data=data,
                                        error=result.reason, error_code="blocked",
                                        warnings=warnings).model_dump(mode="json", exclude_none=True)
        assert isinstance(result, GenerationResponse) and stage4 is not None
        enhanced = stage4.enhancements
        info = ModelInfoOut(
            base_model=(enhanced.base_model if enhanced and enhanced.base_model else base),
            refiner_model=enhanced.refiner.id if enhanced and enhanced.refiner else None,
            vae_model=enhanced.vae if enhanced else None,
            loras=[lora.model_dump(mode="json") for lora in enhanced.loras] if enhanced else [],
            controlnets=[cn.model_dump(mode="json") for cn in enhanced.controlnets] if enhanced else [],
            post_processing=[step.model_dump(mode="json") for step in enhanced.post_processing] if enhanced else [])
        run = self.services.recorder.open(result.run_id)
        exports = self.services.settings.exports_dir
        images = []
        for media in result.media_outputs or [result.media_output]:
            path = run.image_path(media.index)
            images.append(GeneratedImage(
                image_path=path.relative_to(exports).as_posix(),
                image_data=base64.b64encode(path.read_bytes()).decode("ascii"),
                metadata=GeneratedImageMetadata(
                    seed=media.seed, steps=stage4.steps, guidance_scale=stage4.cfg, scheduler=stage4.scheduler,
                    model_info=info, width=media.width, height=media.height, index=media.index,
                    format=enhanced.output_format if enhanced else "png", run_id=result.run_id, url=media.url)))
        data = GenerationData(generated_images=images, processing_metrics=metrics, run_id=result.run_id)
        notes = list(enhanced.notes) if enhanced else []
        return EnhancedSdxlResponse(request_id=request_id, success=True, status="success", data=data,
                                    warnings=warnings + notes).model_dump(mode="json", exclude_none=True)
