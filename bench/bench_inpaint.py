"""Benchmark: inpainting vs. img2img of the same size, steps and strength, and what the compositing costs.

Run from the repository root (``make bench`` or ``python -m bench.bench_inpaint``). It

1. builds the tiny offline models (tiny-sd, and the other families with ``--family``) into a temp folder,
2. loads one :class:`~devserver.generation.backend.DiffusersBackend` (the server's stage 4, in this process),
3. after W warm-up calls of each, alternates N times: one img2img (the baseline) and one inpainting of the same
   photo, size, steps, strength and seed (a centred mask of a quarter of the picture, ``mask_blur`` 4),
4. times inside the inpainting calls what devserver adds to diffusers' own inpainting: preparing the mask
   (resize, binarise, feather: :func:`devserver.generation.inpaint.prepare_mask`) and compositing the result over
   the photo (:func:`devserver.generation.inpaint.composite`),
5. prints the medians, the ratio inpainting / img2img (target <= 1.5: diffusers' inpainting pipeline encodes the
   masked photo and blends latents every step) and the mask work's share of the inpainting call (target <= 5 %).

The two never run at the same time and alternate, so background load hits both alike. Exit status 0 unless the
benchmark itself fails; a missed target prints "TARGET MISSED".
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

TARGET_RATIO = 1.5
TARGET_SHARE = 0.05
FAMILIES = {"sd": ("tiny_sd", None), "sdxl": ("tiny_sdxl", "tiny-sdxl"), "sd3": ("tiny_sd3", "tiny-sd3"),
            "flux": ("tiny_flux", "tiny-flux")}
"""Family -> (output config id, folder under the models dir; None: the built-in tiny-sd)."""


def photo(size: int) -> Any:
    """A photo-like test input: smooth gradients with some texture (PIL RGB, size x size)."""
    import numpy as np
    from PIL import Image

    y, x = np.mgrid[0:size, 0:size] / size
    rgb = np.stack([x, y, 0.5 + 0.3 * np.sin(12 * x * y)], axis=-1)
    noise = np.random.RandomState(0).rand(size, size, 3) * 0.08
    return Image.fromarray((np.clip(rgb + noise, 0, 1) * 255).astype(np.uint8))


def centre_mask(size: int) -> Any:
    """White (repaint) in the middle quarter, black elsewhere."""
    from PIL import Image

    mask = Image.new("L", (size, size), 0)
    mask.paste(255, (size // 4, size // 4, 3 * size // 4, 3 * size // 4))
    return mask


class MaskTimer:
    """Wraps devserver.generation.inpaint's prepare_mask and composite to add up the seconds spent in them."""

    def __init__(self) -> None:
        from devserver.generation import inpaint

        self.module = inpaint
        self.originals = {name: getattr(inpaint, name) for name in ("prepare_mask", "composite")}
        self.seconds = 0.0

    def _timed(self, func: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started
        return wrapper

    def __enter__(self) -> MaskTimer:
        self.seconds = 0.0
        for name, func in self.originals.items():
            setattr(self.module, name, self._timed(func))
        return self

    def __exit__(self, *exc: object) -> None:
        for name, func in self.originals.items():
            setattr(self.module, name, func)


def main() -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=6, help="timed runs per side (default 6)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed warm-up runs per side (default 2)")
    parser.add_argument("--size", type=int, default=256, help="width = height in pixels (default 256)")
    parser.add_argument("--steps", type=int, default=20, help="denoising steps (default 20)")
    parser.add_argument("--strength", type=float, default=0.75, help="strength of both (default 0.75)")
    parser.add_argument("--family", choices=sorted(FAMILIES), default="sd", help="model family (default sd)")
    parser.add_argument("--scheduler", default="DDIM",
                        help="scheduler of both (default DDIM: one UNet call per step; 'none': the model's own)")
    args = parser.parse_args()

    from devserver.generation.backend import DiffusersBackend, GenerationRequest, ModelRef
    from devserver.generation.tiny import ensure_tiny_sd
    from devserver.generation.tiny_models import build_all_tiny

    models_dir = Path(tempfile.mkdtemp(prefix="bench-inpaint-"))
    config_id, folder = FAMILIES[args.family]
    if folder is None:
        ensure_tiny_sd(models_dir)
        model = ModelRef(id=config_id, family="sd", builtin="tiny_sd")
    else:
        build_all_tiny(models_dir)
        model = ModelRef(id=config_id, family=args.family, local_dir=folder)
    backend = DiffusersBackend(device="cpu", models_dir=models_dir, threads=os.cpu_count())
    scheduler = None if args.scheduler.lower() == "none" or args.family in ("sd3", "flux") else args.scheduler
    base = dict(prompt="a red kite over a field", width=args.size, height=args.size, steps=args.steps,
                cfg=7.5, seed=11, strength=args.strength, init_image=photo(args.size), scheduler=scheduler)
    img2img = GenerationRequest(**base)
    inpainting = GenerationRequest(**base, mask_image=centre_mask(args.size), mask_blur=4)

    ran: dict[str, int | None] = {}

    def run(request: GenerationRequest) -> tuple[float, float]:
        with MaskTimer() as timer:
            started = time.perf_counter()
            result = backend.generate(model, request)
            total = time.perf_counter() - started
        assert result.image.size == (args.size, args.size)
        ran[result.mode] = result.total_steps
        return total, timer.seconds

    for _ in range(args.warmup):
        run(img2img)
        run(inpainting)
    base_s: list[float] = []
    inpaint_s: list[float] = []
    mask_s: list[float] = []
    for _ in range(args.runs):
        base_s.append(run(img2img)[0])
        total, masking = run(inpainting)
        inpaint_s.append(total)
        mask_s.append(masking)

    b, i, m = (statistics.median(values) for values in (base_s, inpaint_s, mask_s))
    ratio, share = i / b, m / i
    load = os.getloadavg()[0]
    print(f"inpainting vs img2img, {config_id}, {args.size}x{args.size}, {args.steps} steps ({ran['img2img']} and "
          f"{ran['inpaint']} denoising steps ran), strength {args.strength}, scheduler {scheduler or 'own'}, median "
          f"of {args.runs} (warm-up {args.warmup}), {os.cpu_count()} threads, load average {load:.1f}")
    print(f"  img2img (baseline):  {b * 1000:8.1f} ms")
    print(f"  inpainting:          {i * 1000:8.1f} ms   ratio inpainting / img2img: {ratio:.2f} "
          f"(target <= {TARGET_RATIO})" + ("" if ratio <= TARGET_RATIO else "   TARGET MISSED"))
    print(f"  mask + compositing:  {m * 1000:8.1f} ms   share of the inpainting call: {share * 100:.2f} % "
          f"(target <= {TARGET_SHARE * 100:.0f} %)" + ("" if share <= TARGET_SHARE else "   TARGET MISSED"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
