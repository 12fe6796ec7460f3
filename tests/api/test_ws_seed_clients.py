"""Seed 003's own example client works unchanged against devserver (issue 7, acceptance 3): its JavaScript, run in
Node 20 (``node --experimental-websocket``), receives progress and completion from a real server."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from devserver.settings import PROJECT_ROOT
from tests.api.conftest import WAIT_S

CLIENT = PROJECT_ROOT / "tests" / "support" / "seed003_client.mjs"


@pytest.fixture
def node() -> str:
    path = shutil.which("node")
    if path is None:
        pytest.fail("node is not installed: `make test` needs Node 20 (it also builds the frontend)")
    return path


def test_seed_client_in_node_receives_progress_and_completion(live, node: str) -> None:
    proc = subprocess.Popen([node, "--experimental-websocket", "--no-warnings", str(CLIENT), live.ws_url],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    try:
        for line in proc.stdout:  # wait until the server confirmed the subscription, then start a run
            lines.append(line.rstrip("\n"))
            if line.startswith("TEST: subscribed"):
                break
        run_id = live.submit("a lighthouse at night", parameters={"width": 64, "height": 64, "steps": 4,
                                                                   "scheduler": "DDIM"})
        out, err = proc.communicate(timeout=WAIT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
    lines += out.splitlines()
    assert proc.returncode == 0, f"node exited {proc.returncode}: {err}\n" + "\n".join(lines)
    assert lines[0] == "WebSocket connected!"
    progress = [line for line in lines if line.startswith(f"Job {run_id} is running at ")]
    assert [line.rsplit(" ", 1)[1] for line in progress] == ["25%", "50%", "75%", "100%"], lines
    finished = [index for index, line in enumerate(lines) if line.startswith("Generation finished!")]
    assert len(finished) == 1, lines
    printed = "\n".join(lines[finished[0]:])  # node prints message.data over several lines
    assert run_id in printed and f"/api/media/image/{run_id}/0" in printed
    assert lines[-1] == "WebSocket disconnected."


def test_python_example_client_speaks_the_envelope(live, capsys) -> None:
    from examples.ws_progress_client import describe

    message = {"type": "progress_update", "timestamp": "2026-01-01T00:00:00.000Z",
               "data": {"job_id": "j", "progress": 0.5, "status": "running", "step": 2, "total_steps": 4}}
    assert describe(json.loads(json.dumps(message))) == "j step 2/4 (50%)"
