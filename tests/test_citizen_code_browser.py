"""The code page in Chromium on a phone: the QR from the page's first HTML, static files from the browser's cache on
the next page, and a sign-in ended while the page is open — the code hidden at once and the words in its place.

Set SAVE_H5_SCREENSHOTS=<folder> to keep PNGs of the states (docs/h5/ holds the committed ones).
"""
import pytest
import requests
import sqlalchemy as sa

from app.domain.dates import today, utcnow
from app.extensions import db
from app.models import AccessToken
from app.services import accounts
from app.web.helpers import ELDER_COOKIE
from tests.browser import requires_chromium, snap
from tests.helpers import identity, list_identity
from tests.live_server import STAFF_PASSWORD
from tests.test_citizen_browser import SHOTS, no_serious_violations, shown_token, sign_in

pytestmark = requires_chromium
pytest.importorskip("playwright.sync_api")
# Anything that would read the countdown aloud each time it changes.
LIVE = "[aria-live], [role=status], [role=alert], [role=log], [role=timer], [role=marquee]"


@pytest.fixture
def citizen(app, catalogue):
    return list_identity(identity(141, name="黄守义"), today(), category="P02", grade="A")


def test_the_qr_comes_with_the_page_and_only_new_codes_are_announced(phone, citizen):
    sign_in(phone, citizen)
    asked = []
    phone.on("request", lambda request: asked.append(request.url))
    phone.get_by_role("navigation", name="底部导航").get_by_role("link", name="亮码").click()
    phone.locator("#qr").wait_for(state="visible")
    before_the_qr = list(asked)
    # No code fetched before the QR (the batch kept for showing offline comes in the background).
    assert before_the_qr and not [url for url in before_the_qr if "/m/code/fresh" in url]
    assert shown_token(phone) == phone.locator("#code").get_attribute("data-token")
    assert phone.evaluate(f"document.getElementById('countdown').closest({LIVE!r})") is None
    phone.get_by_role("status").filter(has_text="二维码已更新").wait_for(timeout=10_000)
    assert shown_token(phone) != phone.locator("#code").get_attribute("data-token")  # replaced by a fetched one


def test_static_files_come_from_the_cache_the_pages_never(phone, citizen):
    sign_in(phone, citizen)
    phone.goto("/m/code")
    phone.locator("#qr").wait_for(state="visible")
    protocol = phone.context.new_cdp_session(phone)
    protocol.send("Network.enable")
    urls, cached = {}, set()
    protocol.on("Network.requestWillBeSent", lambda event: urls.__setitem__(event["requestId"],
                                                                            event["request"]["url"]))
    protocol.on("Network.requestServedFromCache", lambda event: cached.add(event["requestId"]))
    protocol.on("Network.responseReceived", lambda event: cached.add(event["requestId"])
                if event["response"].get("fromDiskCache") else None)
    phone.goto("/m/")
    phone.goto("/m/code")
    phone.locator("#qr").wait_for(state="visible")
    static = {request for request, url in urls.items() if "/static/" in url}
    assert static and static <= cached, urls  # none downloaded again
    assert not {request for request, url in urls.items() if url.endswith(("/m/", "/m/code"))} & cached  # pages are


@pytest.mark.parametrize("elder", [False, True], ids=["standard", "elder"])
def test_a_sign_in_ended_while_the_code_is_on_screen_hides_it_and_says_so(phone, live, citizen, elder):
    if elder:
        phone.context.add_cookies([{"name": ELDER_COOKIE, "value": "on", "url": live.url}])
    sign_in(phone, citizen)
    phone.goto("/m/code")
    phone.locator("#qr").wait_for(state="visible")
    db.session.execute(sa.update(AccessToken).values(revoked_at=utcnow()))  # as the credit office ends it
    db.session.commit()
    words = phone.get_by_role("heading", name="登录已过期")
    words.wait_for(state="visible", timeout=5_000)  # the next status check, every 2 s
    assert words.inner_text().replace("\n", "") == "登录已过期，请重新登录"
    assert not phone.locator("#qr").is_visible() and phone.locator("#qr").get_attribute("src") is None
    assert not phone.locator("#countdown").is_visible()
    again = phone.get_by_role("link", name="重新登录")
    assert again.is_visible() and "next=/m/code" in again.get_attribute("href")
    snap(phone, SHOTS, "code-signed-out-elder" if elder else "code-signed-out")
    no_serious_violations(phone)
    with phone.expect_navigation():
        again.click()
    assert "/m/login" in phone.url
    phone.get_by_label("姓名 / 企业名称").fill(citizen.name)
    phone.get_by_label("证件号码").fill(citizen.number)
    with phone.expect_navigation():
        phone.get_by_role("button", name="登录").click()
    assert phone.url.endswith("/m/code")  # back where the citizen was, with a code
    phone.locator("#qr").wait_for(state="visible")
    assert not phone.locator("#expired").is_visible()


def test_a_sign_in_in_another_tab_still_shows_the_redemption(phone, live, citizen, catalogue):
    accounts.create_account("bus_gate", STAFF_PASSWORD, "staff", "test", venue_id=catalogue["BUS"].id)
    sign_in(phone, citizen)
    phone.goto("/m/code")
    phone.locator("#qr").wait_for(state="visible")
    other = phone.context.new_page()
    with phone.expect_event("load", timeout=8_000):  # the form token of this tab is stale now: it reloads
        sign_in(other, citizen)  # a new session cookie for both tabs
    other.close()
    phone.locator("#qr").wait_for(state="visible")
    token = shown_token(phone)
    staff = requests.post(live.url + "/api/v1/staff/login", timeout=10,
                          json={"username": "bus_gate", "password": STAFF_PASSWORD}).json()["access_token"]
    headers = {"Authorization": f"Bearer {staff}"}
    verdict = requests.post(live.url + "/api/v1/scan/verify", headers=headers, json={"token": token},
                            timeout=10).json()
    assert verdict["valid"] is True and verdict["measures"], verdict
    redeemed = requests.post(live.url + "/api/v1/scan/redeem", headers=headers, timeout=10,
                             json={"token": token, "measure_id": verdict["measures"][0]["id"],
                                   "idempotency_key": "another-tab-1"})
    assert redeemed.status_code == 201, redeemed.text
    phone.get_by_role("heading", name="已核销").wait_for(state="visible", timeout=8_000)
