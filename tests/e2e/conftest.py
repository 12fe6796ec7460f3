"""Browser tests: Debian's Chromium (driven by pytest-playwright) against a real devserver.

The server is the real Flask app (tiny offline model, isolated exports folder) served by werkzeug on a
free port in a daemon thread, once per session; it serves the built SPA from frontend/dist, so the
frontend must be built first (`make test` does; by hand: `npm run build` in frontend/).
A failing test leaves a full-page screenshot under test-results/e2e/ (pytest-playwright's `--output`
folder, which it empties at the start of every session).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.e2e.studio import Studio

REPO = Path(__file__).resolve().parents[2]
FRONTEND_DIST = REPO / "frontend" / "dist"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Launch Debian's Chromium (Playwright's own browsers are never downloaded here)."""
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path, generation_backend) -> Iterator[str]:
    """The real app on 127.0.0.1:<free port>, serving frontend/dist; yields its base URL.

    Fails (never skips) when frontend/dist is missing."""
    if not (FRONTEND_DIST / "index.html").is_file():
        pytest.fail(f"{FRONTEND_DIST} is missing: run `npm run build` in frontend/ (`make test` builds it first)",
                    pytrace=False)
    from werkzeug.serving import make_server

    from devserver import create_app
    from devserver.settings import Settings

    settings = Settings(exports_dir=tmp_path_factory.mktemp("e2e-exports"), models_dir=tiny_model_dir,
                        device="cpu", frontend_dist=FRONTEND_DIST)
    app = create_app(settings, generation_backend=generation_backend)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def base_url(live_server: str) -> str:
    """pytest-playwright's base URL: `page.goto("/text-transformation")` reaches the live server."""
    return live_server


@pytest.fixture
def studio(page: Page, base_url: str) -> Iterator[Studio]:
    """The studio UI in a fresh browser context (German, nothing stored).

    Fails the test when the page threw an uncaught error, logged a Vue/vue-i18n warning or broke the server's
    Content-Security-Policy (Chromium logs every refused script, style or connection)."""
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda message: problems.append(f"console: {message.text}")
            if re.search(r"\[(Vue warn|intlify)\]|Content Security Policy", message.text) else None)
    yield Studio(page, base_url)
    assert problems == [], "the page reported problems"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Keep a full-page screenshot of every failing browser test under <--output>/e2e/."""
    report = yield
    page = getattr(item, "funcargs", {}).get("page")
    if report.when == "call" and report.failed and page is not None and not page.is_closed():
        folder = Path(item.config.getoption("--output")).absolute() / "e2e"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / (re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid)[-150:] + ".png")
        page.screenshot(path=str(path), full_page=True)
        report.sections.append(("screenshot", str(path)))
    return report
