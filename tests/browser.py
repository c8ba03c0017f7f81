"""What the browser tests share: the system Chromium under Playwright, phones to emulate, screenshots, axe-core."""
import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
# A common phone (390×844 CSS pixels, as an iPhone 13/14), held by someone who may need large text.
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True,
         "user_agent": "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
                       "Chrome/156.0.0.0 Mobile Safari/537.36"}
# axe rules the pages must pass; "serious" and "critical" findings fail the test.
SERIOUS = ("serious", "critical")

requires_chromium = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="system Chromium is not installed")


def launch(playwright, extra_args: tuple[str, ...] = ()):
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=[*CHROMIUM_ARGS, *extra_args])


def snap(page, folder_variable: str, name: str, full_page: bool = False) -> None:
    """A PNG of what the screen shows (or the whole page), only when the environment variable names a folder."""
    folder = os.environ.get(folder_variable)
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=full_page)


def axe_violations(page) -> list[dict]:
    """The serious and critical accessibility violations axe-core finds in the page as it is now."""
    # Evaluated through the debugging protocol rather than added as a <script>: the page's policy rightly refuses that.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [{"id": rule["id"], "impact": rule["impact"], "nodes": [node["target"] for node in rule["nodes"]]}
            for rule in found if rule["impact"] in SERIOUS]


def watch_for_policy_violations(page) -> list[str]:
    """Collect what the browser reports of Content-Security-Policy refusals on this page from now on."""
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    return refused
