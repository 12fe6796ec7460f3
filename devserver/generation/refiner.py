"""The SDXL refiner and VAE swaps: call arguments of the base/refiner split, the refiner call, a VAE in place.

Refiner (https://huggingface.co/docs/diffusers/using-diffusers/sdxl#refine-image-quality):

- ``ensemble`` ("ensemble of expert denoisers"): the base runs with ``denoising_end=high_noise_frac`` and
  ``output_type="latent"``, the refiner (an SDXL img2img pipeline) continues from those latents with
  ``denoising_start=high_noise_frac`` (no new noise is added then), over the same ``num_inference_steps``.
- ``img2img``: the refiner reworks the finished image with ``strength`` (it runs ``int(steps * strength)`` steps).

Both calls get a CPU generator seeded with the image's seed, so a run is reproducible (FEASIBILITY a).

VAE (FEASIBILITY b): a VAE is swapped in with ``pipe.vae = vae`` and put back after the run, so swapping back
restores the image bit for bit; it must have the UNet's latent channels and the pipeline's downsampling factor.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from devserver.errors import RequestValidationError


def base_kwargs(refiner: Any) -> dict[str, Any]:
    """What the base call needs for `refiner` (a RefinerRef): the hand-over in ensemble mode, nothing for img2img."""
    if refiner is None or refiner.mode != "ensemble":
        return {}
    return {"denoising_end": float(refiner.high_noise_frac), "output_type": "latent"}


def refiner_kwargs(refiner: Any, base_images: Any, common: dict[str, Any]) -> dict[str, Any]:
    """The refiner call's arguments.

    Args:
        refiner: the RefinerRef.
        base_images: the base call's ``.images``: latents (ensemble) or a list of PIL images (img2img).
        common: prompt, negative_prompt, num_inference_steps, guidance_scale, generator of the base call.
    """
    kwargs = {key: common[key] for key in ("prompt", "negative_prompt", "num_inference_steps", "guidance_scale",
                                           "generator") if key in common}
    if refiner.mode == "ensemble":
        kwargs.update(image=base_images, denoising_start=float(refiner.high_noise_frac))
    else:
        kwargs.update(image=base_images[0], strength=float(refiner.strength))
    return kwargs


def expected_refiner_steps(refiner: Any, steps: int) -> int:
    """About how many steps the refiner runs (for progress before it starts)."""
    if refiner is None:
        return 0
    if refiner.mode == "ensemble":
        return max(1, steps - int(steps * refiner.high_noise_frac))
    return max(1, int(steps * refiner.strength))


def check_vae_fits(vae: Any, pipe: Any, vae_id: str, field_name: str) -> None:
    """Refuse a VAE whose latents do not fit `pipe`'s UNet (FEASIBILITY b: a 16-channel VAE in SD 1.x fails deep
    inside the UNet).

    Raises:
        RequestValidationError (422, code ``vae_mismatch``).
    """
    unet = getattr(pipe, "unet", None)
    wanted = getattr(getattr(unet, "config", None), "in_channels", None)
    channels = vae.config.latent_channels
    factor = 2 ** (len(vae.config.block_out_channels) - 1)
    if (wanted is not None and channels != wanted) or factor != getattr(pipe, "vae_scale_factor", factor):
        raise RequestValidationError(
            f"{field_name}: VAE '{vae_id}' ({channels} latent channels, downsampling x{factor}) does not fit this "
            f"model ({wanted} latent channels, x{getattr(pipe, 'vae_scale_factor', '?')})", code="vae_mismatch",
            details={"field": field_name, "model_id": vae_id})


@contextmanager
def swapped_vae(pipes: list[Any], vae: Any | None) -> Iterator[None]:
    """Use `vae` in every pipeline of `pipes` for the duration, then put each one's own VAE back."""
    if vae is None:
        yield
        return
    originals = [pipe.vae for pipe in pipes]
    try:
        for pipe in pipes:
            pipe.vae = vae
        yield
    finally:
        for pipe, original in zip(pipes, originals, strict=True):
            pipe.vae = original
