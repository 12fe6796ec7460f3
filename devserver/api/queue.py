"""/api/queue: the runs being worked on and the ones waiting, in order."""

from __future__ import annotations

from flask import Blueprint

from devserver.api._io import respond
from devserver.api.auth import is_admin_request
from devserver.api.openapi import documented
from devserver.contracts.jobs import QueueResponse
from devserver.services import get_services

bp = Blueprint("queue", __name__, url_prefix="/api/queue")


@bp.get("")
@documented(responses={200: QueueResponse})
def list_queue():  # type: ignore[no-untyped-def]
    """Running runs (position 0), then queued runs by position (1 = next); run ids only for admin callers
    (knowing a run's id is what lets one see and cancel it, so learners do not get each other's)."""
    snapshot = get_services().queue.snapshot()
    if not is_admin_request():
        snapshot = snapshot.model_copy(update={"jobs": [job.model_copy(update={"run_id": None})
                                                        for job in snapshot.jobs]})
    return respond(snapshot)
