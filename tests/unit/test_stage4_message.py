"""The stage-4 job message (Celery backend): generic, versioned, images exact, unknown fields refused."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pytest
from PIL import Image

from devserver.generation.backend import GenerationRequest, GenerationResult, ModelRef
from devserver.jobs import stage4
from devserver.jobs.stage4 import Stage4MessageError

MODEL = ModelRef(id="tiny_sd", family="sd", builtin="tiny_sd")


def noise(size: tuple[int, int], mode: str = "RGB", seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    channels = {"RGB": 3, "L": 1}[mode]
    data = rng.integers(0, 256, (size[1], size[0], channels), dtype=np.uint8)
    return Image.fromarray(data.squeeze() if channels == 1 else data, mode)


def test_a_request_with_an_input_image_travels_as_json_and_arrives_exactly():
    request = GenerationRequest(prompt="a fox", negative_prompt="blur", width=64, height=96, steps=3, cfg=6.5,
                                seed=2**32 - 1, scheduler="DDIM", init_image=noise((40, 30)), strength=0.5)
    message = json.loads(json.dumps(stage4.encode_request(MODEL, request, run_id="r", task_id="t")))
    assert message["version"] == stage4.MESSAGE_VERSION and set(message["request"]["init_image"]) == {"$png"}
    model, decoded = stage4.decode_request(message)
    assert model == MODEL
    assert np.array_equal(np.asarray(decoded.init_image), np.asarray(request.init_image))
    assert decoded == GenerationRequest(**{**request.__dict__, "init_image": decoded.init_image})


@dataclass(frozen=True)
class _Lora:
    id: str
    weight: float = 1.0


@dataclass(frozen=True)
class _ControlNet:
    id: str
    image: Image.Image
    guidance_end: float = 1.0


@dataclass(frozen=True)
class _FutureRequest:
    """What issues 10/11 may add to GenerationRequest: nested dataclasses, lists of them, images anywhere."""

    prompt: str
    loras: tuple[_Lora, ...] = ()
    controlnets: list[_ControlNet] = field(default_factory=list)
    mask_image: Image.Image | None = None
    refiner: _Lora | None = None


def test_new_fields_nested_dataclasses_and_images_travel_without_a_new_format():
    request = _FutureRequest(prompt="p", loras=(_Lora("a", 0.5), _Lora("b")),
                             controlnets=[_ControlNet("canny", noise((16, 8), seed=1))],
                             mask_image=noise((16, 8), "L", seed=2), refiner=_Lora("refiner", 0.8))
    decoded = stage4._decode(_FutureRequest, json.loads(json.dumps(stage4._encode(request))), "request")
    assert decoded.loras == request.loras and decoded.refiner == request.refiner
    assert np.array_equal(np.asarray(decoded.controlnets[0].image), np.asarray(request.controlnets[0].image))
    assert decoded.mask_image.mode == "L"
    assert np.array_equal(np.asarray(decoded.mask_image), np.asarray(request.mask_image))


@pytest.mark.parametrize("change, match", [
    pytest.param(lambda m: m["request"].update(lora_stack=[]), "does not know .lora_stack.*update the GPU worker",
                 id="unknown_field"),
    pytest.param(lambda m: m.update(version=stage4.MESSAGE_VERSION + 1), "newer than this worker", id="newer"),
    pytest.param(lambda m: m["request"].update(init_image={"$png": "bm90IGEgcG5n"}), "not a readable PNG",
                 id="broken_image"),
    pytest.param(lambda m: m["request"].pop("prompt"), "incomplete", id="missing_field"),
    pytest.param(lambda m: m.pop("version"), "not a stage-4 message", id="no_version"),
])
def test_messages_a_worker_cannot_read_are_refused_clearly(change, match):
    message = stage4.encode_request(MODEL, GenerationRequest(prompt="x"), run_id="r", task_id="t")
    change(message)
    with pytest.raises(Stage4MessageError, match=match) as error:
        stage4.decode_request(message)
    assert error.value.status == 422


def test_a_result_comes_back_with_its_pixels():
    result = GenerationResult(image=noise((64, 64), seed=3), mode="txt2img", seed=1, width=64, height=64, steps=2,
                              cfg=7.5, scheduler="DDIM", model_id="tiny_sd", model_source="builtin:tiny_sd",
                              device="cuda", dtype="float16", duration_ms=12, strength=None, worker="gpu1@host")
    back = stage4.decode_result(json.loads(json.dumps(stage4.encode_result(result))))
    assert np.array_equal(np.asarray(back.image), np.asarray(result.image))
    assert back.worker == "gpu1@host" and back.seed == 1 and back.strength is None


def test_the_enhanced_fields_travel_exactly_and_a_batch_comes_back_whole():
    from devserver.generation.addons import ControlNetRef, LoraRef, RefinerRef, UpscaleStep

    condition = noise((32, 24), seed=5)
    request = GenerationRequest(
        prompt="a fox", width=64, height=64, steps=4, seed=10, refiner=RefinerRef("tiny-sdxl-refiner", "img2img",
                                                                                 0.7, 0.4),
        vae="vae:tiny-vae", loras=(LoraRef("loras:tiny-lora.safetensors", -0.5),
                                   LoraRef("loras:tiny-lora-b.safetensors", 1.5, "config")),
        controlnets=(ControlNetRef("controlnet:tiny-controlnet", condition, 0.8, 0.1, 0.9, "canny",
                                   "3f0c4a4e-0d7b-4a8e-9c1d-2b3a4c5d6e7f"),),
        post_processing=(UpscaleStep("upscalers:tiny-upscaler.safetensors", 4),), batch_size=3,
        notes=("a note",), output_format="webp", quality=80)
    message = json.loads(json.dumps(stage4.encode_request(MODEL, request, run_id="r", task_id="t")))
    _, decoded = stage4.decode_request(message)
    assert np.array_equal(np.asarray(decoded.controlnets[0].image), np.asarray(condition))
    assert decoded == GenerationRequest(**{**request.__dict__, "controlnets": decoded.controlnets})
    assert decoded.controlnets[0] == ControlNetRef(**{**request.controlnets[0].__dict__,
                                                      "image": decoded.controlnets[0].image})
    light = stage4.without_images(request)
    assert light.controlnets[0].image is None and light.controlnets[0].id == "controlnet:tiny-controlnet"

    images = [noise((64, 64), seed=s) for s in (1, 2, 3)]
    result = GenerationResult(image=images[0], mode="txt2img", seed=10, width=64, height=64, steps=4, cfg=7.5,
                              scheduler="PNDM", model_id="tiny_sd", model_source="builtin:tiny_sd", device="cpu",
                              dtype="float32", duration_ms=5, strength=None, more_images=tuple(images[1:]),
                              seeds=(10, 11, 12), applied={"vae": "vae:tiny-vae", "loras": [{"id": "x", "weight": 1}]})
    back = stage4.decode_result(json.loads(json.dumps(stage4.encode_result(result))))
    assert all(np.array_equal(np.asarray(a), np.asarray(b)) for a, b in zip(back.images, images, strict=True))
    assert back.seeds == (10, 11, 12) and back.applied == result.applied


def test_an_inpainting_request_on_another_family_travels_with_its_mask():
    """Issue 11: the mask (a greyscale PNG), its blur and crop, the family and the inpainting flag reach the GPU
    worker unchanged, and the result's inpainting facts come back."""
    model = ModelRef(id="tiny_sdxl_inpaint", family="sdxl", local_dir="tiny-sdxl-inpaint", inpainting=True)
    request = GenerationRequest(prompt="a kite", width=64, height=64, steps=3, seed=5, init_image=noise((64, 48)),
                                strength=1.0, mask_image=noise((32, 24), "L", seed=4), mask_blur=6,
                                padding_mask_crop=16)
    message = json.loads(json.dumps(stage4.encode_request(model, request, run_id="r", task_id="t")))
    assert set(message["request"]["mask_image"]) == {"$png"} and message["model"]["inpainting"] is True

    decoded_model, decoded = stage4.decode_request(message)

    assert decoded_model == model
    assert decoded.mask_image.mode == "L" and np.array_equal(np.asarray(decoded.mask_image),
                                                             np.asarray(request.mask_image))
    assert (decoded.mask_blur, decoded.padding_mask_crop) == (6, 16)
    flux = ModelRef(id="tiny_flux", family="flux", local_dir="tiny-flux")
    assert stage4.decode_request(stage4.encode_request(flux, GenerationRequest(prompt="x"), run_id="r",
                                                       task_id="t"))[0] == flux
    result = GenerationResult(image=noise((64, 64)), mode="inpaint", seed=5, width=64, height=64, steps=3, cfg=7.5,
                              scheduler="EulerDiscrete", model_id=model.id, model_source="models/tiny-sdxl-inpaint",
                              device="cuda", dtype="float16", duration_ms=9, strength=1.0, mask_blur=6,
                              padding_mask_crop=16, mask_coverage=0.25)
    back = stage4.decode_result(json.loads(json.dumps(stage4.encode_result(result))))
    assert (back.mode, back.mask_blur, back.padding_mask_crop, back.mask_coverage) == ("inpaint", 6, 16, 0.25)
    kept = stage4.without_images(request)
    assert kept.mask_image is None and kept.init_image is None and kept.mask_blur == 6
