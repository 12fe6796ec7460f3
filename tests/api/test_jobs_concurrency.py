"""20 learners submit at once: every run finishes with its own seed, prompt and image, and no events cross over."""

from __future__ import annotations

import io
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image

RUNS = 20


@pytest.mark.parametrize("concurrency", [
    pytest.param(1, id="one_worker"),
    pytest.param(3, id="three_workers"),
])
def test_twenty_concurrent_submissions_finish_with_their_own_seeds(serve, concurrency):
    live = serve(queue_concurrency=concurrency)
    seeds = [7000 + i for i in range(RUNS)]
    with ThreadPoolExecutor(RUNS) as pool:
        run_ids = list(pool.map(lambda seed: live.submit(f"learner {seed} draws a kite", seed=seed), seeds))
        streams = list(pool.map(live.events, run_ids))
    assert len(set(run_ids)) == RUNS
    for seed, run_id, events in zip(seeds, run_ids, streams, strict=True):
        assert [e.type for e in events][-1] == "complete", (run_id, events[-1])
        assert [e.id for e in events] == sorted({e.id for e in events})
        reports = {e.data["stage"]: e.data["report"] for e in events if e.type == "stage_complete"}
        assert reports[3]["prompt"] == f"learner {seed} draws a kite" and reports[4]["seed"] == seed
        media = events[-1].data["media_output"]
        assert media["run_id"] == run_id and media["seed"] == seed
        with Image.open(io.BytesIO(live.get(media["url"]).content)) as image:
            provenance = json.loads(image.text["devserver"])
            parameters = image.text["parameters"]
        assert provenance["run_id"] == run_id and provenance["stages"]["stage4"]["seed"] == seed
        assert parameters.startswith(f"learner {seed} draws a kite") and f"Seed: {seed}," in parameters
    queue = live.get("/api/queue").json()
    assert queue["jobs"] == [] and queue["concurrency"] == concurrency
