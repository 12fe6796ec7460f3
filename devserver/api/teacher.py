"""/api/teacher: the teacher view's reading and actions, all behind the admin token (DESIGN.md, "Admin
operations"): the queue with what each run is about, cancel any run, the server's runs of today."""

from __future__ import annotations

from flask import Blueprint, request

from devserver.api._io import respond
from devserver.api.auth import require_admin
from devserver.classroom import teacher
from devserver.contracts.classroom import PageQuery
from devserver.services import get_services

bp = Blueprint("teacher", __name__, url_prefix="/api/teacher")


@bp.get("/queue")
@require_admin
def queue():  # type: ignore[no-untyped-def]
    """Running runs, then waiting ones, with their idea or prompt, perspective and model."""
    return respond(teacher.queue_overview(get_services().queue))


@bp.post("/runs/<run_id>/cancel")
@require_admin
def cancel(run_id: str):  # type: ignore[no-untyped-def]
    """Cancel any learner's run: 200 when canceled now (it was queued), 202 when it stops at its next step."""
    status = teacher.cancel_any(get_services().queue, run_id)
    return respond(status, 202 if status.status == "running" else 200)


@bp.get("/runs")
@require_admin
def todays_runs():  # type: ignore[no-untyped-def]
    """The server's runs of today (local date), newest first, paged (``page``, ``per_page``)."""
    query = PageQuery.model_validate(request.args.to_dict())
    return respond(teacher.todays_runs(get_services().recorder, page=query.page, per_page=query.per_page))
