"""Benchmark (issue 9): model switching with the model cache, and listing a large registry.

Run from the repository root: ``python -m bench.bench_models``. It

1. switch: in this process, a devserver app (the real ModelService and DiffusersBackend, tiny models built into a
   temp folder) loads tiny-sd and tiny-sdxl. A *warm switch* makes the other, already loaded model ready
   (``POST /api/models/<id>/load`` answers "already loaded": a cache lookup); a *cold load* unloads it first, so
   its weights are read from disk and the pipeline is built again. The two alternate A/B (``--rounds`` each) so
   background load hits both alike. Also the first 64 px, 2-step image after each: with the model warm vs cold.
   Printed: medians and the ratio cold / warm;
2. list: ``--models`` (500) fake LoRA files (a few tiny tensors each) plus metadata (tags, ratings) for each, in a
   temp models folder, served by the real server (``devserver serve``: gunicorn); after one warm-up list (the
   scan), ``--requests`` ``GET /api/models`` at page size 50 with varying pages, sorts and filters, against
   ``GET /api/health`` in the same run as the baseline. Target: p95 under 50 ms.

Exit status 0 unless something fails; a missed target prints "TARGET MISSED".
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

from bench._server import running_server

TARGET_LIST_P95_MS = 50.0
SMALL = {"width": 64, "height": 64, "steps": 2}


def p95(values: list[float]) -> float:
    """95th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, int(round(0.95 * len(ordered))) - 1)]


def bench_switch(rounds: int) -> None:
    """Warm switch vs cold load of two tiny models, in process."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from devserver import create_app
    from devserver.generation.tiny_models import build_tiny_sdxl
    from devserver.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        models = Path(tmp) / "models"
        from devserver.generation.tiny import build_tiny_sd

        build_tiny_sd(models / "tiny-sd")
        build_tiny_sdxl(models)
        app = create_app(Settings(exports_dir=Path(tmp) / "exports", models_dir=models, device="cpu"))
        client = app.test_client()
        ids = ["tiny-sd", "tiny-sdxl"]
        for model_id in ids:
            assert client.post(f"/api/models/{model_id}/load").status_code == 200
        body = {"prompt": "a red fox", "language": "en", "seed": 1, "parameters": SMALL}
        client.post("/api/schema/pipeline/generation", json=body)  # warm the code paths

        def switch(model_id: str, cold: bool) -> float:
            if cold:
                client.post(f"/api/models/{model_id}/unload")
            started = time.perf_counter()
            res = client.post(f"/api/models/{model_id}/load")
            assert res.status_code == 200, res.json
            assert res.json["already_loaded"] is (not cold)
            return (time.perf_counter() - started) * 1000

        def image(cold: bool) -> float:
            if cold:
                client.post("/api/models/tiny-sd/unload")
            started = time.perf_counter()
            assert client.post("/api/schema/pipeline/generation", json=body).status_code == 200
            return (time.perf_counter() - started) * 1000

        warm, cold, warm_image, cold_image = [], [], [], []
        for index in range(rounds):
            model_id = ids[index % 2]
            warm.append(switch(model_id, cold=False))
            cold.append(switch(model_id, cold=True))
            warm_image.append(image(cold=False))
            cold_image.append(image(cold=True))
        app.extensions["devserver"].queue.stop()
    w, c = statistics.median(warm), statistics.median(cold)
    wi, ci = statistics.median(warm_image), statistics.median(cold_image)
    print(f"switch: warm switch (both loaded) median {w:.2f} ms vs cold load median {c:.1f} ms: "
          f"cold/warm ratio {c / w:.0f}x ({rounds} alternating rounds, tiny-sd and tiny-sdxl)")
    print(f"switch: first 64 px 2-step image with the model warm {wi:.0f} ms vs cold {ci:.0f} ms: "
          f"ratio {ci / wi:.2f}")


def fake_registry(count: int):  # type: ignore[no-untyped-def]
    """A prepare_models callback writing `count` small LoRA files."""
    def prepare(models: Path) -> None:
        import torch
        from safetensors.torch import save_file

        (models / "loras").mkdir(parents=True, exist_ok=True)
        for index in range(count):
            save_file({"unet.down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.lora_A.weight":
                       torch.zeros(4, 768), "unet.down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k."
                       "lora_B.weight": torch.zeros(320, 4)}, str(models / "loras" / f"style-{index:04d}.safetensors"))
    return prepare


def bench_list(count: int, requests_n: int) -> bool:
    """p95 of GET /api/models at page size 50 over `count` registered models, against GET /api/health."""
    with running_server(prepare_models=fake_registry(count)) as server:
        url = server.url
        session = requests.Session()
        first = session.get(f"{url}/api/models", params={"page_size": 50}, timeout=600)
        first.raise_for_status()
        total = first.json()["total_count"]
        assert total >= count, total
        for index in range(0, min(count, 100)):  # metadata for some: tags and ratings to sort and filter by
            session.patch(f"{url}/api/models/loras:style-{index:04d}.safetensors/metadata", timeout=60,
                          json={"metadata": {"tags": ["style", f"group-{index % 7}"], "rating": index % 6}})
        rng = random.Random(7)
        variants = [{"sort_by": s, "sort_direction": d} for s in ("name", "size", "rating", "type", "performance")
                    for d in ("asc", "desc")] + [{"model_type": "lora"}, {"search_query": "style-01"},
                                                 {"status": "not_loaded"}]
        lists, health = [], []
        for _ in range(requests_n):
            params = {"page_size": 50, "page": rng.randint(1, max(1, total // 50)), **rng.choice(variants)}
            started = time.perf_counter()
            res = session.get(f"{url}/api/models", params=params, timeout=60)
            lists.append((time.perf_counter() - started) * 1000)
            res.raise_for_status()
            started = time.perf_counter()
            session.get(f"{url}/api/health", timeout=60).raise_for_status()
            health.append((time.perf_counter() - started) * 1000)
    lp, hp = p95(lists), p95(health)
    print(f"list: {total} registered models, page size 50, {requests_n} requests: p50 {statistics.median(lists):.1f} "
          f"ms, p95 {lp:.1f} ms (target < {TARGET_LIST_P95_MS:.0f} ms); GET /api/health p95 {hp:.1f} ms: "
          f"ratio {lp / hp:.1f}")
    if lp >= TARGET_LIST_P95_MS:
        print("TARGET MISSED: list p95")
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    """Run both measurements."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10, help="alternating switch rounds")
    parser.add_argument("--models", type=int, default=500, help="fake registered models")
    parser.add_argument("--requests", type=int, default=200, help="list requests")
    args = parser.parse_args(argv)
    bench_switch(args.rounds)
    bench_list(args.models, args.requests)  # a missed target is printed; the status says whether it ran
    return 0


if __name__ == "__main__":
    sys.exit(main())
