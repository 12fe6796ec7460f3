"""schemathesis against a really running server (issue 7): every operation of /api/openapi.json, a bounded number
of generated requests each (valid and invalid), every check: no 5xx, every status documented, every response
matching its schema and content type.

The server is ``devserver serve`` (gunicorn, the production server) in its own process with an isolated exports
folder and the session's tiny models; schemathesis runs as its CLI (``st run``). The queue cap is small so the
generated async runs cannot pile up work (they get the documented 429 instead). Excluded is only the
``positive_data_acceptance`` check: it expects every schema-valid request to succeed, but some meaning is beyond a
schema (an upload must be a decodable image, ids must exist, sizes must fit the chosen model's limits).

Every generation the fuzzer can ask for stays small: the server reads a copy of schemas/ whose output configs allow
at most 128 px and 8 steps (:func:`_small_output_configs`; larger values are the server's documented 422, as any
other limit of a chosen model), so a run of schemathesis costs the same seconds whatever sizes it draws, also on a
busy 2-core machine.

Admin operations (DESIGN.md "Admin operations") change the server for everyone, so the fuzzer gets them
deliberately, in two passes over one server that has an admin token configured:

1. Every operation without the token: the admin operations are exercised up to their 401 (schemathesis's
   ``ignored_auth`` check included), which is what any learner's browser can reach.
2. With the token, only the admin operations whose success is cheap and leaves nothing running: the teacher view
   (queue, today's runs, cancel any run), metadata edits, unload and refresh. Not fuzzed with the token are load,
   optimize and benchmark: each success reads weights or runs diffusion (seconds each; torch_compile alone takes
   minutes on this CPU, FEASIBILITY i3) and optimize/benchmark queue jobs that outlive the request, so hundreds of
   generated successes would make the run slow and its timing flaky. Their success paths, 202 jobs and errors are
   tested in tests/api/test_models_api.py and tests/api/test_model_jobs.py; here they still meet pass 1.
"""

from __future__ import annotations

import json
import os
import shutil
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
ADMIN_TOKEN = "schemathesis-admin-token"
"""Configured on the fuzzed server; given to schemathesis only in pass 2."""
ADMIN_PASS_PATHS = r"^/api/(teacher/|models/refresh$|models/\{model_id\}/(metadata|unload)$)"
"""Operations fuzzed with the admin token (pass 2): the cheap admin operations, see the module docstring."""
ADMIN_PASS_OPERATIONS = 6
"""GET /api/teacher/queue, GET /api/teacher/runs, POST /api/teacher/runs/{run_id}/cancel,
PATCH /api/models/{model_id}/metadata, POST /api/models/{model_id}/unload, POST /api/models/refresh."""
CONFIG = """
[checks.negative_data_rejection]
# schemathesis's default list, plus 414: gunicorn refuses a request line over 4094 bytes before the app sees it
# (documented on every operation with query parameters), e.g. 300 run ids where 100 are allowed
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "414", "415", "422", "428", "429", "5xx"]
"""
"""schemathesis.toml of the run."""
SMALL_MAX_SIDE_PX = 128
SMALL_MAX_STEPS = 8
"""Largest image side and step count the fuzzed server's output configs allow."""
RUN_TIMEOUT_S = 420
"""Upper bound for each schemathesis pass (together about 25-40 s on the 2-core machine; up to ~2 min while other
work shares its cores)."""


def _schemathesis(url: str, workdir: Path, *args: str) -> tuple[str, float]:
    """Run ``st run`` against the server; returns its output (asserting it passed) and its duration in seconds."""
    config = workdir / "schemathesis.toml"
    config.write_text(CONFIG, encoding="utf-8")
    started = time.perf_counter()
    result = subprocess.run(
        [str(Path(sys.executable).with_name("st")), "--config-file", str(config), "run", f"{url}/api/openapi.json",
         "--checks", "all", "--exclude-checks", "positive_data_acceptance", "--max-examples", str(MAX_EXAMPLES),
         "--workers", "1", "--seed", "7", "--request-timeout", "120", "--max-response-time", "120", "--no-color",
         "--generation-database", "none", "--report-dir", str(workdir / "report"), *args],
        cwd=workdir, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=False)
    duration = time.perf_counter() - started
    output = result.stdout + result.stderr
    print(f"schemathesis {' '.join(args)} took {duration:.0f} s", output[-1500:], sep="\n")
    failures = output.find("FAILURES")
    assert result.returncode == 0, output[failures:failures + 8000] if failures >= 0 else output[-8000:]
    return output, duration


def _small_output_configs(schemas: Path) -> Path:
    """A copy of schemas/ in `schemas` whose output configs allow at most 128 px and 8 steps (defaults 64 px, 4)."""
    shutil.copytree(PROJECT_ROOT / "schemas", schemas)
    for path in (schemas / "configs" / "output").glob("*.json"):
        config = json.loads(path.read_text(encoding="utf-8"))
        config["max_side_px"] = min(config["max_side_px"], SMALL_MAX_SIDE_PX)
        config["max_steps"] = min(config["max_steps"], SMALL_MAX_STEPS)
        defaults = config["defaults"]
        defaults.update(width=min(defaults["width"], 64), height=min(defaults["height"], 64),
                        steps=min(defaults["steps"], 4))
        path.write_text(json.dumps(config, ensure_ascii=False, indent=2), encoding="utf-8")
    return schemas


def test_schemathesis_finds_nothing(tmp_path: Path, tiny_model_dir: Path) -> None:
    port = free_port()
    env = {**os.environ, "DEVSERVER_PORT": str(port), "DEVSERVER_EXPORTS_DIR": str(tmp_path / "exports"),
           "DEVSERVER_SCHEMAS_DIR": str(_small_output_configs(tmp_path / "schemas")),
           "DEVSERVER_MODELS_DIR": str(tiny_model_dir), "DEVSERVER_DEVICE": "cpu", "DEVSERVER_QUEUE_MAX_JOBS": "4",
           "DEVSERVER_QUEUE_MAX_JOBS_PER_CLIENT": "4", "DEVSERVER_ADMIN_TOKEN": ADMIN_TOKEN,
           "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1",
           # generated runs that name no model use one of at most 4 steps: schemathesis follows the links from
           # POST /v1/jobs to the job's stream, which waits for the image (and the jobs queued before it)
           "DEVSERVER_DEFAULT_OUTPUT_CONFIG": "tiny_sdxl_turbo"}
    server = ServerProcess(env, tmp_path / "server.log")
    (tmp_path / "everyone").mkdir()
    (tmp_path / "admin").mkdir()
    try:
        server.wait_until_serving()
        everyone, _ = _schemathesis(server.url, tmp_path / "everyone")
        admin, _ = _schemathesis(server.url, tmp_path / "admin", "--include-path-regex", ADMIN_PASS_PATHS,
                                 "--header", f"Authorization: Bearer {ADMIN_TOKEN}")
    finally:
        server.kill()
    paths = json.loads((PROJECT_ROOT / "schemas" / "openapi.json").read_text())["paths"]
    operations = sum(len(ops) for ops in paths.values()) - 1  # schemathesis leaves out the document's own URL
    assert f"Selected: {operations}/{operations}" in everyone and f"Tested: {operations}" in everyone, everyone[-3000:]
    assert f"Selected: {ADMIN_PASS_OPERATIONS}/" in admin and f"Tested: {ADMIN_PASS_OPERATIONS}" in admin, admin[-3000:]
    assert "401 Unauthorized" not in admin, "pass 2 must reach the admin operations' success paths"
