"""Benchmark and optimize routines on a loaded model (FEASIBILITY i4's benchmark routine).

Per configuration: warm-up runs, then timed runs; seconds per image is the median run time divided by the
batch size; it/s comes from the step-callback timestamps (excluding text encoding and VAE decode); peak memory
is sampled during the runs (CPU: growth of the process RSS over the value before the run; GPU:
``torch.cuda.max_memory_allocated`` after ``reset_peak_memory_stats``). All runs use CPU generators seeded from 0,
so an optimize run compares images made from the same noise.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from devserver.errors import GenerationCanceledError
from devserver.generation.cache import rss_bytes

Progress = Callable[[int], None]
"""Called with the number of units (diffusion steps or upscaler runs) finished so far."""
ShouldStop = Callable[[], bool]


@contextmanager
def peak_memory(device: str, enabled: bool = True):  # type: ignore[no-untyped-def]
    """Measure peak memory over the block: yields a dict whose ``peak`` holds bytes afterwards."""
    result = {"peak": 0}
    if not enabled:
        yield result
        return
    if device.startswith("cuda"):
        import torch

        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        yield result
        result["peak"] = max(0, torch.cuda.max_memory_allocated() - base)
        return
    base, stop, peak = rss_bytes(), threading.Event(), [0]

    def sample() -> None:
        while not stop.wait(0.005):
            peak[0] = max(peak[0], rss_bytes())

    thread = threading.Thread(target=sample, name="devserver-memory-sampler", daemon=True)
    thread.start()
    try:
        yield result
    finally:
        stop.set()
        thread.join()
        result["peak"] = max(0, max(peak[0], rss_bytes()) - base)


@dataclass
class PipelineRun:
    """The result of one measured pipeline call."""

    seconds: float
    step_seconds: float | None
    images: list[Any]


def run_pipeline(pipe: Any, *, width: int, height: int, steps: int, batch: int, seed: int,
                 on_step: Callable[[], None] | None = None, should_stop: ShouldStop | None = None) -> PipelineRun:
    """One txt2img call with fixed inputs (prompt, seed) and timing.

    Raises:
        GenerationCanceledError (409): `should_stop` returned True at a step.
    """
    import torch

    stamps: list[float] = []
    stopped = threading.Event()

    def step_end(p: Any, step_index: int, timestep: Any, kwargs: dict) -> dict:
        stamps.append(time.perf_counter())
        if on_step is not None:
            on_step()
        if should_stop is not None and should_stop():
            p._interrupt = True
            stopped.set()
        return kwargs

    generators = [torch.Generator("cpu").manual_seed(seed + i) for i in range(batch)]
    started = time.perf_counter()
    with torch.inference_mode():
        output = pipe(prompt="a quiet lake at dawn, benchmark", height=height, width=width, num_inference_steps=steps,
                      num_images_per_prompt=batch, generator=generators, callback_on_step_end=step_end)
    seconds = time.perf_counter() - started
    if stopped.is_set():
        raise GenerationCanceledError("The model job was canceled.")
    step_seconds = (stamps[-1] - stamps[0]) / (len(stamps) - 1) if len(stamps) > 1 else None
    return PipelineRun(seconds, step_seconds, list(output.images))


def run_upscaler(descriptor: Any, *, width: int, height: int, batch: int, seed: int) -> PipelineRun:
    """One upscaler call on a fixed random image batch (B, 3, H, W) in [0, 1]."""
    import torch

    generator = torch.Generator("cpu").manual_seed(seed)
    image = torch.rand((batch, 3, height, width), generator=generator)
    started = time.perf_counter()
    with torch.inference_mode():
        descriptor(image)
    return PipelineRun(time.perf_counter() - started, None, [])


def benchmark(obj: Any, kind: str, *, device: str, resolutions: list[tuple[int, int]], batch_sizes: list[int],
              steps: int, warmup: int, runs: int, track_memory: bool, progress: Progress,
              should_stop: ShouldStop) -> list[dict[str, Any]]:
    """Measure every (resolution, batch size) configuration.

    Args:
        obj: a txt2img pipeline (kind ``pipeline``) or a spandrel descriptor (kind ``upscaler``).
        progress: called with units done (diffusion steps for pipelines, runs for upscalers).
        should_stop: checked at every step/run; True stops with GenerationCanceledError.
    Returns:
        one dict per configuration (BenchmarkResult fields).
    """
    done = 0
    results = []

    def tick() -> None:
        nonlocal done
        done += 1
        progress(done)

    for width, height in resolutions:
        for batch in batch_sizes:
            timings: list[PipelineRun] = []
            with peak_memory(device, track_memory) as memory:
                for index in range(warmup + runs):
                    if should_stop():
                        raise GenerationCanceledError("The model job was canceled.")
                    if kind == "upscaler":
                        run = run_upscaler(obj, width=width, height=height, batch=batch, seed=index)
                        tick()
                    else:
                        run = run_pipeline(obj, width=width, height=height, steps=steps, batch=batch, seed=index,
                                           on_step=tick, should_stop=should_stop)
                    if index >= warmup:
                        timings.append(run)
            seconds = statistics.median(r.seconds for r in timings)
            steps_s = [r.step_seconds for r in timings if r.step_seconds]
            results.append({
                "resolution": f"{width}x{height}", "batch_size": batch,
                "inference_steps": steps if kind != "upscaler" else 0,
                "s_per_image": round(seconds / batch, 6),
                "it_per_s": round(1 / statistics.median(steps_s), 3) if steps_s else None,
                "peak_memory_bytes": memory["peak"] if track_memory else None, "runs": len(timings)})
    return results


def callbacks_per_run(obj: Any, kind: str, steps: int) -> int:
    """Step callbacks one run makes: the scheduler's timestep count for `steps` (PNDM runs steps + 1), 1 for an
    upscaler run."""
    if kind == "upscaler":
        return 1
    scheduler = type(obj.scheduler).from_config(obj.scheduler.config)
    scheduler.set_timesteps(steps)
    return len(scheduler.timesteps)


def image_difference(first: list[Any], second: list[Any]) -> tuple[int, float]:
    """Largest and mean absolute per-pixel difference (0-255 levels) between two lists of PIL images."""
    import numpy as np

    worst, means = 0, []
    for a, b in zip(first, second, strict=True):
        diff = np.abs(np.asarray(a, dtype=np.int16) - np.asarray(b, dtype=np.int16))
        worst = max(worst, int(diff.max()))
        means.append(float(diff.mean()))
    return worst, (sum(means) / len(means) if means else 0.0)
