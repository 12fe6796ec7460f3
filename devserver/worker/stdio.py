"""``devserver worker``: the worker protocol over stdin/stdout, one JSON object per line each way.

The process builds its own services (the same composition root as the server) with an embedded job queue in a
private jobs table (a server using the same exports folder keeps its own queue untouched), so a generation runs
through the same job lifecycle, safety stages, run folders and provenance as over HTTP. Messages are answered in
order; progress lines come while an image is made. stdout carries protocol lines only: the file descriptor is
kept for them and every other write to stdout (libraries print) goes to stderr, as logs do. A bad line (not
UTF-8, not JSON, too long, an unknown action) gets ``success: false`` and the worker goes on; end of input ends
it with exit status 0.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
import threading
from pathlib import Path
from typing import IO, Any

log = logging.getLogger(__name__)


def max_line_bytes(upload_max_bytes: int) -> int:
    """Longest line read: three base64-encoded conditioning images of the upload limit, plus the rest."""
    return 3 * (upload_max_bytes * 4 // 3 + 4) + 1024 * 1024


def _protocol_stream() -> IO[str]:
    """A text stream on the original stdout for protocol lines; fd 1 and ``sys.stdout`` go to stderr from now."""
    out = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1, newline="\n")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return out


def _read_lines(stream: IO[bytes], limit: int) -> Any:
    """(line text or None, problem or None) per input line; a line past `limit` bytes is skipped to its end."""
    while True:
        raw = stream.readline(limit + 1)
        if not raw:
            return
        if len(raw) > limit and not raw.endswith(b"\n"):
            while True:
                rest = stream.readline(1024 * 1024)
                if not rest or rest.endswith(b"\n"):
                    break
            yield None, f"the line is longer than {limit} bytes"
            continue
        try:
            text = raw.decode("utf-8").strip()
        except UnicodeDecodeError:
            yield None, "the line is not UTF-8 text"
            continue
        if text:
            yield text, None


def serve(settings: Any, stdin: IO[bytes] | None = None, stdout: IO[str] | None = None) -> int:
    """Answer messages from `stdin` (default: the process's) on `stdout` until end of input; returns 0.

    Args:
        settings: the worker's settings (models folder, exports folder, safety level, ...).
        stdin: binary input stream; stdout: text output stream (tests pass their own; by default the process's
            stdout is kept for protocol lines and everything else printed goes to stderr).
    """
    from devserver.services import build_services
    from devserver.worker.protocol import WorkerProtocol, failure

    out = stdout if stdout is not None else _protocol_stream()
    source = stdin if stdin is not None else sys.stdin.buffer
    lock = threading.Lock()

    def write(answer: dict[str, Any]) -> None:
        with lock:
            out.write(json.dumps(answer, ensure_ascii=False) + "\n")
            out.flush()

    with tempfile.TemporaryDirectory(prefix="devserver-worker-") as tmp:
        services = build_services(settings, queue_db=Path(tmp) / "queue.sqlite3")
        services.queue.start()
        protocol = WorkerProtocol(services)
        log.info("devserver worker ready: one JSON message per line on stdin")
        try:
            for line, problem in _read_lines(source, max_line_bytes(settings.upload_max_bytes)):
                if problem is not None:
                    write(failure(None, None, "bad_line", problem))
                    continue
                write(protocol.handle_line(line, on_progress=write))
        finally:
            services.queue.stop()
    log.info("devserver worker: end of input")
    return 0
