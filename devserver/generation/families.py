"""Model families: which diffusers pipeline runs each generation mode, and the rules that differ per family.

A family is an architecture (how the weights are laid out and which pipeline classes run them), not a
checkpoint: SDXL-Turbo is an SDXL; what makes it "Turbo" (guidance 0, 1-4 steps, EulerAncestral with trailing
timesteps) is its output config and its own scheduler config. The values of ``ModelRef.family`` and of an output
config's ``model.family``:

==========  =====================================  ==================================  ===========  ==========
family      txt2img / img2img / inpaint pipelines  scheduler                           size         negative
==========  =====================================  ==================================  ===========  ==========
``sd``      StableDiffusion(Img2Img|Inpaint)       any (SD 1.x: PNDM, epsilon)         multiple 8   yes
``sd2``     the same classes as ``sd``             any; v-prediction kept on a swap    multiple 8   yes
``sdxl``    StableDiffusionXL(Img2Img|Inpaint)     any (Euler; Turbo: EulerAncestral)  multiple 8   yes
``sd3``     StableDiffusion3(Img2Img|Inpaint)      FlowMatchEulerDiscrete, fixed       multiple 16  yes
``flux``    Flux(Img2Img|Inpaint)                  FlowMatchEulerDiscrete, fixed       multiple 16  no
==========  =====================================  ==================================  ===========  ==========

Sources: the diffusers pipeline overview pages (https://huggingface.co/docs/diffusers/api/pipelines/overview):
SD 3 and Flux use flow matching (``FlowMatchEulerDiscreteScheduler``); the DDPM-family schedulers of the request
vocabulary (``SCHEDULER_NAMES``) are for noise-prediction models and cannot replace it. Their transformers work
on 2x2 latent patches, so sides must be multiples of 8 (VAE) x 2 (patch) = 16 (the pipelines' own
``vae_scale_factor * 2`` check). FluxPipeline uses a negative prompt only with ``true_cfg_scale > 1`` (real CFG,
doubling the cost); devserver does not pass one, and says so.

A *dedicated inpainting checkpoint* (a UNet with 9 input channels: 4 latent + 1 mask + 4 masked-image latents,
like stable-diffusion-inpainting) runs only the inpainting pipeline; ordinary checkpoints inpaint through the same
inpainting class derived with ``from_pipe``, which blends the known latents outside the mask at every step
(FEASIBILITY f). Where a family has no pipeline for a mode, or a checkpoint cannot run it, :func:`mode_support`
says why and a request for it is a 422 naming family and mode (:func:`check_mode`).

Nothing here imports torch or diffusers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from devserver.errors import RequestValidationError

Mode = Literal["txt2img", "img2img", "inpaint"]
MODES: tuple[Mode, ...] = ("txt2img", "img2img", "inpaint")
"""The generation modes, in the order the API lists them."""


class ModeUnsupportedError(RequestValidationError):
    """422: the output config's model cannot run this generation mode (its family has no pipeline for it, or it is
    a dedicated inpainting checkpoint asked for txt2img/img2img)."""

    code = "mode_unsupported"


@dataclass(frozen=True)
class Family:
    """What differs between model families (see the module table).

    Attributes:
        name: the family id (``sd``, ``sd2``, ``sdxl``, ``sd3``, ``flux``).
        label: human name, e.g. ``"SD 2.x"``.
        pipelines: diffusers pipeline class name per mode; None where diffusers has none for the family.
        size_multiple: image sides must be multiples of this, in pixels.
        scheduler_swappable: whether a request may name another scheduler (flow-matching models: no).
        negative_prompt: whether the pipeline call takes the negative prompt.
        img2img_size: whether the img2img pipeline needs ``width``/``height`` (SD 3 and Flux default to the model's
            native size, not the input's; SD 1.x/2.x/SDXL img2img take the input's size and have no such arguments).
    """

    name: str
    label: str
    pipelines: dict[Mode, str | None]
    size_multiple: int = 8
    scheduler_swappable: bool = True
    negative_prompt: bool = True
    img2img_size: bool = False


def _classes(prefix: str) -> dict[Mode, str | None]:
    return {"txt2img": f"{prefix}Pipeline", "img2img": f"{prefix}Img2ImgPipeline",
            "inpaint": f"{prefix}InpaintPipeline"}


FAMILIES: dict[str, Family] = {
    "sd": Family("sd", "SD 1.x", _classes("StableDiffusion")),
    "sd2": Family("sd2", "SD 2.x", _classes("StableDiffusion")),
    "sdxl": Family("sdxl", "SDXL", _classes("StableDiffusionXL")),
    "sd3": Family("sd3", "SD 3.x", _classes("StableDiffusion3"), size_multiple=16, scheduler_swappable=False,
                  img2img_size=True),
    "flux": Family("flux", "Flux.1", _classes("Flux"), size_multiple=16, scheduler_swappable=False,
                   negative_prompt=False, img2img_size=True),
}
"""Every family devserver runs, by id."""

INPAINTING_ONLY_REASON = ("it is a dedicated inpainting model (its UNet takes a mask and the masked photo as extra "
                          "input channels) and only repaints painted areas of a photo")


def family(name: str) -> Family:
    """The family `name` (an output config's ``model.family``; validated at start-up, so it exists)."""
    return FAMILIES[name]


def base_kind(inpainting_model: bool) -> Mode:
    """The mode whose pipeline class a checkpoint is loaded with: ``inpaint`` for a dedicated inpainting
    checkpoint, else ``txt2img`` (the other modes are derived from it with ``from_pipe``)."""
    return "inpaint" if inpainting_model else "txt2img"


def mode_support(family_name: str, inpainting_model: bool = False) -> dict[Mode, str | None]:
    """Per mode: None when a model of this family (and kind) can run it, else a sentence saying why not.

    Args:
        family_name: a key of :data:`FAMILIES`.
        inpainting_model: a dedicated inpainting checkpoint (9-channel UNet).
    """
    fam = FAMILIES[family_name]
    support: dict[Mode, str | None] = {}
    for mode in MODES:
        if fam.pipelines[mode] is None:
            support[mode] = f"diffusers has no {mode} pipeline for {fam.label} models"
        elif inpainting_model and mode != "inpaint":
            support[mode] = INPAINTING_ONLY_REASON
        else:
            support[mode] = None
    return support


def check_mode(output_config: str, family_name: str, mode: Mode, *, inpainting_model: bool = False) -> None:
    """Raise when the model cannot run `mode`.

    Raises:
        ModeUnsupportedError (422, code ``mode_unsupported``): the message names the output config, the family and
            the mode; details carry ``output_config``, ``family``, ``mode`` and ``reason``.
    """
    reason = mode_support(family_name, inpainting_model)[mode]
    if reason is not None:
        label = FAMILIES[family_name].label
        raise ModeUnsupportedError(
            f"output config {output_config!r} ({label}) cannot do {mode}: {reason}",
            details={"output_config": output_config, "family": family_name, "mode": mode, "reason": reason})


def null_components(folder: Path) -> dict[str, None]:
    """Keyword arguments that load a diffusers folder saved without some optional text encoders.

    A pipeline saved with ``text_encoder_3=None`` (SD 3 without T5) writes ``"text_encoder_3": [null, null]``, and
    ``from_pretrained`` then refuses the folder unless it is told ``text_encoder_3=None, tokenizer_3=None``
    (FEASIBILITY g; diffusers' SD 3 docs, "Dropping the T5 Text Encoder during Inference").

    Args:
        folder: a diffusers pipeline folder (no file is opened but its ``model_index.json``).
    Returns:
        ``{"text_encoder_3": None, "tokenizer_3": None}`` for such a folder, else ``{}``.
    """
    try:
        index = json.loads((Path(folder) / "model_index.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(index, dict):
        return {}
    return {name: None for name in ("text_encoder_3", "tokenizer_3") if index.get(name) == [None, None]}
