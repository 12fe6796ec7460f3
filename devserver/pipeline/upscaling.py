"""The studio's add-on helpers on the web node: what fits the chosen model, and "Vergrößern 2x/4x" as a job.

- :func:`compatible_addons`: the refiners, VAEs, LoRAs, ControlNets and upscalers the studio may offer for an output
  config (the family table of :mod:`devserver.generation.addons`, so the studio never offers what would be a 422);
- :func:`prepare_upscale` / :func:`run_upscale`: a finished image of a run made larger (spandrel or Lanczos, exact
  size), checked by stage 4b like any image and added to the same run with its provenance (the source image's
  infotext plus the upscale, in the source's format), as the ``upscale`` job kind.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from PIL import Image

from devserver.contracts.api import BlockedResponse, MediaOutput, Stages, UpscaleResponse
from devserver.contracts.generation import AddonOut, AddonsResponse, UpscaleRequest
from devserver.contracts.schema_files import OutputConfig
from devserver.errors import GenerationCanceledError
from devserver.generation.addons import (
    UpscaleStep,
    base_families,
    check_output_side,
    fits,
    lookup_addon,
)
from devserver.generation.image_files import FORMATS, encode_image, read_provenance

ADDON_KINDS = {"refiner": "refiners", "vae": "vaes", "lora": "loras", "controlnet": "controlnets"}


def compatible_addons(models: Any, output_config: OutputConfig) -> AddonsResponse:
    """The add-ons of the models folder that fit `output_config`'s model, by kind, in registry order."""
    base = models.base_of(output_config.id)
    families = base_families(base, output_config.model.family)
    found: dict[str, list[AddonOut]] = {key: [] for key in (*ADDON_KINDS.values(), "upscalers")}
    metadata = models.store.all_metadata()
    for record in models.registry.records():
        addon = models.addon(record.id)
        meta = metadata.get(record.id, ({}, None))[0]
        if addon.spec is None:
            continue
        out = AddonOut(id=record.id, name=meta.get("display_name") or record.file_name, family=addon.family,
                       trigger_words=list(meta.get("trigger_words") or []), scale=record.detection.scale)
        if addon.type == "upscaler":
            found["upscalers"].append(out)
        elif addon.type in ADDON_KINDS and fits(addon, addon.type, families):
            found[ADDON_KINDS[addon.type]].append(out)
    return AddonsResponse(status="success", output_config=output_config.id,
                          base_model=base.id if base is not None else None, families=list(families), **found)


def choose_upscaler(models: Any, name: str | None, factor: int) -> str:
    """The upscaler to use: `name` resolved (or ``lanczos``); by default an installed one of exactly `factor`, else
    any installed one, else ``lanczos``.

    Raises:
        RequestValidationError (422): an unknown name or not an upscaler.
    """
    if name is not None:
        return "lanczos" if name.lower() == "lanczos" else lookup_addon(models, name, "upscaler", "model").id
    installed = [record for record in models.registry.records()
                 if record.detection.type == "upscaler" and record.available]
    exact = [record for record in installed if record.detection.scale == factor]
    return (exact or installed)[0].id if installed else "lanczos"


@dataclass(frozen=True)
class UpscalePlan:
    """A checked upscale request: the source image, its media record and the upscaler to use."""

    request: UpscaleRequest
    image: Image.Image
    source: dict[str, Any]
    source_bytes: bytes
    model: str


def prepare_upscale(orchestrator: Any, req: UpscaleRequest) -> UpscalePlan:
    """Check an upscale request without writing anything.

    Raises:
        InvalidIdError (400), RunNotFoundError / MediaNotFoundError (404); RequestValidationError (422): the image
        would pass the output side limit, an unknown upscaler.
    """
    run = orchestrator.recorder.open(req.run_id)
    path = run.image_path(req.index)
    data = path.read_bytes()
    with Image.open(path) as opened:
        image = opened.convert("RGB")
    check_output_side(image.width, image.height, [UpscaleStep(factor=req.factor)],
                      orchestrator.settings.output_max_side_px, field_name="factor")
    model = choose_upscaler(orchestrator.catalog, req.model, req.factor)
    return UpscalePlan(request=req, image=image, source=run.metadata()["media"][req.index], source_bytes=data,
                       model=model)


def run_upscale(orchestrator: Any, plan: UpscalePlan, *, run_id: str,
                observer: Any) -> UpscaleResponse | BlockedResponse:
    """Upscale the plan's image into its run (a new image at the end): 4b checks it before it is kept.

    Raises:
        GenerationCanceledError (409): canceled between tiles; GenerationError (500): the upscaler failed.
    """
    req = plan.request
    run = orchestrator.recorder.open(run_id)
    observer.run_started(run_id)
    observer.stage_start(4, "upscale")
    started = time.perf_counter()
    step = UpscaleStep(model=plan.model, factor=req.factor)
    image = orchestrator.upscaler.upscale(plan.image, step, on_progress=observer.progress,
                                          should_stop=observer.cancel_requested)
    if image is None:
        raise GenerationCanceledError("The upscale was canceled.", details={"run_id": run_id})
    duration_ms = round((time.perf_counter() - started) * 1000)
    verdict = orchestrator.output_check.check(image)
    if verdict is not None:
        run.add_json("safety_stage4b", verdict.model_dump(mode="json"))
        if verdict.status == "blocked":
            return orchestrator._block(run, 4, verdict, Stages())  # noqa: SLF001 - the one block shape
    infotext, meta = read_provenance(plan.source_bytes)
    fields = f"Postprocess upscaler: {plan.model}, Postprocess upscale by: {req.factor}"
    parameters = f"{infotext}, {fields}" if infotext else fields
    provenance = {**(meta or {}), "run_id": run_id, "upscaled_from": req.index, "upscale_factor": req.factor,
                  "upscaler": plan.model}
    output_format = next((name for name, (_, mime) in FORMATS.items() if mime == plan.source["mime_type"]), "png")
    data, ext, mime = encode_image(image, output_format, 95, parameters=parameters, devserver_meta=provenance)
    run.add_json("upscale", {"source_index": req.index, "factor": req.factor, "model": plan.model,
                             "width": image.width, "height": image.height, "duration_ms": duration_ms})
    record = run.add_image(data, {"media_type": "image", "seed": plan.source["seed"], "width": image.width,
                                  "height": image.height, "mime_type": mime,
                                  "output_config": plan.source["output_config"]}, ext=ext)
    return UpscaleResponse(status="success", run_id=run_id,
                           media_output=MediaOutput(**{k: record[k] for k in MediaOutput.model_fields}),
                           source_index=req.index, factor=req.factor, model=plan.model, duration_ms=duration_ms)
