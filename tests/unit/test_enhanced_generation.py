"""The enhanced stage 4 on the real diffusers pipelines with the tiny models: refiner, VAE, LoRAs, ControlNets,
batches and upscaling, each against a plain run of the same seed (issue 10, acceptance 1).

One backend for the module, so that the last test can check that every base model was read from disk once across
all of it (LoRA, VAE, ControlNet and refiner changes never reload the base).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from devserver.errors import ApiError
from devserver.generation.addons import ControlNetRef, LoraRef, RefinerRef, UpscaleStep
from devserver.generation.backend import DiffusersBackend, GenerationRequest, ModelRef
from devserver.generation.controlnet import canny
from devserver.generation.upscale import tiled

SD = ModelRef(id="tiny_sd", family="sd", builtin="tiny_sd")
XL = ModelRef(id="tiny-sdxl-fast", family="sdxl", local_dir="tiny-sdxl-fast")
LORA_A, LORA_B = "loras:tiny-lora.safetensors", "loras:tiny-lora-b.safetensors"


@pytest.fixture(scope="module")
def backend(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> DiffusersBackend:
    """A backend of its own (load counts start at 0) whose add-on names resolve through the model registry."""
    from devserver.models.registry import ModelRegistry
    from devserver.models.service import ModelService
    from devserver.models.store import ModelStore
    from devserver.pipeline.loader import SchemaRegistry
    from devserver.settings import PROJECT_ROOT

    backend = DiffusersBackend(device="cpu", models_dir=tiny_model_dir)
    schemas = SchemaRegistry.load(PROJECT_ROOT / "schemas")
    backend.catalog = ModelService(registry=ModelRegistry(tiny_model_dir, schemas.output_configs),
                                   store=ModelStore(tmp_path_factory.mktemp("store") / "models.sqlite3"),
                                   backend=backend)
    return backend


def request(**changes) -> GenerationRequest:
    return GenerationRequest(**{"prompt": "a red fox", "width": 64, "height": 64, "steps": 4, "seed": 7, **changes})


def pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image).astype(np.int16)


def max_diff(a: Image.Image, b: Image.Image) -> int:
    return int(np.abs(pixels(a) - pixels(b)).max())


@pytest.fixture(scope="module")
def plain(backend):
    """tiny_sd's image of seed 7 without add-ons."""
    return backend.generate(SD, request()).image


@pytest.fixture(scope="module")
def outline() -> Image.Image:
    drawing = Image.new("RGB", (64, 64), "black")
    ImageDraw.Draw(drawing).ellipse((10, 10, 54, 54), outline="white", width=3)
    return canny(drawing)


def test_refiner_split_changes_the_image_and_is_reproducible(backend):
    alone = backend.generate(XL, request(steps=8)).image
    ensemble = RefinerRef("tiny-sdxl-refiner", mode="ensemble", high_noise_frac=0.5)
    progress: list[tuple[int, int]] = []
    first = backend.generate(XL, request(steps=8, refiner=ensemble), on_step=lambda *p: progress.append(p))
    again = backend.generate(XL, request(steps=8, refiner=ensemble))
    assert progress == [(step, 8) for step in range(1, 9)]  # one count over base and refiner
    assert max_diff(first.image, alone) > 0
    assert max_diff(first.image, again.image) == 0
    assert first.total_steps == 8  # 4 base steps to 0.5, then 4 refiner steps
    assert first.applied["refiner"] == {"id": "tiny-sdxl-refiner", "mode": "ensemble", "high_noise_frac": 0.5,
                                        "strength": None}
    reworked = backend.generate(XL, request(steps=8, refiner=RefinerRef("tiny-sdxl-refiner", mode="img2img",
                                                                        strength=0.5)))
    assert max_diff(reworked.image, alone) > 0 and max_diff(reworked.image, first.image) > 0


def test_vae_swap_changes_the_image_and_swapping_back_restores_it_bit_for_bit(backend, plain):
    swapped = backend.generate(SD, request(vae="vae:tiny-vae"))
    assert max_diff(swapped.image, plain) > 0
    assert swapped.applied["vae"] == "vae:tiny-vae"
    assert max_diff(backend.generate(SD, request()).image, plain) == 0


def test_two_loras_with_weights(backend, plain):
    both = backend.generate(SD, request(loras=(LoraRef(LORA_A, 0.7), LoraRef(LORA_B, 0.3))))
    only_a = backend.generate(SD, request(loras=(LoraRef(LORA_A, 0.7),))).image
    reversed_weights = backend.generate(SD, request(loras=(LoraRef(LORA_A, 0.3), LoraRef(LORA_B, 0.7)))).image
    assert min(max_diff(both.image, plain), max_diff(both.image, only_a), max_diff(both.image, reversed_weights)) > 0
    assert max_diff(backend.generate(SD, request(loras=(LoraRef(LORA_A, 0.7), LoraRef(LORA_B, 0.3)))).image,
                    both.image) == 0
    assert [(lora["id"], lora["weight"]) for lora in both.applied["loras"]] == [(LORA_A, 0.7), (LORA_B, 0.3)]


def test_lora_weight_zero_equals_no_lora(backend, plain):
    assert max_diff(backend.generate(SD, request(loras=(LoraRef(LORA_A, 0.0),))).image, plain) == 0


def test_no_lora_leaks_into_the_next_run(backend, plain):
    assert max_diff(backend.generate(SD, request(loras=(LoraRef(LORA_B, 1.5),))).image, plain) > 0
    assert max_diff(backend.generate(SD, request()).image, plain) == 0
    img2img = request(init_image=plain, strength=0.6)
    before = backend.generate(SD, img2img).image
    backend.generate(SD, request(init_image=plain, strength=0.6, loras=(LoraRef(LORA_A, 1.0),)))
    assert max_diff(backend.generate(SD, img2img).image, before) == 0


def test_controlnet_with_canny_and_with_two_controlnets(backend, plain, outline):
    one = backend.generate(SD, request(controlnets=(ControlNetRef("controlnet:tiny-controlnet", outline,
                                                                  preprocessor="canny"),)))
    assert max_diff(one.image, plain) > 0
    weightless = backend.generate(SD, request(controlnets=(ControlNetRef("controlnet:tiny-controlnet", outline,
                                                                         weight=0.0),)))
    assert max_diff(weightless.image, plain) == 0  # conditioning scale 0 adds nothing (FEASIBILITY d)
    two = backend.generate(SD, request(controlnets=(
        ControlNetRef("controlnet:tiny-controlnet", outline),
        ControlNetRef("controlnet:tiny-controlnet-b", outline, weight=0.5, guidance_start=0.2, guidance_end=0.8))))
    assert max_diff(two.image, one.image) > 0
    assert [cn["id"] for cn in two.applied["controlnets"]] == ["controlnet:tiny-controlnet",
                                                                "controlnet:tiny-controlnet-b"]
    assert two.applied["controlnets"][1]["guidance_end"] == 0.8


def test_batch_of_four_has_per_image_seeds_each_identical_to_its_single_run(backend):
    batch = backend.generate(SD, request(batch_size=4, seed=100))
    assert batch.seeds == (100, 101, 102, 103) and len(batch.images) == 4
    for index, image in enumerate(batch.images):
        assert max_diff(image, backend.generate(SD, request(seed=100 + index)).image) == 0
    assert batch.total_steps == 4 * 5  # PNDM runs steps + 1 per image


@pytest.mark.parametrize("model, factor", [
    pytest.param("upscalers:tiny-upscaler.safetensors", 2, id="spandrel_x2"),
    pytest.param("upscalers:tiny-upscaler.safetensors", 4, id="spandrel_x2_twice"),
    pytest.param("upscalers:tiny-upscaler-x4.safetensors", 2, id="spandrel_x4_down_to_x2"),
    pytest.param("lanczos", 2, id="lanczos_x2"),
    pytest.param("lanczos", 4, id="lanczos_x4"),
])
def test_upscale_gives_the_exact_size(backend, plain, model, factor):
    result = backend.generate(SD, request(width=64, height=96, post_processing=(UpscaleStep(model, factor),)))
    assert result.image.size == (64 * factor, 96 * factor) == (result.width, result.height)
    assert result.applied["post_processing"] == [{"type": "upscale", "model": model, "factor": factor,
                                                  "width": 64 * factor, "height": 96 * factor}]


def test_tiled_upscaling_matches_one_pass(backend):
    descriptor = backend.cache.get(str(backend.models_dir / "upscalers/tiny-upscaler.safetensors")).obj
    image = Image.fromarray(np.random.default_rng(1).integers(0, 255, (70, 90, 3), dtype=np.uint8))
    whole = tiled(descriptor, image, tile=512)
    assert max_diff(tiled(descriptor, image, tile=32, overlap=16), whole) <= 1


@pytest.mark.parametrize("changes, code, words", [
    pytest.param(dict(loras=(LoraRef("loras:tiny-sdxl-lora.safetensors"),)), "family_mismatch",
                 ["loras:tiny-sdxl-lora.safetensors", "sdxl", "tiny-sd", "sd1"], id="sdxl_lora_on_sd"),
    pytest.param(dict(controlnets=(ControlNetRef("controlnet:tiny-sdxl-controlnet", Image.new("RGB", (8, 8))),)),
                 "family_mismatch", ["controlnet:tiny-sdxl-controlnet", "tiny-sd"], id="sdxl_controlnet_on_sd"),
    pytest.param(dict(refiner=RefinerRef("tiny-sdxl-refiner")), "family_mismatch", ["refiner", "sd1"],
                 id="refiner_on_sd"),
    pytest.param(dict(vae="vae:tiny-sdxl-vae"), "family_mismatch", ["vae:tiny-sdxl-vae"], id="sdxl_vae_on_sd"),
    pytest.param(dict(vae="no-such-vae"), "unknown_model", ["no-such-vae"], id="unknown"),
    pytest.param(dict(loras=(LoraRef("vae:tiny-vae"),)), "wrong_model_type", ["vae:tiny-vae", "not a lora"],
                 id="wrong_type"),
    pytest.param(dict(batch_size=9), "validation_error", ["batch_size"], id="batch_too_big"),
])
def test_bad_add_ons_are_refused_before_any_work(backend, changes, code, words):
    with pytest.raises(ApiError) as error:
        backend.generate(SD, request(**changes))
    assert error.value.status == 422 and error.value.code == code
    assert all(word in error.value.message for word in words), error.value.message


def test_the_output_side_limit_is_a_422_before_work(tiny_model_dir):
    small = DiffusersBackend(device="cpu", models_dir=tiny_model_dir, max_output_side_px=200)
    with pytest.raises(ApiError) as error:
        small.generate(SD, request(post_processing=(UpscaleStep("lanczos", 4),)))
    assert error.value.status == 422 and error.value.code == "output_too_large"
    assert small.load_count() == 0  # refused before the model was loaded


def test_inpainting_takes_a_lora_and_a_batch_and_keeps_the_photo_outside_the_mask_in_every_image(backend):
    """Issue 10 x issue 11: add-ons that fit inpainting work with it; each image of the batch is composited."""
    photo = Image.fromarray(np.random.default_rng(3).integers(0, 255, (64, 64, 3), dtype=np.uint8))
    mask = Image.new("L", (64, 64), 0)
    mask.paste(255, (16, 16, 48, 48))
    inpaint = dict(init_image=photo, mask_image=mask, mask_blur=0, strength=1.0)
    batch = backend.generate(SD, request(**inpaint, batch_size=2, loras=(LoraRef(LORA_A, 1.0),)))
    assert batch.mode == "inpaint" and batch.seeds == (7, 8) and batch.mask_coverage == 0.25
    outside = np.asarray(mask) == 0
    for image in batch.images:
        assert np.array_equal(pixels(image)[outside], pixels(photo)[outside])
    assert max_diff(batch.images[0], batch.images[1]) > 0
    without_lora = backend.generate(SD, request(**inpaint, seed=8)).image
    assert max_diff(batch.images[1], without_lora) > 0  # the LoRA was active for every image
    assert batch.applied is not None and batch.applied["loras"][0]["id"] == LORA_A


@pytest.mark.parametrize("field, changes", [
    ("refiner", dict(refiner=RefinerRef("tiny-sdxl-refiner"))),
    ("controlnets", dict(controlnets=(ControlNetRef("controlnet:tiny-controlnet", Image.new("RGB", (8, 8))),))),
])
def test_inpainting_refuses_a_refiner_and_a_controlnet_naming_the_field(backend, field, changes):
    mask = Image.new("L", (64, 64), 0)
    mask.paste(255, (0, 0, 32, 32))
    model = XL if field == "refiner" else SD
    with pytest.raises(ApiError) as error:
        backend.generate(model, request(init_image=Image.new("RGB", (64, 64), "white"), mask_image=mask, **changes))
    assert error.value.status == 422 and error.value.details["field"] == field
    assert "inpaint" in error.value.message


def test_every_base_model_was_read_from_disk_once(backend, tiny_model_dir):
    assert backend.cache.load_count(str(tiny_model_dir / "tiny-sd")) == 1
    assert backend.cache.load_count(str(tiny_model_dir / "tiny-sdxl-fast")) == 1
