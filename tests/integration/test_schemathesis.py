"""schemathesis against a really running server (issue 7): every operation of /api/openapi.json, a bounded number
of generated requests each (valid and invalid), every check: no 5xx, every status documented, every response
matching its schema and content type.

The server is ``devserver serve`` (gunicorn, the production server) in its own process with an isolated exports
folder and the session's tiny model; schemathesis runs as its CLI (``st run``). The queue cap is small so the
generated async runs cannot pile up work (they get the documented 429 instead). Excluded is only the
``positive_data_acceptance`` check: it expects every schema-valid request to succeed, but some meaning is beyond a
schema (an upload must be a decodable image, ids must exist, sizes must fit the chosen model's limits).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devserver.settings import PROJECT_ROOT
from tests.integration.test_restart import ServerProcess, free_port

pytestmark = pytest.mark.slow

MAX_EXAMPLES = 25
"""Generated requests per operation and phase."""
RUN_TIMEOUT_S = 420
"""Upper bound for the whole schemathesis run (it takes about a minute on the 2-core machine)."""


def test_schemathesis_finds_nothing(tmp_path: Path, tiny_model_dir: Path) -> None:
    port = free_port()
    env = {**os.environ, "DEVSERVER_PORT": str(port), "DEVSERVER_EXPORTS_DIR": str(tmp_path / "exports"),
           "DEVSERVER_MODELS_DIR": str(tiny_model_dir), "DEVSERVER_DEVICE": "cpu", "DEVSERVER_QUEUE_MAX_JOBS": "4",
           "DEVSERVER_QUEUE_MAX_JOBS_PER_CLIENT": "4", "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1",
           # generated runs that name no model use one of at most 4 steps: schemathesis follows the links from
           # POST /v1/jobs to the job's stream, which waits for the image (and the jobs queued before it)
           "DEVSERVER_DEFAULT_OUTPUT_CONFIG": "tiny_sdxl_turbo"}
    server = ServerProcess(env, tmp_path / "server.log")
    try:
        server.wait_until_serving()
        started = time.perf_counter()
        result = subprocess.run(
            [str(Path(sys.executable).with_name("st")), "run", f"{server.url}/api/openapi.json", "--checks", "all",
             "--exclude-checks", "positive_data_acceptance", "--max-examples", str(MAX_EXAMPLES), "--workers", "1",
             "--seed", "7", "--request-timeout", "120", "--max-response-time", "120", "--no-color",
             "--generation-database", "none",
             "--report-dir", str(tmp_path / "report")],
            cwd=tmp_path, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=False)
        duration = time.perf_counter() - started
    finally:
        server.kill()
    output = result.stdout + result.stderr
    print(f"schemathesis took {duration:.0f} s", output[-1500:], sep="\n")
    assert result.returncode == 0, output[-8000:]
    paths = json.loads((PROJECT_ROOT / "schemas" / "openapi.json").read_text())["paths"]
    operations = sum(len(ops) for ops in paths.values()) - 1  # schemathesis leaves out the document's own URL
    assert f"Selected: {operations}/{operations}" in output and f"Tested: {operations}" in output, output[-3000:]
