"""Post-processing: upscaling with spandrel models (tiled) or Pillow's Lanczos, to an exact size.

spandrel (https://github.com/chaiNNer-org/spandrel) loads ESRGAN, Real-ESRGAN, SwinIR, SPAN, ... from
``.safetensors``/``.pth`` with weights-only loading (see :mod:`devserver.generation.loading`); its models take a
float tensor (B, 3, H, W) in [0, 1] and return it ``scale`` times larger. Large images are processed in tiles
(:data:`TILE_PX` with :data:`TILE_OVERLAP_PX` of context on each side, whose upscaled border is cropped away), so a
4x upscale of 1024 px never holds more than one tile's activations; the result is assembled in a uint8 array.

A factor the model does not have is reached by applying it again (x2 model, factor 4) and, where that overshoots
(x4 model, factor 2), by a Lanczos downscale to the exact size, as AUTOMATIC1111 does. Lanczos alone
(``Image.resize(..., LANCZOS)``, FEASIBILITY e3: 86 ms for 512 -> 2048) is always available.
"""

from __future__ import annotations

import math
from typing import Any

from PIL import Image

TILE_PX = 256
"""Side of the input tiles an upscaler model gets, in pixels (before the overlap)."""
TILE_OVERLAP_PX = 16
"""Context added around each tile on every side, in input pixels; its upscaled part is discarded."""


def lanczos(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """`image` resized to `size` (width, height) with Lanczos resampling."""
    return image.resize(size, Image.Resampling.LANCZOS)


def model_scale(descriptor: Any) -> int:
    """The upscale factor of a loaded spandrel model (``descriptor.scale``)."""
    return int(getattr(descriptor, "scale", 1) or 1)


def tile_count(width: int, height: int, tile: int = TILE_PX) -> int:
    """How many tiles :func:`tiled` cuts an image of this size into."""
    return math.ceil(width / tile) * math.ceil(height / tile)


def tiled(descriptor: Any, image: Image.Image, *, tile: int = TILE_PX, overlap: int = TILE_OVERLAP_PX,
          should_stop: Any = None, on_tile: Any = None) -> Image.Image:
    """One pass of a spandrel model over `image`, tile by tile.

    Args:
        descriptor: a loaded spandrel ImageModelDescriptor (in eval mode, on its device).
        image: RGB image of any size.
        tile, overlap: tile side and context, in input pixels.
        should_stop: called between tiles; True stops (returns None).
        on_tile: called after each tile.
    Returns:
        the image `descriptor.scale` times larger (RGB), or None when stopped.
    """
    import numpy as np
    import torch

    scale = model_scale(descriptor)
    source = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
    height, width = source.shape[:2]
    out = np.zeros((height * scale, width * scale, 3), dtype=np.uint8)
    device = next(descriptor.model.parameters()).device
    with torch.inference_mode():
        for top in range(0, height, tile):
            for left in range(0, width, tile):
                if should_stop is not None and should_stop():
                    return None
                bottom, right = min(top + tile, height), min(left + tile, width)
                y0, x0 = max(0, top - overlap), max(0, left - overlap)
                y1, x1 = min(height, bottom + overlap), min(width, right + overlap)
                patch = torch.from_numpy(source[y0:y1, x0:x1]).permute(2, 0, 1)[None].to(device)
                result = descriptor(patch).clamp(0, 1)[0].permute(1, 2, 0).float().cpu().numpy()
                crop = result[(top - y0) * scale:(bottom - y0) * scale, (left - x0) * scale:(right - x0) * scale]
                out[top * scale:bottom * scale, left * scale:right * scale] = (crop * 255.0).round().astype(np.uint8)
                if on_tile is not None:
                    on_tile()
    return Image.fromarray(out, mode="RGB")


def upscale(image: Image.Image, factor: int, descriptor: Any | None, *, should_stop: Any = None,
            on_progress: Any = None) -> Image.Image | None:
    """`image` upscaled by exactly `factor` (output size = factor x input size).

    Args:
        image: RGB image.
        factor: 2 or 4 (any integer >= 1 works).
        descriptor: a loaded spandrel model, or None for Lanczos.
        should_stop: checked between tiles; True stops (returns None).
        on_progress: called with (tiles done, tiles in total) after each tile.
    Returns:
        the upscaled RGB image, or None when stopped.
    """
    target = (image.width * factor, image.height * factor)
    if descriptor is None:
        return lanczos(image, target)
    scale = max(2, model_scale(descriptor))
    passes = max(1, math.ceil(math.log(factor, scale) - 1e-9))
    total = sum(tile_count(image.width * scale**k, image.height * scale**k) for k in range(passes))
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if on_progress is not None:
            on_progress(done, total)

    current: Image.Image | None = image
    for _ in range(passes):
        current = tiled(descriptor, current, should_stop=should_stop, on_tile=tick)
        if current is None:
            return None
    return current if current.size == target else lanczos(current, target)
