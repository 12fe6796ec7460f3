"""Scale-out with the Celery backend (issue 12): a real ``redis-server``, two real ``devserver worker --celery``
processes, and a web node (the app served by a real HTTP server in this process) with
``DEVSERVER_QUEUE_BACKEND=celery``.

Worker A serves ``tiny_sd``; worker B serves ``tiny_sd``, ``tiny_sd_b`` (a second output config on the same
tiny weights, so routing can be seen) and ``broken_sd`` (a model folder whose weights cannot be loaded).
Every wait is gated on an event (an SSE/WebSocket message, a log line, a heartbeat in Redis), never on a
sleep.
"""

from __future__ import annotations

import io
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import redis
import simple_websocket
from PIL import Image

from devserver.settings import PROJECT_ROOT
from tests.api.conftest import LiveServer
from tests.integration.test_restart import free_port

pytestmark = pytest.mark.slow

WAIT_S = 120.0
"""Upper bound of every wait (workers import diffusers first: ~10 s each, more on a busy machine)."""
SMALL = {"width": 64, "height": 64, "steps": 3, "scheduler": "DDIM"}
HOLD = {"width": 256, "height": 256, "steps": 50, "scheduler": "DDIM"}
"""Long enough (~2.5 s on one thread) to be caught mid-way; tests cancel or kill it."""
LONG = {"width": 512, "height": 512, "steps": 50, "scheduler": "DDIM"}
"""Keeps a worker busy (~10 s on one thread) until the test cancels it."""
HEARTBEAT_S = 0.5
VISIBILITY_TIMEOUT_S = 5.0
"""Short, so a job of a killed worker is handed out again within seconds (production default: 600 s)."""


def wait_until(predicate: Callable[[], Any], what: str, timeout_s: float = WAIT_S) -> Any:
    """Re-check `predicate` every 50 ms until it returns something truthy (a condition wait, not a fixed sleep)."""
    done = threading.Event()
    deadline = timeout_s / 0.05
    for _ in range(int(deadline)):
        value = predicate()
        if value:
            return value
        done.wait(0.05)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


class RedisServer:
    """``redis-server`` on a free 127.0.0.1 port, without persistence (a restart loses everything)."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.folder = folder
        self.proc: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for line in self.proc.stdout:
            if "Ready to accept connections" in line:
                break
        else:
            raise AssertionError(f"redis-server exited with {self.proc.wait()}")
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()  # drain

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(WAIT_S)

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)


class WorkerProcess:
    """``python -m devserver worker --celery`` in its own process group; its log lines are read by a thread."""

    def __init__(self, name: str, models: list[str], env: dict[str, str], log_path: Path) -> None:
        self.name = name
        self.node = None
        self.models = models
        self._env = env
        self._log_path = log_path
        self.proc: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        self._lines: queue.Queue[str | None] = queue.Queue()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "devserver", "worker", "--celery", "--name", self.name, "--models",
             ",".join(self.models), "--concurrency", "1"],
            cwd=PROJECT_ROOT, env=self._env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True)
        threading.Thread(target=self._pump, daemon=True).start()
        while True:
            line = self._lines.get(timeout=WAIT_S)
            assert line is not None, f"worker {self.name} exited with {self.proc.wait()}; see {self._log_path}"
            if line.startswith("devserver worker "):
                self.node = line.split()[2].rstrip(":")
            if " ready." in line:
                return

    def _pump(self) -> None:
        with self.proc.stdout, self._log_path.open("a", encoding="utf-8") as log:
            for line in self.proc.stdout:
                log.write(line)
                log.flush()
                self._lines.put(line)
        self._lines.put(None)

    def kill(self) -> None:
        """SIGKILL the worker and its pool process: no cleanup runs (a machine that vanished)."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(WAIT_S)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


class Cluster:
    """Redis, workers A and B, and a factory of web nodes speaking to them."""

    def __init__(self, folder: Path, tiny_model_dir: Path, make_app: Callable[..., Any]) -> None:
        self.schemas = folder / "schemas"
        shutil.copytree(PROJECT_ROOT / "schemas", self.schemas)
        config = json.loads((self.schemas / "configs/output/tiny_sd.json").read_text(encoding="utf-8"))
        (self.schemas / "configs/output/tiny_sd_b.json").write_text(json.dumps({**config, "id": "tiny_sd_b"}),
                                                                    encoding="utf-8")
        broken = folder / "broken-model"  # a diffusers folder whose weights cannot be loaded
        broken.mkdir()
        (broken / "model_index.json").write_text('{"_class_name": "StableDiffusionPipeline"}', encoding="utf-8")
        (self.schemas / "configs/output/broken_sd.json").write_text(json.dumps(
            {**config, "id": "broken_sd", "model": {"family": "sd", "local_dir": str(broken)}}), encoding="utf-8")
        self.redis = RedisServer(folder)
        env = {k: v for k, v in os.environ.items() if not k.startswith("DEVSERVER_")}
        env.update(DEVSERVER_BROKER_URL=self.redis.url, DEVSERVER_MODELS_DIR=str(tiny_model_dir),
                   DEVSERVER_SCHEMAS_DIR=str(self.schemas), DEVSERVER_EXPORTS_DIR=str(folder / "worker-exports"),
                   DEVSERVER_DEVICE="cpu", DEVSERVER_TORCH_THREADS="1", DEVSERVER_WORKER_HEARTBEAT_S=str(HEARTBEAT_S),
                   DEVSERVER_CELERY_VISIBILITY_TIMEOUT_S=str(VISIBILITY_TIMEOUT_S), HF_HUB_OFFLINE="1",
                   PYTHONUNBUFFERED="1")
        self.workers: dict[str, WorkerProcess] = {}
        with ThreadPoolExecutor(2) as pool:  # both import diffusers at the same time
            starting = {name: pool.submit(WorkerProcess, name, models, env, folder / f"worker-{name}.log")
                        for name, models in (("a", ["tiny_sd"]), ("b", ["tiny_sd", "tiny_sd_b", "broken_sd"]))}
            self.workers = {name: future.result() for name, future in starting.items()}
        self._make_app = make_app

    def web_node(self, **overrides: Any) -> LiveServer:
        """A web node (the app served on a free port) with the Celery backend, waiting until both workers beat."""
        server = LiveServer(self._make_app(
            queue_backend="celery", broker_url=self.redis.url, schemas_dir=self.schemas,
            worker_heartbeat_s=HEARTBEAT_S, celery_visibility_timeout_s=VISIBILITY_TIMEOUT_S, **overrides))
        self.wait_for_workers(server)
        return server

    def wait_for_workers(self, server: LiveServer) -> None:
        nodes = {worker.node for worker in self.workers.values() if worker.proc.poll() is None}
        wait_until(lambda: nodes <= {w["name"] for w in server.get("/api/queue").json()["workers"]},
                   f"heartbeats of {sorted(nodes)}")

    def node(self, name: str) -> str:
        return self.workers[name].node

    def close(self) -> None:
        for worker in self.workers.values():
            worker.stop()
        self.redis.stop()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, tiny_model_dir):
    from devserver import create_app
    from devserver.settings import Settings

    folder = tmp_path_factory.mktemp("celery")
    counter = iter(range(1000))

    def make_app(**overrides: Any) -> Any:
        values: dict[str, Any] = dict(exports_dir=folder / f"exports-{next(counter)}", models_dir=tiny_model_dir,
                                      device="cpu")
        values.update(overrides)
        return create_app(Settings(**values))

    cluster = Cluster(folder, tiny_model_dir, make_app)
    yield cluster
    cluster.close()


@pytest.fixture
def web(cluster):
    """Web nodes of one test (closed after it): ``web(**settings)``."""
    servers: list[LiveServer] = []

    def start(**overrides: Any) -> LiveServer:
        server = cluster.web_node(**overrides)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def worker_of(live: LiveServer, run_id: str) -> str:
    """The GPU worker that made the run's image (recorded in metadata.json)."""
    return live.metadata(run_id)["backends"]["stage4"]["worker"]


def pixels(live: LiveServer, run_id: str) -> np.ndarray:
    with Image.open(io.BytesIO(live.get(f"/api/media/image/{run_id}").content)) as image:
        return np.asarray(image.convert("RGB"))


def running_on(live: LiveServer, run_id: str) -> str | None:
    """The worker whose heartbeat says it runs `run_id` now, or None."""
    for worker in live.get("/api/queue").json()["workers"]:
        if run_id in worker["current_runs"]:
            return worker["name"]
    return None


def first_progress(live: LiveServer, run_id: str) -> None:
    live.wait_for(run_id, "progress")


# --------------------------------------------------------------------------------------------------- tests


def test_twenty_runs_finish_on_both_workers_with_their_own_seeds_and_provenance(cluster, web):
    live = web(queue_concurrency=2)
    ws = simple_websocket.Client.connect(live.ws_url)
    ws.send(json.dumps({"type": "subscribe", "job_ids": None}))
    assert json.loads(ws.receive(timeout=WAIT_S))["type"] == "subscribed"
    seeds = [5100 + i for i in range(20)]

    def submit(seed: int) -> str:
        if seed % 4 == 0:  # some through /execute (stages 1-3 on the web node, 4 on a worker)
            return live.submit_execute(seed=seed, input_text=f"learner {seed} draws a kite")
        return live.submit(f"learner {seed} draws a kite", seed=seed)

    with ThreadPoolExecutor(20) as pool:
        run_ids = list(pool.map(submit, seeds))
        streams = list(pool.map(live.events, run_ids))
    ran_on = set()
    for seed, run_id, events in zip(seeds, run_ids, streams, strict=True):
        assert events[-1].type == "complete", (run_id, events[-1])
        assert [e.data["step"] for e in events if e.type == "progress"][-3:] == [1, 2, 3], "SSE progress per step"
        media = events[-1].data["media_output"]
        assert media["run_id"] == run_id and media["seed"] == seed
        with Image.open(io.BytesIO(live.get(media["url"]).content)) as image:
            provenance = json.loads(image.text["devserver"])
            assert f"Seed: {seed}," in image.text["parameters"] and image.size == (64, 64)
        assert provenance["run_id"] == run_id and provenance["stages"]["stage4"]["seed"] == seed
        ran_on.add(worker_of(live, run_id))
    assert ran_on == {cluster.node("a"), cluster.node("b")}, "both workers made images"
    # WebSocket: progress and completion of every run, from whichever worker ran it
    seen: dict[str, set[str]] = {run_id: set() for run_id in run_ids}
    while any("generation_complete" not in types for types in seen.values()):
        message = json.loads(ws.receive(timeout=WAIT_S))
        job_id = message.get("data", {}).get("job_id")  # seed 003's envelope: the payload is under data
        if job_id in seen:
            seen[job_id].add(message["type"])
    assert all({"generation_started", "progress_update", "generation_complete"} <= t for t in seen.values())
    ws.close()
    assert live.get("/api/queue").json()["jobs"] == []


def test_routing_a_model_only_worker_b_serves_never_runs_on_a(cluster, web):
    live = web(queue_concurrency=2)
    queue_view = live.get("/api/queue").json()
    assert {w["name"]: w["models"] for w in queue_view["workers"]} == {
        cluster.node("a"): ["tiny_sd"], cluster.node("b"): ["tiny_sd", "tiny_sd_b", "broken_sd"]}
    with ThreadPoolExecutor(6) as pool:
        run_ids = list(pool.map(lambda seed: live.submit(f"b only {seed}", seed=seed, output_config="tiny_sd_b"),
                                range(6)))
        list(pool.map(live.events, run_ids))
    assert {worker_of(live, run_id) for run_id in run_ids} == {cluster.node("b")}
    # a synchronous call is routed the same way
    res = live.post("/api/schema/pipeline/generation", {"prompt": "sync b", "output_config": "tiny_sd_b",
                                                        "parameters": SMALL, "language": "en"})
    assert res.status_code == 200 and worker_of(live, res.json()["run_id"]) == cluster.node("b")
    # an output config no worker serves is refused before anything is queued
    res = live.post("/api/schema/pipeline/generation", {"prompt": "x", "output_config": "sd15", "async": True})
    assert res.status_code == 409 and "no GPU worker" in res.json()["error"]["message"]


def test_inpainting_and_the_seed_job_api_run_on_gpu_workers(cluster, web):
    """Issue 11: the mask travels in the stage-4 message (as a PNG), the worker inpaints, the web node records;
    a /v1/jobs operation takes the same path and streams its steps from the worker."""
    import base64

    live = web()
    photo = Image.fromarray((np.random.RandomState(3).rand(64, 64, 3) * 255).astype(np.uint8))
    mask = Image.new("L", (64, 64), 0)
    mask.paste(255, (16, 16, 48, 48))

    def upload(image: Image.Image) -> str:
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        import requests

        res = requests.post(live.url + "/api/media/upload/image", files={"file": ("x.png", buffer.getvalue())},
                            timeout=WAIT_S)
        assert res.status_code == 200, res.text
        return res.json()["image_id"]

    res = live.post("/api/schema/pipeline/generation", {
        "prompt": "a kite", "seed": 8, "input_image": upload(photo), "mask_image": upload(mask),
        "parameters": {**SMALL, "mask_blur": 0, "strength": 1.0}})
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["stages"]["stage4"]["mode"] == "inpaint" and worker_of(live, body["run_id"])
    keep = np.asarray(mask) == 0
    assert (pixels(live, body["run_id"])[keep] == np.asarray(photo)[keep]).all()

    def b64(image: Image.Image) -> str:
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return base64.b64encode(buffer.getvalue()).decode()

    accepted = live.post("/v1/jobs", {"operation": {"type": "SDInpaint", "prompt": "a kite", "steps": 3,
                                                    "width": 64, "height": 64, "seed": 8, "image": b64(photo),
                                                    "mask": b64(mask), "mask_blur": 0}}).json()
    text = live.get(accepted["stream_url"]).text
    assert "data: Step 1/" in text and "event: complete" in text
    assert worker_of(live, accepted["job_id"])


def test_sigkill_of_the_worker_mid_run_completes_on_the_other_with_identical_pixels(cluster, web):
    live = web(queue_concurrency=2)
    run_id = live.submit("kill me halfway", parameters=HOLD, seed=4242)
    first_progress(live, run_id)
    victim = wait_until(lambda: running_on(live, run_id), "the heartbeat naming the worker that runs it")
    name = next(n for n, w in cluster.workers.items() if w.node == victim)
    cluster.workers[name].kill()
    events = live.events(run_id)
    assert events[-1].type == "complete", events[-1]
    survivor = worker_of(live, run_id)
    assert survivor != victim
    progress_steps = [e.data["step"] for e in events if e.type == "progress"]
    assert progress_steps.count(1) >= 2, "progress came from both attempts"
    # an undisturbed run of the same seed on the surviving worker: the same pixels
    again = live.submit("kill me halfway", parameters=HOLD, seed=4242)
    assert live.events(again)[-1].type == "complete"
    assert np.array_equal(pixels(live, run_id), pixels(live, again))
    cluster.workers[name].start()
    cluster.wait_for_workers(live)


def test_a_job_that_fails_three_times_ends_error_with_the_reasons(cluster, web):
    live = web()
    run_id = live.submit("never made", output_config="broken_sd", seed=5)
    events = live.events(run_id)
    assert events[-1].type == "error", events[-1]
    error = events[-1].data["error"]
    assert error["code"] == "generation_failed" and "3 times" in error["message"]
    assert error["details"]["attempts"] == [f"{cluster.node('b')}: generation_failed"] * 3
    assert str(cluster.schemas) not in json.dumps(error), "no paths in the answer"
    assert [e.type for e in events].count("started") == 1
    assert live.metadata(run_id)["status"] == "error"


def test_cancel_of_a_queued_and_a_running_job(cluster, web):
    live = web(queue_concurrency=3)  # 3 runs at once for 2 worker slots: the third waits in Celery's queue
    holders = [live.submit(f"hold {i}", parameters=LONG, seed=i) for i in range(2)]
    for holder in holders:
        first_progress(live, holder)
    in_broker = live.submit("waits for a worker", seed=77)
    in_sqlite = live.submit("waits on the web node", seed=78)
    assert live.get(f"/api/runs/{in_sqlite}").json()["position"] == 1
    # queued in the web node's queue: canceled at once
    assert live.cancel(in_sqlite).json()["status"] == "canceled"
    # sent to Celery but not started by any worker: revoked, ends canceled without a worker touching it
    wait_until(lambda: cluster.redis.client().exists(f"devserver:dispatch:{in_broker}"), "the job sent to Celery")
    assert live.cancel(in_broker).status_code == 202
    events = live.events(in_broker)
    assert events[-1].type == "canceled" and "progress" not in [e.type for e in events]
    # running on a worker: the flag stops it at its next step
    assert live.cancel(holders[0]).status_code == 202
    events = live.events(holders[0])
    assert events[-1].type == "canceled"
    assert [e.data["step"] for e in events if e.type == "progress"][-1] < 50
    assert live.metadata(holders[0])["media"] == []
    assert live.cancel(holders[1]).status_code == 202
    assert live.events(holders[1])[-1].type == "canceled"
    # the canceled jobs never ran anywhere, and the workers are idle again
    wait_until(lambda: all(w["status"] == "idle" for w in live.get("/api/queue").json()["workers"]),
               "idle workers")
    assert live.metadata(in_broker)["status"] == "canceled"


def test_redis_down_answers_503_then_recovers(cluster, web):
    live = web()
    assert live.events(live.submit("before", seed=1))[-1].type == "complete"
    runs_dir = live.app.extensions["devserver"].settings.runs_dir
    before = sorted(p.name for p in runs_dir.iterdir())
    cluster.redis.stop()
    for body in ({"async": True}, {}):
        res = live.post("/api/schema/pipeline/generation", {"prompt": "while down", "parameters": SMALL, **body})
        assert res.status_code == 503, res.text
        error = res.json()["error"]
        assert error["code"] == "queue_unavailable" and "Redis" in error["message"] and "redis://" not in res.text
    assert sorted(p.name for p in runs_dir.iterdir()) == before, "nothing half-written"
    assert live.get("/api/queue").json()["workers"] == []
    cluster.redis.start()
    cluster.wait_for_workers(live)
    assert live.events(live.submit("after", seed=2))[-1].type == "complete"
    res = live.post("/api/schema/pipeline/generation", {"prompt": "after, sync", "parameters": SMALL, "seed": 3})
    assert res.status_code == 200 and res.json()["media_output"]["seed"] == 3


def test_a_web_node_restart_loses_nothing(cluster, web, tmp_path):
    first = web(queue_concurrency=2, exports_dir=tmp_path / "exports")
    running = first.submit("made while the web node restarts", parameters=HOLD, seed=99)
    waiting = first.submit("queued across the restart", seed=100)
    first_progress(first, running)
    first.close()  # stops the web node; the worker goes on making the image
    second = web(queue_concurrency=2, exports_dir=tmp_path / "exports")
    events = second.events(running)
    assert events[-1].type == "complete" and events[-1].data["media_output"]["seed"] == 99
    assert second.metadata(running)["status"] == "success"
    assert second.events(waiting)[-1].data["media_output"]["seed"] == 100


def test_the_enhanced_parameters_travel_to_a_gpu_worker_that_resolves_them_in_its_own_folder(cluster, web):
    """Issue 10: LoRAs, a ControlNet with its (preprocessed) condition, a batch and an upscale go to the GPU worker in
    the stage-4 message; it finds the add-ons by registry id in its own models folder and sends every image back."""
    import requests
    from PIL import ImageDraw

    live = web()
    drawing = Image.new("RGB", (64, 64), "black")
    ImageDraw.Draw(drawing).rectangle((12, 12, 52, 52), outline="white", width=3)
    buffer = io.BytesIO()
    drawing.save(buffer, "PNG")
    upload = requests.post(live.url + "/api/media/upload/image", files={"file": ("d.png", buffer.getvalue())},
                           timeout=WAIT_S).json()
    enhanced = {**SMALL, "loras": [{"id": "loras:tiny-lora.safetensors", "weight": 0.8}],
                "controlnets": [{"id": "controlnet:tiny-controlnet", "image_id": upload["image_id"],
                                 "preprocessor": "canny"}],
                "post_processing": [{"type": "upscale", "model": "upscalers:tiny-upscaler.safetensors", "factor": 2}],
                "batch_size": 2}
    res = live.post("/api/schema/pipeline/generation", {"prompt": "a red fox", "language": "en", "seed": 77,
                                                          "parameters": enhanced})
    assert res.status_code == 200, res.text
    body = res.json()
    assert [(m["seed"], m["width"]) for m in body["media_outputs"]] == [(77, 128), (78, 128)]
    report = body["stages"]["stage4"]["enhancements"]
    assert report["loras"][0]["id"] == "loras:tiny-lora.safetensors" and report["controlnets"][0]["preprocessor"] == \
        "canny"
    assert worker_of(live, body["run_id"]) in {cluster.node("a"), cluster.node("b")}
    plain = live.post("/api/schema/pipeline/generation", {"prompt": "a red fox", "language": "en", "seed": 77,
                                                            "parameters": {**SMALL, "post_processing": [
                                                                {"type": "upscale", "model": "lanczos",
                                                                 "factor": 2}]}}).json()
    first = np.asarray(Image.open(io.BytesIO(live.get(body["media_output"]["url"]).content)).convert("RGB"))
    assert first.shape == pixels(live, plain["run_id"]).shape
    assert not np.array_equal(first, pixels(live, plain["run_id"]))  # the LoRA and the ControlNet acted
