"""Benchmark (issue 10): the enhanced generation, each figure a ratio against a baseline measured in the same run.

Run from the repository root: ``python -m bench.bench_enhanced [--rounds N]``. In this process, with the real
DiffusersBackend and the tiny models (``build-tiny --all`` into a temp folder), it measures the two sides of each
pair in ABBA order so background load hits both alike (medians of ``--rounds``, default 5):

1. LoRA switch vs base reload: switching the active LoRA of the loaded base (two adapters alternately: the
   ``set_adapters`` / ``disable_lora`` every run does; the adapters were loaded once) against reading the base from
   disk again (unload, then ``from_pretrained``). Target: a switch costs well under a reload (switch / reload < 0.5).
   Also both followed by one 64 px, 2-step image (reported).
2. refiner split vs base alone: tiny-sdxl-fast at 256 px, 20 steps, base 80 % + refiner 20 % (ensemble) against
   the base alone for all 20 steps. Reported, no target (FEASIBILITY a measured 0.9-1.2x).
3. spandrel tiled x4 upscale of a 512 px image (the Compact x4 tiny upscaler, 256 px tiles) vs Pillow's Lanczos x4.
   Reported: the model pass costs what its convolutions cost; Lanczos is the floor (FEASIBILITY e3).
4. batch of 4 vs 4 single runs: ``batch_size=4`` (made one by one, so each image equals its single run) against
   four requests of one image each, and a diffusers batched call (``num_images_per_prompt=4``) for reference.
   Target: the batch costs no more than the singles (ratio <= 1.10).

Exit status 0 unless something fails; a missed target prints "TARGET MISSED".
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

TARGET_SWITCH_VS_RELOAD = 0.5
TARGET_BATCH_VS_SINGLES = 1.10


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def _alternate(rounds: int, first: Callable[[int], None], second: Callable[[int], None]) -> tuple[float, float]:
    """Median milliseconds of `first` and `second`, `rounds` times each after one warm-up each, in ABBA order (so
    neither side always runs right after the other)."""
    first(-1)
    second(-1)
    times: dict[int, list[float]] = {0: [], 1: []}
    for index in range(rounds):
        for side in ((0, 1) if index % 2 == 0 else (1, 0)):
            started = time.perf_counter()
            (first, second)[side](index)
            times[side].append(time.perf_counter() - started)
    return _median_ms(times[0]), _median_ms(times[1])


def _report(name: str, label_a: str, a_ms: float, label_b: str, b_ms: float, target: float | None) -> bool:
    ratio = a_ms / b_ms
    verdict = ""
    if target is not None:
        verdict = "  (target <= {:.2f}: {})".format(target, "met" if ratio <= target else "TARGET MISSED")
    print(f"{name}: {label_a} {a_ms:.0f} ms, {label_b} {b_ms:.0f} ms, ratio {ratio:.2f}{verdict}")
    return target is None or ratio <= target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="measured rounds per pair (median)")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    import torch
    from PIL import Image

    from devserver.generation.addons import LoraRef, RefinerRef, UpscaleStep
    from devserver.generation.backend import DiffusersBackend, GenerationRequest, ModelRef
    from devserver.generation.loras import applied_loras
    from devserver.generation.tiny_models import build_all_tiny
    from devserver.generation.upscale import lanczos, upscale
    from devserver.models.registry import ModelRegistry
    from devserver.models.service import ModelService
    from devserver.models.store import ModelStore
    from devserver.pipeline.loader import SchemaRegistry
    from devserver.settings import PROJECT_ROOT

    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    ok = True
    with tempfile.TemporaryDirectory(prefix="bench-enhanced-") as tmp:
        models = Path(tmp) / "models"
        build_all_tiny(models)
        backend = DiffusersBackend(device="cpu", models_dir=models)
        schemas = SchemaRegistry.load(PROJECT_ROOT / "schemas")
        backend.catalog = ModelService(registry=ModelRegistry(models, schemas.output_configs),
                                       store=ModelStore(Path(tmp) / "models.sqlite3"), backend=backend)
        sd = ModelRef(id="tiny_sd", family="sd", builtin="tiny_sd")
        xl = ModelRef(id="tiny-sdxl-fast", family="sdxl", local_dir="tiny-sdxl-fast")
        small = dict(prompt="a red fox", width=64, height=64, steps=2, seed=1)

        # 1. LoRA switch vs base reload: the switch itself (adapters loaded once, then set_adapters / disable_lora,
        #    as every run does) vs reading the base from disk again; then both with one small image
        loras = ["loras:tiny-lora.safetensors", "loras:tiny-lora-b.safetensors"]
        for lora in loras:
            backend.generate(sd, GenerationRequest(**small, loras=(LoraRef(lora, 0.8),)))
        key = backend.cache_key(sd)
        assert key is not None
        states = {lora: backend.cache.get(str(models / "loras" / lora.split(":", 1)[1])).obj for lora in loras}

        def switch(index: int) -> None:
            lora = loras[index % 2]
            with applied_loras(backend.cache.get(key).obj, [(lora, states[lora], 0.8)]):
                pass

        def reload(index: int) -> None:
            backend.unload(key)
            backend.warm_up(sd)

        switch_ms, reload_ms = _alternate(args.rounds, switch, reload)
        ok &= _report("LoRA switch vs base reload", "switch", switch_ms, "reload", reload_ms, TARGET_SWITCH_VS_RELOAD)

        def switch_image(index: int) -> None:
            backend.generate(sd, GenerationRequest(**small, loras=(LoraRef(loras[index % 2], 0.8),)))

        def reload_image(index: int) -> None:
            backend.unload(key)
            backend.generate(sd, GenerationRequest(**small))

        with_image, reload_with_image = _alternate(args.rounds, switch_image, reload_image)
        _report("  the same with one 64 px, 2-step image each", "switch + image", with_image, "reload + image",
                reload_with_image, None)

        # 2. refiner split vs base alone
        big = dict(prompt="a red fox", width=256, height=256, steps=20, seed=1)
        split_ms, alone_ms = _alternate(
            args.rounds,
            lambda _: backend.generate(xl, GenerationRequest(**big, refiner=RefinerRef("tiny-sdxl-refiner"))),
            lambda _: backend.generate(xl, GenerationRequest(**big)))
        _report("refiner split (80/20) vs base alone, 256 px / 20 steps", "split", split_ms, "alone", alone_ms, None)

        # 3. spandrel tiled x4 of 512 px vs Lanczos x4
        image = Image.effect_noise((512, 512), 64).convert("RGB")
        backend.upscale(image.resize((64, 64)), UpscaleStep("upscalers:tiny-upscaler-x4.safetensors", 4))  # load it
        key = str(models / "upscalers/tiny-upscaler-x4.safetensors")
        descriptor = backend.cache.get(key).obj
        spandrel_ms, lanczos_ms = _alternate(args.rounds, lambda _: upscale(image, 4, descriptor),
                                             lambda _: lanczos(image, (2048, 2048)))
        _report("x4 upscale of 512 px: spandrel tiled vs Lanczos", "spandrel", spandrel_ms, "Lanczos", lanczos_ms,
                None)

        # 4. batch of 4 vs 4 single runs (and a diffusers batched call for reference)
        four = dict(prompt="a red fox", width=128, height=128, steps=8, seed=100)

        def singles(_: int) -> None:
            for index in range(4):
                backend.generate(sd, GenerationRequest(**{**four, "seed": 100 + index}))

        batch_ms, singles_ms = _alternate(args.rounds, lambda _: backend.generate(
            sd, GenerationRequest(**four, batch_size=4)), singles)
        ok &= _report("batch of 4 vs 4 single runs, 128 px / 8 steps", "batch", batch_ms, "4 singles", singles_ms,
                      TARGET_BATCH_VS_SINGLES)
        pipe = backend.cache.get(backend.cache_key(sd)).obj

        def batched(_: int) -> None:
            with torch.inference_mode():
                pipe("a red fox", width=128, height=128, num_inference_steps=8, num_images_per_prompt=4,
                     generator=[torch.Generator("cpu").manual_seed(100 + i) for i in range(4)])

        diffusers_ms, _ = _alternate(args.rounds, batched, lambda _: None)
        print(f"  for reference, one diffusers batched call (num_images_per_prompt=4, within 1 level of the singles, "
              f"FEASIBILITY h): {diffusers_ms:.0f} ms, ratio to 4 singles {diffusers_ms / singles_ms:.2f}")
    if not ok:
        print("TARGET MISSED (see above)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
