"""Inpainting masks: normalising a painted mask, feathering its edge, and keeping every pixel outside it.

Conventions (the ones of diffusers, AUTOMATIC1111 and ComfyUI): white = repaint, black = keep. A mask may have any
mode and size: it is converted to greyscale (``L``), resized to the image being inpainted and binarised at half
intensity (128 of 255), which is what diffusers' mask processor does with the latent mask
(``VaeImageProcessor(do_binarize=True)``: values >= 0.5 become 1); so a JPEG's noise in a black area never counts as
painted. An upload with transparency was flattened on white by the upload normalisation, so transparent areas are
repainted (ComfyUI's convention: the mask is ``1 - alpha``).

Keeping the rest exactly: the pipeline repaints the masked area, but the VAE re-encodes the whole picture, and its
decoder changes every pixel (with a random-weight VAE by up to 250 levels; with a real one by its reconstruction
error); FEASIBILITY f measured that only compositing keeps the outside unchanged. :func:`composite` puts the
generated image over the original through the feathered mask (``Image.composite``, the same operation as diffusers'
``VaeImageProcessor.apply_overlay``), so every pixel whose feathered mask is 0 is the input's own pixel. Feathering
is a Gaussian blur of ``mask_blur`` px (AUTOMATIC1111's "Mask blur"; diffusers' ``mask_processor.blur``); Pillow's
``GaussianBlur(radius)`` reaches about 2.5 x radius px beyond the edge, so pixels farther than
:func:`exact_beyond_px` from the painted area are exactly the input.

Pillow only; no torch.
"""

from __future__ import annotations

import math

from PIL import Image, ImageFilter

from devserver.errors import RequestValidationError

DEFAULT_MASK_BLUR_PX = 4
"""Feathering of the mask edge when a request names none, in pixels (AUTOMATIC1111's default "Mask blur")."""
MAX_MASK_BLUR_PX = 64
"""Largest accepted ``mask_blur``, in pixels."""
MAX_PADDING_MASK_CROP_PX = 512
"""Largest accepted ``padding_mask_crop``, in pixels."""
MASK_THRESHOLD = 128
"""Mask values >= this (of 255) are painted (repaint), lower ones are kept (diffusers binarises at 0.5)."""


class MaskEmptyError(RequestValidationError):
    """422: the mask has no painted (white) pixel: there is nothing to repaint."""

    code = "mask_empty"


def binarize(mask: Image.Image) -> Image.Image:
    """The mask as ``L`` with only 0 (keep) and 255 (repaint): values >= :data:`MASK_THRESHOLD` become 255.

    Args:
        mask: any mode (RGB, RGBA, P, 1, L, I;16 ...); colour is reduced to its luminance (ITU-R 601).
    """
    grey = mask if mask.mode == "L" else mask.convert("L")
    return grey.point(lambda value: 255 if value >= MASK_THRESHOLD else 0)


def check_not_empty(mask: Image.Image, *, field: str = "mask_image") -> None:
    """Raise when a binarised mask paints nothing.

    Raises:
        MaskEmptyError (422, code ``mask_empty``): no pixel is white ("nothing to repaint").
    """
    if binarize(mask).getextrema()[1] == 0:
        raise MaskEmptyError(
            f"{field}: the mask is black everywhere, so there is nothing to repaint: paint the area to change in "
            "white (white = repaint, black = keep)", details={"field": field})


def prepare_mask(mask: Image.Image, size: tuple[int, int], blur_px: int) -> Image.Image:
    """The feathered mask for an image of `size`: resized, binarised, checked, blurred.

    Args:
        mask: the uploaded mask, any mode and size (white = repaint).
        size: (width, height) of the image being inpainted, in pixels.
        blur_px: Gaussian blur radius of the edge, in pixels (0: a hard edge).
    Returns:
        ``L`` image of `size`: 255 = repaint, 0 = keep exactly, values between on the feathered edge.
    Raises:
        MaskEmptyError (422): nothing is painted at this size.
    """
    resized = mask.convert("L")
    if resized.size != tuple(size):
        resized = resized.resize(size, Image.Resampling.BILINEAR)
    hard = binarize(resized)
    check_not_empty(hard)
    return hard.filter(ImageFilter.GaussianBlur(blur_px)) if blur_px > 0 else hard


def composite(generated: Image.Image, original: Image.Image, mask: Image.Image) -> Image.Image:
    """The generated image where the mask is white, the original where it is black, blended on the feathered edge.

    Args:
        generated: the pipeline's RGB output; resized to the original's size if it differs.
        original: the RGB input image at the output size.
        mask: from :func:`prepare_mask`, the original's size.
    Returns:
        RGB image; every pixel with mask 0 equals `original`'s pixel.
    """
    if generated.size != original.size:
        generated = generated.resize(original.size, Image.Resampling.LANCZOS)
    return Image.composite(generated.convert("RGB"), original.convert("RGB"), mask)


def exact_beyond_px(blur_px: int) -> int:
    """Distance from the painted area beyond which the output is exactly the input, in pixels (Chebyshev distance).

    Pillow's GaussianBlur (three box blurs) spreads an edge about 2.5 x `blur_px` + 1 px; 3 x `blur_px` + 1 is a
    margin over that.
    """
    return math.ceil(3 * blur_px) + 1


def coverage(mask: Image.Image) -> float:
    """The share of pixels a mask repaints (0..1), after binarising."""
    hard = binarize(mask)
    histogram = hard.histogram()
    return histogram[255] / max(1, hard.width * hard.height)
