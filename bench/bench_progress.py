"""Benchmark (issue 4): live progress to 100 SSE subscribers, and the job queue's throughput.

Run from the repository root: ``python -m bench.bench_progress``. It

1. builds the tiny offline model into a temp folder and starts the real server (``devserver serve``:
   gunicorn, one worker, gthread) in a subprocess on a free 127.0.0.1 port, with ``--threads`` large
   enough for all subscribers (gthread holds one thread per open stream);
2. latency: a holder run keeps the worker busy while ``--subscribers`` SSE clients connect to a queued
   target run (each confirms with its ``queued`` event); the holder is canceled, the target runs, and each
   client records, for every ``progress`` event, receipt time minus the event's ``ts`` (the server's
   time.time() in the diffusion step callback). Target: p95 under 50 ms;
3. throughput: ``--runs`` generations (same prompt, size, steps, seeds) as synchronous
   ``POST /api/schema/pipeline/generation`` calls in sequence, and the same ones queued at once with
   ``"async": true``, their completion seen on one WebSocket subscribed to all runs. The two sides run in
   the order sync, queued, queued, sync (ABBA), so a change in background load during the benchmark
   hits both alike; each side's two timings are added. Ratio = sync time / queued time (queued throughput
   relative to direct calls). Target: at least 0.9.

Both measurements come from the same server process and run one after the other. Exit status 0 unless a
run fails; a missed target prints "TARGET MISSED".
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time

import requests
import simple_websocket
import sseclient

from bench._server import running_server

TARGET_P95_MS = 50.0
TARGET_THROUGHPUT_RATIO = 0.9
TIMEOUT_S = 600.0
PROMPT = "a red circle above a blue square"
TERMINAL = {"complete", "blocked", "error", "canceled"}


def parameters(size: int, steps: int) -> dict:
    """Generation parameters; DDIM reports exactly one step callback per step."""
    return {"width": size, "height": size, "steps": steps, "scheduler": "DDIM"}


def submit(url: str, seed: int, params: dict) -> str:
    """Queue a generation; returns its run_id."""
    res = requests.post(f"{url}/api/schema/pipeline/generation", timeout=TIMEOUT_S, json={
        "prompt": PROMPT, "language": "en", "seed": seed, "parameters": params, "async": True})
    res.raise_for_status()
    return res.json()["run_id"]


def sse_events(url: str, run_id: str):  # type: ignore[no-untyped-def]
    """The run's SSE events (sseclient Event objects) until the server ends the stream."""
    res = requests.get(f"{url}/api/runs/{run_id}/events", stream=True, timeout=TIMEOUT_S)
    res.raise_for_status()
    return sseclient.SSEClient(res.iter_content(chunk_size=None)).events()


def subscriber(url: str, run_id: str, connected: threading.Semaphore, delays_s: list[float],
               outcome: list[str]) -> None:
    """One SSE client: signal once subscribed, record the delay of every progress event, keep the outcome."""
    for event in sse_events(url, run_id):
        received = time.time()
        if event.event == "queued":
            connected.release()
        elif event.event == "progress":
            delays_s.append(received - json.loads(event.data)["ts"])
        elif event.event in TERMINAL:
            outcome.append(event.event)
            return


def measure_latency(url: str, subscribers: int, size: int, steps: int) -> tuple[list[float], list[str]]:
    """Delays (seconds) of all progress deliveries to `subscribers` clients of one run, and their outcomes."""
    holder = submit(url, 1, parameters(256, 50))
    for event in sse_events(url, holder):
        if event.event == "progress":
            break  # the holder runs: the target waits in the queue
    target = submit(url, 2, parameters(size, steps))
    connected = threading.Semaphore(0)
    delays: list[float] = []
    outcomes: list[str] = []
    threads = [threading.Thread(target=subscriber, args=(url, target, connected, delays, outcomes), daemon=True)
               for _ in range(subscribers)]
    for thread in threads:
        thread.start()
    for _ in range(subscribers):
        if not connected.acquire(timeout=TIMEOUT_S):
            raise TimeoutError("not every subscriber connected")
    requests.post(f"{url}/api/runs/{holder}/cancel", timeout=TIMEOUT_S).raise_for_status()
    for thread in threads:
        thread.join(TIMEOUT_S)
    return delays, outcomes


def time_sync(url: str, seeds: list[int], params: dict) -> float:
    """Seconds for synchronous POST /generation calls, one after the other."""
    start = time.perf_counter()
    with requests.Session() as session:
        for seed in seeds:
            res = session.post(f"{url}/api/schema/pipeline/generation", timeout=TIMEOUT_S, json={
                "prompt": PROMPT, "language": "en", "seed": seed, "parameters": params})
            res.raise_for_status()
    return time.perf_counter() - start


def time_queued(url: str, seeds: list[int], params: dict) -> float:
    """Seconds from the first async submission to the last generation_complete on the WebSocket."""
    ws = simple_websocket.Client.connect(f"ws{url.removeprefix('http')}/api/v1/ws/progress")
    try:
        ws.send(json.dumps({"type": "subscribe", "job_ids": None}))
        assert json.loads(ws.receive(timeout=TIMEOUT_S))["type"] == "subscribed"
        start = time.perf_counter()
        pending = {submit(url, seed, params): seed for seed in seeds}
        while pending:
            message = json.loads(ws.receive(timeout=TIMEOUT_S))
            if message["type"] in ("generation_error", "generation_canceled", "generation_blocked"):
                raise RuntimeError(f"queued run failed: {message}")
            if message["type"] == "generation_complete":
                seed = pending.pop(message["job_id"])
                assert message["media_output"]["seed"] == seed
        return time.perf_counter() - start
    finally:
        ws.close()


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) by the inclusive method."""
    return statistics.quantiles(values, n=100, method="inclusive")[round(q) - 1]


def main() -> int:
    """Run both measurements and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=100, help="SSE clients on one run (default 100)")
    parser.add_argument("--latency-size", type=int, default=256, help="target run's width = height (default 256)")
    parser.add_argument("--latency-steps", type=int, default=30, help="target run's steps (default 30)")
    parser.add_argument("--runs", type=int, default=20, help="generations per throughput side (default 20)")
    parser.add_argument("--size", type=int, default=256, help="throughput width = height (default 256)")
    parser.add_argument("--steps", type=int, default=20, help="throughput steps (default 20)")
    args = parser.parse_args()

    threads = args.subscribers + 32
    with running_server(threads=threads) as server:
        url = server.url
        params = parameters(args.size, args.steps)
        time_sync(url, [0], params)  # warm-up: loads the model
        delays, outcomes = measure_latency(url, args.subscribers, args.latency_size, args.latency_steps)
        seeds = list(range(1000, 1000 + args.runs))
        sync_s = time_sync(url, seeds, params)
        queued_s = time_queued(url, seeds, params)
        queued_s += time_queued(url, seeds, params)
        sync_s += time_sync(url, seeds, params)

    expected = args.subscribers * args.latency_steps
    if outcomes != ["complete"] * args.subscribers or len(delays) != expected:
        print(f"FAILED: {len(delays)} of {expected} progress deliveries, outcomes {sorted(set(outcomes))}")
        return 1
    ms = sorted(d * 1000 for d in delays)
    p95 = percentile(ms, 95)
    ratio = sync_s / queued_s
    print(f"progress delivery: {args.subscribers} SSE subscribers on one run ({args.latency_size}x"
          f"{args.latency_size}, {args.latency_steps} steps), server `devserver serve --threads {threads}`")
    print(f"  {len(ms)} deliveries, delay step callback -> client: p50 {percentile(ms, 50):.1f} ms, "
          f"p95 {p95:.1f} ms, max {ms[-1]:.1f} ms  (target p95 < {TARGET_P95_MS:.0f} ms)"
          + ("" if p95 < TARGET_P95_MS else "  TARGET MISSED"))
    print(f"throughput: {args.runs} generations {args.size}x{args.size}, {args.steps} steps")
    print(f"  sync POST in sequence    {sync_s:7.2f} s for 2x{args.runs}  ({sync_s / args.runs * 500:.0f} ms per run)")
    print(f"  queued (\"async\": true)   {queued_s:7.2f} s for 2x{args.runs}  "
          f"({queued_s / args.runs * 500:.0f} ms per run)")
    print(f"  ratio sync / queued      {ratio:.3f}  (target >= {TARGET_THROUGHPUT_RATIO:.2f})"
          + ("" if ratio >= TARGET_THROUGHPUT_RATIO else "  TARGET MISSED"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
