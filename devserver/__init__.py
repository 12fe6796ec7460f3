"""devserver: a local web studio for arts education (Flask application package).

``create_app(settings=None)`` builds settings, then services (the composition root in
:mod:`devserver.services`), then registers blueprints, error handlers and the SPA.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:  # pragma: no cover
    from flask import Flask

    from devserver.settings import Settings


def create_app(settings: Settings | None = None, *, start_queue: bool = True, **service_overrides: Any) -> Flask:
    """Build the Flask app.

    Args:
        settings: server settings; default: read from ``DEVSERVER_*`` environment variables.
        start_queue: recover the job queue after a restart and run queued jobs in this process
            (``app.extensions["devserver"].queue.stop()`` ends its workers). False for an app that only
            validates the configuration (e.g. in gunicorn's master process, where no job may run).
        service_overrides: passed to :func:`devserver.services.build_services`
            (``generation_backend=``, ``llm_backend=``), used by tests to share one loaded model.
    Returns:
        the configured app; its services are in ``app.extensions["devserver"]``.
    Raises:
        SchemaFileError: a file under schemas/ is broken.
    """
    from flask import Flask
    from flask_cors import CORS

    from devserver.api import health, media, models, openapi, queue, runs, schema, teacher, ws
    from devserver.api.security import register_security
    from devserver.errors import register_error_handlers
    from devserver.services import build_services
    from devserver.settings import Settings
    from devserver.spa import register_spa

    settings = settings or Settings()
    app = Flask(__name__, static_folder=None)
    # multipart bodies may be a little larger than the file itself; the upload store enforces the exact limit
    app.config["MAX_CONTENT_LENGTH"] = settings.upload_max_bytes + 64 * 1024
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["devserver"] = services = build_services(settings, **service_overrides)
    app.config["SOCK_SERVER_OPTIONS"] = ws.server_options(settings)
    CORS(app, resources={r"/api/*": {"origins": settings.cors_origins},
                         r"/v1/*": {"origins": settings.cors_origins}})  # the seed-002 job API
    register_error_handlers(app)
    register_security(app, settings.cors_origins)
    for blueprint in (health.bp, media.bp, schema.bp, runs.bp, queue.bp, ws.bp, models.bp, teacher.bp, openapi.bp):
        app.register_blueprint(blueprint)
    from devserver import examples
    from devserver.api import worker

    app.register_blueprint(examples.bp)
    app.register_blueprint(worker.bp)  # issue 10: the worker protocol over HTTP
    from devserver.api import v1_jobs

    app.register_blueprint(v1_jobs.bp)
    register_spa(app, settings.frontend_dist)
    if start_queue:
        services.queue.start()
    return app
