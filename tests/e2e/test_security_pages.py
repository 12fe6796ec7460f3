"""The studio, the API docs page and the WebSocket example client under the server's CSP, in real Chromium
(issue 7): they work, and the CSP is really enforced (an injected inline script does not run)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

pytestmark = pytest.mark.e2e

VIOLATION_LISTENER_JS = """() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation',
        (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
}"""


def _csp_problems(page: Page) -> list[str]:
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    return problems


def test_studio_enforces_its_csp(page: Page, base_url: str) -> None:
    response = page.goto(base_url + "/text-transformation")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.get_by_role("heading", level=1)).to_have_text("Text-Transformation")
    page.evaluate(VIOLATION_LISTENER_JS)
    # an attacker's inline script and inline style (e.g. injected markup) must not take effect
    page.evaluate("""() => {
        const script = document.createElement('script');
        script.textContent = 'window.__inlineRan = true';
        document.body.appendChild(script);
        const style = document.createElement('style');
        style.textContent = 'body { background: rgb(255, 0, 0) !important; }';
        document.head.appendChild(style);
    }""")
    page.wait_for_function("window.__violations.length >= 2")
    assert page.evaluate("window.__inlineRan === undefined")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != "rgb(255, 0, 0)"
    violations = page.evaluate("window.__violations")
    assert any(v.startswith("script-src") for v in violations) and any(v.startswith("style-src") for v in violations)


def test_studio_cannot_be_framed_by_another_page(page: Page, base_url: str) -> None:
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    # set_content returns after the load event, which waits for the frame's navigation to end
    page.set_content(f'<iframe id="frame" src="{base_url}/text-transformation" width="400" height="300"></iframe>')
    assert any("frame-ancestors 'none'" in text for text in messages), messages
    expect(page.frame_locator("#frame").get_by_role("heading", level=1)).to_have_count(0)


def test_api_docs_page_works_under_the_csp(page: Page, base_url: str) -> None:
    problems = _csp_problems(page)
    page.goto(base_url + "/api/docs")
    expect(page.locator(".swagger-ui .title")).to_contain_text("devserver API")
    expect(page.get_by_text("/api/schema/pipeline/execute").first).to_be_visible()
    page.get_by_text("/api/health", exact=True).first.click()
    # the operation's 200 response, as its schema (the Schemas list at the bottom is virtualized by Swagger UI from
    # 100 schemas on: only what is scrolled into view is rendered)
    operation = page.locator(".opblock", has=page.get_by_text("/api/health", exact=True)).first
    operation.get_by_role("tab", name="Schema").first.click()
    expect(operation.get_by_text("HealthResponse").first).to_be_visible()
    assert problems == []


def test_websocket_example_client_shows_progress(page: Page, base_url: str) -> None:
    problems = _csp_problems(page)
    page.goto(base_url + "/examples/websocket_test_client.html")
    status = page.locator("#status")
    expect(status).to_have_text("disconnected")
    page.get_by_role("button", name="Connect", exact=True).click()
    expect(status).to_have_text("connected")
    expect(page.locator("#log")).to_contain_text("subscribed")
    page.get_by_label("Steps").fill("6")
    page.evaluate("""() => {
        window.__seen = [];
        new MutationObserver(() => window.__seen.push(document.getElementById('progress-text').textContent))
            .observe(document.getElementById('progress-text'), { childList: true, characterData: true, subtree: true });
    }""")
    page.get_by_role("button", name="Start generation").click()
    expect(page.locator("#progress-text")).to_have_text(re.compile(r"^Job [0-9a-f-]{36} finished\.$"), timeout=60_000)
    seen = page.evaluate("window.__seen")
    assert any(re.search(r"is running at \d+% \(step \d of \d\)", text) for text in seen), seen  # PNDM: steps + 1
    image = page.locator("#result")
    expect(image).to_be_visible()
    assert page.evaluate("document.getElementById('result').naturalWidth") == 64
    expect(page.locator("#progress")).to_have_js_property("value", 1)
    page.get_by_role("button", name="Disconnect").click()
    expect(status).to_have_text("disconnected")
    assert problems == []


@pytest.fixture
def server_with_admin_token(tmp_path, tiny_model_dir, generation_backend):
    """The app with an admin token configured, on its own port (the session's server has none); yields its URL."""
    import threading

    from werkzeug.serving import make_server

    from devserver import create_app
    from devserver.settings import Settings
    from tests.e2e.conftest import FRONTEND_DIST

    settings = Settings(exports_dir=tmp_path / "exports", models_dir=tiny_model_dir, device="cpu",
                        frontend_dist=FRONTEND_DIST, admin_token=ADMIN_TOKEN)
    app = create_app(settings, generation_backend=generation_backend)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-token-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        app.extensions["devserver"].queue.stop()
        server.shutdown()
        thread.join(timeout=10)


ADMIN_TOKEN = "teacher-token-e2e"


def test_websocket_example_client_follows_every_run_only_with_the_token(page: Page, server_with_admin_token: str):
    """A learner's browser (no token) is refused every run's events and still follows the run it starts; with the
    admin token typed in, the page follows every run (the token travels in the subscribe message)."""
    problems = _csp_problems(page)
    page.goto(server_with_admin_token + "/examples/websocket_test_client.html")
    status, log = page.locator("#status"), page.locator("#log")
    page.get_by_role("button", name="Connect", exact=True).click()
    expect(status).to_have_text("connected: only the runs started here (all runs need the admin token)")
    expect(log).to_contain_text("admin_token_required")
    page.get_by_label("Steps").fill("2")
    page.get_by_role("button", name="Start generation").click()
    expect(page.locator("#progress-text")).to_have_text(re.compile(r"^Job [0-9a-f-]{36} finished\.$"), timeout=60_000)
    expect(page.locator("#result")).to_be_visible()
    page.get_by_role("button", name="Disconnect").click()
    expect(status).to_have_text("disconnected")

    page.get_by_label("Admin token").fill(ADMIN_TOKEN)
    page.get_by_role("button", name="Connect", exact=True).click()
    expect(log.locator("li").first).to_contain_text('subscribed {"job_ids":null}')
    expect(status).to_have_text("connected")
    assert problems == []
