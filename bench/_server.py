"""The real server for benchmarks: the tiny model built into a temp folder, ``devserver serve`` in a subprocess."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class BenchServer:
    """A running server: its base URL and the folder holding the tiny model (``<models_dir>/tiny-sd``)."""

    url: str
    models_dir: Path


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_health(url: str, proc: subprocess.Popen, timeout_s: float = 120.0) -> None:
    """Poll GET /api/health until it answers 200 (the server imports diffusers first: ~10 s).

    Raises:
        RuntimeError: the server process exited; TimeoutError: not healthy within `timeout_s`.
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if requests.get(f"{url}/api/health", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"server at {url} not healthy after {timeout_s} s")


@contextmanager
def running_server(*, threads: int | None = None,
                   prepare_models: Callable[[Path], None] | None = None) -> Iterator[BenchServer]:
    """Build the tiny model, start ``devserver serve`` on a free port with temp exports, stop it afterwards.

    Args:
        threads: ``--threads`` for gunicorn (open event streams each hold one); None keeps the default.
        prepare_models: called with the models folder before the server starts (to add more models).
    Yields:
        the server; its log is written to ``server.log`` in the temp folder (printed if start-up fails).
    """
    from devserver.generation.tiny import build_tiny_sd

    with tempfile.TemporaryDirectory() as tmp:
        models = Path(tmp) / "models"
        build_tiny_sd(models / "tiny-sd")
        if prepare_models is not None:
            prepare_models(models)
        port = free_port()
        env = dict(os.environ, DEVSERVER_EXPORTS_DIR=str(Path(tmp) / "exports"), DEVSERVER_MODELS_DIR=str(models),
                   DEVSERVER_PORT=str(port), DEVSERVER_DEVICE="cpu", HF_HUB_OFFLINE="1")
        command = [sys.executable, "-m", "devserver", "serve"]
        if threads is not None:
            command += ["--threads", str(threads)]
        log_path = Path(tmp) / "server.log"
        with open(log_path, "w") as log:
            proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            try:
                url = f"http://127.0.0.1:{port}"
                try:
                    wait_for_health(url, proc)
                except (RuntimeError, TimeoutError):
                    print(log_path.read_text(), file=sys.stderr)
                    raise
                yield BenchServer(url=url, models_dir=models)
            finally:
                proc.terminate()
                proc.wait(timeout=30)
