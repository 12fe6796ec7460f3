"""Benchmark (a): warm ``POST /api/schema/pipeline/generation`` over HTTP vs. the same diffusers call made directly.

Run from the repository root (``make bench`` or ``python -m bench.bench_generation``). It

1. builds the tiny offline model into a temp folder,
2. starts the real server (``devserver serve``, waitress) in a subprocess on a free 127.0.0.1 port,
3. loads the same model directly in this process (``StableDiffusionPipeline.from_pretrained``),
4. after W warm-up calls on each side, alternates N times: one HTTP generation (256x256, 20 steps),
   then the same diffusers call made directly (``pipe(...)`` with a CPU ``torch.Generator``, same seed),
5. prints the medians and the ratio HTTP / direct. Target: ratio <= 1.10.

The two sides never run at the same time; alternating them means any background load on the machine
hits both alike. Exit status 0 unless the benchmark itself fails; a missed target prints "TARGET MISSED".
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import requests

from bench._server import running_server

os.environ.setdefault("HF_HUB_OFFLINE", "1")

TARGET_RATIO = 1.10


PROMPT = "a red circle above a blue square"


def time_http(session: requests.Session, url: str, seed: int, size: int, steps: int) -> float:
    """Seconds for one POST /api/schema/pipeline/generation (stages 3b, 3c, 4, PNG, run folder, HTTP)."""
    start = time.perf_counter()
    res = session.post(f"{url}/api/schema/pipeline/generation", timeout=300, json={
        "prompt": PROMPT, "seed": seed, "language": "en",
        "parameters": {"width": size, "height": size, "steps": steps, "cfg": 7.5}})
    elapsed = time.perf_counter() - start
    res.raise_for_status()
    return elapsed


def load_direct(model_dir: Path):  # type: ignore[no-untyped-def]
    """The tiny model loaded with plain diffusers, as a script would."""
    from diffusers import StableDiffusionPipeline

    pipe = StableDiffusionPipeline.from_pretrained(model_dir, safety_checker=None, requires_safety_checker=False)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def time_direct(pipe, seed: int, size: int, steps: int) -> float:  # type: ignore[no-untyped-def]
    """Seconds for the same diffusers call made directly (same prompt, size, steps, guidance, seed)."""
    import torch

    start = time.perf_counter()
    with torch.inference_mode():
        pipe(PROMPT, width=size, height=size, num_inference_steps=steps, guidance_scale=7.5,
             generator=torch.Generator("cpu").manual_seed(seed))
    return time.perf_counter() - start


def main() -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8, help="timed runs per side (default 8)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed warm-up runs per side (default 2)")
    parser.add_argument("--size", type=int, default=256, help="width = height in pixels (default 256)")
    parser.add_argument("--steps", type=int, default=20, help="denoising steps (default 20)")
    args = parser.parse_args()

    http: list[float] = []
    direct: list[float] = []
    with running_server() as server, requests.Session() as session:
        pipe = load_direct(server.models_dir / "tiny-sd")
        for seed in range(args.warmup):
            time_http(session, server.url, seed, args.size, args.steps)
            time_direct(pipe, seed, args.size, args.steps)
        for seed in range(1000, 1000 + args.runs):
            http.append(time_http(session, server.url, seed, args.size, args.steps))
            direct.append(time_direct(pipe, seed, args.size, args.steps))

    http_med, direct_med = statistics.median(http), statistics.median(direct)
    ratio = http_med / direct_med
    print(f"generation {args.size}x{args.size}, {args.steps} steps, tiny model, {args.runs} runs after "
          f"{args.warmup} warm-up")
    print(f"  direct diffusers call   median {direct_med * 1000:8.1f} ms  (min {min(direct) * 1000:.1f})")
    print(f"  POST over HTTP (stages) median {http_med * 1000:8.1f} ms  (min {min(http) * 1000:.1f})")
    print(f"  ratio HTTP / direct     {ratio:.3f}  (target <= {TARGET_RATIO:.2f})"
          + ("" if ratio <= TARGET_RATIO else "  TARGET MISSED"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
