"""The enhanced stage-4 contract on the web node: from a request's ``parameters`` to the generation request, and
from the result to the report and the files' provenance (DESIGN.md "Enhanced generation").

- :func:`enhanced_request`: refiner, VAE, LoRAs, ControlNets (their conditioning images read from the uploads and
  preprocessed here, so the run folder keeps the edge map the model got), post-processing, batch and format, and
  the output size limit (a 422 before any work);
- :func:`with_config_loras`: the LoRAs an interception config brings, applied when they fit (else a note);
- :func:`enhancements_report`, :func:`infotext_extra`, :func:`condition_images`: what the run folder, metadata.json
  and every image's provenance record.
"""

from __future__ import annotations

import dataclasses
import io
from typing import Any

from devserver.contracts.api import GenerationParameters, Stage4Report
from devserver.contracts.generation import DEFAULT_QUALITY, EnhancementsReport
from devserver.contracts.schema_files import InterceptionConfig, OutputConfig
from devserver.generation.addons import (
    ControlNetRef,
    LoraRef,
    RefinerRef,
    UpscaleStep,
    check_output_side,
    resolve_addons,
)
from devserver.generation.backend import GenerationRequest, GenerationResult
from devserver.generation.controlnet import canny
from devserver.storage.uploads import UploadStore


def enhanced_request(params: GenerationParameters, uploads: UploadStore, max_side_px: int, *, box: tuple[int, int],
                     img2img: bool) -> dict[str, Any]:
    """The GenerationRequest fields of `params`' enhanced part (names still as the client wrote them).

    Args:
        params: the request's parameters.
        uploads: where the ControlNets' conditioning images are (by image_id).
        max_side_px: the output side limit (Settings.output_max_side_px).
        box: the image's (width, height) before post-processing (img2img keeps its longest side).
        img2img: the request has an input image.
    Raises:
        RequestValidationError (422, ``output_too_large``): the upscaled image would pass the limit.
        UploadNotFoundError (404) / InvalidIdError (400): a conditioning image_id.
    """
    steps = tuple(UpscaleStep(model=step.model, factor=step.factor) for step in params.post_processing or ())
    longest = max(box)
    check_output_side(*((longest, longest) if img2img else box), steps, max_side_px,
                      field_name="parameters.post_processing")
    controlnets = []
    for spec in params.controlnets or ():
        image = uploads.open_rgb(spec.image_id)
        if spec.preprocessor == "canny":
            image = canny(image, spec.low_threshold, spec.high_threshold)
        controlnets.append(ControlNetRef(id=spec.id, image=image, weight=spec.weight,
                                         guidance_start=spec.guidance_start, guidance_end=spec.guidance_end,
                                         preprocessor=spec.preprocessor, image_id=spec.image_id))
    refiner = params.refiner
    return dict(
        refiner=None if refiner is None else RefinerRef(id=refiner.id, mode=refiner.mode,
                                                        high_noise_frac=refiner.high_noise_frac,
                                                        strength=refiner.strength),
        vae=params.vae,
        loras=tuple(LoraRef(id=lora.id, weight=lora.weight) for lora in params.loras or ()),
        controlnets=tuple(controlnets),
        post_processing=steps,
        batch_size=params.batch_size or 1,
        output_format=params.output_format or "png",
        quality=params.quality if params.quality is not None else DEFAULT_QUALITY,
    )


def with_config_loras(request: GenerationRequest, config: InterceptionConfig, output_config: OutputConfig,
                      catalog: Any) -> GenerationRequest:
    """`request` plus the LoRAs `config` brings (after the client's own; one the client named already is not added
    twice). Those that are not installed or do not fit the model's family are left out with a note in the report,
    as the AI4ArtsEd configs do; the run goes on."""
    if not config.loras:
        return request
    if catalog is None:
        return dataclasses.replace(request, notes=request.notes + (
            "The perspective's LoRAs were not applied: this server has no model registry.",))
    named = {lora.id for lora in request.loras}
    extra = tuple(LoraRef(id=lora.id, weight=lora.weight, source="config") for lora in config.loras
                  if lora.id not in named)
    resolved = resolve_addons(catalog, output_config.id, output_config.model.family,
                              dataclasses.replace(request, loras=request.loras + extra))
    return dataclasses.replace(resolved.request, notes=request.notes + tuple(resolved.notes))


def condition_images(request: GenerationRequest) -> list[bytes]:
    """PNG bytes of each ControlNet's conditioning image (as the model gets it), for the run folder."""
    out = []
    for ref in request.controlnets:
        if ref.image is not None:
            buffer = io.BytesIO()
            ref.image.save(buffer, format="PNG")
            out.append(buffer.getvalue())
    return out


def enhancements_report(request: GenerationRequest, result: GenerationResult) -> EnhancementsReport | None:
    """What stage 4 used beyond the base model; None for a plain single PNG without add-ons or notes."""
    plain = (result.applied is None and request.batch_size == 1 and request.output_format == "png"
             and not request.notes)
    if plain:
        return None
    return EnhancementsReport(**(result.applied or {}), batch_size=len(result.images),
                              seeds=list(result.seeds or (result.seed,)), output_format=request.output_format,
                              notes=list(request.notes))


def infotext_extra(report: Stage4Report | None) -> list[tuple[str, str]]:
    """The AUTOMATIC1111 infotext fields of the enhancements (``Refiner``, ``VAE``, ``Lora``, ``ControlNet N``,
    ``Postprocess upscaler``/``upscale by``, ``Batch size``), for every image's provenance."""
    enhanced = report.enhancements if report is not None else None
    if enhanced is None:
        return []
    fields: list[tuple[str, str]] = []
    if enhanced.base_model:
        fields.append(("Base model", enhanced.base_model))
    if enhanced.refiner is not None:
        fields.append(("Refiner", enhanced.refiner.id))
        if enhanced.refiner.mode == "ensemble":
            fields.append(("Refiner switch at", str(enhanced.refiner.high_noise_frac)))
        else:
            fields.append(("Refiner strength", str(enhanced.refiner.strength)))
    if enhanced.vae:
        fields.append(("VAE", enhanced.vae))
    if enhanced.loras:
        fields.append(("Lora", ", ".join(f"{lora.id}:{lora.weight:g}" for lora in enhanced.loras)))
    for index, cn in enumerate(enhanced.controlnets):
        fields.append((f"ControlNet {index}", f"Module: {cn.preprocessor}, Model: {cn.id}, Weight: {cn.weight:g}, "
                                              f"Guidance Start: {cn.guidance_start:g}, "
                                              f"Guidance End: {cn.guidance_end:g}"))
    for step in enhanced.post_processing:
        fields += [("Postprocess upscaler", step.model), ("Postprocess upscale by", str(step.factor))]
    if enhanced.batch_size > 1:
        fields.append(("Batch size", str(enhanced.batch_size)))
    return fields


def checkpoint_config(registry: Any, catalog: Any, model_id: str, models_dir: Any) -> OutputConfig:
    """An output config for a diffusers checkpoint folder of the models folder that has none of its own, so the
    worker protocol can generate with any registered checkpoint (``model_name``): the first output config of the
    same family lends its defaults and prompt instructions; sizes up to 2048 px and 150 steps are allowed.

    Raises:
        OutputConfigNotFoundError (404): `model_id` is no output config and no such checkpoint folder is registered
            (single-file checkpoints need an output config naming their diffusers folder).
    """
    from pathlib import Path

    from devserver.contracts.schema_files import LocalizedText, ModelSource
    from devserver.errors import OutputConfigNotFoundError

    base = catalog.base_of(model_id) if catalog is not None and model_id else None
    family = {"sd1": "sd", "sd2": "sd", "sdxl": "sdxl", "sd3": "sd3"}.get(base.family if base else "", None)
    template = next((config for config in registry.output_configs.values() if config.model.family == family), None)
    if (base is None or base.spec is None or base.spec.format != "diffusers" or template is None
            or base.id != model_id):
        raise OutputConfigNotFoundError(f"no output config or checkpoint folder with id {model_id[:80]!r}",
                                        details={"output_config": model_id[:80]})
    location = Path(base.spec.location)
    try:
        local_dir = location.relative_to(models_dir).as_posix()
    except ValueError:
        local_dir = str(location)
    return template.model_copy(update={
        "id": base.id, "name": LocalizedText(de=base.id, en=base.id),
        "model": ModelSource(family=family, local_dir=local_dir), "max_side_px": 2048, "max_steps": 150})


def edge_map_png(image: Any, low: int, high: int) -> bytes:
    """The Canny edge map of `image` as PNG bytes (the studio's preview of what a canny ControlNet gets)."""
    buffer = io.BytesIO()
    canny(image, low, high).save(buffer, format="PNG")
    return buffer.getvalue()
