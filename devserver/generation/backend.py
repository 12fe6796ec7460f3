"""Stage 4 image generation with diffusers: model sources, a pipeline cache, txt2img, img2img and inpainting.

One :class:`DiffusersBackend` per server keeps loaded models in one cache (:mod:`.cache`) keyed by their
source (folder or file), so the model registry's explicit load/unload (:meth:`DiffusersBackend.load`,
:meth:`DiffusersBackend.unload`) and learners' generation share the same entries; it evicts least recently used
idle models under a byte budget and never one a running job uses (a forced unload stops that job at its current
diffusion step). Weights are read from disk once per model; the img2img and inpainting pipelines are derived from
the txt2img one with ``from_pipe``, which shares its components
(https://huggingface.co/docs/diffusers/using-diffusers/loading#reuse-a-pipeline). Every run gets a
fresh scheduler built from the model's own scheduler config, and a CPU ``torch.Generator`` seeded
with the request's seed, so the same seed and inputs give the same pixels
(https://huggingface.co/docs/diffusers/using-diffusers/reusing_seeds). Which pipeline class runs each family
and mode, and what differs per family, is :mod:`devserver.generation.families`; masks and the compositing that
keeps everything outside the mask are :mod:`devserver.generation.inpaint`.

torch and diffusers are imported inside methods only: importing this module, building a backend and
:meth:`DiffusersBackend.availability` stay fast.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from PIL import Image

from devserver.errors import (
    ApiError,
    ConflictError,
    GenerationCanceledError,
    GenerationError,
    OutputConfigUnavailableError,
    RequestValidationError,
)
from devserver.generation import controlnet as controlnets
from devserver.generation.addons import (
    AddonCatalog,
    ControlNetRef,
    LoraRef,
    RefinerRef,
    ResolvedAddons,
    UpscaleStep,
    check_output_side,
    lookup_addon,
    resolve_addons,
)
from devserver.generation.cache import CacheEntry, ModelCache, module_bytes, rss_bytes
from devserver.generation.device import dtype_name, prepare_libraries, resolve_device
from devserver.generation import families, inpaint
from devserver.generation.loading import LoadSpec, apply_configuration, load_object, precision_for
from devserver.generation.loras import applied_loras
from devserver.generation.refiner import (
    base_kwargs,
    check_vae_fits,
    expected_refiner_steps,
    refiner_kwargs,
    swapped_vae,
)
from devserver.generation.schedulers import make_scheduler, scheduler_name, validate_scheduler_name
from devserver.generation.tiny import TINY_SD_FOLDER, ensure_tiny_sd
from devserver.generation.upscale import upscale

log = logging.getLogger(__name__)

PipelineKind = Literal["txt2img", "img2img", "inpaint"]

MIN_SIDE_PX = 64
"""Smallest accepted image side, in pixels (8 latent pixels)."""
SIZE_MULTIPLE = 8
"""Image sides must be multiples of the VAE's downsampling factor (8 for SD 1.x, SDXL and SD 3)."""
MAX_BATCH_SIZE = 8
"""Most images one request makes (``batch_size``)."""
DEFAULT_OUTPUT_MAX_SIDE_PX = 4096
"""Longest side of a post-processed (upscaled) image unless the backend is given another limit."""

# diffusers pipeline class names per model family and pipeline kind: devserver.generation.families
# (https://huggingface.co/docs/diffusers/api/pipelines/overview).
_PIPELINE_CLASSES: dict[str, dict[PipelineKind, str | None]] = {
    name: dict(fam.pipelines) for name, fam in families.FAMILIES.items()}


@dataclass(frozen=True)
class ModelRef:
    """Where an output config's weights come from. Sources are tried in this order:
    ``builtin``, ``local_dir``, ``single_file``, ``hub_id``; the first available one is used.

    Attributes:
        id: the output config id, e.g. ``"tiny_sd"``, ``"sd15"``; the pipeline cache key.
        family: ``"sd"`` (SD 1.x), ``"sd2"`` (SD 2.x), ``"sdxl"`` (SDXL, SDXL-Turbo), ``"sd3"`` (SD 3.x) or
            ``"flux"`` (Flux.1); see :mod:`devserver.generation.families`.
        builtin: ``"tiny_sd"``: built on first use under the models folder (see devserver.generation.tiny).
        local_dir: a diffusers folder (with ``model_index.json``): a name under the models folder or an absolute path.
        hub_id: a Hugging Face repo id; used when its snapshot is in the local HF cache, or when downloads are allowed.
        single_file: a ``.safetensors`` checkpoint for ``from_single_file``: under the models folder or absolute.
        inpainting: a dedicated inpainting checkpoint (9-channel UNet): it runs the inpainting pipeline only.
    """

    id: str
    family: Literal["sd", "sd2", "sdxl", "sd3", "flux"]
    builtin: Literal["tiny_sd"] | None = None
    local_dir: str | None = None
    hub_id: str | None = None
    single_file: str | None = None
    inpainting: bool = False


@dataclass(frozen=True)
class GenerationRequest:
    """One image to generate. Checked by :meth:`DiffusersBackend.generate` (422 on a bad value).

    Attributes:
        prompt / negative_prompt: text; an empty negative prompt means none.
        width, height: output size in pixels, multiples of 8, at least 64. For img2img they are a
            bounding box, see :func:`fit_img2img_size`.
        steps: ``num_inference_steps``, >= 1.
        cfg: ``guidance_scale`` (classifier-free guidance; <= 1 turns it off).
        seed: seed of the CPU ``torch.Generator`` (0 .. 2**64-1).
        scheduler: a name from ``SCHEDULER_NAMES``; None keeps the model's own scheduler.
        init_image: RGB input image; present means img2img (or inpainting, with a mask).
        strength: img2img and inpainting, in (0, 1]: how much noise is added to the input (1 = ignore it).
        mask_image: inpainting: white = repaint, black = keep; any mode and size (converted to L, resized to the
            output size, binarised at 128; see :mod:`devserver.generation.inpaint`). Needs `init_image`.
        mask_blur: inpainting: Gaussian feathering of the mask edge, in pixels (0..64).
        padding_mask_crop: inpainting: repaint only a crop around the mask, this many pixels of margin, at the full
            output resolution, and paste it back (diffusers' ``padding_mask_crop``); None repaints at image scale.
        refiner / vae / loras / controlnets / post_processing: add-ons by registry id (devserver.generation.addons);
            ControlNets carry their conditioning images, already preprocessed.
        batch_size: images to make, 1..8; image i uses ``seed + i`` and is made on its own, so it is pixel-identical
            to a single run with that seed.
        notes: what the web node left out (e.g. an interception config's LoRA that does not fit), for the report.
        output_format / quality: how the web node encodes the images (png, jpeg, webp; quality 1-100).
    """

    prompt: str
    negative_prompt: str = ""
    width: int = 512
    height: int = 512
    steps: int = 20
    cfg: float = 7.5
    seed: int = 0
    scheduler: str | None = None
    init_image: Image.Image | None = None
    strength: float = 0.75
    refiner: RefinerRef | None = None
    vae: str | None = None
    loras: tuple[LoraRef, ...] = ()
    controlnets: tuple[ControlNetRef, ...] = ()
    post_processing: tuple[UpscaleStep, ...] = ()
    batch_size: int = 1
    notes: tuple[str, ...] = ()
    output_format: Literal["png", "jpeg", "webp"] = "png"
    quality: int = 95
    mask_image: Image.Image | None = None
    mask_blur: int = inpaint.DEFAULT_MASK_BLUR_PX
    padding_mask_crop: int | None = None

    @property
    def has_addons(self) -> bool:
        """Whether the request names a refiner, VAE, LoRA, ControlNet or upscaler model."""
        return bool(self.refiner or self.vae or self.loras or self.controlnets
                    or any(step.model != "lanczos" for step in self.post_processing))


@dataclass(frozen=True)
class GenerationResult:
    """A generated image and the parameters that made it (for the run record and PNG provenance).

    Attributes:
        image: RGB PIL image of ``width`` x ``height`` pixels.
        mode: ``"txt2img"``, ``"img2img"`` or ``"inpaint"``.
        seed, steps, cfg: as requested.
        width, height: the actual image size (for img2img the fitted size, not the box).
        scheduler: the scheduler class actually used, without ``Scheduler`` (e.g. ``"DDIM"``).
        model_id: the ModelRef id; model_source: ``"builtin:tiny_sd"``, a local path or a hub id.
        device, dtype: where it ran, e.g. ``"cpu"``/``"float32"``.
        duration_ms: wall time of the diffusers call (excluding model loading), in milliseconds.
        strength: img2img strength, None for txt2img.
        worker: name of the GPU worker that made it (Celery backend); None when made in this process.
        total_steps: denoising steps the pipeline really ran (``pipe.num_timesteps``; img2img about
            ``steps * strength``, PNDM ``steps + 1``; with a refiner or a batch: all calls of all images).
        more_images: the images of a batch after the first (image i used seed + i); seeds: every image's seed.
        applied: what was used beyond the base model (EnhancementsReport fields: base_model, refiner, vae, loras,
            controlnets, post_processing); None when nothing was.
        mask_blur, padding_mask_crop: inpainting's mask settings as used; None for the other modes.
        mask_coverage: inpainting: the share of the image the mask repaints (0..1); None otherwise.
    """

    image: Image.Image
    mode: Literal["txt2img", "img2img", "inpaint"]
    seed: int
    width: int
    height: int
    steps: int
    cfg: float
    scheduler: str
    model_id: str
    model_source: str
    device: str
    dtype: str
    duration_ms: int
    strength: float | None
    worker: str | None = None
    total_steps: int | None = None
    more_images: tuple[Image.Image, ...] = ()
    seeds: tuple[int, ...] = ()
    applied: dict[str, Any] | None = None
    mask_blur: int | None = None
    padding_mask_crop: int | None = None
    mask_coverage: float | None = None

    @property
    def images(self) -> list[Image.Image]:
        """Every image, index order (the first is ``image``)."""
        return [self.image, *self.more_images]


@dataclass(frozen=True)
class _Source:
    """A resolved model source: how to load (``kind``), from where (``location``), and its label."""

    kind: Literal["builtin", "local_dir", "single_file", "hub_id"]
    location: str
    label: str


@dataclass
class _Loaded:
    """A cached pipeline with the scheduler it was loaded with (each run gets a fresh copy or a swap from it)."""

    pipe: Any
    scheduler: Any
    source: _Source


class ModelInUseError(ApiError):
    """409: the model is used by a running job; unload it with ``force`` (the job stops at its current step)."""

    status = 409
    code = "model_in_use"


class ModelUnloadedError(ApiError):
    """409: an admin unloaded the model (force) while this run was generating; it stopped at a step boundary."""

    status = 409
    code = "model_unloaded"


class MemoryBudgetError(ApiError):
    """409: the model does not fit the memory budget even after evicting every idle model (``force`` loads anyway)."""

    status = 409
    code = "model_memory_budget_exceeded"


@dataclass
class LoadOutcome:
    """What :meth:`DiffusersBackend.load` did.

    Attributes:
        entry: the cache entry (loaded now or before).
        already_loaded: it was in the cache before the call.
        evicted: labels of the idle models unloaded to make room.
        applied: optimizations active now.
        warnings: what was not applied and why, budget notes.
    """

    entry: CacheEntry
    already_loaded: bool
    evicted: list[str]
    applied: list[str]
    warnings: list[str]


@dataclass
class UnloadOutcome:
    """What :meth:`DiffusersBackend.unload` did (times in ms, sizes in bytes)."""

    was_loaded: bool
    freed_bytes: int
    unload_time_ms: int
    interrupted_jobs: int
    cache_cleared: bool
@contextmanager
def library_failures(model_id: str, action: str, *, unavailable: tuple[type[BaseException], ...] = ()
                     ) -> Iterator[None]:
    """The one place that turns a diffusers/torch failure into ours: log the trace, raise a clean ApiError.

    The message names the model and what failed, never the exception's text (which may hold paths or library
    internals); ``details.exception_type`` names the exception class for support.

    Args:
        model_id: the output config id.
        action: what was being done, e.g. "could not be loaded", "has no working img2img pipeline".
        unavailable: exception types meaning "the weights cannot be read" (-> OutputConfigUnavailableError, 409).
    Raises:
        OutputConfigUnavailableError (409) for `unavailable` types, GenerationError (500) for any other
        exception; ApiErrors pass through unchanged.
    """
    try:
        yield
    except ApiError:
        raise
    except Exception as exc:
        log.exception("model %s %s", model_id, action)
        error = OutputConfigUnavailableError if isinstance(exc, unavailable) else GenerationError
        raise error(f"Model '{model_id}' {action}.",
                    details={"output_config": model_id, "exception_type": type(exc).__name__}) from exc


def fit_img2img_size(input_wh: tuple[int, int], box_wh: tuple[int, int],
                     multiple: int = SIZE_MULTIPLE) -> tuple[int, int]:
    """Output size of img2img (and inpainting): the input's aspect ratio with its longest side = the box's longest.

    Both sides are rounded to the nearest multiple of `multiple` and are at least 64, so the result can
    differ slightly from the exact aspect ratio. Example: a 96x64 input in a 64x64 box -> (64, 40).

    Args:
        input_wh: the input image's (width, height), pixels, both > 0.
        box_wh: the request's (width, height), pixels, multiples of 8 (>= 64).
        multiple: the family's size multiple (8; 16 for SD 3 and Flux).
    Returns:
        (width, height) in pixels, multiples of `multiple`, each >= 64.
    """
    scale = max(box_wh) / max(input_wh)
    width, height = (max(MIN_SIDE_PX, round(side * scale / multiple) * multiple) for side in input_wh)
    return width, height


def _validate(request: GenerationRequest, max_output_side_px: int = DEFAULT_OUTPUT_MAX_SIDE_PX) -> None:
    """Check sizes, steps, strength, the scheduler name and the enhanced fields; raise RequestValidationError (422)
    naming the value.

    img2img denoises only the last ``int(steps * strength)`` steps (diffusers' ``get_timesteps``), so
    that number must be at least 1. An upscaled image's longest side may not exceed `max_output_side_px`.
    """
    _validate_enhanced(request, max_output_side_px)
    for field in ("width", "height"):
        value = getattr(request, field)
        if value % SIZE_MULTIPLE or value < MIN_SIDE_PX:
            raise RequestValidationError(
                f"{field} must be a multiple of {SIZE_MULTIPLE} and at least {MIN_SIDE_PX}, got {value}",
                details={"field": field, "value": value},
            )
    if request.steps < 1:
        raise RequestValidationError(
            f"steps must be at least 1, got {request.steps}", details={"field": "steps", "value": request.steps}
        )
    if not 0 < request.strength <= 1:
        raise RequestValidationError(
            f"strength must be in (0, 1], got {request.strength}",
            details={"field": "strength", "value": request.strength},
        )
    if request.init_image is not None and int(request.steps * request.strength) < 1:
        raise RequestValidationError(
            f"{generation_mode(request)} runs int(steps * strength) denoising steps, which must be at least 1, got "
            f"steps {request.steps} and strength {request.strength}",
            details={"field": "steps", "value": request.steps, "strength": request.strength},
        )
    if request.scheduler is not None:
        validate_scheduler_name(request.scheduler)
    _validate_mask(request)


def _validate_mask(request: GenerationRequest) -> None:
    """Inpainting's checks: a mask needs an input image, blur and crop margin in range, something painted."""
    if request.mask_image is None:
        return
    if request.init_image is None:
        raise RequestValidationError("mask_image needs input_image: inpainting repaints part of a photo",
                                     details={"field": "mask_image"})
    if not 0 <= request.mask_blur <= inpaint.MAX_MASK_BLUR_PX:
        raise RequestValidationError(
            f"mask_blur must be between 0 and {inpaint.MAX_MASK_BLUR_PX} pixels, got {request.mask_blur}",
            details={"field": "mask_blur", "value": request.mask_blur})
    crop = request.padding_mask_crop
    if crop is not None and not 0 <= crop <= inpaint.MAX_PADDING_MASK_CROP_PX:
        raise RequestValidationError(
            f"padding_mask_crop must be between 0 and {inpaint.MAX_PADDING_MASK_CROP_PX} pixels, got {crop}",
            details={"field": "padding_mask_crop", "value": crop})
    inpaint.check_not_empty(request.mask_image)


def check_request(model: ModelRef, request: GenerationRequest,
                  max_output_side_px: int = DEFAULT_OUTPUT_MAX_SIDE_PX) -> None:
    """Every check :meth:`DiffusersBackend.generate` makes before loading anything (pure: no torch), so that a
    request can be refused before it is queued; `max_output_side_px` as the backend's (Settings.output_max_side_px).

    Raises:
        RequestValidationError (422) and its kinds, as :meth:`DiffusersBackend.generate`.
    """
    _validate(request, max_output_side_px)
    _check_for_model(model, request)


def _validate_enhanced(request: GenerationRequest, max_output_side_px: int) -> None:
    """The checks of the enhanced fields (batch size, refiner, ControlNet images, upscale factors, output size)."""
    def refuse(field: str, message: str, value: Any) -> None:
        raise RequestValidationError(message, details={"field": field, "value": value})

    if not 1 <= request.batch_size <= MAX_BATCH_SIZE:
        refuse("batch_size", f"batch_size must be between 1 and {MAX_BATCH_SIZE}, got {request.batch_size}",
               request.batch_size)
    if request.refiner is not None and not 0 < request.refiner.high_noise_frac < 1:
        refuse("refiner.high_noise_frac", f"refiner.high_noise_frac must be in (0, 1), got "
               f"{request.refiner.high_noise_frac}", request.refiner.high_noise_frac)
    for index, ref in enumerate(request.controlnets):
        if ref.image is None:
            refuse(f"controlnets[{index}].image", f"controlnets[{index}] has no conditioning image", None)
    for index, step in enumerate(request.post_processing):
        if step.type != "upscale" or step.factor not in (2, 4):
            refuse(f"post_processing[{index}]", f"post_processing[{index}] must be an upscale by 2 or 4, got "
                   f"{step.type} x{step.factor}", step.factor)
    box = (request.width, request.height)
    if request.init_image is not None:  # img2img keeps the box's longest side
        box = (max(box), max(box))
    check_output_side(*box, request.post_processing, max_output_side_px, field_name="post_processing")


def generation_mode(request: GenerationRequest) -> PipelineKind:
    """Which pipeline a request needs: ``"inpaint"`` with an input image and a mask, ``"img2img"`` with an input
    image only, else ``"txt2img"``."""
    if request.init_image is None:
        return "txt2img"
    return "img2img" if request.mask_image is None else "inpaint"


def _check_for_model(model: ModelRef, request: GenerationRequest) -> None:
    """Checks of `request` that depend on the model's family; raise a 422 naming the value.

    Raises:
        ModeUnsupportedError (422): the model cannot run the request's mode (families.check_mode).
        RequestValidationError (422): a scheduler swap on a flow-matching model (SD 3, Flux); a txt2img size that
            is not a multiple of the family's size multiple (16 for SD 3 and Flux).
    """
    fam = families.family(model.family)
    families.check_mode(model.id, model.family, generation_mode(request), inpainting_model=model.inpainting)
    if request.refiner is not None and generation_mode(request) == "inpaint":
        raise RequestValidationError("a refiner is not used for inpainting: leave the refiner out or use img2img",
                                     details={"field": "refiner"})
    if request.controlnets and not controlnets.supports(model.family, generation_mode(request)):
        raise RequestValidationError(
            f"model '{model.id}' ({fam.label}) has no ControlNet pipeline for {generation_mode(request)}",
            details={"field": "controlnets", "output_config": model.id})
    if request.scheduler is not None and not fam.scheduler_swappable:
        raise RequestValidationError(
            f"model '{model.id}' ({fam.label}) uses a flow-matching scheduler that cannot be swapped, got scheduler "
            f"{request.scheduler!r}",
            details={"field": "scheduler", "value": request.scheduler},
        )
    if request.init_image is None:
        for field in ("width", "height"):
            value = getattr(request, field)
            if value % fam.size_multiple:
                raise RequestValidationError(
                    f"{field} must be a multiple of {fam.size_multiple} for {fam.label} models such as "
                    f"'{model.id}', got {value}", details={"field": field, "value": value,
                                                           "multiple": fam.size_multiple})


class _StepWatch:
    """The state of one run's step callback (diffusers' ``callback_on_step_end``), over every pipeline call of the
    run (base and refiner, every image of a batch).

    It reports each finished step to `on_step` as (step, total) counted over the whole run (whose True stops the
    run: a cancel), stops the run when an admin force-unloads the model (the cache entry's ``interrupt``), and
    records the real number of steps: the callbacks of the first image times the images. Until the first image is
    done the total is an estimate (the base call's ``pipe.num_timesteps`` plus the refiner's expected steps);
    :meth:`finish` reports the last step with the true total. Stopping sets ``pipe._interrupt``, the documented way
    to end the denoising loop (https://huggingface.co/docs/diffusers/using-diffusers/callback); the pipeline still
    returns an image from the current latents, which :meth:`raise_if_stopped` makes sure is never used.
    """

    def __init__(self, on_step: Callable[[int, int], bool | None] | None, entry: CacheEntry, *,
                 images: int = 1) -> None:
        self.on_step = on_step
        self.entry = entry
        self.images = images
        self.canceled = threading.Event()
        self.unloaded = threading.Event()
        self.done = 0
        self._first_call: int | None = None  # pipe.num_timesteps of the first image's base call
        self._rest = 0  # expected steps of the first image's later calls (the refiner)
        self._whole: int | None = None  # expected steps of the first image's calls together (ensemble)
        self._per_image: int | None = None  # callbacks of the first image, once it is done
        self._reported_total = 0

    @property
    def stopped(self) -> bool:
        """The run was canceled or its model unloaded."""
        return self.canceled.is_set() or self.unloaded.is_set()

    @property
    def total_steps(self) -> int | None:
        """Steps of the whole run (img2img about steps * strength, PNDM steps + 1, per image and call); None
        before the first callback."""
        if self._per_image is not None:
            return self._per_image * self.images
        return None if self._first_call is None else self._estimate()

    def _estimate(self) -> int:
        per_image = self._per_image
        if per_image is None:
            per_image = self._whole if self._whole is not None else (self._first_call or 0) + self._rest
        return max(self.done, per_image * self.images)

    def phase(self, index: int, rest: int = 0, whole: int | None = None) -> None:
        """Call `index` (0 base, 1 refiner) of an image starts; `rest`: expected steps of its later calls, or
        `whole`: the expected steps of all its calls (an ensemble shares one schedule: base and refiner together run
        about ``steps``, whatever the base pipeline reports as its own number)."""
        if index == 0 and self._first_call is None:
            self._rest, self._whole = rest, whole

    def image_done(self) -> None:
        """An image is finished: its callbacks are the steps of every image."""
        if self._per_image is None:
            self._per_image = self.done

    def finish(self) -> None:
        """The run is done: report its last step with the true total where the estimate was off."""
        if self.on_step is not None and self.done and self._reported_total != self.done:
            self.on_step(self.done, self.done)

    def callback(self, pipe: Any, step_index: int, timestep: Any, callback_kwargs: dict) -> dict:
        """diffusers' ``callback_on_step_end(pipe, step_index, timestep, callback_kwargs) -> callback_kwargs``."""
        if self._first_call is None:
            self._first_call = pipe.num_timesteps
        self.done += 1
        self._reported_total = self._estimate()
        if self.on_step is not None and self.on_step(self.done, self._reported_total):
            pipe._interrupt = True
            self.canceled.set()
        if self.entry.interrupt.is_set():  # a forced unload waits for this step boundary
            pipe._interrupt = True
            self.unloaded.set()
        return callback_kwargs

    def raise_if_stopped(self, model_id: str) -> None:
        """Raise when the run was stopped before its end (its image must not be used).

        Raises:
            ModelUnloadedError (409): an admin force-unloaded the model during the run.
            GenerationCanceledError (409): `on_step` asked to cancel.
        """
        if self.unloaded.is_set() and not self.canceled.is_set():
            raise ModelUnloadedError("An admin unloaded the model while this image was being made; it stopped "
                                     "after the current step. Try again.", details={"output_config": model_id})
        if self.canceled.is_set():
            raise GenerationCanceledError("The generation was canceled.", details={"output_config": model_id})


@dataclass
class _Run:
    """What one generation holds under the run lock: the base entry, its add-ons' entries (by registry id), the
    resolved add-ons, and the pipelines of this run (mode or ControlNet pipeline, refiner)."""

    entry: CacheEntry
    addons: ResolvedAddons | None
    held: dict[str, CacheEntry]
    mode: PipelineKind
    pipe: Any = None
    refiner: Any = None
    mask_coverage: float | None = None

    def obj(self, model_id: str) -> Any:
        """The loaded object of add-on `model_id`."""
        return self.held[model_id].obj


class DiffusersBackend:
    """Runs diffusers pipelines for output configs; one instance per server, shared by all requests.

    Thread-safe: loading is serialised by one lock (a model is never loaded twice), generation by
    another (diffusers pipelines are not thread-safe), so one image is made at a time.

    Args:
        device: ``"auto"`` (cuda, else mps, else cpu), ``"cpu"``, ``"cuda"`` or ``"mps"``.
        models_dir: folder of local weights and of the built-in tiny model.
        allow_downloads: let ``hub_id`` models download from the Hugging Face Hub when not cached.
        threads: ``torch.set_num_threads`` (CPU intra-op threads), applied when torch is first used.
        cache_bytes: memory budget of the model cache (None: measured).
        max_output_side_px: longest side of an upscaled image, pixels.
    """

    def __init__(self, *, device: str = "auto", models_dir: Path, allow_downloads: bool = False,
                 threads: int | None = None, cache_bytes: int | None = None,
                 max_output_side_px: int = DEFAULT_OUTPUT_MAX_SIDE_PX) -> None:
        self._requested_device = device
        self._device: str | None = None
        self.models_dir = Path(models_dir)
        self.allow_downloads = allow_downloads
        self.threads = threads
        self.cache = ModelCache(cache_bytes, lambda: self.device)
        """Loaded models by source (folder/file path or hub id), LRU under ``cache_bytes`` (None: measured)."""
        self._load_lock = threading.RLock()
        self._run_lock = threading.Lock()
        self._load_count = 0
        self._loading_since: dict[str, float] = {}  # model id -> time.monotonic() when its weights began loading
        self.max_output_side_px = max_output_side_px
        """Longest side of an upscaled image (Settings.output_max_side_px)."""
        self.catalog: AddonCatalog | None = None
        """Resolves add-on names (refiner, VAE, LoRAs, ControlNets, upscalers) through the model registry of this
        process; set by the composition root (devserver.services, devserver.jobs.gpu_worker)."""

    @property
    def device(self) -> str:
        """The torch device generation runs on (resolved on first access; ``"auto"`` imports torch)."""
        if self._device is None:
            self._device = resolve_device(self._requested_device)
        return self._device

    @property
    def dtype(self) -> str:
        """The weights' dtype name: ``"float16"`` on cuda/mps, ``"float32"`` on cpu."""
        return dtype_name(self.device)

    # -- sources ---------------------------------------------------------------------------------

    def _path(self, name: str) -> Path:
        """A path from an output config: absolute as is, else relative to the models folder."""
        path = Path(name).expanduser()
        return path if path.is_absolute() else self.models_dir / path

    def display_path(self, path: Path) -> str:
        """How a model path is shown to clients: ``models/<relative path>`` inside the models folder, else only
        its last part (never an absolute server path)."""
        try:
            return f"models/{path.relative_to(self.models_dir).as_posix()}"
        except ValueError:
            return path.name

    def _resolve(self, model: ModelRef) -> _Source | str:
        """The first available source of `model`, or a sentence saying why none is (no torch import)."""
        reasons: list[str] = []
        if model.builtin == "tiny_sd":
            return _Source("builtin", str(self.models_dir / TINY_SD_FOLDER), "builtin:tiny_sd")
        if model.local_dir:
            path = self._path(model.local_dir)
            shown = self.display_path(path)
            if (path / "model_index.json").is_file():
                return _Source("local_dir", str(path), shown)
            reasons.append(f"folder {shown} has no model_index.json" if path.is_dir() else f"folder {shown} not found")
        if model.single_file:
            path = self._path(model.single_file)
            shown = self.display_path(path)
            if path.is_file():
                return _Source("single_file", str(path), shown)
            reasons.append(f"checkpoint file {shown} not found")
        if model.hub_id:
            from huggingface_hub import try_to_load_from_cache
            from huggingface_hub.errors import HFValidationError

            try:
                cached = try_to_load_from_cache(model.hub_id, "model_index.json")
            except HFValidationError:
                reasons.append(f"{model.hub_id!r} is not a valid Hugging Face repo id")
            else:
                if isinstance(cached, str) or self.allow_downloads:
                    return _Source("hub_id", model.hub_id, model.hub_id)
                reasons.append(f"{model.hub_id} is not in the local Hugging Face cache and downloads are disabled")
        if not reasons:
            reasons.append("the output config names no model source")
        return "; ".join(reasons)

    def diffusers_folder(self, model: ModelRef) -> Path | None:
        """The diffusers folder on disk (with ``model_index.json`` and ``tokenizer*/`` subfolders) of `model`'s
        first available source, without importing torch; None for a single-file checkpoint, a hub model that
        is not in the local cache, or no available source. The built-in tiny model's folder may not be built yet.
        """
        source = self._resolve(model)
        if not isinstance(source, _Source) or source.kind == "single_file":
            return None
        if source.kind == "hub_id":
            from huggingface_hub import try_to_load_from_cache

            cached = try_to_load_from_cache(source.location, "model_index.json")
            return Path(cached).parent if isinstance(cached, str) else None
        return Path(source.location)

    def readiness(self, model: ModelRef) -> tuple[bool, float | None]:
        """Whether `model`'s txt2img pipeline is loaded (warm), and while it is loading for how long; never waits.

        Returns:
            ``(True, None)`` when loaded; ``(False, seconds)`` while its weights load (seconds since the load
            began, including the first import of diffusers); ``(False, None)`` when nobody has started loading it.
        """
        key = self.cache_key(model)
        entry = self.cache.get(key) if key is not None else None
        if entry is not None and entry.kind == "pipeline":
            return True, None
        since = self._loading_since.get(model.id)
        return False, (None if since is None else max(0.0, time.monotonic() - since))

    def availability(self, model: ModelRef) -> tuple[bool, str | None]:
        """Whether `model` can be loaded without downloading (or downloads are allowed); fast, no torch import.

        Returns:
            ``(True, None)``, or ``(False, reason)`` with a sentence naming the missing folder/file,
            or saying that the hub model is not cached and downloads are disabled.
            The built-in tiny model is always available (built on first use).
        """
        source = self._resolve(model)
        return (True, None) if isinstance(source, _Source) else (False, source)

    # -- loading ---------------------------------------------------------------------------------

    def load_count(self) -> int:
        """How many times weights were read from disk (``from_pretrained``/``from_single_file`` calls)."""
        return self._load_count

    def loaded_models(self) -> list[str]:
        """Keys of the cached pipelines, ``"<label>:<kind>"`` (``"tiny_sd:txt2img"``); never waits for a load."""
        keys = []
        for entry in self.cache.entries():
            if entry.kind == "pipeline":
                keys += [f"{entry.label}:txt2img"] + [f"{entry.label}:{kind}" for kind in entry.derived]
        return keys

    def warm_up(self, model: ModelRef) -> None:
        """Load `model`'s pipeline (txt2img; inpainting for a dedicated inpainting model) into the cache without
        generating.

        Raises:
            OutputConfigUnavailableError (409): no source is available or the weights cannot be read.
            GenerationError (500): diffusers failed otherwise while loading.
        """
        self._pipeline(model, families.base_kind(model.inpainting))

    def cache_key(self, model: ModelRef) -> str | None:
        """The cache key of `model`'s weights (its source location), None when no source is available."""
        source = self._resolve(model)
        return _entry_key(model, source) if isinstance(source, _Source) else None

    def _pipeline(self, model: ModelRef, kind: PipelineKind) -> _Loaded:
        """The cached pipeline for (model, kind), loading (txt2img) or deriving (img2img, inpaint) it on first use."""
        entry = self._pipeline_entry(model, kind)
        pipe = entry.obj if kind == "txt2img" else entry.derived[kind]
        return _Loaded(pipe, entry.scheduler, _Source("local_dir", entry.key, entry.source_label or entry.label))

    def _pipeline_entry(self, model: ModelRef, kind: PipelineKind, *, acquire: bool = False) -> CacheEntry:
        """The cache entry of `model`'s pipeline (loaded on first use, img2img and inpaint derived), optionally
        marked in use.

        Raises:
            OutputConfigUnavailableError (409): no source, or the weights cannot be read.
            ModeUnsupportedError (422): the loaded weights are a dedicated inpainting model and `kind` is not inpaint.
        """
        with self._load_lock:
            source = self._resolve(model)
            if not isinstance(source, _Source):
                raise OutputConfigUnavailableError(
                    f"Model '{model.id}' is not available: {source}",
                    details={"output_config": model.id, "reason": source})
            key = _entry_key(model, source)
            entry = self.cache.get(key)
            if entry is None or entry.kind != "pipeline":
                self._make_room(_estimate_bytes(source), keep=None, label=model.id)
                with self.cache.loading(key):
                    started, rss_before = time.perf_counter(), rss_bytes()
                    self._loading_since[model.id] = time.monotonic()
                    try:
                        loaded = self._load(model)
                    finally:
                        self._loading_since.pop(model.id, None)
                    entry = CacheEntry(key=key, kind="pipeline", obj=loaded.pipe,
                                       memory_bytes=module_bytes(loaded.pipe),
                                       rss_growth_bytes=max(0, rss_bytes() - rss_before),
                                       load_time_ms=round((time.perf_counter() - started) * 1000), label=model.id,
                                       scheduler=loaded.scheduler, precision=self.dtype)
                entry.source_label = source.label
                self.cache.put(entry)
                self._make_room(0, keep=entry.key, label=model.id)
            if entry.scheduler is None:
                entry.scheduler = entry.obj.scheduler
            _check_loaded_mode(model, entry.obj, kind)
            if kind != "txt2img" and kind not in entry.derived:
                entry.derived[kind] = self._derive(model, _Loaded(entry.obj, entry.scheduler, source), kind).pipe
            if acquire:
                self.cache.acquire(entry.key)
            return entry

    def _make_room(self, needed: int, *, keep: str | None, label: str) -> list[str]:
        """Evict least recently used idle models so `needed` more bytes fit the budget; returns their labels."""
        evicted = self.cache.evict_for(needed, keep=keep)
        for old in evicted:
            log.info("evicted idle model %s (%d bytes) to load %s", old.label, old.memory_bytes, label)
            _free(old)
        return [old.label for old in evicted]

    def _load(self, model: ModelRef) -> _Loaded:
        """Read `model`'s weights from its first available source; called under the load lock."""
        source = self._resolve(model)
        if not isinstance(source, _Source):
            raise OutputConfigUnavailableError(
                f"Model '{model.id}' is not available: {source}", details={"output_config": model.id, "reason": source}
            )
        import diffusers
        import torch

        prepare_libraries()
        if self.threads is not None:
            torch.set_num_threads(self.threads)
        cls = getattr(diffusers, _base_class(model))
        options: dict[str, Any] = {"torch_dtype": getattr(torch, self.dtype),
                                   "local_files_only": not self.allow_downloads}
        if source.kind in ("builtin", "local_dir"):
            options.update(families.null_components(Path(source.location)))  # SD 3 saved without T5
        started = time.perf_counter()
        # missing or unreadable files: diffusers raises OSError/EnvironmentError -> 409 unavailable
        with library_failures(model.id, f"could not be loaded from {source.label}", unavailable=(OSError,)):
            if source.kind == "builtin":
                ensure_tiny_sd(self.models_dir)
            if source.kind == "single_file":
                pipe = cls.from_single_file(source.location, **options)
            else:
                pipe = cls.from_pretrained(source.location, **options)
            pipe = pipe.to(self.device)
        self._load_count += 1
        pipe.set_progress_bar_config(disable=True)
        _check_no_meta(pipe, model.id)
        log.info("loaded model %s from %s on %s/%s in %.2f s", model.id, source.label, self.device, self.dtype,
                 time.perf_counter() - started)
        return _Loaded(pipe, pipe.scheduler, source)

    def _derive(self, model: ModelRef, base: _Loaded, kind: PipelineKind = "img2img") -> _Loaded:
        """The `kind` (img2img or inpaint) pipeline sharing `base`'s components (``from_pipe``: no weights are read).

        Raises:
            ModeUnsupportedError (422): the family has no pipeline for `kind`.
            GenerationError (500): diffusers could not build it.
        """
        import diffusers
        import torch

        name = _PIPELINE_CLASSES[model.family][kind]
        if name is None:
            families.check_mode(model.id, model.family, kind, inpainting_model=model.inpainting)
        cls = getattr(diffusers, str(name))
        with library_failures(model.id, f"has no working {kind} pipeline"):
            # from_pipe casts the shared modules to its torch_dtype (float32 by default): pass ours.
            pipe = cls.from_pipe(base.pipe, torch_dtype=getattr(torch, self.dtype))
        pipe.set_progress_bar_config(disable=True)
        return _Loaded(pipe, base.scheduler, base.source)

    # -- generation ------------------------------------------------------------------------------

    def generate(self, model: ModelRef, request: GenerationRequest, *,
                 on_step: Callable[[int, int], bool | None] | None = None, run_id: str | None = None,
                 is_canceled: Callable[[], bool] | None = None) -> GenerationResult:
        """Generate ``request.batch_size`` images: txt2img, img2img when ``request.init_image`` is set, inpainting when
        ``request.mask_image`` is set too (the result is composited over the input through the feathered mask, so
        everything outside it stays the input's own pixels); with the request's refiner, VAE, LoRAs, ControlNets
        and post-processing.

        Args:
            model: which weights to use (loaded on first use, then cached).
            request: prompt and parameters; see :class:`GenerationRequest`.
            on_step: called after every denoising step with (step, total) counted over the whole run (every
                pipeline call of every image; img2img runs about ``steps * strength`` per call, second-order
                schedulers such as Heun count each model call). Returning True cancels the run.
            run_id / is_canceled: used by remote backends (the run the job belongs to; a cancel check while
                the job waits for a worker); in-process generation needs neither.
        Returns:
            the images and the parameters actually used.
        Raises:
            RequestValidationError (422): a size is not a multiple of 8 (16 for SD 3 and Flux) or below 64,
                steps < 1, strength outside (0, 1], int(steps * strength) < 1 for img2img or inpainting, an unknown
                scheduler, a scheduler swap on a flow-matching model (SD 3, Flux), a mask without an input image or
                with bad blur/crop values, a bad batch size, an upscaled size above the limit, an add-on that is
                unknown, of another type or family (see devserver.generation.addons); MaskEmptyError (422,
                ``mask_empty``) for a mask with nothing painted; ModeUnsupportedError (422, ``mode_unsupported``)
                when the model cannot run the mode.
            OutputConfigUnavailableError (409): the model has no available source or cannot be read.
            GenerationCanceledError (409): `on_step` returned True; no image is returned.
            GenerationError (500): diffusers failed (the trace is logged).
        """
        # 1. validate (before anything heavy is loaded)
        _validate(request, self.max_output_side_px)
        _check_for_model(model, request)
        mode = generation_mode(request)
        # 2. load the base pipeline and the add-ons outside the run lock (cached: a second request never reloads
        #    weights, and a LoRA, VAE, ControlNet or refiner never reloads the base)
        self._pipeline_entry(model, mode)
        addons = self._load_addons(model, request)
        if addons is not None:
            request = addons.request  # canonical registry ids
        # 3. run, one generation at a time, every model marked in use so that an unload cannot pull it away
        with self._run_lock:
            entry = self._pipeline_entry(model, mode, acquire=True)
            watch = _StepWatch(on_step, entry, images=request.batch_size)
            try:
                run = _Run(entry, addons, self._acquire_addons(addons), mode)
                try:
                    images, duration_ms = self._render(model, run, request, watch)
                    applied = self._applied(run, request, images)
                    images, more_ms = self._post_process(model, run, request, images, watch, applied)
                finally:
                    for held in run.held.values():
                        self.cache.release(held)
            finally:
                self.cache.release(entry)
        watch.raise_if_stopped(model.id)
        # 4. result (inpainting: the input kept exactly outside the mask, see _render_one)
        resolved = self._resolve(model)
        return GenerationResult(
            image=images[0],
            mode=mode,
            seed=request.seed,
            width=images[0].width,
            height=images[0].height,
            steps=request.steps,
            cfg=request.cfg,
            scheduler=scheduler_name(run.pipe.scheduler),
            model_id=model.id,
            model_source=resolved.label if isinstance(resolved, _Source) else entry.source_label or entry.label,
            device=self.device,
            dtype=self.dtype,
            duration_ms=duration_ms + more_ms,
            strength=request.strength if mode != "txt2img" else None,
            total_steps=watch.total_steps,
            more_images=tuple(images[1:]),
            seeds=tuple(request.seed + index for index in range(len(images))),
            applied=applied,
            mask_blur=request.mask_blur if mode == "inpaint" else None,
            padding_mask_crop=request.padding_mask_crop if mode == "inpaint" else None,
            mask_coverage=run.mask_coverage if mode == "inpaint" else None,
        )

    def _call_kwargs(self, request: GenerationRequest, mode: PipelineKind, *,
                     model: ModelRef | None = None) -> tuple[dict[str, Any], tuple[int, int]]:
        """The keyword arguments of the diffusers pipeline call for `request`, and the output (width, height).

        img2img and inpainting fit the input image into the request's size box (:func:`fit_img2img_size`, in the
        family's size multiple); inpainting adds the feathered mask at that size (:func:`inpaint.prepare_mask`),
        the explicit size (the inpainting pipelines otherwise default to the model's native size) and
        ``padding_mask_crop``. Flux gets no negative prompt (see :mod:`devserver.generation.families`).
        """
        import torch

        fam = families.family(model.family if model is not None else "sd")
        kwargs: dict[str, Any] = dict(
            prompt=request.prompt,
            num_inference_steps=request.steps,
            guidance_scale=request.cfg,
            generator=torch.Generator("cpu").manual_seed(request.seed),
        )
        if fam.negative_prompt:
            kwargs["negative_prompt"] = request.negative_prompt or None
        if mode == "txt2img":
            width, height = request.width, request.height
            kwargs.update(width=width, height=height)
        else:
            assert request.init_image is not None
            width, height = fit_img2img_size(request.init_image.size, (request.width, request.height),
                                             fam.size_multiple)
            image = request.init_image.convert("RGB").resize((width, height), Image.Resampling.LANCZOS)
            kwargs.update(image=image, strength=request.strength)
            if fam.img2img_size:
                kwargs.update(width=width, height=height)
        if mode == "inpaint":
            assert request.mask_image is not None
            kwargs.update(mask_image=inpaint.prepare_mask(request.mask_image, (width, height), request.mask_blur),
                          width=width, height=height)
            if request.padding_mask_crop is not None:
                kwargs["padding_mask_crop"] = request.padding_mask_crop
        return kwargs, (width, height)

    def _prepare_pipe(self, entry: CacheEntry, mode: PipelineKind, request: GenerationRequest) -> Any:
        """The cached pipeline of `mode`, with a fresh scheduler for this run (called under the run lock).

        A fresh scheduler per run (built from the model's own config, or the requested class via ``from_config``)
        keeps runs independent: schedulers hold per-run state (timesteps, step index).
        """
        pipe = entry.obj if mode == "txt2img" else entry.derived[mode]
        if request.scheduler is None:
            pipe.scheduler = type(entry.scheduler).from_config(entry.scheduler.config)
        else:
            pipe.scheduler = make_scheduler(request.scheduler, entry.scheduler.config)
        return pipe

    def _run_pipe(self, model: ModelRef, pipe: Any, kwargs: dict[str, Any], watch: _StepWatch) -> tuple[Any, int]:
        """Call `pipe` with `kwargs` and the step callback of `watch`; returns (diffusers output, duration in ms).

        Raises:
            GenerationError (500): diffusers failed (see :func:`library_failures`).
        """
        import torch

        with library_failures(model.id, "failed to generate the image"):
            started = time.perf_counter()
            with torch.inference_mode():
                output = pipe(**kwargs, callback_on_step_end=watch.callback)
            return output, round((time.perf_counter() - started) * 1000)

    # -- enhanced generation: add-ons, batch, refiner, post-processing ---------------------------------------

    def _load_addons(self, model: ModelRef, request: GenerationRequest) -> ResolvedAddons | None:
        """Resolve the request's add-ons through the catalog and load each into the cache (once: later runs find
        them there); None when the request names none.

        Raises:
            RequestValidationError (422) / ModelUnusableError (409): see :func:`resolve_addons`.
            GenerationError (500): add-ons named but this backend has no catalog.
            ModelLoadError (422): an add-on's files do not load.
        """
        if not request.has_addons:
            return None
        if self.catalog is None:
            raise GenerationError("This server cannot resolve model names (no model registry).",
                                  details={"output_config": model.id})
        addons = resolve_addons(self.catalog, model.id, model.family, request, prefix="")
        for addon in addons.loadable:
            assert addon.spec is not None
            if self.cache.get(addon.spec.key) is None:
                self.load(addon.spec, {})
        return addons

    def _acquire_addons(self, addons: ResolvedAddons | None) -> dict[str, CacheEntry]:
        """Mark every add-on in use for this run (loading again what was evicted since); by registry id."""
        held: dict[str, CacheEntry] = {}
        if addons is None:
            return held
        try:
            for addon in addons.loadable:
                assert addon.spec is not None
                entry = self.cache.acquire(addon.spec.key)
                if entry is None:
                    self.load(addon.spec, {})
                    entry = self.cache.acquire(addon.spec.key)
                assert entry is not None
                held[addon.id] = entry
        except BaseException:
            for entry in held.values():
                self.cache.release(entry)
            raise
        return held

    def _render(self, model: ModelRef, run: _Run, request: GenerationRequest,
                watch: _StepWatch) -> tuple[list[Image.Image], int]:
        """Make the batch's images one by one (image i with seed + i) with LoRAs active and the VAE swapped in;
        returns them (fewer when the run was stopped) and the time the pipeline calls took, in ms."""
        import torch

        with library_failures(model.id, "could not set up its scheduler"):
            run.pipe = self._prepare_pipe(run.entry, run.mode, request)
        if request.controlnets:
            with library_failures(model.id, "could not set up its ControlNet pipeline"):
                run.pipe = controlnets.derive(run.entry.obj, model.family, run.mode,
                                              [run.obj(ref.id) for ref in request.controlnets],
                                              getattr(torch, self.dtype))
        if request.refiner is not None:
            run.refiner = run.obj(request.refiner.id)
        vae = run.obj(request.vae) if request.vae is not None else None
        if vae is not None:
            check_vae_fits(vae, run.pipe, request.vae or "", "vae")
        loras = [(ref.id, run.obj(ref.id), ref.weight) for ref in request.loras]
        images: list[Image.Image] = []
        duration_ms = 0
        with library_failures(model.id, "could not apply the LoRAs"), applied_loras(run.entry.obj, loras), \
                swapped_vae([p for p in (run.pipe, run.refiner) if p is not None], vae):
            for index in range(request.batch_size):
                image, ms = self._render_one(model, run, dataclasses.replace(request, seed=request.seed + index),
                                             watch)
                duration_ms += ms
                if image is None:
                    break
                images.append(image)
                watch.image_done()
        if not watch.stopped:
            watch.finish()
        return images, duration_ms

    def _render_one(self, model: ModelRef, run: _Run, request: GenerationRequest,
                    watch: _StepWatch) -> tuple[Image.Image | None, int]:
        """One image: the base call (with its ControlNets), then the refiner's; None when the run was stopped."""
        import torch

        fresh = self._prepare_pipe(run.entry, run.mode, request)  # a fresh scheduler for every image
        run.pipe.scheduler = fresh.scheduler
        kwargs, size = self._call_kwargs(request, run.mode, model=model)
        if run.mode == "inpaint":
            run.mask_coverage = round(inpaint.coverage(kwargs["mask_image"]), 4)
        if request.controlnets:
            kwargs.update(controlnets.call_kwargs(list(request.controlnets), run.mode, size))
        if request.refiner is not None and request.refiner.mode == "ensemble":
            watch.phase(0, whole=request.steps)
        else:
            watch.phase(0, rest=expected_refiner_steps(request.refiner, request.steps))
        output, duration_ms = self._run_pipe(model, run.pipe, {**kwargs, **base_kwargs(request.refiner)}, watch)
        if watch.stopped:
            return None, duration_ms
        if request.refiner is None:
            image = output.images[0]
            if run.mode == "inpaint":  # the input kept exactly outside the mask
                image = inpaint.composite(image, kwargs["image"], kwargs["mask_image"])
            return image, duration_ms
        watch.phase(1)
        held = run.held[request.refiner.id]
        if request.scheduler is None:
            run.refiner.scheduler = type(held.scheduler).from_config(held.scheduler.config)
        else:
            run.refiner.scheduler = make_scheduler(request.scheduler, held.scheduler.config)
        common = {**kwargs, "generator": torch.Generator("cpu").manual_seed(request.seed)}
        refined, more_ms = self._run_pipe(model, run.refiner, refiner_kwargs(request.refiner, output.images, common),
                                          watch)
        return (None if watch.stopped else refined.images[0]), duration_ms + more_ms

    def _post_process(self, model: ModelRef, run: _Run, request: GenerationRequest, images: list[Image.Image],
                      watch: _StepWatch, applied: dict[str, Any] | None) -> tuple[list[Image.Image], int]:
        """Apply the post-processing steps to every image (spandrel tiled, or Lanczos); returns the images and the
        time taken in ms, and records each step's output size in `applied`."""
        if not request.post_processing or watch.stopped or not images:
            return images, 0
        started = time.perf_counter()
        with library_failures(model.id, "could not upscale the image"):
            for step in request.post_processing:
                descriptor = None if step.model == "lanczos" else run.obj(step.model)
                upscaled = [upscale(image, step.factor, descriptor, should_stop=lambda: watch.stopped)
                            for image in images]
                if any(image is None for image in upscaled):
                    return images, 0
                images = [image for image in upscaled if image is not None]
                if applied is not None:
                    applied["post_processing"].append({"type": "upscale", "model": step.model, "factor": step.factor,
                                                       "width": images[0].width, "height": images[0].height})
        return images, round((time.perf_counter() - started) * 1000)

    def upscale(self, image: Image.Image, step: UpscaleStep, *, on_progress: Callable[[int, int], None] | None = None,
                should_stop: Callable[[], bool] | None = None) -> Image.Image | None:
        """Upscale a finished image by exactly ``step.factor`` with ``step.model`` (an upscaler id, or lanczos); one
        job at a time on the device, like a generation.

        Returns:
            the larger image, or None when `should_stop` said so between tiles.
        Raises:
            RequestValidationError (422): an unknown name, not an upscaler, a side past the output limit.
            GenerationError (500): the upscaler failed.
        """
        check_output_side(image.width, image.height, [step], self.max_output_side_px, field_name="factor")
        spec = None
        if step.model != "lanczos":
            if self.catalog is None:
                raise GenerationError("This server cannot resolve model names (no model registry).")
            spec = lookup_addon(self.catalog, step.model, "upscaler", "model").spec
            assert spec is not None
            if self.cache.get(spec.key) is None:
                self.load(spec, {})
        with self._run_lock:
            entry = None
            if spec is not None:
                entry = self.cache.acquire(spec.key)
                if entry is None:
                    self.load(spec, {})
                    entry = self.cache.acquire(spec.key)
            try:
                with library_failures(step.model, "could not upscale the image"):
                    return upscale(image, step.factor, entry.obj if entry is not None else None,
                                   should_stop=should_stop, on_progress=on_progress)
            finally:
                if entry is not None:
                    self.cache.release(entry)

    @staticmethod
    def _applied(run: _Run, request: GenerationRequest, images: list[Image.Image]) -> dict[str, Any] | None:
        """What the run used beyond the base model, as EnhancementsReport fields (post-processing added later)."""
        if run.addons is None and not request.post_processing:
            return None
        base = run.addons.base if run.addons is not None else None
        refiner = request.refiner
        return {
            "base_model": base.id if base is not None else None,
            "refiner": None if refiner is None else {
                "id": refiner.id, "mode": refiner.mode,
                "high_noise_frac": refiner.high_noise_frac if refiner.mode == "ensemble" else None,
                "strength": refiner.strength if refiner.mode == "img2img" else None},
            "vae": request.vae,
            "loras": [{"id": ref.id, "weight": ref.weight, "source": ref.source} for ref in request.loras],
            "controlnets": [{"id": ref.id, "image_id": ref.image_id, "weight": ref.weight,
                             "guidance_start": ref.guidance_start, "guidance_end": ref.guidance_end,
                             "preprocessor": ref.preprocessor} for ref in request.controlnets],
            "post_processing": [],
        }

    # -- explicit load / unload (model management) ----------------------------------------------------

    def load(self, spec: LoadSpec, configuration: dict[str, Any], *, force: bool = False,
             priority: str = "normal") -> LoadOutcome:
        """Load `spec` into the cache (or apply `configuration` to it when already loaded).

        Args:
            spec: what to load (from the model registry).
            configuration: a ModelLoadConfiguration as a dict (precision, memory/performance optimizations).
            force: reload even when loaded; load past the budget when evicting every idle model is not enough.
            priority: ``high`` pins the entry (evicted only after all other idle entries).
        Returns:
            the outcome (evictions and warnings included).
        Raises:
            RequestValidationError (422): int8/int4 precision.
            ModelLoadError (422): the files cannot be loaded (nothing is cached; the server is unaffected).
            ModelInUseError (409): a reload was needed while a job uses the model.
            MemoryBudgetError (409): it does not fit even after evicting every idle model, and not `force`.
        """
        dtype, warnings = precision_for(str(configuration.get("precision", "auto")), self.device)
        with self._load_lock:
            entry = self.cache.get(spec.key)
            if entry is not None and not force and entry.precision == dtype:
                applied, more = apply_configuration(entry.obj, entry.kind, configuration, self.device)
                entry.optimizations = sorted(set(entry.optimizations) | set(applied))
                entry.pinned = entry.pinned or priority == "high"
                self.cache.acquire(entry.key)
                self.cache.release(entry)  # touch: most recently used
                return LoadOutcome(entry, True, [], entry.optimizations, warnings + more)
            if entry is not None:
                if entry.in_use:
                    raise ModelInUseError(f"Model '{spec.label}' is used by a running job; it cannot be reloaded now.",
                                          details={"model": spec.label, "active_sessions": entry.in_use})
                self.cache.remove(entry.key)
                _free(entry)
            needed = spec.estimated_bytes
            budget, used = self.cache.budget_bytes, self.cache.used_bytes()
            idle = sum(e.memory_bytes for e in self.cache.entries() if e.in_use == 0)
            if used - idle + needed > budget:
                if not force:
                    raise MemoryBudgetError(
                        f"Model '{spec.label}' needs about {needed} bytes; the budget is {budget} bytes and models in "
                        f"use hold {used - idle}. Unload something or load with force.",
                        details={"model": spec.label, "needed_bytes": needed, "budget_bytes": budget,
                                 "in_use_bytes": used - idle})
                warnings.append(f"loaded past the memory budget ({budget} bytes) with force")
            evicted = self._make_room(needed, keep=None, label=spec.label)
            import torch

            prepare_libraries()
            if self.threads is not None:
                torch.set_num_threads(self.threads)
            gpu = self.device.startswith("cuda")
            with self.cache.loading(spec.key):
                started, rss_before = time.perf_counter(), rss_bytes()
                gpu_before = torch.cuda.memory_allocated() if gpu else 0
                obj = load_object(spec, dtype_name=dtype, device=self.device,
                                  local_files_only=not self.allow_downloads)
                memory = (torch.cuda.memory_allocated() - gpu_before) if gpu else module_bytes(obj)
                entry = CacheEntry(key=spec.key, kind=spec.kind, obj=obj, memory_bytes=max(0, memory),
                                   rss_growth_bytes=None if gpu else max(0, rss_bytes() - rss_before),
                                   load_time_ms=round((time.perf_counter() - started) * 1000), label=spec.label,
                                   scheduler=getattr(obj, "scheduler", None), precision=dtype,
                                   pinned=priority == "high", configuration=dict(configuration))
                applied, more = apply_configuration(obj, spec.kind, configuration, self.device)
            entry.optimizations = applied
            self._load_count += 1
            self.cache.put(entry)
            evicted += self._make_room(0, keep=entry.key, label=spec.label)
            if self.cache.used_bytes() > self.cache.budget_bytes:
                warnings.append("the loaded models exceed the memory budget; models in use cannot be evicted")
            warnings += [f"evicted idle model '{label}' (least recently used) to stay within the memory budget"
                         for label in evicted]
            log.info("loaded %s %s (%d bytes) in %d ms", spec.kind, spec.label, entry.memory_bytes, entry.load_time_ms)
            return LoadOutcome(entry, False, evicted, applied, warnings + more)

    def unload(self, key: str, *, force: bool = False, timeout_s: float = 60.0,
               clear_cache: bool = True) -> UnloadOutcome:
        """Remove `key`'s model from the cache and free its memory.

        A model a running job uses is not pulled from under it: without `force` this is a 409; with `force` the
        job is asked to stop at its current diffusion step (it ends with error ``model_unloaded``), and the
        unload waits up to `timeout_s` seconds for that step to finish.

        Raises:
            ModelInUseError (409): in use and not `force`.
            ConflictError (409): with `force`, the job did not reach a step boundary within `timeout_s`.
        """
        import gc

        started = time.perf_counter()
        with self._load_lock:
            entry = self.cache.get(key)
            if entry is None:
                return UnloadOutcome(False, 0, 0, 0, False)
            interrupted = 0
            if entry.in_use:
                if not force:
                    raise ModelInUseError(
                        f"Model '{entry.label}' is used by {entry.in_use} running job(s); unload it with force to stop "
                        "them at their current step.", details={"model": entry.label, "active_sessions": entry.in_use})
                interrupted = entry.in_use
                entry.interrupt.set()
                if not self.cache.wait_idle(entry, timeout_s):
                    entry.interrupt.clear()
                    raise ConflictError(f"Model '{entry.label}' is still in use after {timeout_s} s; not unloaded.",
                                        details={"model": entry.label})
            self.cache.remove(key)
            freed = entry.memory_bytes
            _free(entry)
            del entry
            if clear_cache:
                gc.collect()
                if self.device.startswith("cuda"):
                    import torch

                    torch.cuda.empty_cache()
        return UnloadOutcome(True, freed, round((time.perf_counter() - started) * 1000), interrupted, clear_cache)

    def memory_status(self) -> dict[str, Any]:
        """Device memory and the cache: total/used/free bytes, budget, used, load count."""
        from devserver.generation.cache import meminfo

        if self.device.startswith("cuda"):
            import torch

            free, total = torch.cuda.mem_get_info()
        else:
            info = meminfo()
            total, free = info.get("MemTotal", 0), info.get("MemAvailable", 0)
        return {"device": self.device, "total": total, "free": free, "used": max(0, total - free),
                "budget": self.cache.budget_bytes, "cache_used": self.cache.used_bytes(),
                "load_count": self._load_count}

    def run_exclusive(self) -> threading.Lock:
        """The lock one generation holds: benchmark and optimize runs hold it too, never beside a learner's image."""
        return self._run_lock


def _entry_key(model: ModelRef, source: _Source) -> str:
    """Cache key of a model loaded through an output config: its source location, so that the model registry's
    explicit load/unload of the same folder is the same entry; ``#<class>`` is appended when the output config's
    family asks for another pipeline class than the folder's own ``model_index.json`` names."""
    import json

    cls = _base_class(model)
    index = Path(source.location) / "model_index.json"
    if source.kind in ("builtin", "local_dir"):
        try:
            own = json.loads(index.read_text(encoding="utf-8")).get("_class_name")
        except (OSError, ValueError, AttributeError):
            own = None
        if own is None and source.kind == "builtin":
            own = cls  # built on first use
        if own == cls:
            return source.location
    return f"{source.location}#{cls}"


def _base_class(model: ModelRef) -> str:
    """The pipeline class a model is loaded with: its family's txt2img class, or its inpainting class for a
    dedicated inpainting checkpoint (the other modes are derived from it)."""
    return str(_PIPELINE_CLASSES[model.family][families.base_kind(model.inpainting)])


def _check_loaded_mode(model: ModelRef, pipe: Any, kind: PipelineKind) -> None:
    """Refuse txt2img/img2img on weights that turn out to be a dedicated inpainting model (a UNet with 9 input
    channels) although the output config does not say so.

    Raises:
        ModeUnsupportedError (422).
    """
    unet = getattr(pipe, "unet", None)
    in_channels = getattr(getattr(unet, "config", None), "in_channels", None)
    if in_channels == 9 and kind != "inpaint":
        families.check_mode(model.id, model.family, kind, inpainting_model=True)


def _estimate_bytes(source: _Source) -> int:
    """Memory a source will need once loaded: the bytes of its safetensors files (0 when unknown)."""
    path = Path(source.location)
    if source.kind == "single_file" and path.is_file():
        return path.stat().st_size
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*.safetensors"))
    return 0


def _free(entry: CacheEntry) -> None:
    """Drop the references a cache entry holds (its memory is released when nothing else holds it)."""
    entry.obj = None
    entry.derived.clear()
    entry.scheduler = None


def _check_no_meta(pipe: Any, label: str) -> None:
    """A pipeline with weights left on the meta device cannot run: refuse it at load time."""
    import torch

    for name, component in pipe.components.items():
        if isinstance(component, torch.nn.Module) and any(p.is_meta for p in component.parameters()):
            raise OutputConfigUnavailableError(
                f"Model '{label}' is incomplete: its {name} has weights the files do not provide.",
                details={"output_config": label, "component": name})
