"""/api/teacher: the teacher view's reading and actions, all behind the admin token (DESIGN.md, "Admin
operations"): the queue with what each run is about, cancel any run, the server's runs of today."""

from __future__ import annotations

from flask import Blueprint

from devserver.api._io import parse_query, respond
from devserver.api.auth import require_admin
from devserver.classroom import teacher
from devserver.api.openapi import documented
from devserver.contracts.api import ErrorResponse
from devserver.contracts.classroom import PageQuery, RunListResponse, TeacherQueueResponse
from devserver.contracts.jobs import RunStatusResponse
from devserver.services import get_services

bp = Blueprint("teacher", __name__, url_prefix="/api/teacher")


@bp.get("/queue")
@documented(responses={200: TeacherQueueResponse}, admin=True)
@require_admin
def queue():  # type: ignore[no-untyped-def]
    """Running runs, then waiting ones, with their idea or prompt, perspective and model."""
    return respond(teacher.queue_overview(get_services().queue))


@bp.post("/runs/<run_id>/cancel")
@documented(responses={200: RunStatusResponse, 202: RunStatusResponse, 409: ErrorResponse}, admin=True)
@require_admin
def cancel(run_id: str):  # type: ignore[no-untyped-def]
    """Cancel any learner's run: 200 when canceled now (it was queued), 202 when it stops at its next step."""
    status = teacher.cancel_any(get_services().queue, run_id)
    return respond(status, 202 if status.status == "running" else 200)


@bp.get("/runs")
@documented(query=PageQuery, responses={200: RunListResponse}, admin=True)
@require_admin
def todays_runs():  # type: ignore[no-untyped-def]
    """The server's runs of today (local date), newest first, paged (``page``, ``per_page``)."""
    query = parse_query(PageQuery)
    return respond(teacher.todays_runs(get_services().recorder, page=query.page, per_page=query.per_page))
