"""Benchmark (b): normalising a 24-megapixel JPEG upload, devserver vs. naive Pillow.

Run from the repository root (``make bench``, ``python -m bench.bench_upload`` or
``python bench/bench_upload.py``). It

1. generates a 6000x4000 JPEG (quality 90) in memory with photo-like content: gradients, shapes
   and sensor-like noise, so the entropy-coded data is as heavy as a camera's;
2. times, best of N (``time.perf_counter``), ``normalize_image`` down to 1024 px (DCT-scaled
   decode via ``Image.draft`` + Lanczos) and the naive way: full decode, ``convert("RGB")``,
   ``resize`` with LANCZOS to the same size;
3. prints both times, the speed-up and the mean pixel difference between the two results.
   Target: speed-up >= 3.

Exit status 1 when the two output sizes differ (a wrong result); a missed target only prints
"TARGET MISSED".
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from PIL import Image, ImageChops, ImageDraw, ImageStat

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from devserver.storage.uploads import normalize_image  # noqa: E402

PHOTO_SIZE = (6000, 4000)
JPEG_QUALITY = 90
MAX_SIDE_PX = 1024
MAX_PIXELS = 90_000_000
TARGET_SPEEDUP = 3.0

T = TypeVar("T")


def make_photo_jpeg(size: tuple[int, int] = PHOTO_SIZE, quality: int = JPEG_QUALITY) -> bytes:
    """A photo-like JPEG of `size` (width, height): three gradients as colour channels, a row of
    coloured ellipses, and Gaussian noise (sigma 12) on every channel, as a camera sensor leaves."""
    width, height = size
    horizontal = Image.linear_gradient("L").rotate(90).resize(size)
    vertical = Image.linear_gradient("L").resize(size)
    radial = Image.radial_gradient("L").resize(size)
    image = Image.merge("RGB", (horizontal, radial, vertical))
    draw = ImageDraw.Draw(image)
    for index in range(12):
        left, top = index * width // 12, (index % 3) * height // 4
        draw.ellipse((left, top, left + width // 6, top + height // 3),
                     fill=(index * 40 % 256, index * 90 % 256, index * 150 % 256))
    noise = Image.effect_noise(size, 12)
    image = ImageChops.add(image, Image.merge("RGB", (noise, noise, noise)), offset=-128)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def normalize_naive(data: bytes) -> Image.Image:
    """The straightforward way: decode every pixel, convert to RGB, Lanczos-resize the longest side to
    MAX_SIDE_PX (sizes rounded to the nearest pixel, aspect kept)."""
    with Image.open(io.BytesIO(data)) as image:
        rgb = image.convert("RGB")
    scale = MAX_SIDE_PX / max(rgb.size)
    target = (round(rgb.width * scale), round(rgb.height * scale))
    return rgb.resize(target, Image.Resampling.LANCZOS)


def normalize_ours(data: bytes) -> Image.Image:
    """devserver's upload normalisation (what ``POST /api/media/upload/image`` runs before encoding)."""
    image, _, _ = normalize_image(data, max_side_px=MAX_SIDE_PX, max_pixels=MAX_PIXELS)
    return image


def best_of(function: Callable[[], T], repeat: int) -> tuple[float, T]:
    """(fastest of `repeat` calls in seconds, result of the last call)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; returns the exit status (1 only when the output sizes differ)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per variant; the best counts (>= 3)")
    args = parser.parse_args(argv)
    if args.repeat < 3:
        parser.error(f"--repeat must be at least 3, got {args.repeat}")

    start = time.perf_counter()
    data = make_photo_jpeg()
    print(f"input: {PHOTO_SIZE[0]}x{PHOTO_SIZE[1]} JPEG, quality {JPEG_QUALITY}, {len(data) / 1e6:.1f} MB "
          f"(generated in {time.perf_counter() - start:.1f} s); best of {args.repeat}")

    naive_s, naive = best_of(lambda: normalize_naive(data), args.repeat)
    ours_s, ours = best_of(lambda: normalize_ours(data), args.repeat)
    speedup = naive_s / ours_s
    print(f"naive Pillow (full decode + convert + LANCZOS): {naive_s * 1000:7.1f} ms -> {naive.size}")
    print(f"normalize_image (draft + LANCZOS):              {ours_s * 1000:7.1f} ms -> {ours.size}")
    print(f"speed-up: {speedup:.2f}x (target >= {TARGET_SPEEDUP:.0f}x)")

    if ours.size != naive.size:
        print(f"WRONG OUTPUT SIZE: normalize_image gave {ours.size}, naive Pillow {naive.size}")
        return 1
    difference = ImageStat.Stat(ImageChops.difference(ours, naive)).mean
    print("mean absolute pixel difference (R, G, B): " + ", ".join(f"{value:.2f}" for value in difference))
    if speedup < TARGET_SPEEDUP:
        print("TARGET MISSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
