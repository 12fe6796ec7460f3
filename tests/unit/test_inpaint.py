"""Inpainting with the real diffusers pipelines and the tiny offline models (64 px, 3-4 steps).

What is promised: outside the painted area (beyond the feathered edge) the output is the input, exactly; inside
it changes; the same seed reproduces the image bit for bit; a mask of another size or mode is resized and
converted; a mask with nothing painted is refused. Ordinary checkpoints inpaint through ``from_pipe``; dedicated
9-channel inpainting checkpoints too, and they refuse the other modes.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageFilter

from devserver.errors import RequestValidationError
from devserver.generation import inpaint
from devserver.generation.backend import GenerationRequest, ModelRef
from devserver.generation.families import ModeUnsupportedError

TINY = ModelRef(id="tiny_sd", family="sd", builtin="tiny_sd")
SDXL = ModelRef(id="tiny_sdxl", family="sdxl", local_dir="tiny-sdxl")
SD_INPAINT = ModelRef(id="tiny_sd_inpaint", family="sd", local_dir="tiny-sd-inpaint", inpainting=True)
SDXL_INPAINT = ModelRef(id="tiny_sdxl_inpaint", family="sdxl", local_dir="tiny-sdxl-inpaint", inpainting=True)
SIZE = 64
BOX = (20, 16, 44, 40)
"""The painted rectangle (left, top, right, bottom) of the test mask."""


def photo(size: int = SIZE) -> Image.Image:
    """A noisy RGB test photo (every pixel different, so any change shows)."""
    return Image.fromarray((np.random.RandomState(0).rand(size, size, 3) * 255).astype(np.uint8))


def box_mask(size: int = SIZE, box: tuple[int, int, int, int] = BOX, mode: str = "L") -> Image.Image:
    """White `box` on black: repaint the box."""
    mask = Image.new("L", (size, size), 0)
    mask.paste(255, box)
    return mask.convert(mode)


def far_from(mask: Image.Image, distance: int) -> np.ndarray:
    """Pixels more than `distance` px (Chebyshev) away from the mask's white area."""
    grown = mask.convert("L").filter(ImageFilter.MaxFilter(2 * distance + 1))
    return np.asarray(grown) == 0


def request(**overrides) -> GenerationRequest:
    values = dict(prompt="a red fox", width=SIZE, height=SIZE, steps=3, seed=7, init_image=photo(),
                  mask_image=box_mask(), strength=1.0)
    values.update(overrides)
    return GenerationRequest(**values)


def arr(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB")).astype(np.int16)


# -- mask helpers ------------------------------------------------------------------------------------


def test_mask_of_any_mode_and_size_is_greyscale_at_the_image_size() -> None:
    small_rgb = box_mask(32, (10, 8, 22, 20), "RGB")

    prepared = inpaint.prepare_mask(small_rgb, (SIZE, SIZE), blur_px=0)

    assert prepared.mode == "L" and prepared.size == (SIZE, SIZE)
    assert set(np.unique(np.asarray(prepared))) == {0, 255}
    assert np.asarray(prepared)[28, 32] == 255 and np.asarray(prepared)[2, 2] == 0


def test_mask_is_binarised_at_half_intensity() -> None:
    noisy = Image.new("L", (8, 8), 100)  # a dark grey (e.g. JPEG noise in "black") is not painted
    noisy.putpixel((3, 3), 200)

    hard = np.asarray(inpaint.binarize(noisy))

    assert hard[3, 3] == 255 and int(hard.sum()) == 255


@pytest.mark.parametrize("mask", [
    pytest.param(Image.new("L", (16, 16), 0), id="black"),
    pytest.param(Image.new("RGB", (16, 16), (90, 90, 90)), id="dark_grey"),
    pytest.param(Image.new("RGBA", (16, 16), (0, 0, 0, 255)), id="opaque_black_rgba"),
])
def test_mask_with_nothing_painted_is_refused(mask: Image.Image) -> None:
    with pytest.raises(inpaint.MaskEmptyError) as caught:
        inpaint.check_not_empty(mask)
    assert caught.value.status == 422 and caught.value.code == "mask_empty"
    assert "nothing to repaint" in caught.value.message


def test_feathered_mask_reaches_no_farther_than_promised() -> None:
    mask = box_mask(200, (80, 80, 120, 120))
    for blur in (1, 4, 9, 20):
        soft = np.asarray(inpaint.prepare_mask(mask, (200, 200), blur))
        assert soft[far_from(mask, inpaint.exact_beyond_px(blur))].max() == 0, blur
        assert soft[far_from(mask, 0)].max() > 0, "the blur reaches beyond the painted edge"


def test_composite_keeps_the_original_where_the_mask_is_black() -> None:
    original, generated = photo(), Image.new("RGB", (SIZE, SIZE), (0, 255, 0))
    mask = inpaint.prepare_mask(box_mask(), (SIZE, SIZE), 2)

    out = arr(inpaint.composite(generated, original, mask))

    keep = np.asarray(mask) == 0
    assert (out[keep] == arr(original)[keep]).all()
    assert (out[np.asarray(mask) == 255] == (0, 255, 0)).all()


# -- inpainting with the tiny models ----------------------------------------------------------------


@pytest.mark.parametrize("blur", [0, 4])
def test_outside_the_mask_the_output_is_the_input_exactly(generation_backend, blur: int) -> None:
    result = generation_backend.generate(TINY, request(mask_blur=blur))

    out, inp = arr(result.image), arr(photo())
    far = far_from(box_mask(), inpaint.exact_beyond_px(blur))
    assert result.mode == "inpaint" and result.image.size == (SIZE, SIZE)
    assert (out[far] == inp[far]).all(), "pixels beyond the feathered edge must be the input's own"
    inside = np.asarray(box_mask()) == 255
    assert np.abs(out[inside] - inp[inside]).max() > 50, "the painted area must be repainted"
    assert result.mask_blur == blur and result.strength == 1.0
    # the share diffusers repaints: the feathered mask binarised at half intensity (rounded corners)
    assert result.mask_coverage == pytest.approx(24 * 24 / SIZE ** 2, abs=0.02)


def test_same_seed_reproduces_and_another_seed_differs_inside(generation_backend) -> None:
    first = arr(generation_backend.generate(TINY, request(seed=11)).image)
    again = arr(generation_backend.generate(TINY, request(seed=11)).image)
    other = arr(generation_backend.generate(TINY, request(seed=12)).image)

    assert (first == again).all()
    inside = np.asarray(box_mask()) == 255
    assert np.abs(first[inside] - other[inside]).max() > 0


def test_a_mask_of_the_wrong_size_is_resized(generation_backend) -> None:
    small = box_mask(32, (10, 8, 22, 20), "RGB")  # the same area at half size, and RGB

    result = generation_backend.generate(TINY, request(mask_image=small, mask_blur=0))

    far = far_from(box_mask(), 2)
    assert result.image.size == (SIZE, SIZE)
    assert (arr(result.image)[far] == arr(photo())[far]).all()


def test_padding_mask_crop_repaints_a_crop_and_keeps_the_rest(generation_backend) -> None:
    mask = box_mask(box=(24, 24, 36, 36))
    plain = generation_backend.generate(TINY, request(mask_image=mask, mask_blur=0))
    cropped = generation_backend.generate(TINY, request(mask_image=mask, mask_blur=0, padding_mask_crop=8))

    far = far_from(mask, 1)
    assert cropped.padding_mask_crop == 8 and cropped.image.size == (SIZE, SIZE)
    assert (arr(cropped.image)[far] == arr(photo())[far]).all()
    assert not (arr(cropped.image) == arr(plain.image)).all(), "the crop is processed at full resolution"


def test_lower_strength_keeps_more_of_the_input_inside(generation_backend) -> None:
    full = arr(generation_backend.generate(TINY, request(steps=4, strength=1.0)).image)
    gentle = generation_backend.generate(TINY, request(steps=4, strength=0.5))

    inside = np.asarray(box_mask()) == 255
    assert gentle.total_steps is not None and gentle.total_steps < 4 + 1
    assert np.abs(arr(gentle.image) - full)[inside].max() > 0


@pytest.fixture(scope="module")
def own_backend(tiny_model_dir):
    """A backend of this module's own for the SDXL models: the session's shared one stays as other tests expect it
    (the model page's browser test loads tiny-sdxl itself)."""
    from devserver.generation.backend import DiffusersBackend

    return DiffusersBackend(device="cpu", models_dir=tiny_model_dir)


@pytest.mark.parametrize("model", [SDXL, SD_INPAINT, SDXL_INPAINT], ids=lambda m: m.id)
def test_sdxl_and_dedicated_inpainting_models_keep_the_outside(own_backend, model: ModelRef) -> None:
    result = own_backend.generate(model, request(mask_blur=2, cfg=5.0))

    far = far_from(box_mask(), inpaint.exact_beyond_px(2))
    assert (arr(result.image)[far] == arr(photo())[far]).all()
    entry = own_backend.cache.get(own_backend.cache_key(model))
    pipe = entry.derived["inpaint"]
    assert type(pipe).__name__ == ("StableDiffusionXLInpaintPipeline" if model.family == "sdxl"
                                   else "StableDiffusionInpaintPipeline")
    assert pipe.unet.config.in_channels == (9 if model.inpainting else 4)


@pytest.mark.parametrize("mode", ["txt2img", "img2img"])
def test_a_dedicated_inpainting_model_refuses_other_modes(generation_backend, mode: str) -> None:
    overrides = {"mask_image": None} if mode == "img2img" else {"mask_image": None, "init_image": None}
    loads = generation_backend.load_count()

    with pytest.raises(ModeUnsupportedError) as caught:
        generation_backend.generate(SD_INPAINT, request(strength=0.75, **overrides))

    assert caught.value.status == 422 and caught.value.code == "mode_unsupported"
    assert caught.value.details == {"output_config": "tiny_sd_inpaint", "family": "sd", "mode": mode,
                                    "reason": caught.value.details["reason"]}
    assert "SD 1.x" in caught.value.message and mode in caught.value.message
    assert generation_backend.load_count() == loads, "refused before any weights are read"


def test_weights_that_are_an_inpainting_model_are_refused_for_txt2img(generation_backend) -> None:
    # an output config that does not say "inpainting" but points at a 9-channel model
    undeclared = ModelRef(id="undeclared", family="sd", local_dir="tiny-sd-inpaint")

    with pytest.raises(ModeUnsupportedError):
        generation_backend.generate(undeclared, request(mask_image=None, init_image=None))


@pytest.mark.parametrize(("overrides", "field"), [
    pytest.param({"init_image": None}, "mask_image", id="mask_without_photo"),
    pytest.param({"mask_blur": 65}, "mask_blur", id="blur_too_large"),
    pytest.param({"mask_blur": -1}, "mask_blur", id="negative_blur"),
    pytest.param({"padding_mask_crop": 513}, "padding_mask_crop", id="crop_too_large"),
    pytest.param({"mask_image": Image.new("L", (64, 64), 0)}, "mask_image", id="all_black"),
    pytest.param({"steps": 2, "strength": 0.4}, "steps", id="no_denoising_step"),
])
def test_bad_inpainting_requests_are_refused(generation_backend, overrides, field) -> None:
    with pytest.raises(RequestValidationError) as caught:
        generation_backend.generate(TINY, request(**overrides))
    assert caught.value.status == 422 and caught.value.details["field"] == field
