"""Benchmark: scale-out with the Celery backend (issue 12).

Run from the repository root (``make bench`` or ``python -m bench.bench_celery``). It starts a private
``redis-server`` on a free port, builds the tiny offline model, and starts the real processes:
``devserver serve`` with ``DEVSERVER_QUEUE_BACKEND=celery`` (the web node) and ``devserver worker --celery``
GPU workers (here CPU workers, ``DEVSERVER_TORCH_THREADS=1`` each, ``--concurrency 1``).

1. Throughput: N runs queued at once (``"async": true``, 256x256, 12 steps) with one worker, then the same N
   with two workers; prints both wall times and the ratio (target >= 1.6 on 2 cores).
2. Per-job overhead: sequential synchronous ``POST /api/schema/pipeline/generation`` at 64x64, 2 steps on the
   Celery web node (one worker) and on an embedded server (``devserver serve``, torch threads 1), alternated
   so that background load hits both alike; prints the medians, the difference and the ratio Celery / embedded.

Exit status 0 unless the benchmark itself fails; a missed target prints "TARGET MISSED".
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import requests

from bench._server import ROOT, free_port, wait_for_health

os.environ.setdefault("HF_HUB_OFFLINE", "1")

TARGET_SPEEDUP = 1.6
THROUGHPUT = {"width": 256, "height": 256, "steps": 12, "scheduler": "DDIM"}
OVERHEAD = {"width": 64, "height": 64, "steps": 2, "scheduler": "DDIM"}


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """A process whose output goes to `log`; stopped by the caller."""
    with open(log, "w") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def wait_for_workers(url: str, count: int, timeout_s: float = 180.0) -> None:
    """Wait until GET /api/queue lists `count` workers with a live heartbeat."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if len(requests.get(f"{url}/api/queue", timeout=10).json().get("workers", [])) >= count:
            return
        time.sleep(0.2)
    raise TimeoutError(f"{count} workers did not show up within {timeout_s} s")


def generate(url: str, parameters: dict, seed: int, *, wait: bool) -> dict:
    res = requests.post(f"{url}/api/schema/pipeline/generation", timeout=300, json={
        "prompt": f"bench {seed}", "language": "en", "seed": seed, "parameters": parameters, "async": not wait})
    res.raise_for_status()
    return res.json()


def until_done(url: str, run_id: str) -> None:
    """Read the run's SSE stream until it ends (replays at once when the run already finished)."""
    with requests.get(f"{url}/api/runs/{run_id}/events", stream=True, timeout=300) as res:
        for line in res.iter_lines(decode_unicode=True):
            if line.startswith("event: ") and line[7:] in ("complete", "error", "canceled", "blocked"):
                if line[7:] != "complete":
                    raise RuntimeError(f"run {run_id} ended {line[7:]}")
                return


def batch_seconds(url: str, runs: int, seed0: int) -> float:
    """Wall time of `runs` queued generations, from the first submission to the last completion."""
    started = time.perf_counter()
    run_ids = [generate(url, THROUGHPUT, seed0 + i, wait=False)["run_id"] for i in range(runs)]
    for run_id in run_ids:
        until_done(url, run_id)
    return time.perf_counter() - started


def sync_ms(url: str, seed: int) -> float:
    started = time.perf_counter()
    generate(url, OVERHEAD, seed, wait=True)
    return (time.perf_counter() - started) * 1000


def main() -> int:
    """Run both benchmarks and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=16, help="queued runs per throughput batch (default 16)")
    parser.add_argument("--calls", type=int, default=20, help="synchronous calls per side for the overhead (20)")
    args = parser.parse_args()
    redis_server = shutil.which("redis-server")
    if redis_server is None:
        print("redis-server is not installed (make redis)", file=sys.stderr)
        return 1
    from devserver.generation.tiny import build_tiny_sd

    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        folder = Path(tmp)
        build_tiny_sd(folder / "models" / "tiny-sd")
        redis_port = free_port()
        redis_proc = start([redis_server, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                            "--appendonly", "no"], dict(os.environ), folder / "redis.log")
        stack.callback(stop, redis_proc)
        base = {k: v for k, v in os.environ.items() if not k.startswith("DEVSERVER_")}
        base.update(DEVSERVER_MODELS_DIR=str(folder / "models"), DEVSERVER_DEVICE="cpu", DEVSERVER_TORCH_THREADS="1",
                    DEVSERVER_BROKER_URL=f"redis://127.0.0.1:{redis_port}/0", HF_HUB_OFFLINE="1")
        web_env = dict(base, DEVSERVER_QUEUE_BACKEND="celery", DEVSERVER_EXPORTS_DIR=str(folder / "web"),
                       DEVSERVER_PORT=str(free_port()))
        embedded_env = dict(base, DEVSERVER_EXPORTS_DIR=str(folder / "embedded"), DEVSERVER_PORT=str(free_port()))
        web = start([sys.executable, "-m", "devserver", "serve"], web_env, folder / "web.log")
        stack.callback(stop, web)
        web_url = f"http://127.0.0.1:{web_env['DEVSERVER_PORT']}"
        wait_for_health(web_url, web)
        workers = []
        for name in ("w1", "w2"):
            worker_env = dict(base, DEVSERVER_EXPORTS_DIR=str(folder / name))
            workers.append(start([sys.executable, "-m", "devserver", "worker", "--celery", "--name", name,
                                  "--models", "tiny_sd", "--concurrency", "1"], worker_env, folder / f"{name}.log"))
            stack.callback(stop, workers[-1])
            if name == "w1":
                wait_for_workers(web_url, 1)
                batch_seconds(web_url, 2, 0)  # warm-up: imports and model load in the worker
                one = batch_seconds(web_url, args.runs, 1000)
                # overhead, alternating with an embedded server on the same machine
                embedded = start([sys.executable, "-m", "devserver", "serve"], embedded_env, folder / "embedded.log")
                embedded_url = f"http://127.0.0.1:{embedded_env['DEVSERVER_PORT']}"
                wait_for_health(embedded_url, embedded)
                for seed in range(3):
                    sync_ms(embedded_url, seed), sync_ms(web_url, seed)
                celery_ms, embedded_ms = [], []
                for seed in range(args.calls):
                    celery_ms.append(sync_ms(web_url, 100 + seed))
                    embedded_ms.append(sync_ms(embedded_url, 100 + seed))
                stop(embedded)
        wait_for_workers(web_url, 2)
        batch_seconds(web_url, 2, 0)  # warm-up of the second worker
        two = batch_seconds(web_url, args.runs, 2000)

    speedup = one / two
    print(f"throughput: {args.runs} runs at {THROUGHPUT['width']} px, {THROUGHPUT['steps']} steps, torch threads 1 "
          f"per worker: 1 worker {one:.2f} s, 2 workers {two:.2f} s: speed-up {speedup:.2f}x "
          f"(target >= {TARGET_SPEEDUP})")
    if speedup < TARGET_SPEEDUP:
        print("TARGET MISSED: 2 workers vs 1")
    c, e = statistics.median(celery_ms), statistics.median(embedded_ms)
    print(f"per-job overhead at 64 px, 2 steps ({args.calls} synchronous calls each, alternating): Celery path "
          f"{c:.1f} ms, embedded {e:.1f} ms median: +{c - e:.1f} ms per job, ratio {c / e:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
