"""/api/queue: the runs being worked on and the ones waiting, in order."""

from __future__ import annotations

from flask import Blueprint

from devserver.api._io import respond
from devserver.api.openapi import documented
from devserver.contracts.jobs import QueueResponse
from devserver.services import get_services

bp = Blueprint("queue", __name__, url_prefix="/api/queue")


@bp.get("")
@documented(responses={200: QueueResponse})
def list_queue():  # type: ignore[no-untyped-def]
    """Running runs (position 0), then queued runs by position (1 = next)."""
    return respond(get_services().queue.snapshot())
