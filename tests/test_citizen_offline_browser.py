"""亮码 with no network, in Chromium on a phone: the page loaded once online keeps a batch of codes and a service
worker; offline, reloaded or opened again, it shows the code of the current window (which the server verifies),
rotates by itself, says when the batch is used up; other pages say "需要联网"; signing out empties the store.

Set SAVE_H5_SCREENSHOTS=<folder> to keep PNGs of the states (docs/h5/ holds the committed ones).
"""
import time

import pytest
import requests
import sqlalchemy as sa

from app.domain import codes
from app.domain.dates import today, utcnow
from app.extensions import db
from app.models import AccessToken
from app.services import accounts, qrcodes
from app.web.helpers import ELDER_COOKIE
from tests.browser import requires_chromium, snap
from tests.citizen_fixtures import TTL_SECONDS
from tests.helpers import identity, list_identity
from tests.live_server import STAFF_PASSWORD
from tests.test_citizen_browser import SHOTS, no_serious_violations, shown_token, sign_in

pytestmark = requires_chromium
pytest.importorskip("playwright.sync_api")
STORE = "xinyi-citizen-codes"
# How many codes the page's own store holds (read through its module, as the page does).
STORED_CODES = """async () => {
  const store = await import(document.getElementById("code").dataset.store);
  const batch = await store.load();
  return batch ? batch.codes.length : 0;
}"""
STORES = "async () => (await indexedDB.databases()).map((database) => database.name)"


@pytest.fixture
def citizen(app, catalogue):
    accounts.create_account("bus_gate", STAFF_PASSWORD, "staff", "test", venue_id=catalogue["BUS"].id)
    return list_identity(identity(161, name="欧阳守信"), today(), category="P02", grade="A")


def _ready_offline(phone) -> None:
    """The code page online until its batch is kept and the service worker controls it."""
    phone.goto("/m/code")
    phone.locator("#qr").wait_for(state="visible")
    phone.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=15_000)
    for _ in range(100):  # the batch comes in the background (waiting for a function does not wait for its promise)
        if phone.evaluate(STORED_CODES):
            return
        phone.wait_for_timeout(150)
    raise AssertionError("no batch kept")


def _wait_until_gone(phone) -> None:
    for _ in range(50):
        if STORE not in phone.evaluate(STORES):
            return
        phone.wait_for_timeout(100)
    raise AssertionError("the codes are still on the phone")


def _move_clock(phone, seconds: int) -> None:
    """This phone's clock `seconds` ahead from the next page on (as if that long had passed with no network)."""
    phone.add_init_script(f"{{ const real = Date.now; Date.now = () => real() + {seconds * 1000}; }}")


def _verify(live, token: str) -> dict:
    staff = requests.post(live.url + "/api/v1/staff/login", timeout=10,
                          json={"username": "bus_gate", "password": STAFF_PASSWORD}).json()["access_token"]
    return requests.post(live.url + "/api/v1/scan/verify", headers={"Authorization": f"Bearer {staff}"},
                         json={"token": token}, timeout=10).json()


@pytest.mark.parametrize("elder", [False, True], ids=["standard", "elder"])
def test_reloaded_offline_the_page_shows_and_rotates_codes_the_server_verifies(phone, live, citizen, elder):
    if elder:
        phone.context.add_cookies([{"name": ELDER_COOKIE, "value": "on", "url": live.url}])
    sign_in(phone, citizen)
    _ready_offline(phone)
    online_token = shown_token(phone)
    phone.context.set_offline(True)
    errors = []
    phone.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    phone.reload()  # the browser's own error page without the service worker
    phone.locator("#qr").wait_for(state="visible")
    assert phone.evaluate("document.documentElement.classList.contains('elder')") is elder
    assert phone.locator("#offline").inner_text().startswith("离线码")
    assert phone.locator("#who").inner_text() == "欧**信 · 守信激励对象"
    first = shown_token(phone)
    assert first != online_token and 0 < int(phone.locator("#countdown b").inner_text()) <= TTL_SECONDS
    verdict = _verify(live, first)  # the staff API, as a counter online would
    assert verdict["valid"] is True and verdict["measures"], verdict
    # It rotates by itself with no network: the next window's code, valid then.
    phone.wait_for_function("() => document.getElementById('news').textContent.includes('二维码已更新')",
                            timeout=(TTL_SECONDS + 3) * 1000)
    second = shown_token(phone)
    assert second != first and _verify(live, second)["valid"] is True
    snap(phone, SHOTS, "code-offline-elder" if elder else "code-offline")
    no_serious_violations(phone)
    assert errors == []  # nothing asked of a network that is not there
    with phone.expect_navigation():
        phone.get_by_role("button", name="长辈版").click()  # a form sent offline
    phone.get_by_role("heading", level=1, name="需要联网").wait_for(state="visible")
    phone.go_back()

    # Three minutes later, still offline, the page opened again: the code of that window, signed by the server.
    _move_clock(phone, 180)
    phone.reload()
    phone.locator("#qr").wait_for(state="visible")
    parsed = codes.parse(shown_token(phone))
    codes.check_signature(parsed, qrcodes.public_keys())
    assert parsed.not_before <= time.time() + 180 < parsed.not_before + parsed.lifetime + 2


def test_a_batch_used_up_says_so_in_words_and_shows_no_code(phone, citizen):
    sign_in(phone, citizen)
    _ready_offline(phone)
    phone.context.set_offline(True)
    _move_clock(phone, 13 * 3600 + 60)  # the batch covers 13 hours
    phone.reload()
    words = phone.get_by_role("heading", name="离线码已用完，请联网后刷新")
    words.wait_for(state="visible")
    assert not phone.locator("#qr").is_visible() and phone.locator("#qr").get_attribute("src") is None
    assert not phone.locator("#countdown").is_visible() and not phone.locator("#offline").is_visible()
    snap(phone, SHOTS, "code-used-up")
    no_serious_violations(phone)


def test_a_lapsed_online_code_gives_way_to_the_kept_one_and_a_fresh_one_back_online(phone, citizen):
    sign_in(phone, citizen)
    _ready_offline(phone)
    online_token = shown_token(phone)
    phone.context.set_offline(True)
    phone.evaluate("seconds => { const real = Date.now; Date.now = () => real() + seconds * 1000; }", TTL_SECONDS + 1)
    phone.locator("#offline").wait_for(state="visible", timeout=5_000)
    assert shown_token(phone) != online_token and phone.locator("#countdown b").inner_text() != "0"
    phone.context.set_offline(False)
    phone.locator("#offline").wait_for(state="hidden", timeout=8_000)  # a fresh code from the server again
    assert phone.locator("#qr").is_visible()


def test_other_pages_offline_say_they_need_the_network_with_a_retry(phone, citizen):
    sign_in(phone, citizen)
    _ready_offline(phone)
    phone.context.set_offline(True)
    phone.goto("/m/measures")
    phone.get_by_role("heading", level=1, name="需要联网").wait_for(state="visible")
    assert phone.url.endswith("/m/measures")
    snap(phone, SHOTS, "needs-network")
    no_serious_violations(phone)
    phone.context.set_offline(False)
    with phone.expect_navigation():
        phone.get_by_role("button", name="重试").click()
    assert phone.locator("header h1").inner_text() == "激励措施"


def test_signing_out_empties_the_store(phone, citizen):
    sign_in(phone, citizen)
    _ready_offline(phone)
    phone.goto("/m/")
    with phone.expect_navigation():
        phone.get_by_role("button", name="退出登录").click()
    assert "/m/login" in phone.url
    _wait_until_gone(phone)
    phone.context.set_offline(True)
    phone.goto("/m/code")  # the shell, with nothing to show
    phone.get_by_role("heading", name="本机还没有离线码，请联网后刷新").wait_for(state="visible")
    assert not phone.locator("#qr").is_visible()


def test_an_ended_sign_in_empties_the_store(phone, citizen):
    sign_in(phone, citizen)
    _ready_offline(phone)
    db.session.execute(sa.update(AccessToken).values(revoked_at=utcnow()))  # as the credit office ends it
    db.session.commit()
    phone.get_by_role("heading", name="登录已过期").wait_for(state="visible", timeout=8_000)
    _wait_until_gone(phone)
