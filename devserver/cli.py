"""The ``devserver`` command: serve, run, models, configs, contracts.

    devserver serve [--host H] [--port P] [--threads N]
    devserver run "idea" --config bauhaus [--image photo.jpg] [--seed N] [--output-config tiny_sd] [--language de]
    devserver models build-tiny [--force]
    devserver configs list
    devserver contracts export [--check]     (schemas/json/*.schema.json and schemas/openapi.json)
    devserver worker                         (JSON lines on stdin/stdout: seed 000 generation, seed 001 model actions)
    devserver worker --celery [--models id,id] [--concurrency 1] [--name NAME]

Heavy modules (diffusers, torch) are imported only by the subcommands that need them, so ``--help`` is fast.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def _settings(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from devserver.settings import Settings

    overrides = {k: v for k, v in (("host", getattr(args, "host", None)), ("port", getattr(args, "port", None)))
                 if v is not None}
    return Settings(**overrides)


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the API and the studio UI with gunicorn (a production WSGI server, not Flask's debug server).

    One worker process (the loaded models and the job queue live in it) with many threads, so long-lived
    SSE and WebSocket connections (flask-sock supports gunicorn's threaded worker) do not starve requests.
    """
    import logging

    from gunicorn.app.base import BaseApplication

    from devserver import create_app
    from devserver.generation.tiny import ensure_tiny_sd

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = _settings(args)
    ensure_tiny_sd(settings.resolved_models_dir)
    # validate schemas/ and settings in the master (a broken file stops here, once); the queue starts only in the
    # worker, which recovers interrupted jobs and runs queued ones
    create_app(settings, start_queue=False)

    class _Server(BaseApplication):  # gunicorn's documented "custom application" pattern
        def load_config(self) -> None:
            self.cfg.set("bind", f"{settings.host}:{settings.port}")
            self.cfg.set("workers", 1)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", args.threads)
            self.cfg.set("timeout", 0)  # generations and event streams may take long; no worker kill
            self.cfg.set("graceful_timeout", 10)
            self.cfg.set("accesslog", None)

        def load(self):  # type: ignore[no-untyped-def]
            app = create_app(settings)  # in the worker process, so its threads live there
            threading.Thread(target=warm_up_default_model, args=(app,), name="warm-up", daemon=True).start()
            return app

    print(f"devserver: http://{settings.host}:{settings.port}/", flush=True)
    _Server().run()
    return 0


def warm_up_default_model(app) -> None:  # type: ignore[no-untyped-def]
    """Import diffusers and load the default output config's weights, so the first learner does not wait.

    Runs in a background thread of the serving process; requests arriving meanwhile wait for the same load
    (the backend loads each model once). A failure is logged, not raised: the model may simply be missing.
    """
    import logging

    from devserver.pipeline.orchestrator import model_ref

    services = app.extensions["devserver"]
    output_config = services.registry.output_config(services.settings.default_output_config)
    try:
        services.models.refresh()  # the model registry scans the models folder at start-up
    except Exception:  # noqa: BLE001 - logged; GET /api/models scans again on first use
        logging.getLogger(__name__).warning("scanning the models folder failed", exc_info=True)
    try:
        services.generation.warm_up(model_ref(output_config))
    except Exception:  # noqa: BLE001 - logged; a request will report the problem to the learner
        logging.getLogger(__name__).warning("warm-up of %s failed", output_config.id, exc_info=True)


def cmd_run(args: argparse.Namespace) -> int:
    """Run stages 1-4 as a job in this process and print each stage's result and the image path."""
    import tempfile

    from devserver import create_app

    settings = _settings(args)
    with tempfile.TemporaryDirectory(prefix="devserver-run-") as tmp:
        # a private jobs table: never touch a running server's queue (the run folder goes to the exports as usual)
        app = create_app(settings, start_queue=False, queue_db=Path(tmp) / "queue.sqlite3")
        services = app.extensions["devserver"]
        try:
            return _run_once(args, settings, services)
        finally:
            services.queue.stop()


def _run_once(args: argparse.Namespace, settings, services) -> int:  # type: ignore[no-untyped-def]
    from devserver.contracts.api import BlockedResponse, ExecuteRequest
    from devserver.errors import ApiError

    image_id = mask_id = None
    try:
        if args.image:
            with open(args.image, "rb") as fh:
                image_id = services.uploads.save(fh, os.path.basename(args.image)).image_id
        if getattr(args, "mask", None):
            with open(args.mask, "rb") as fh:
                mask_id = services.uploads.save(fh, os.path.basename(args.mask)).image_id
        config = args.config or ("image_transformation" if args.image else "bauhaus")
        body = {"schema": config, "input_text": args.idea, "language": args.language, "seed": args.seed,
                "output_config": args.output_config, "input_image": image_id, "mask_image": mask_id}
        if args.rules is not None:
            body["context_prompt"] = args.rules
        result = services.queue.call("execute", ExecuteRequest.model_validate(body))
    except ApiError as exc:
        print(f"error ({exc.code}): {exc.message}", file=sys.stderr)
        return 2
    stages = result.stages
    if stages.stage1:
        print(f"[1 safety]       {stages.stage1.status} (level {stages.stage1.level})")
    if isinstance(result, BlockedResponse):
        print(f"BLOCKED at stage {result.stage}: {result.reason}")
        print(f"run folder: {settings.runs_dir / result.run_id}")
        return 3
    print(f"[2 interception] {stages.stage2.status}: {stages.stage2.output}")
    print(f"[3 pre-output]   optimization {stages.stage3.optimization.status}, translation "
          f"{stages.stage3.translation.status}, safety {stages.stage3.safety.status}")
    print(f"                 prompt: {stages.stage3.prompt}")
    s4 = stages.stage4
    print(f"[4 generation]   {s4.mode} {s4.width}x{s4.height}, {s4.steps} steps, {s4.scheduler}, seed {s4.seed}, "
          f"{s4.duration_ms} ms on {s4.device}")
    image = settings.runs_dir / result.run_id / services.recorder.open(result.run_id).image_path().name
    print(f"image: {image}")
    return 0


def cmd_models_build_tiny(args: argparse.Namespace) -> int:
    """Build the tiny random-weight Stable Diffusion into <models>/tiny-sd and, with --all, the tiny SDXL, SD 1.x
    single file, VAE, LoRA, ControlNet and upscaler the model registry recognises, and one tiny model per family
    (SD 2.x, SDXL-Turbo, SD 3 with and without T5, Flux, 9-channel inpainting: devserver.generation.tiny_models)."""
    from devserver.generation.tiny import build_tiny_sd, ensure_tiny_sd

    settings = _settings(args)
    target = settings.resolved_models_dir / "tiny-sd"
    if args.force:
        import shutil

        shutil.rmtree(target, ignore_errors=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        build_tiny_sd(target)
    else:
        ensure_tiny_sd(settings.resolved_models_dir)
    print(target)
    if args.all:
        from devserver.generation.tiny_models import build_all_tiny

        for path in build_all_tiny(settings.resolved_models_dir, force=args.force)[1:]:
            print(path)
    return 0


def cmd_configs_list(args: argparse.Namespace) -> int:
    """List interception and output configs."""
    from devserver.pipeline.loader import SchemaRegistry

    settings = _settings(args)
    registry = SchemaRegistry.load(settings.schemas_dir)
    print("interception configs:")
    for config in sorted(registry.configs.values(), key=lambda c: (c.category, c.display.order, c.id)):
        print(f"  {config.id:<24} {config.category:<16} {config.pipeline:<22} {config.name.en}")
    print("output configs:")
    for oc in sorted(registry.output_configs.values(), key=lambda c: c.id):
        print(f"  {oc.id:<24} {oc.model.family:<6} {oc.defaults.width}x{oc.defaults.height} {oc.name.en}")
    return 0


def export_json_schemas(target: Path) -> dict[Path, str]:
    """Render the JSON Schema of every API model (devserver.contracts.ALL_MODELS).

    Returns:
        file path -> file text (``<Model>.schema.json``, pretty, sorted keys, trailing newline).
    """
    from devserver.contracts import ALL_MODELS

    files = {}
    for model in ALL_MODELS:
        schema = model.model_json_schema(by_alias=True, mode="serialization")
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = f"devserver/{model.__name__}.schema.json"
        files[target / f"{model.__name__}.schema.json"] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    return files


def export_seed_schemas(target: Path) -> dict[Path, str]:
    """Seed 000's two schemas of the worker protocol, in the seed's draft-07 and under the seed's file names
    (``enhanced_sdxl_request_schema.json``, ``enhanced_sdxl_response_schema.json``), generated from their models."""
    from devserver.contracts.worker import SEED_SCHEMA_FILES, draft07_schema

    return {target / name: json.dumps(draft07_schema(model, title), indent=2, sort_keys=True) + "\n"
            for name, (model, title) in SEED_SCHEMA_FILES.items()}


def export_openapi(settings) -> str:  # type: ignore[no-untyped-def]
    """The OpenAPI 3.1 document of the HTTP API as file text (``schemas/openapi.json``)."""
    from devserver import create_app
    from devserver.api.openapi import openapi_text

    return openapi_text(create_app(settings, start_queue=False))


def cmd_contracts_export(args: argparse.Namespace) -> int:
    """Write schemas/json/*.schema.json and schemas/openapi.json from the pydantic contracts (--check: fail if
    stale)."""
    settings = _settings(args)
    target = settings.schemas_dir / "json"
    files = export_json_schemas(target)
    files.update(export_seed_schemas(target))
    files[settings.schemas_dir / "openapi.json"] = export_openapi(settings)
    stale = sorted(str(p) for p, text in files.items() if not p.is_file() or p.read_text(encoding="utf-8") != text)
    extra = sorted(str(p) for p in target.glob("*.schema.json") if p not in files)
    if args.check:
        if stale or extra:
            print("stale JSON Schemas / OpenAPI document (run `devserver contracts export`):", *stale, *extra,
                  sep="\n  ")
            return 1
        print(f"{len(files) - 1} JSON Schemas and the OpenAPI document up to date")
        return 0
    target.mkdir(parents=True, exist_ok=True)
    for path in extra:
        Path(path).unlink()
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    print(f"wrote {len(files) - 1} JSON Schemas to {target} and {settings.schemas_dir / 'openapi.json'}")
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """``devserver worker``: the JSON-lines worker protocol on stdin/stdout (DESIGN.md "Worker protocol";
    devserver.worker.stdio); ``devserver worker --celery``: a GPU worker of the Celery backend (stage 4 only; see
    devserver.jobs.gpu_worker)."""
    import logging

    if not args.celery:
        logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        from devserver.worker.stdio import serve

        return serve(_settings(args))

    from devserver.jobs.gpu_worker import run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    models = None
    if args.models is not None:
        models = [model.strip() for model in args.models.split(",") if model.strip()]
        if not models:
            print("devserver worker: --models needs at least one output config id", file=sys.stderr)
            return 2
    return run_worker(_settings(args), models=models, concurrency=args.concurrency, name=args.name)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``devserver`` command."""
    parser = argparse.ArgumentParser(prog="devserver", description="Local web studio for arts education.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the API and the studio UI")
    serve.add_argument("--host", help="interface (default DEVSERVER_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default DEVSERVER_PORT or 17802)")
    serve.add_argument("--threads", type=int, default=256,
                       help="worker threads = concurrent connections incl. SSE/WebSocket streams (default 256)")
    serve.set_defaults(func=cmd_serve)

    run = sub.add_parser("run", help="run all four stages in-process and print the results")
    run.add_argument("idea", help="the idea (WHAT)")
    run.add_argument("--config", help="interception config id (default bauhaus; image_transformation with --image)")
    run.add_argument("--rules", help="your own rules (HOW), replacing the config's")
    run.add_argument("--image", help="input image (png/jpeg/webp): img2img")
    run.add_argument("--mask", help="with --image: a mask (white = repaint, black = keep): inpainting")
    run.add_argument("--seed", type=int, help="seed (default: random)")
    run.add_argument("--output-config", help="output config id (default tiny_sd)")
    run.add_argument("--language", choices=["de", "en"], default="en", help="language of the texts")
    run.set_defaults(func=cmd_run)

    models = sub.add_parser("models", help="model management").add_subparsers(dest="models_command", required=True)
    tiny = models.add_parser("build-tiny", help="build the tiny offline model")
    tiny.add_argument("--force", action="store_true", help="rebuild even if present")
    tiny.add_argument("--all", action="store_true",
                      help="also build tiny SDXL, SD 1.x single file, VAE, LoRA, ControlNet and upscaler")
    tiny.set_defaults(func=cmd_models_build_tiny)

    configs = sub.add_parser("configs", help="configs").add_subparsers(dest="configs_command", required=True)
    configs.add_parser("list", help="list configs").set_defaults(func=cmd_configs_list)

    worker = sub.add_parser("worker", help="run a worker: JSON lines on stdin/stdout (the worker protocol), or with "
                                           "--celery a GPU worker of the Celery backend")
    worker.add_argument("--celery", action="store_true",
                        help="consume stage-4 jobs from the Celery broker (DEVSERVER_BROKER_URL)")
    worker.add_argument("--models", help="output config ids to serve, comma-separated (default: all whose "
                                         "weights are in DEVSERVER_MODELS_DIR)")
    worker.add_argument("--concurrency", type=int, default=1, choices=range(1, 65), metavar="N",
                        help="jobs at the same time (pool processes, default 1)")
    worker.add_argument("--name", help="worker name shown in GET /api/queue (default <host>-<pid>)")
    worker.set_defaults(func=cmd_worker)

    contracts = sub.add_parser("contracts", help="API contracts").add_subparsers(dest="contracts_command",
                                                                                 required=True)
    export = contracts.add_parser("export", help="write schemas/json from the pydantic models")
    export.add_argument("--check", action="store_true", help="fail if the files are stale")
    export.set_defaults(func=cmd_contracts_export)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``devserver`` console script."""
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
