"""Every model family on its real diffusers code path, with its own tiny random-weight build.

Each family generates txt2img, img2img and inpainting from its tiny build with the pipeline class of the family
table; each is loaded once (the load counter); SD 2.x runs with v-prediction, Turbo at one step without
guidance, SD 3 with and without T5, Flux without a negative prompt; what a family cannot do is a 422 naming
family and mode, before any weights are read.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from devserver.errors import RequestValidationError
from devserver.generation import families
from devserver.generation.backend import DiffusersBackend, GenerationRequest, ModelRef
from devserver.generation.families import ModeUnsupportedError

FAMILY_MODELS = {
    "sd": ModelRef(id="tiny_sd", family="sd", builtin="tiny_sd"),
    "sd2": ModelRef(id="tiny_sd2", family="sd2", local_dir="tiny-sd2"),
    "sdxl": ModelRef(id="tiny_sdxl", family="sdxl", local_dir="tiny-sdxl"),
    "sdxl_turbo": ModelRef(id="tiny_sdxl_turbo", family="sdxl", local_dir="tiny-sdxl-turbo"),
    "sd3": ModelRef(id="tiny_sd3", family="sd3", local_dir="tiny-sd3"),
    "sd3_no_t5": ModelRef(id="tiny_sd3_no_t5", family="sd3", local_dir="tiny-sd3-no-t5"),
    "flux": ModelRef(id="tiny_flux", family="flux", local_dir="tiny-flux"),
}
PIPELINE_PREFIX = {"sd": "StableDiffusion", "sd2": "StableDiffusion", "sdxl": "StableDiffusionXL",
                   "sd3": "StableDiffusion3", "flux": "Flux"}
SUFFIX = {"txt2img": "Pipeline", "img2img": "Img2ImgPipeline", "inpaint": "InpaintPipeline"}


@pytest.fixture(scope="module")
def backend(tiny_model_dir) -> DiffusersBackend:
    """A backend of its own, so that its load counter counts only this module's loads."""
    return DiffusersBackend(device="cpu", models_dir=tiny_model_dir)


def photo(width: int = 64, height: int = 64) -> Image.Image:
    return Image.fromarray((np.random.RandomState(1).rand(height, width, 3) * 255).astype(np.uint8))


def mask() -> Image.Image:
    image = Image.new("L", (64, 64), 0)
    image.paste(255, (16, 16, 48, 48))
    return image


def request(model: ModelRef, mode: str, **overrides) -> GenerationRequest:
    turbo = "turbo" in model.id
    values = dict(prompt="a lighthouse at dawn", negative_prompt="blurry", width=64, height=64,
                  steps=1 if turbo else 3, cfg=0.0 if turbo or model.family == "flux" else 5.0, seed=3)
    if mode != "txt2img":
        values.update(init_image=photo(), strength=1.0 if turbo else 0.7)
    if mode == "inpaint":
        values.update(mask_image=mask())
    values.update(overrides)
    return GenerationRequest(**values)


@pytest.mark.parametrize("name", list(FAMILY_MODELS))
def test_each_family_runs_every_mode_on_its_pipeline_and_loads_once(backend, name: str) -> None:
    model = FAMILY_MODELS[name]
    loads = backend.load_count()

    for mode in ("txt2img", "img2img", "inpaint", "txt2img"):
        result = backend.generate(model, request(model, mode))
        assert (result.mode, result.image.size) == (mode, (64, 64)), (name, mode)
        assert result.total_steps is not None and result.total_steps >= 1
        pipe = backend.cache.get(backend.cache_key(model))
        used = pipe.obj if mode == "txt2img" else pipe.derived[mode]
        assert type(used).__name__ == PIPELINE_PREFIX[model.family] + SUFFIX[mode], (name, mode)

    assert backend.load_count() == loads + 1, "one family, one load: img2img and inpainting share its components"


@pytest.mark.parametrize("name", ["sd2", "sd3", "flux"])
def test_same_seed_same_pixels_and_the_prompt_matters(backend, name: str) -> None:
    model = FAMILY_MODELS[name]
    first = backend.generate(model, request(model, "txt2img")).image.tobytes()
    again = backend.generate(model, request(model, "txt2img")).image.tobytes()
    other = backend.generate(model, request(model, "txt2img", prompt="a dog on a boat")).image.tobytes()

    assert first == again
    assert first != other


def test_sd2_runs_with_v_prediction(backend) -> None:
    model = FAMILY_MODELS["sd2"]
    v_pred = backend.generate(model, request(model, "txt2img"))
    entry = backend.cache.get(backend.cache_key(model))

    assert v_pred.scheduler == "DDIM"
    assert entry.obj.scheduler.config.prediction_type == "v_prediction"
    swapped = backend.generate(model, request(model, "txt2img", scheduler="EulerDiscrete"))
    assert entry.obj.scheduler.config.prediction_type == "v_prediction", "a swapped scheduler keeps v-prediction"
    assert swapped.scheduler == "EulerDiscrete"
    # the same weights read as epsilon-prediction make another image: the config is what the pipeline uses
    original = dict(entry.scheduler.config)
    try:
        from diffusers import DDIMScheduler

        entry.scheduler = DDIMScheduler.from_config({**original, "prediction_type": "epsilon"})
        eps = backend.generate(model, request(model, "txt2img"))
    finally:
        entry.scheduler = DDIMScheduler.from_config(original)
    assert eps.image.tobytes() != v_pred.image.tobytes()


def test_turbo_makes_an_image_in_one_step_without_guidance(backend) -> None:
    model = FAMILY_MODELS["sdxl_turbo"]
    steps: list[tuple[int, int]] = []

    result = backend.generate(model, request(model, "txt2img", steps=1, cfg=0.0),
                              on_step=lambda step, total: steps.append((step, total)) and None)

    assert steps == [(1, 1)] and result.total_steps == 1
    assert result.scheduler == "EulerAncestralDiscrete"
    entry = backend.cache.get(backend.cache_key(model))
    assert entry.scheduler.config.timestep_spacing == "trailing"


def test_sd3_without_t5_loads_with_the_null_components(backend, tiny_model_dir) -> None:
    assert families.null_components(tiny_model_dir / "tiny-sd3-no-t5") == {"text_encoder_3": None,
                                                                          "tokenizer_3": None}
    assert families.null_components(tiny_model_dir / "tiny-sd3") == {}
    backend.generate(FAMILY_MODELS["sd3_no_t5"], request(FAMILY_MODELS["sd3_no_t5"], "txt2img"))
    entry = backend.cache.get(backend.cache_key(FAMILY_MODELS["sd3_no_t5"]))
    assert entry.obj.text_encoder_3 is None and entry.obj.tokenizer_3 is None


@pytest.mark.parametrize("name", ["sd3", "flux"])
def test_flow_matching_families_refuse_a_scheduler_and_odd_sizes(backend, name: str) -> None:
    model = FAMILY_MODELS[name]
    with pytest.raises(RequestValidationError) as swap:
        backend.generate(model, request(model, "txt2img", scheduler="DDIM"))
    assert swap.value.details["field"] == "scheduler" and "flow-matching" in swap.value.message

    with pytest.raises(RequestValidationError) as size:
        backend.generate(model, request(model, "txt2img", width=72))
    assert size.value.details == {"field": "width", "value": 72, "multiple": 16}

    # img2img fits a 3:2 photo into the box in multiples of 16
    result = backend.generate(model, request(model, "img2img", init_image=photo(96, 64), width=96, height=96))
    assert result.image.size == (96, 64)


def test_flux_gets_no_negative_prompt(backend) -> None:
    model = FAMILY_MODELS["flux"]
    kwargs, _ = backend._call_kwargs(request(model, "txt2img"), "txt2img", model=model)
    assert "negative_prompt" not in kwargs
    kwargs, _ = backend._call_kwargs(request(FAMILY_MODELS["sd3"], "txt2img"), "txt2img", model=FAMILY_MODELS["sd3"])
    assert kwargs["negative_prompt"] == "blurry"


def test_mode_support_table() -> None:
    for name, family in families.FAMILIES.items():
        assert families.mode_support(name) == {"txt2img": None, "img2img": None, "inpaint": None}, name
        assert all(cls is not None for cls in family.pipelines.values())
    only_inpaint = families.mode_support("sdxl", inpainting_model=True)
    assert only_inpaint["inpaint"] is None and only_inpaint["txt2img"] and only_inpaint["img2img"]


def test_a_family_without_a_pipeline_for_a_mode_is_a_422_naming_both(monkeypatch) -> None:
    # diffusers 0.42 has every mode for every family devserver runs; the rule for one it lacks:
    lacking = families.Family("sd3", "SD 3.x", {"txt2img": "StableDiffusion3Pipeline", "img2img": None,
                                                "inpaint": None}, size_multiple=16)
    monkeypatch.setitem(families.FAMILIES, "sd3", lacking)

    assert families.mode_support("sd3")["inpaint"] == "diffusers has no inpaint pipeline for SD 3.x models"
    with pytest.raises(ModeUnsupportedError) as caught:
        families.check_mode("tiny_sd3", "sd3", "inpaint")
    assert caught.value.code == "mode_unsupported" and caught.value.status == 422
    assert "SD 3.x" in caught.value.message and "inpaint" in caught.value.message
