"""Add-ons of a generation: what a request names (refiner, VAE, LoRAs, ControlNets, upscalers), how the names
resolve through the model registry, and which add-on fits which base model (one table).

A :class:`~devserver.generation.backend.GenerationRequest` carries the references below (plain dataclasses, so
they travel in the Celery stage-4 message unchanged); every reference is a registry id or alias, never a path.
:func:`resolve_addons` turns them into registry records through an :class:`AddonCatalog` (the model service of
the process: the web node's, or a GPU worker's own over its own models folder), checks type and family, and
returns them with their canonical ids; the orchestrator calls it before a job is queued (422 at once), the
backend again where the image is made (the records it loads).

Family rules (:data:`COMPATIBLE_FAMILIES`): a LoRA or ControlNet works only with base models of its own family
(their layer widths are the base's); SD 1.x and 2.x share their VAE architecture and latent space scaling family
(FEASIBILITY b), SDXL has its own; a refiner is an SDXL model (stabilityai/stable-diffusion-xl-refiner-1.0).
New families add rows, not code. No torch import here.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from PIL import Image

from devserver.errors import ApiError, RequestValidationError
from devserver.generation.loading import LoadSpec

AddonType = Literal["refiner", "vae", "lora", "controlnet", "upscaler"]

COMPATIBLE_FAMILIES: dict[str, dict[str, frozenset[str]]] = {
    "lora": {"sd1": frozenset({"sd1"}), "sd2": frozenset({"sd2"}), "sdxl": frozenset({"sdxl"}),
             "sd3": frozenset({"sd3"}), "flux": frozenset({"flux"})},
    "controlnet": {"sd1": frozenset({"sd1"}), "sd2": frozenset({"sd2"}), "sdxl": frozenset({"sdxl"}),
                   "sd3": frozenset({"sd3"}), "flux": frozenset({"flux"})},
    "vae": {"sd1": frozenset({"sd1", "sd2"}), "sd2": frozenset({"sd1", "sd2"}), "sdxl": frozenset({"sdxl"}),
            "sd3": frozenset({"sd3"}), "flux": frozenset({"flux"})},
    "refiner": {"sdxl": frozenset({"sdxl"})},
}
"""add-on type -> base family -> add-on families that fit it. A base family missing for a type: that type cannot
be used with it (e.g. a refiner with SD 1.x)."""
CONFIG_FAMILIES: dict[str, tuple[str, ...]] = {"sd": ("sd1", "sd2"), "sdxl": ("sdxl",), "sd3": ("sd3",),
                                               "flux": ("flux",)}
"""An output config's family (``ModelRef.family``) -> registry families it may be, for bases not in the registry."""


# =========================================================================== references (in GenerationRequest)


@dataclass(frozen=True)
class LoraRef:
    """A LoRA to apply: registry id (or alias before resolution), weight -2..2, where it came from."""

    id: str
    weight: float = 1.0
    source: Literal["request", "config"] = "request"


@dataclass(frozen=True)
class ControlNetRef:
    """A ControlNet and its conditioning image, already preprocessed (``preprocessor`` says how)."""

    id: str
    image: Image.Image | None = None
    weight: float = 1.0
    guidance_start: float = 0.0
    guidance_end: float = 1.0
    preprocessor: Literal["none", "canny"] = "none"
    image_id: str | None = None


@dataclass(frozen=True)
class RefinerRef:
    """An SDXL refiner: ``ensemble`` (hand over at ``high_noise_frac``) or ``img2img`` (rework with ``strength``)."""

    id: str
    mode: Literal["ensemble", "img2img"] = "ensemble"
    high_noise_frac: float = 0.8
    strength: float = 0.3


@dataclass(frozen=True)
class UpscaleStep:
    """A post-processing upscale: ``model`` an upscaler id or ``"lanczos"``, exact ``factor`` 2 or 4."""

    model: str = "lanczos"
    factor: int = 2
    type: Literal["upscale"] = "upscale"


# =========================================================================== the catalog


@dataclass(frozen=True)
class Addon:
    """A registry model as generation needs it.

    Attributes:
        id: registry id; type: checkpoint, refiner, vae, lora, controlnet or upscaler.
        family: sd1, sd2, sdxl, sd3, flux or unknown (an admin override wins over detection);
        compatible: families the files say it fits (for unknown families).
        spec: how to load it; None when it cannot be loaded (``unavailable`` says why).
    """

    id: str
    type: str | None
    family: str
    compatible: tuple[str, ...] = ()
    spec: LoadSpec | None = None
    unavailable: str | None = None


class AddonCatalog(Protocol):
    """Resolves model names (the model service of a process implements it)."""

    def addon(self, name: str) -> Addon:
        """The model named `name` (registry id or alias). Raises ModelNotFoundError (404) when unknown."""

    def base_of(self, model_id: str) -> Addon | None:
        """The registry record of an output config's (or registry checkpoint's) weights, None when not in the
        models folder (e.g. a hub model)."""


class ModelUnusableError(ApiError):
    """409: a named add-on is in the registry but cannot be loaded (refused pickle, damaged, incomplete)."""

    status = 409
    code = "model_unavailable"


# =========================================================================== resolution


@dataclass
class ResolvedAddons:
    """A request's add-ons as registry records, in request order; `request` has canonical registry ids."""

    request: Any
    base: Addon | None
    refiner: Addon | None = None
    vae: Addon | None = None
    loras: list[Addon] = field(default_factory=list)
    controlnets: list[Addon] = field(default_factory=list)
    upscalers: list[Addon | None] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def loadable(self) -> list[Addon]:
        """Every add-on that has to be loaded, each once (refiner, VAE, LoRAs, ControlNets, upscalers)."""
        found: dict[str, Addon] = {}
        for addon in [self.refiner, self.vae, *self.loras, *self.controlnets, *self.upscalers]:
            if addon is not None:
                found.setdefault(addon.id, addon)
        return list(found.values())


def base_families(base: Addon | None, config_family: str) -> tuple[str, ...]:
    """The registry families the base model may have: its record's, else what its output config says."""
    if base is not None and base.family != "unknown":
        return (base.family,)
    return CONFIG_FAMILIES.get(config_family, (config_family,))


def fits(addon: Addon, kind: str, families: tuple[str, ...]) -> bool:
    """Whether `addon` (of type `kind`) fits a base model of one of `families` (table :data:`COMPATIBLE_FAMILIES`;
    an add-on of unknown family fits where the families its files allow do)."""
    table = COMPATIBLE_FAMILIES.get(kind, {})
    fitting = frozenset().union(*(table.get(family, frozenset()) for family in families))
    return bool(fitting.intersection((addon.family,) if addon.family != "unknown" else addon.compatible))


def check_family(addon: Addon, kind: str, families: tuple[str, ...], base_label: str, field_name: str) -> None:
    """Refuse an add-on of the wrong family for the base model (table :data:`COMPATIBLE_FAMILIES`).

    Raises:
        RequestValidationError (422, code ``family_mismatch``): the message names the add-on and the base with their
            families.
    """
    table = COMPATIBLE_FAMILIES.get(kind, {})
    if not fits(addon, kind, families):
        shown = addon.family if addon.family != "unknown" else ("unknown family, fits " + (
            ", ".join(addon.compatible) or "nothing known"))
        base_shown = "/".join(families)
        if not table.get(families[0]):
            problem = f"a {kind} cannot be used with {base_shown} base models"
        else:
            problem = "they belong to different model families"
        raise RequestValidationError(
            f"{field_name}: {kind} '{addon.id}' ({shown}) does not fit the base model '{base_label}' ({base_shown}): "
            f"{problem}", code="family_mismatch",
            details={"field": field_name, "model_id": addon.id, "model_family": addon.family,
                     "base_model": base_label, "base_family": base_shown})


def lookup_addon(catalog: AddonCatalog, name: str, kind: str, field_name: str) -> Addon:
    """The add-on `name` of type `kind`; 422 when unknown or of another type, 409 when it cannot be loaded."""
    from devserver.errors import NotFoundError

    try:
        addon = catalog.addon(name)
    except NotFoundError:
        raise RequestValidationError(
            f"{field_name}: no model is called {name[:120]!r}; name models by their registry id or alias "
            "(GET /api/models lists them)", code="unknown_model",
            details={"field": field_name, "model_id": name[:120]}) from None
    if addon.type != kind:
        raise RequestValidationError(
            f"{field_name}: '{addon.id}' is a {addon.type or 'model of unknown type'}, not a {kind}",
            code="wrong_model_type", details={"field": field_name, "model_id": addon.id, "type": addon.type,
                                              "expected": kind})
    if addon.spec is None:
        raise ModelUnusableError(f"{field_name}: '{addon.id}' cannot be used: {addon.unavailable}",
                                 details={"field": field_name, "model_id": addon.id, "reason": addon.unavailable})
    return addon


def resolve_addons(catalog: AddonCatalog, model_id: str, config_family: str, request: Any, *,
                   prefix: str = "parameters.") -> ResolvedAddons:
    """Resolve and check every add-on `request` names; return them and the request with canonical registry ids.

    LoRAs with ``source == "config"`` (brought by an interception config) are applied only when they resolve and
    fit; otherwise they are dropped and a note says why (the run goes on). Everything the client named must fit.

    Args:
        catalog: the process's model service.
        model_id: the output config id (or registry checkpoint id) of the base model.
        config_family: its output config's family (sd, sdxl, sd3, ...), for bases outside the registry.
        request: a GenerationRequest.
        prefix: prefix of field names in errors (``parameters.`` for the studio API).
    Raises:
        RequestValidationError (422): an unknown name (``unknown_model``), a model of another type
            (``wrong_model_type``), a family that does not fit (``family_mismatch``).
        ModelUnusableError (409): a named model cannot be loaded.
    """
    base = catalog.base_of(model_id)
    families = base_families(base, config_family)
    base_label = base.id if base is not None else model_id
    out = ResolvedAddons(request=request, base=base)
    changes: dict[str, Any] = {}
    if request.refiner is not None:
        out.refiner = lookup_addon(catalog, request.refiner.id, "refiner", f"{prefix}refiner.id")
        check_family(out.refiner, "refiner", families, base_label, f"{prefix}refiner.id")
        changes["refiner"] = dataclasses.replace(request.refiner, id=out.refiner.id)
    if request.vae is not None:
        out.vae = lookup_addon(catalog, request.vae, "vae", f"{prefix}vae")
        check_family(out.vae, "vae", families, base_label, f"{prefix}vae")
        changes["vae"] = out.vae.id
    loras = []
    for index, lora in enumerate(request.loras):
        where = f"{prefix}loras[{index}].id"
        try:
            addon = lookup_addon(catalog, lora.id, "lora", where)
            check_family(addon, "lora", families, base_label, where)
        except ApiError as exc:
            if lora.source != "config":
                raise
            out.notes.append(f"The perspective's LoRA '{lora.id}' was not applied: "
                             f"{exc.message.split(': ', 1)[-1]}")
            continue
        out.loras.append(addon)
        loras.append(dataclasses.replace(lora, id=addon.id))
    changes["loras"] = tuple(loras)
    controlnets = []
    for index, controlnet in enumerate(request.controlnets):
        where = f"{prefix}controlnets[{index}].id"
        addon = lookup_addon(catalog, controlnet.id, "controlnet", where)
        check_family(addon, "controlnet", families, base_label, where)
        out.controlnets.append(addon)
        controlnets.append(dataclasses.replace(controlnet, id=addon.id))
    changes["controlnets"] = tuple(controlnets)
    steps = []
    for index, step in enumerate(request.post_processing):
        if step.model.lower() == "lanczos":
            out.upscalers.append(None)
            steps.append(dataclasses.replace(step, model="lanczos"))
            continue
        addon = lookup_addon(catalog, step.model, "upscaler", f"{prefix}post_processing[{index}].model")
        out.upscalers.append(addon)
        steps.append(dataclasses.replace(step, model=addon.id))
    changes["post_processing"] = tuple(steps)
    out.request = dataclasses.replace(request, **changes)
    return out


def output_size(width: int, height: int, steps: tuple[UpscaleStep, ...] | list[UpscaleStep]) -> tuple[int, int]:
    """The image size after the post-processing steps, in pixels."""
    for step in steps:
        width, height = width * step.factor, height * step.factor
    return width, height


def check_output_side(width: int, height: int, steps: Any, limit: int, *, field_name: str) -> None:
    """Refuse a request whose upscaled image would have a side above `limit` pixels, before any work.

    Raises:
        RequestValidationError (422, code ``output_too_large``).
    """
    final = output_size(width, height, steps)
    if max(final) > limit:
        raise RequestValidationError(
            f"{field_name}: the upscaled image would be {final[0]} x {final[1]} px; its longest side may be at most "
            f"{limit} px (setting DEVSERVER_OUTPUT_MAX_SIDE_PX)", code="output_too_large",
            details={"field": field_name, "width": final[0], "height": final[1], "max_side_px": limit})

