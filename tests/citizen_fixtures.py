"""The citizen pages' browser fixtures, shared by their test modules: gunicorn with short codes, and a phone on it.

Each module brings its own `citizen` (who signs in); `live` and `phone` are the same for all of them."""
import pytest

from tests.browser import PHONE, watch_for_policy_violations
from tests.live_server import LiveServer

# Short codes, so the page must fetch a new one within a test: refresh_in = max(1, 12 - 10) = 2 s.
TTL_SECONDS = 12


@pytest.fixture
def live(app, database_url, citizen, tmp_path):
    server = LiveServer(database_url, tmp_path / "server.log")
    server.env.update(EVIDENCE_DIR=app.config["EVIDENCE_DIR"], QR_TTL_SECONDS=str(TTL_SECONDS))
    server.start()
    yield server
    server.kill()


@pytest.fixture
def phone(browser, live):
    context = browser.new_context(base_url=live.url, locale="zh-CN", **PHONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    refused = watch_for_policy_violations(page)
    yield page
    context.close()
    assert refused == []  # nothing the strict Content-Security-Policy had to block
