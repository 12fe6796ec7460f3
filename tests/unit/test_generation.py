"""Stage 4 generation with the real diffusers pipeline and the tiny offline model (64-128 px, 2-4 steps)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from PIL import Image

from devserver.errors import (
    GenerationCanceledError,
    GenerationError,
    OutputConfigUnavailableError,
    RequestValidationError,
)
from devserver.generation.backend import DiffusersBackend, GenerationRequest, ModelRef, fit_img2img_size
from devserver.generation.tiny import TINY_SD_FOLDER, build_tiny_sd, ensure_tiny_sd

TINY = ModelRef(id="tiny_sd", family="sd", builtin="tiny_sd")
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def request(**overrides) -> GenerationRequest:
    """A fast request (64 px, 2 steps); keyword arguments override fields."""
    values = dict(prompt="a red fox in the snow", width=64, height=64, steps=2, seed=1)
    values.update(overrides)
    return GenerationRequest(**values)


def gradient(width: int, height: int) -> Image.Image:
    """An RGB test input: red rises left to right, blue top to bottom."""
    image = Image.new("RGB", (width, height))
    image.putdata([(255 * x // width, 80, 255 * y // height) for y in range(height) for x in range(width)])
    return image


def pixels(backend: DiffusersBackend, model: ModelRef = TINY, **overrides) -> bytes:
    """Raw RGB bytes of one generated image."""
    return backend.generate(model, request(**overrides)).image.tobytes()


# -- tiny model -----------------------------------------------------------------------------------


def test_tiny_build_is_deterministic_per_seed(tmp_path: Path) -> None:
    first = build_tiny_sd(tmp_path / "a", seed=3)
    second = build_tiny_sd(tmp_path / "b", seed=3)
    other = build_tiny_sd(tmp_path / "c", seed=4)

    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert {"model_index.json", "unet/diffusion_pytorch_model.safetensors", "tokenizer/tokenizer.json"} <= {
        p.as_posix() for p in files}
    for rel in files:
        assert (first / rel).read_bytes() == (second / rel).read_bytes(), rel
    weights = "unet/diffusion_pytorch_model.safetensors"
    assert (first / weights).read_bytes() != (other / weights).read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b", "c"], "temp build folders left behind"

    index = json.loads((first / "model_index.json").read_text())
    assert index["_class_name"] == "StableDiffusionPipeline"
    assert index["scheduler"] == ["diffusers", "PNDMScheduler"]
    assert index["safety_checker"] == [None, None]


def test_tiny_tokenizer_covers_any_text_and_matches_encoder(tiny_model_dir: Path) -> None:
    from transformers import CLIPTokenizer

    folder = tiny_model_dir / TINY_SD_FOLDER
    tokenizer = CLIPTokenizer.from_pretrained(folder / "tokenizer")
    encoder_config = json.loads((folder / "text_encoder" / "config.json").read_text())

    assert encoder_config["vocab_size"] == len(tokenizer)
    ids = tokenizer("Ein Fuchs im Schnee, Äpfel & 🎨 the end").input_ids
    assert ids[0] == tokenizer.bos_token_id and ids[-1] == tokenizer.eos_token_id
    assert tokenizer.unk_token_id not in ids[1:-1]
    assert tokenizer.decode(ids[1:-1]) == "ein fuchs im schnee , äpfel & 🎨 the end"


@pytest.mark.parametrize(
    "existing",
    [
        pytest.param(None, id="missing"),
        pytest.param("stray", id="stray_folder_without_model"),
    ],
)
def test_ensure_tiny_sd_builds_when_missing(tmp_path: Path, existing: str | None) -> None:
    if existing:
        (tmp_path / TINY_SD_FOLDER).mkdir()
        (tmp_path / TINY_SD_FOLDER / "leftover.txt").write_text("not a model")

    folder = ensure_tiny_sd(tmp_path)

    assert folder == tmp_path / TINY_SD_FOLDER
    assert (folder / "model_index.json").is_file()
    assert not (folder / "leftover.txt").exists()
    assert [p.name for p in tmp_path.iterdir()] == [TINY_SD_FOLDER]


def test_ensure_tiny_sd_keeps_an_existing_model(tmp_path: Path) -> None:
    built = build_tiny_sd(tmp_path / TINY_SD_FOLDER, seed=9)  # not ensure's seed 0: a rebuild would show
    weights = (built / "unet" / "diffusion_pytorch_model.safetensors").read_bytes()

    results: list[Path] = []
    threads = [threading.Thread(target=lambda: results.append(ensure_tiny_sd(tmp_path))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert results == [built, built]
    assert (built / "unet" / "diffusion_pytorch_model.safetensors").read_bytes() == weights


# -- txt2img, seeds, schedulers ------------------------------------------------------------------------


def test_txt2img_result_describes_the_image(generation_backend: DiffusersBackend) -> None:
    result = generation_backend.generate(TINY, request(seed=42, cfg=5.0, negative_prompt="blurry"))

    assert result.image.mode == "RGB" and result.image.size == (64, 64)
    assert (result.mode, result.seed, result.width, result.height, result.steps, result.cfg) == (
        "txt2img", 42, 64, 64, 2, 5.0)
    assert result.scheduler == "PNDM"  # the tiny model's own (SD 1.5's) scheduler
    assert (result.model_id, result.model_source) == ("tiny_sd", "builtin:tiny_sd")
    assert (result.device, result.dtype, result.strength) == ("cpu", "float32", None)
    assert result.duration_ms >= 0
    assert len(result.image.getcolors(64 * 64)) > 1, "a flat image means the pipeline produced nothing"


def test_same_seed_same_pixels_and_different_seeds_differ(generation_backend: DiffusersBackend) -> None:
    first = pixels(generation_backend, seed=123)
    assert pixels(generation_backend, seed=123) == first
    assert pixels(generation_backend, seed=124) != first
    assert pixels(generation_backend, seed=123, prompt="a blue whale") != first


@pytest.mark.parametrize("name", [pytest.param(n, id=n) for n in ("DDIM", "EulerDiscrete", "DPMSolverMultistep")])
def test_scheduler_by_name_is_used_and_reproducible(generation_backend: DiffusersBackend, name: str) -> None:
    result = generation_backend.generate(TINY, request(scheduler=name, seed=5))

    assert result.scheduler == name
    assert pixels(generation_backend, scheduler=name, seed=5) == result.image.tobytes()


def test_schedulers_give_different_images_and_do_not_leak(generation_backend: DiffusersBackend) -> None:
    default = pixels(generation_backend, seed=5)
    ddim = pixels(generation_backend, scheduler="DDIM", seed=5)
    euler = pixels(generation_backend, scheduler="EulerDiscrete", seed=5)

    assert len({default, ddim, euler}) == 3
    assert pixels(generation_backend, seed=5) == default, "a swapped scheduler stayed on the cached pipeline"
    assert generation_backend.generate(TINY, request()).scheduler == "PNDM"


def test_unknown_scheduler_is_a_422_naming_value_and_choices(generation_backend: DiffusersBackend) -> None:
    with pytest.raises(RequestValidationError) as info:
        generation_backend.generate(TINY, request(scheduler="Euler a"))

    assert info.value.status == 422
    assert "'Euler a'" in info.value.message
    assert "DDIM" in info.value.message and "EulerAncestralDiscrete" in info.value.message
    assert info.value.details["value"] == "Euler a"


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        pytest.param(dict(width=500), "width must be a multiple of 8 and at least 64, got 500", id="width_odd"),
        pytest.param(dict(height=60), "height must be a multiple of 8 and at least 64, got 60", id="height_odd"),
        pytest.param(dict(width=56), "width must be a multiple of 8 and at least 64, got 56", id="width_small"),
        pytest.param(dict(steps=0), "steps must be at least 1, got 0", id="zero_steps"),
        pytest.param(dict(strength=0.0), "strength must be in (0, 1], got 0.0", id="zero_strength"),
        pytest.param(dict(strength=1.5), "strength must be in (0, 1], got 1.5", id="strength_above_one"),
        pytest.param(dict(steps=1, strength=0.5, init_image=Image.new("RGB", (64, 64))),
                     "got steps 1 and strength 0.5", id="img2img_no_steps_left"),
    ],
)
def test_bad_requests_are_422_naming_the_value(generation_backend: DiffusersBackend, overrides: dict,
                                               fragment: str) -> None:
    with pytest.raises(RequestValidationError) as info:
        generation_backend.generate(TINY, request(**overrides))

    assert info.value.status == 422
    assert fragment in info.value.message


# -- img2img ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("input_wh", "box_wh", "expected"),
    [
        pytest.param((96, 64), (128, 128), (128, 88), id="landscape"),
        pytest.param((64, 96), (128, 128), (88, 128), id="portrait"),
        pytest.param((300, 200), (512, 768), (768, 512), id="longest_side_from_box"),
        pytest.param((100, 100), (64, 64), (64, 64), id="square_down"),
        pytest.param((96, 64), (64, 64), (64, 64), id="short_side_clamped_to_64"),
        pytest.param((2000, 100), (512, 512), (512, 64), id="panorama_min_64"),
    ],
)
def test_fit_img2img_size(input_wh: tuple[int, int], box_wh: tuple[int, int], expected: tuple[int, int]) -> None:
    assert fit_img2img_size(input_wh, box_wh) == expected


def test_img2img_keeps_aspect_and_is_reproducible(generation_backend: DiffusersBackend) -> None:
    init = gradient(96, 64)
    make = lambda **kw: generation_backend.generate(  # noqa: E731
        TINY, request(init_image=init, width=128, height=128, steps=4, seed=3, **kw))

    result = make(strength=0.5)

    assert result.mode == "img2img"
    assert result.image.size == (128, 88) and (result.width, result.height) == (128, 88)
    assert result.strength == 0.5
    assert make(strength=0.5).image.tobytes() == result.image.tobytes()
    assert make(strength=1.0).image.tobytes() != result.image.tobytes()
    other_input = generation_backend.generate(
        TINY, request(init_image=gradient(96, 64).rotate(180), width=128, height=128, steps=4, seed=3, strength=0.5))
    assert other_input.image.tobytes() != result.image.tobytes()


# -- cache, progress, interrupt ----------------------------------------------------------------------


def test_model_loads_once_across_modes_schedulers_and_threads(tiny_model_dir: Path) -> None:
    backend = DiffusersBackend(device="cpu", models_dir=tiny_model_dir)
    assert backend.load_count() == 0 and backend.loaded_models() == []

    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def first_use() -> None:
        try:
            barrier.wait(timeout=10)
            backend.generate(TINY, request())
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=first_use) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []

    backend.generate(TINY, request(init_image=gradient(64, 64), steps=4))
    backend.generate(TINY, request(scheduler="DDIM"))
    backend.generate(TINY, request(init_image=gradient(64, 64), steps=4, scheduler="EulerDiscrete"))
    backend.warm_up(TINY)

    assert backend.load_count() == 1
    assert backend.loaded_models() == ["tiny_sd:txt2img", "tiny_sd:img2img"]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        pytest.param(dict(steps=4, scheduler="DDIM"), [(1, 4), (2, 4), (3, 4), (4, 4)], id="txt2img_ddim"),
        pytest.param(dict(steps=2), [(1, 3), (2, 3), (3, 3)], id="txt2img_pndm_plms_extra_step"),
        pytest.param(dict(steps=4, scheduler="DDIM", strength=0.5, init_image=Image.new("RGB", (64, 64), "teal")),
                     [(1, 2), (2, 2)], id="img2img_steps_times_strength"),
    ],
)
def test_on_step_reports_every_step_in_order(generation_backend: DiffusersBackend, overrides: dict,
                                             expected: list[tuple[int, int]]) -> None:
    seen: list[tuple[int, int]] = []

    generation_backend.generate(TINY, request(**overrides), on_step=lambda step, total: seen.append((step, total)))

    assert seen == expected


def test_on_step_true_cancels_without_an_image(generation_backend: DiffusersBackend) -> None:
    before = pixels(generation_backend, steps=4, scheduler="DDIM", seed=8)
    seen: list[tuple[int, int]] = []

    def cancel_at_two(step: int, total: int) -> bool:
        seen.append((step, total))
        return step == 2

    with pytest.raises(GenerationCanceledError) as info:
        generation_backend.generate(TINY, request(steps=4, scheduler="DDIM", seed=8), on_step=cancel_at_two)

    assert info.value.status == 409
    assert seen == [(1, 4), (2, 4)], "steps after the cancel must not run"
    assert pixels(generation_backend, steps=4, scheduler="DDIM", seed=8) == before, "the cancel leaked into later runs"


# -- sources and availability ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "allow_downloads", "available", "reason_fragment"),
    [
        pytest.param(TINY, False, True, None, id="builtin"),
        pytest.param(ModelRef(id="m", family="sd", local_dir=TINY_SD_FOLDER), False, True, None, id="local_dir"),
        pytest.param(ModelRef(id="m", family="sd", local_dir="sd15"), False, False, "sd15 not found",
                     id="local_dir_missing"),
        pytest.param(ModelRef(id="m", family="sd", local_dir="."), False, False, "has no model_index.json",
                     id="local_dir_not_a_model"),
        pytest.param(ModelRef(id="m", family="sd", single_file="sd15.safetensors"), False, False,
                     "checkpoint file", id="single_file_missing"),
        pytest.param(ModelRef(id="m", family="sdxl", hub_id="devserver-tests/not-cached"), False, False,
                     "not in the local Hugging Face cache and downloads are disabled", id="hub_not_cached"),
        pytest.param(ModelRef(id="m", family="sdxl", hub_id="devserver-tests/not-cached"), True, True, None,
                     id="hub_downloads_allowed"),
        pytest.param(ModelRef(id="m", family="sd", local_dir="sd15", hub_id="devserver-tests/not-cached"), False,
                     False, "sd15 not found; devserver-tests/not-cached is not in", id="all_reasons_listed"),
        pytest.param(ModelRef(id="m", family="sd"), False, False, "names no model source", id="no_source"),
    ],
)
def test_availability(tiny_model_dir: Path, model: ModelRef, allow_downloads: bool, available: bool,
                      reason_fragment: str | None) -> None:
    backend = DiffusersBackend(device="cpu", models_dir=tiny_model_dir, allow_downloads=allow_downloads)

    ok, reason = backend.availability(model)

    assert ok is available
    if reason_fragment is None:
        assert reason is None
    else:
        assert reason_fragment in reason


def test_import_and_availability_do_not_import_torch(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from devserver.generation.backend import DiffusersBackend, ModelRef\n"
        f"backend = DiffusersBackend(device='cpu', models_dir=Path({str(tmp_path)!r}))\n"
        "print(backend.availability(ModelRef(id='t', family='sd', builtin='tiny_sd')))\n"
        "print(backend.availability(ModelRef(id='h', family='sd', hub_id='devserver-tests/x', local_dir='x')))\n"
        "print(sorted(m for m in ('torch', 'diffusers', 'transformers') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "(True, None)"
    assert lines[1].startswith("(False, ")
    assert lines[2] == "[]"


def test_local_dir_loads_the_same_weights(generation_backend: DiffusersBackend, tiny_model_dir: Path) -> None:
    local = ModelRef(id="tiny_local", family="sd", local_dir=str(tiny_model_dir / TINY_SD_FOLDER))

    result = generation_backend.generate(local, request(seed=77))

    assert result.model_source == f"models/{TINY_SD_FOLDER}"  # never an absolute server path
    assert result.image.tobytes() == pixels(generation_backend, seed=77)


def test_unavailable_model_is_a_409_with_the_reason(generation_backend: DiffusersBackend) -> None:
    with pytest.raises(OutputConfigUnavailableError) as info:
        generation_backend.generate(ModelRef(id="sd15", family="sd", local_dir="sd15"), request())

    assert info.value.status == 409
    assert "sd15 not found" in info.value.message


def test_unreadable_weights_are_a_409(generation_backend: DiffusersBackend, tiny_model_dir: Path,
                                      tmp_path: Path) -> None:
    broken = shutil.copytree(tiny_model_dir / TINY_SD_FOLDER, tmp_path / "broken")
    weights = broken / "unet" / "diffusion_pytorch_model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])

    with pytest.raises(OutputConfigUnavailableError) as info:
        generation_backend.warm_up(ModelRef(id="broken", family="sd", local_dir=str(broken)))

    assert "Model 'broken' could not be loaded" in info.value.message
    assert not [key for key in generation_backend.loaded_models() if key.startswith("broken:")]


def test_pipeline_failure_is_a_generation_error(generation_backend: DiffusersBackend, tiny_model_dir: Path) -> None:
    # An SD 1.5 folder loaded as SDXL has no second text encoder: diffusers fails inside the call.
    wrong_family = ModelRef(id="tiny_as_sdxl", family="sdxl", local_dir=str(tiny_model_dir / TINY_SD_FOLDER))

    with pytest.raises(GenerationError) as info:
        generation_backend.generate(wrong_family, request())

    assert info.value.status == 500
    assert info.value.message == "Model 'tiny_as_sdxl' failed to generate the image."  # no exception text
    assert info.value.details["exception_type"]
