"""/api/v1/worker: the worker protocol over HTTP (DESIGN.md "Worker protocol"; the messages of ``devserver worker``).

One message per request, one answer per response (HTTP 200 whenever the message was read: its ``success`` and
``error_code`` say how it went, as on stdin). Admin actions (load_model, unload_model, optimize_model,
benchmark_model, update_metadata) need the admin token (devserver.api.auth); generation and reading do not.
Progress of a generation is not streamed here: the answer comes when the images are made (its ``run_id`` has the
events at /api/runs/<run_id>/events).
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from devserver.api._io import json_object
from devserver.api.auth import check_admin
from devserver.api.openapi import documented
from devserver.contracts.api import ErrorResponse
from devserver.contracts.worker import WorkerAnswer, WorkerMessage
from devserver.services import get_services
from devserver.worker.protocol import WorkerProtocol

bp = Blueprint("worker", __name__, url_prefix="/api/v1")


@bp.post("/worker")
@documented(json=WorkerMessage, responses={200: WorkerAnswer, 401: ErrorResponse})
def worker():  # type: ignore[no-untyped-def]
    """One worker-protocol message: a generation (seed 000, flat or C# form) or a model action (seed 001)."""
    answer = WorkerProtocol(get_services()).handle(json_object(), authorize=lambda _action: check_admin(),
                                                   client=request.remote_addr)
    return jsonify(answer), 200
