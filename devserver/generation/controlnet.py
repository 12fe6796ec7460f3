"""ControlNets: the Canny preprocessor, the ControlNet pipeline derived from the loaded base, and its call arguments.

- Preprocessing uses OpenCV's Canny edge detector (``cv2.Canny``, https://docs.opencv.org/4.x/da/d22/tutorial_py_canny.html)
  with the thresholds of the diffusers ControlNet guide (100, 200), and gives a white-on-black RGB edge map.
- The ControlNet pipeline is derived from the loaded base with ``from_pipe`` (FEASIBILITY d: 38 ms, shares the UNet,
  VAE and text encoders; https://huggingface.co/docs/diffusers/using-diffusers/loading#reuse-a-pipeline), so a
  ControlNet never reloads the base. Several ControlNets become a ``MultiControlNetModel`` (a list), with one
  image, scale and guidance window each.

The pipeline classes are one table per family and mode (:data:`CONTROLNET_PIPELINES`); new families add rows.
"""

from __future__ import annotations

from typing import Any

from PIL import Image

CONTROLNET_PIPELINES: dict[str, dict[str, str]] = {
    "sd": {"txt2img": "StableDiffusionControlNetPipeline", "img2img": "StableDiffusionControlNetImg2ImgPipeline"},
    "sdxl": {"txt2img": "StableDiffusionXLControlNetPipeline",
             "img2img": "StableDiffusionXLControlNetImg2ImgPipeline"},
}
"""diffusers ControlNet pipeline classes per output config family and generation mode
(https://huggingface.co/docs/diffusers/api/pipelines/controlnet, .../controlnet_sdxl)."""
CANNY_THRESHOLDS = (100, 200)
"""Default Canny hysteresis thresholds (the diffusers ControlNet guide)."""


def canny(image: Image.Image, low: int = CANNY_THRESHOLDS[0], high: int = CANNY_THRESHOLDS[1]) -> Image.Image:
    """The Canny edge map of `image`: white edges on black, RGB, same size.

    Args:
        image: any PIL image (converted to grey first).
        low, high: hysteresis thresholds on the gradient magnitude, 0-255 (low <= high).
    Returns:
        an RGB image of the same size whose pixels are 0 or 255.
    """
    import cv2
    import numpy as np

    grey = np.asarray(image.convert("L"))
    edges = cv2.Canny(grey, int(low), int(high))
    return Image.fromarray(np.stack([edges] * 3, axis=-1), mode="RGB")


def supports(family: str, mode: str) -> bool:
    """Whether a ControlNet pipeline exists for this output config family and mode."""
    return mode in CONTROLNET_PIPELINES.get(family, {})


def derive(base: Any, family: str, mode: str, controlnets: list[Any], torch_dtype: Any) -> Any:
    """A ControlNet pipeline of `mode` sharing `base`'s components (``from_pipe``; no weights are read).

    Args:
        base: the loaded txt2img pipeline.
        family: the output config family (sd, sdxl).
        mode: txt2img or img2img.
        controlnets: the loaded ControlNetModel(s); several become a MultiControlNetModel.
        torch_dtype: the backend's dtype (from_pipe casts shared modules to it).
    Raises:
        KeyError: no ControlNet pipeline for this family and mode (the caller checks :func:`supports` first).
    """
    import diffusers

    cls = getattr(diffusers, CONTROLNET_PIPELINES[family][mode])
    controlnet = controlnets[0] if len(controlnets) == 1 else list(controlnets)
    pipe = cls.from_pipe(base, controlnet=controlnet, torch_dtype=torch_dtype)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def call_kwargs(refs: list[Any], mode: str, size: tuple[int, int]) -> dict[str, Any]:
    """The pipeline call's ControlNet arguments for `refs` (ControlNetRefs with their conditioning images).

    txt2img takes the condition as ``image``, img2img as ``control_image`` (``image`` is the init image there).
    Conditions are resized to the output `size` (width, height) with Lanczos, so they line up with the image.
    """
    images = [ref.image.convert("RGB").resize(size, Image.Resampling.LANCZOS) for ref in refs]
    single = len(refs) == 1

    def one_or_list(values: list[Any]) -> Any:
        return values[0] if single else values

    kwargs: dict[str, Any] = {
        "controlnet_conditioning_scale": one_or_list([float(ref.weight) for ref in refs]),
        "control_guidance_start": one_or_list([float(ref.guidance_start) for ref in refs]),
        "control_guidance_end": one_or_list([float(ref.guidance_end) for ref in refs]),
    }
    kwargs["image" if mode == "txt2img" else "control_image"] = one_or_list(images)
    return kwargs
