"""Crash safety of the queue with the real server: ``devserver serve`` (gunicorn) killed with SIGKILL mid-run.

The interrupted run ends ``error`` "interrupted by restart" with its folder kept; the runs that were waiting
run to success after the restart; the event history survives (replay from SQLite).
"""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests
import sseclient

from devserver.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow

START_TIMEOUT_S = 180.0
"""Starting the server imports diffusers (~10 s on a busy 2-core machine, more under load)."""
WAIT_S = 60.0
HOLD = {"width": 256, "height": 256, "steps": 50, "scheduler": "DDIM"}
SMALL = {"width": 64, "height": 64, "steps": 3, "scheduler": "DDIM"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    """``python -m devserver serve`` in its own process group, its log lines read by a thread."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.url = f"http://127.0.0.1:{env['DEVSERVER_PORT']}"
        self._log = log_path.open("a", encoding="utf-8")
        self.proc = subprocess.Popen([sys.executable, "-m", "devserver", "serve"], cwd=PROJECT_ROOT, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     start_new_session=True)
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        with self.proc.stdout, self._log:
            for line in self.proc.stdout:
                self._log.write(line)
                self._log.flush()
                self._lines.put(line)
        self._lines.put(None)

    def wait_until_serving(self) -> None:
        """Wait for gunicorn's worker to boot, then for the first answer (the app is built in the worker)."""
        while True:
            line = self._lines.get(timeout=START_TIMEOUT_S)
            assert line is not None, f"the server exited with {self.proc.wait()}; see {self._log.name}"
            if "Booting worker" in line:
                break
        assert requests.get(f"{self.url}/api/health", timeout=START_TIMEOUT_S).status_code == 200

    def kill(self) -> None:
        """SIGKILL the whole process group (gunicorn master and worker): no cleanup code runs."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(WAIT_S)

    def submit(self, parameters: dict, seed: int) -> str:
        res = requests.post(f"{self.url}/api/schema/pipeline/generation", timeout=WAIT_S, json={
            "prompt": f"a kite {seed}", "language": "en", "seed": seed, "parameters": parameters, "async": True})
        assert res.status_code == 202, res.text
        return res.json()["run_id"]

    def events(self, run_id: str) -> sseclient.SSEClient:
        res = requests.get(f"{self.url}/api/runs/{run_id}/events", stream=True, timeout=WAIT_S)
        assert res.status_code == 200
        return sseclient.SSEClient(res.iter_content(chunk_size=None))


@pytest.fixture
def server_env(tmp_path, tiny_model_dir):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEVSERVER_")}
    env.update(DEVSERVER_EXPORTS_DIR=str(tmp_path / "exports"), DEVSERVER_MODELS_DIR=str(tiny_model_dir),
               DEVSERVER_PORT=str(free_port()), DEVSERVER_DEVICE="cpu", HF_HUB_OFFLINE="1", PYTHONUNBUFFERED="1")
    return env


@pytest.fixture
def start_server(server_env, tmp_path):
    """Factory of server processes on the same exports folder and port; all killed after the test."""
    started: list[ServerProcess] = []

    def start() -> ServerProcess:
        server = ServerProcess(server_env, tmp_path / "server.log")
        started.append(server)
        server.wait_until_serving()
        return server

    yield start
    for server in started:
        if server.proc.poll() is None:
            server.kill()


def test_sigkill_mid_run_then_restart(start_server, server_env):
    first = start_server()
    interrupted = first.submit(HOLD, seed=1)
    waiting = [first.submit(SMALL, seed=seed) for seed in (2, 3)]
    seen = []
    for event in first.events(interrupted).events():
        seen.append(event)
        if event.event == "progress":
            break
    first.kill()

    second = start_server()
    # the interrupted run: error, folder kept, its history replayed from SQLite
    status = requests.get(f"{second.url}/api/runs/{interrupted}", timeout=WAIT_S).json()
    assert status["status"] == "error", status
    assert status["error"] == {"code": "interrupted", "message": "interrupted by restart", "details": {}}
    replay = list(second.events(interrupted).events())
    assert [(e.id, e.event) for e in replay[:len(seen)]] == [(e.id, e.event) for e in seen]
    assert replay[-1].event == "error" and "interrupted by restart" in replay[-1].data
    folder = Path(server_env["DEVSERVER_EXPORTS_DIR"]) / "json" / interrupted
    meta = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    assert meta["status"] == "error" and meta["error"]["message"] == "interrupted by restart"
    assert not list(folder.glob("*_output_image.png"))
    # the waiting runs ran after the restart
    for seed, run_id in zip((2, 3), waiting, strict=True):
        last = list(second.events(run_id).events())[-1]
        assert last.event == "complete", last.data
        assert json.loads(last.data)["media_output"]["seed"] == seed
