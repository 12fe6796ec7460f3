"""PNG encoding with provenance text chunks, and reading them back.

A generated PNG carries two text chunks and no others:

- ``parameters``: the AUTOMATIC1111 "infotext" (prompt, ``Negative prompt:`` line, then
  ``Steps: .., Sampler: .., CFG scale: .., Seed: .., Size: WxH, Model: ..``), which image viewers and
  other SD tools already read (format: ``create_infotext`` in AUTOMATIC1111/stable-diffusion-webui,
  modules/processing.py);
- ``devserver``: compact JSON with the run's provenance (run_id, stages, output config).

Text goes into ``tEXt`` chunks when it is Latin-1, else into UTF-8 ``iTXt`` chunks (Pillow's
``PngInfo.add_text`` chooses; https://pillow.readthedocs.io/en/stable/handbook/image-file-formats.html#png).
"""

from __future__ import annotations

import io
import json
from typing import Any

from PIL import Image, PngImagePlugin

PARAMETERS_KEY = "parameters"
DEVSERVER_KEY = "devserver"


def format_parameters(prompt: str, negative_prompt: str, steps: int, scheduler: str, cfg: float, seed: int,
                      width: int, height: int, model: str, strength: float | None = None,
                      extra: list[tuple[str, str]] | None = None, mask_blur: int | None = None,
                      padding_mask_crop: int | None = None) -> str:
    """The AUTOMATIC1111-style infotext of one image.

    Example::

        a red fox
        Negative prompt: blurry
        Steps: 20, Sampler: DDIM, CFG scale: 7.5, Seed: 123, Size: 512x512, Model: tiny_sd

    Args:
        prompt, negative_prompt: the texts sent to the model; the negative line is left out when empty.
        steps: number of inference steps; scheduler: its request name (e.g. ``"EulerDiscrete"``).
        cfg: guidance scale; seed: the generator seed; width, height: image size in pixels.
        model: the output config id.
        strength: img2img strength, appended as ``Denoising strength``; None for txt2img.
        extra: more ``(name, value)`` fields appended in order (refiner, VAE, LoRAs, ControlNets, upscaling); a
            value holding a comma or quote is written as a JSON string, as AUTOMATIC1111 quotes such values.
        mask_blur: inpainting's ``Mask blur`` in pixels (None: not inpainting).
        padding_mask_crop: inpainting's crop margin, written as ``Inpaint area: Only masked`` and
            ``Masked area padding`` (AUTOMATIC1111's names for the same setting); None: the whole picture.
    Returns:
        the infotext (prompt line(s), optional negative line, parameter line), no trailing newline.
    """
    fields = [
        f"Steps: {steps}",
        f"Sampler: {scheduler}",
        f"CFG scale: {float(cfg)}",
        f"Seed: {seed}",
        f"Size: {width}x{height}",
        f"Model: {model}",
    ]
    if strength is not None:
        fields.append(f"Denoising strength: {float(strength)}")
    if mask_blur is not None:
        fields.append(f"Mask blur: {mask_blur}")
    if padding_mask_crop is not None:
        fields += ["Inpaint area: Only masked", f"Masked area padding: {padding_mask_crop}"]
    for name, value in extra or []:
        quoted = "," in value or '"' in value
        fields.append(f"{name}: {json.dumps(value, ensure_ascii=False) if quoted else value}")
    lines = [prompt]
    if negative_prompt:
        lines.append(f"Negative prompt: {negative_prompt}")
    lines.append(", ".join(fields))
    return "\n".join(lines)


def encode_png(image: Image.Image, *, parameters: str, devserver_meta: dict[str, Any]) -> bytes:
    """Encode `image` as PNG with exactly two text chunks: ``parameters`` and ``devserver``.

    Args:
        image: the PIL image (RGB from the pipeline); its own metadata (``image.info``) is not copied.
        parameters: the infotext from :func:`format_parameters`.
        devserver_meta: JSON-serialisable provenance; written compactly (no spaces, non-ASCII kept).
    Returns:
        the PNG file's bytes.
    Raises:
        TypeError: `devserver_meta` is not JSON-serialisable.
    """
    info = PngImagePlugin.PngInfo()
    info.add_text(PARAMETERS_KEY, parameters)
    info.add_text(DEVSERVER_KEY, json.dumps(devserver_meta, separators=(",", ":"), ensure_ascii=False))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info, icc_profile=None)
    return buffer.getvalue()


def read_png_text(data: bytes) -> dict[str, str]:
    """The text chunks (``tEXt``, ``zTXt``, ``iTXt``) of a PNG file, keyed by chunk keyword.

    Raises:
        PIL.UnidentifiedImageError: `data` is not an image; ValueError: it is an image but not a PNG.
    """
    with Image.open(io.BytesIO(data)) as image:
        if not isinstance(image, PngImagePlugin.PngImageFile):
            raise ValueError(f"expected a PNG file, got {image.format}")
        return {key: str(value) for key, value in image.text.items()}
