"""Shared fixtures: an isolated app per test (tmp exports), its client, and the tiny model built once.

Layout of the suite: tests/unit (modules directly), tests/api (Flask test client), tests/e2e
(Playwright driving Debian's Chromium against a real server). One pytest process runs them all so
that diffusers is imported once and the tiny model is built once per session.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("DIFFUSERS_NO_ADVISORY_WARNINGS", "1")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

pytest_plugins = ["tests.support.fake_llm"]


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny random-weight Stable Diffusion, built once per session into a temp models folder, with the other
    tiny models the model registry recognises (tiny SDXL, SD 1.x single file, VAE, LoRA, ControlNet, upscaler).

    Returns the models folder (the pipeline itself is at ``<dir>/tiny-sd``)."""
    from devserver.generation.tiny import build_tiny_sd
    from devserver.generation.tiny_models import build_all_tiny

    models_dir = tmp_path_factory.mktemp("models")
    build_tiny_sd(models_dir / "tiny-sd")
    build_all_tiny(models_dir)
    return models_dir


@pytest.fixture(scope="session")
def generation_backend(tiny_model_dir: Path):
    """One DiffusersBackend for the whole session, so pipelines load once (as in production)."""
    from devserver.generation.backend import DiffusersBackend

    return DiffusersBackend(device="cpu", models_dir=tiny_model_dir, allow_downloads=False)


@pytest.fixture
def settings_factory(tmp_path: Path, tiny_model_dir: Path):
    """Build Settings with an isolated exports folder and the session's tiny model; kwargs override."""
    from devserver.settings import Settings

    def make(**overrides):
        values = dict(exports_dir=tmp_path / "exports", models_dir=tiny_model_dir, device="cpu")
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture
def app(settings_factory, generation_backend):
    """An isolated app: tmp exports, the shared generation backend, default (youth) safety level."""
    from devserver import create_app

    return create_app(settings_factory(), generation_backend=generation_backend)


@pytest.fixture
def client(app):
    """Flask test client of `app`."""
    return app.test_client()


@pytest.fixture
def make_app(settings_factory, generation_backend):
    """Factory for apps with other settings: ``make_app(safety_level="kids")``."""
    from devserver import create_app

    def make(**overrides):
        return create_app(settings_factory(**overrides), generation_backend=generation_backend)

    return make
