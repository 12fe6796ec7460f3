"""A page object for the studio UI: what a learner does, expressed once for every browser test.

Locators go by role and accessible name (the German default texts), so the tests also check that
the controls are labelled; a few spots without a natural accessible name use data-testid.
"""

from __future__ import annotations

import base64
import io
import re
from PIL import Image
from playwright.sync_api import Locator, Page, Response, expect

TIMEOUT_MS = 60_000
"""Upper bound for one pipeline call in the tests (a 256 px image with a few steps takes ~1 s)."""

RUN_MEMORY_KEY = "devserver.run.{view}"
"""localStorage key under which a studio mode remembers its running job (frontend/src/composables/useRun.ts)."""
GO = "Los – bis zum Bild"
"""Text mode's one-click button: all stages to the image."""
TRANSFORM = "Bild verwandeln"
"""Image mode's one-click button."""
GENERATE = "Bild erzeugen"
"""Stage 4's button: the image again, redoing what is out of date."""
STAGE2_LABEL = "Deine Idee, neu erzählt (du kannst sie ändern)"
PROMPT_LABEL = "Prompt für das Modell (du kannst ihn ändern)"

RECORD_PROGRESS_JS = """() => {
    window.__progress = [];
    window.__announcements = [];
    const remember = (list, entry) => {
        if (JSON.stringify(list.at(-1)) !== JSON.stringify(entry)) list.push(entry);
    };
    new MutationObserver(() => {
        const bar = document.querySelector('[role=progressbar]');
        if (bar && bar.hasAttribute('aria-valuenow')) {
            remember(window.__progress, {
                now: Number(bar.getAttribute('aria-valuenow')),
                max: Number(bar.getAttribute('aria-valuemax')),
                text: bar.getAttribute('aria-valuetext'),
                label: document.getElementById(bar.getAttribute('aria-labelledby')).textContent.trim(),
            });
        }
        const status = document.querySelector('[data-testid=announcer]');
        if (status && status.textContent) remember(window.__announcements, status.textContent);
    }).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
}"""
"""Page script: every distinct state of the progress bar and of the status region, as they change (no polling)."""


def image_pixels(png: bytes) -> bytes:
    """Decoded RGB pixels of an image file (provenance chunks differ between runs, pixels need not)."""
    with Image.open(io.BytesIO(png)) as image:
        return image.convert("RGB").tobytes()


class Studio:
    """Drives one browser page of the studio at `base_url`."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url

    # ------------------------------------------------------------------ navigation
    def open(self, path: str) -> None:
        """Go to `path` and wait until the view's heading is shown."""
        self.page.goto(path)
        expect(self.page.get_by_role("heading", level=1)).to_be_visible()

    def mode_link(self, name: str) -> Locator:
        """A link of the header's mode switcher ("Text" / "Bild")."""
        return self.page.get_by_role("group", name="Modus").get_by_role("link", name=name, exact=True)

    def stage(self, number: int) -> Locator:
        """The card of stage `number` (1-4)."""
        return self.page.locator(f"[data-stage='{number}']")

    def feedback(self, stage: int) -> Locator:
        """The feedback of a stage card (0: of the action buttons): progress, problem, message."""
        return self.page.locator(f"[data-feedback='{stage}']")

    # ------------------------------------------------------------------ shared controls
    def button(self, name: str) -> Locator:
        """The button named exactly `name`."""
        return self.page.get_by_role("button", name=name, exact=True)

    def pick_config(self, name: str) -> None:
        """Pick an interception config and wait until its rules are in the rules box."""
        with self.page.expect_response(re.compile(r"/api/schema/configs/\w+$")) as answer:
            self.page.get_by_role("radio", name=name, exact=True).check()
        assert answer.value.ok, answer.value.text()

    def open_settings(self) -> None:
        """Open "Weitere Einstellungen" (steps, size or strength) unless it is open."""
        if not self.page.locator("details.generation-settings").evaluate("details => details.open"):
            self.page.get_by_text("Weitere Einstellungen").click()

    def set_steps(self, steps: int) -> None:
        """Set the diffusion steps in "Weitere Einstellungen"."""
        self.open_settings()
        self.page.get_by_label("Schritte", exact=True).fill(str(steps))

    def set_size(self, side: int) -> None:
        """Set width and height in "Weitere Einstellungen" (text mode)."""
        self.open_settings()
        self.page.get_by_label("Breite (px)").select_option(str(side))
        self.page.get_by_label("Höhe (px)").select_option(str(side))

    def problem(self, stage: int) -> Locator:
        """The problem (block or error) shown in the card of `stage` (0: at the action buttons)."""
        return self.feedback(stage).locator(".notice")

    def technical_details(self, within: Locator) -> Locator:
        """The "Technische Details" toggle in `within`: it opens the server's own (English) words, for teachers."""
        return within.locator("summary", has_text="Technische Details")

    def output_image(self) -> Locator:
        return self.page.get_by_test_id("output-image")

    def seed(self) -> Locator:
        return self.page.get_by_test_id("seed")

    def progress_bar(self) -> Locator:
        """The progress bar of the running generation (role="progressbar")."""
        return self.page.get_by_role("progressbar")

    def status_message(self) -> Locator:
        """The view's polite live region (the milestones of a run)."""
        return self.page.get_by_test_id("announcer")

    def notice(self, stage: int) -> Locator:
        """The message of the card where an action ended ("Fertig! ...", "Abgebrochen ...")."""
        return self.feedback(stage).get_by_test_id("notice")

    def record_progress(self) -> None:
        """Start recording the progress bar's and the status region's changes (see `recorded_progress`)."""
        self.page.evaluate(RECORD_PROGRESS_JS)

    def recorded_progress(self) -> tuple[list[dict], list[str]]:
        """The distinct progress bar states ({now, max, text, label}) and status texts seen since `record_progress`."""
        return self.page.evaluate("() => [window.__progress, window.__announcements]")

    def remembered_run(self, view: str) -> str | None:
        """What the mode keeps in localStorage about its running job (None: nothing)."""
        return self.page.evaluate("key => localStorage.getItem(key)", RUN_MEMORY_KEY.format(view=view))

    def run_status(self, run_id: str) -> dict:
        """GET /api/runs/<run_id>: the queued run's status, stages and result."""
        response = self.page.request.get(f"{self.base_url}/api/runs/{run_id}")
        assert response.ok, response.text()
        return response.json()

    def generate(self, button: str, endpoint: str) -> tuple[dict, dict]:
        """Click `button`; the studio queues the run (202 from pipeline `endpoint`) and follows it to its image.

        Waits until the output image shows the run's image. Returns what the studio sent and the run's final
        status (GET /api/runs/<run_id>: `media_output`, `stages`)."""
        submitted = self.run_pipeline(button, endpoint, status=202)
        run_id = submitted.json()["run_id"]
        expect(self.output_image()).to_have_attribute("src", re.compile(f"^/api/media/image/{run_id}/"),
                                                      timeout=TIMEOUT_MS)
        status = self.run_status(run_id)
        assert status["status"] == "success", status
        return submitted.request.post_data_json, status

    def run_pipeline(self, button: str, endpoint: str, status: int = 200) -> Response:
        """Click `button` and return the answer of pipeline `endpoint` (e.g. "generation"), checking its status.

        `response.json()` is the body, `response.request.post_data_json` what the studio sent."""
        with self.page.expect_response(f"**/api/schema/pipeline/{endpoint}", timeout=TIMEOUT_MS) as answer:
            self.button(button).click()
        response = answer.value
        assert response.status == status, response.text()
        return response

    def image_bytes(self, url: str) -> bytes:
        """Fetch an image the studio shows (as the browser would, same origin)."""
        response = self.page.request.get(self.base_url + url)
        assert response.ok, response.status
        return response.body()

    # ------------------------------------------------------------------ text mode
    def text_ready(self, idea: str = "Ein Fuchs tanzt im Regen", config: str = "Dada", steps: int = 4) -> None:
        """Text mode with an idea, a perspective and few diffusion steps (nothing run yet)."""
        self.open("/text-transformation")
        self.page.get_by_label("Deine Idee (WAS)").fill(idea)
        self.pick_config(config)
        self.set_steps(steps)

    def text_flow_until_optimized(self, idea: str = "Ein Fuchs tanzt im Regen", config: str = "Dada") -> None:
        """Text mode step by step: stages 1-2 ("Schritt für Schritt"), then 3 ("Weiter zu Stufe 3"), few steps."""
        self.text_ready(idea, config)
        self.run_pipeline("Schritt für Schritt", "stage2")
        self.run_pipeline("Weiter zu Stufe 3", "optimize")

    def wait_for_image(self, image: Locator) -> dict[str, int]:
        """Wait until `image` has loaded; returns its natural and rendered size in CSS pixels."""
        image.evaluate("img => img.decode()")
        return image.evaluate(
            "img => ({naturalWidth: img.naturalWidth, naturalHeight: img.naturalHeight,"
            " width: img.getBoundingClientRect().width, height: img.getBoundingClientRect().height})"
        )

    # ------------------------------------------------------------------ image mode
    def open_image_view(self) -> None:
        """Go to image mode and wait until the server's upload limits are known (a file chosen earlier is
        refused unsent, as `limits_unknown`)."""
        self.open("/image-transformation")
        expect(self.page.get_by_text("PNG, JPEG oder WebP, höchstens 10 MB")).to_be_visible()

    def drop_file(self, data: bytes, name: str, mime_type: str) -> None:
        """Drop a file onto the upload zone: a DataTransfer built in the page, sent with a `drop` event."""
        transfer = self.page.evaluate_handle(
            """([b64, name, type]) => {
                const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
                const transfer = new DataTransfer();
                transfer.items.add(new File([bytes], name, { type }));
                return transfer;
            }""",
            [base64.b64encode(data).decode("ascii"), name, mime_type],
        )
        self.page.get_by_test_id("drop-zone").dispatch_event("drop", {"dataTransfer": transfer})

    def drop_sized_file(self, size_bytes: int, name: str, mime_type: str) -> None:
        """Drop a zero-filled file of `size_bytes`, built in the page (no megabytes through the driver)."""
        transfer = self.page.evaluate_handle(
            """([size, name, type]) => {
                const transfer = new DataTransfer();
                transfer.items.add(new File([new Uint8Array(size)], name, { type }));
                return transfer;
            }""",
            [size_bytes, name, mime_type],
        )
        self.page.get_by_test_id("drop-zone").dispatch_event("drop", {"dataTransfer": transfer})
