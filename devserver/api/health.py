"""GET /api/health: version, device, safety level, LLM backend and client-side limits."""

from __future__ import annotations

from flask import Blueprint

from devserver import __version__
from devserver.api._io import respond
from devserver.api.openapi import documented
from devserver.contracts.api import DefaultModelStatus, HealthLimits, HealthResponse, SafetyInfo, SafetyListOut
from devserver.contracts.common import ACCEPTED_MIME_TYPES
from devserver.pipeline.orchestrator import model_ref
from devserver.services import Services, get_services

bp = Blueprint("health", __name__, url_prefix="/api/health")


@bp.get("")
@documented(responses={200: HealthResponse})
def health():  # type: ignore[no-untyped-def]
    """Liveness and the facts a client needs before its first request."""
    services = get_services()
    settings = services.settings
    return respond(HealthResponse(
        status="success", version=__version__, device=services.generation.device,
        safety_level=settings.safety_level, llm_backend=services.llm.name,
        limits=HealthLimits(upload_max_bytes=settings.upload_max_bytes,
                            upload_max_side_px=settings.upload_max_side_px,
                            accepted_types=list(ACCEPTED_MIME_TYPES)),
        safety=SafetyInfo(level=settings.safety_level,
                          lists=[SafetyListOut(name=name, description=description)
                                 for name, description in services.safety.descriptions().items()],
                          output_check=settings.output_check,
                          setting="DEVSERVER_SAFETY_LEVEL=kids|youth|adult|research (set by an admin before "
                                  "`make run`; restart the server to apply)"),
        default_model=default_model_status(services)))


def default_model_status(services: Services) -> DefaultModelStatus:
    """Whether the default output config's model is loaded; while not, a rough wait from its estimated_load_s."""
    output_config = services.registry.output_config(services.settings.default_output_config)
    ready, loading_for_s = services.generation.readiness(model_ref(output_config))
    wait = None if ready else max(1.0, round(output_config.estimated_load_s - (loading_for_s or 0.0), 1))
    return DefaultModelStatus(output_config=output_config.id, ready=ready, loading=loading_for_s is not None,
                              estimated_wait_s=wait)
