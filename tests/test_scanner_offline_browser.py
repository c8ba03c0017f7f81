"""The web scanner with no network, in the system Chromium: the page synced, taken offline and reloaded (its service
worker serves it), codes decided in the browser from the venue's bundle, single use on this device, and the queue
uploaded once online — one redemption per confirmed code, a second counter's duplicate shown on the console.

Set SAVE_SCAN_SCREENSHOTS=<folder> to keep PNGs of each state (docs/scan/offline-*.png, confirmed-here.png).
"""
import time
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from app.domain import codes
from app.domain.dates import today, utcnow
from app.extensions import db
from app.models import Redemption, ScanAttempt
from app.services import accounts, citizens, imports
from tests.browser import PHONE, launch, requires_chromium, snap, watch_for_policy_violations
from tests.helpers import console_login, identity, list_identity
from tests.live_server import LiveServer
from tests.test_scanner_browser import FAKE_CAMERA, camera_video

pytestmark = requires_chromium
sync_api = pytest.importorskip("playwright.sync_api")
SHOTS = "SAVE_SCAN_SCREENSHOTS"
PASSWORD = "counter-pass"
MEASURE = "确认实施：守信个人乘坐市内公交车5折优惠"
# A browser whose WebCrypto has no Ed25519 (as before Chromium 137, Safari 17, Firefox 129): importKey refuses it.
HIDE_ED25519 = """(() => {
  const importKey = SubtleCrypto.prototype.importKey;
  SubtleCrypto.prototype.importKey = function (format, key, algorithm, ...rest) {
    const name = typeof algorithm === "string" ? algorithm : algorithm && algorithm.name;
    if (name === "Ed25519") return Promise.reject(new DOMException("Unrecognized name", "NotSupportedError"));
    return importKey.call(this, format, key, algorithm, ...rest);
  };
})();"""


@pytest.fixture
def counters(catalogue):
    for name in ("web_bus", "web_bus_two"):
        accounts.create_account(name, PASSWORD, "staff", "test", venue_id=catalogue["BUS"].id, display_name=name)


@pytest.fixture
def live(app, database_url, counters, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "QR_TTL_SECONDS", 600)  # the codes in the test must outlive it
    server = LiveServer(database_url, tmp_path / "server.log")
    server.env["QR_TTL_SECONDS"] = "600"
    server.start()
    yield server
    server.kill()


@pytest.fixture
def playwright():
    with sync_api.sync_playwright() as running:
        yield running


def tampered(token: str) -> str:
    """The same code with one signed byte changed (its window a second later): still well-formed, no longer signed."""
    data = bytearray(codes.b45decode(token[len(codes.PREFIX):]))
    data[13] ^= 1
    return codes.PREFIX + codes.b45encode(bytes(data))


def scanner(playwright, live, username: str, video=None, init_script: str | None = None):
    """A phone's browser signed in to the scanner, its bundle synced and its service worker in control."""
    browser = launch(playwright, (*FAKE_CAMERA, f"--use-file-for-fake-video-capture={video}") if video else ())
    context = browser.new_context(base_url=live.url, locale="zh-CN", **PHONE)
    context.set_default_timeout(20_000)
    if init_script:
        context.add_init_script(init_script)
    page = context.new_page()
    page.policy_violations = watch_for_policy_violations(page)
    page.asked = []
    page.on("request", lambda request: page.asked.append(request.url))
    page.goto("/scan/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    page.locator("#app[data-bundle-synced]").wait_for(state="attached")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    return browser, context, page


def typed(page, token: str) -> None:
    page.get_by_label("扫码枪 / 手动输入").fill(token)
    page.get_by_role("button", name="核验", exact=True).click()


def attempts(**where) -> list[ScanAttempt]:
    db.session.expire_all()
    return db.session.scalars(sa.select(ScanAttempt).filter_by(**where).order_by(ScanAttempt.id)).all()


def test_the_scanner_decides_offline_after_a_reload_and_uploads_once_online(app, playwright, live, tmp_path):
    listed = list_identity(identity(141, name="梁守正"), today(), grade="A")
    suspended = list_identity(identity(142, name="钱暂停"), today())
    token = citizens.issue_code(listed.subject().id, today(), utcnow()).token
    denied = citizens.issue_code(suspended.subject().id, today(), utcnow()).token
    imports.import_dishonesty("d.csv", f"kind,id_number,name,recorded_on,authority\nperson,{suspended.number},"
                              f"{suspended.name},{today()},市人民法院\n".encode(), "test", today())
    key = codes.parse(token).token_key
    browser, context, page = scanner(playwright, live, "web_bus", camera_video(tmp_path / "code.y4m", token))
    card = page.locator("#card")
    try:
        page.get_by_role("button", name=MEASURE).wait_for()  # read online first: nothing is confirmed
        context.set_offline(True)
        page.reload()  # the worker's copy of the page, scripts and decoder; the camera reads the code again
        page.get_by_role("button", name=MEASURE).wait_for()
        assert "离线核验 · 离线数据 0 分钟前同步" in card.inner_text() and "梁*正" in card.inner_text()
        assert card.get_attribute("class") == "decision valid"
        snap(page, SHOTS, "offline-green")
        page.get_by_role("button", name=MEASURE).click()
        page.get_by_role("heading", name="✓ 已核销").wait_for()
        assert "离线核验" in card.inner_text()

        typed(page, denied)
        page.get_by_role("heading", name="✗ 对方的守信激励资格已暂停").wait_for()
        assert "离线核验" in card.inner_text() and card.get_attribute("class") == "decision invalid"
        snap(page, SHOTS, "offline-denied")
        typed(page, tampered(token))
        page.get_by_role("heading", name="✗ 二维码无效（签名不符）").wait_for()
        typed(page, token)  # the same code again on this device
        page.get_by_role("heading", name="✓ 已核销（本机已确认）").wait_for()
        assert card.get_attribute("class") == "decision done" and page.locator("#card button").count() == 0
        snap(page, SHOTS, "offline-used")
        assert page.locator("#queue").inner_text() == "待上传 5"  # four decisions and one confirmation
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Redemption)) == 0

        context.set_offline(False)
        page.locator("#queue").wait_for(state="hidden", timeout=20_000)
        db.session.expire_all()
        assert db.session.scalar(sa.select(sa.func.count()).where(Redemption.token_key == key)) == 1
        offline = attempts(offline=True)
        assert [(a.valid, a.reason) for a in offline] == [
            (True, None), (True, None), (False, "listing_suspended"), (False, "token_bad_signature"),
            (False, "token_used")]
        typed(page, token)  # uploaded now, and still this device's own
        page.get_by_role("heading", name="✓ 已核销（本机已确认）").wait_for()
        assert "本机已确认并上传" in card.inner_text()
        snap(page, SHOTS, "confirmed-here")
    finally:
        context.close()
        browser.close()
    assert page.policy_violations == []

    browser, context, page = scanner(playwright, live, "web_bus_two")  # a second counter, offline, the same code
    try:
        context.set_offline(True)
        typed(page, token)
        page.get_by_role("button", name=MEASURE).click()
        page.get_by_role("heading", name="✓ 已核销").wait_for()
        context.set_offline(False)
        page.locator("#queue").wait_for(state="hidden", timeout=20_000)
    finally:
        context.close()
        browser.close()
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).where(Redemption.token_key == key)) == 1
    assert [a.reason for a in attempts(token_key=key, action="redeem")] == [None, "duplicate_offline"]
    accounts.create_account("office", PASSWORD, "admin", "test")
    office = app.test_client()
    console_login(office, "office", PASSWORD)
    assert "重复核销（离线）" in office.get("/admin/scans").get_data(as_text=True)


def test_without_ed25519_in_webcrypto_the_vendored_library_checks_signatures(playwright, live):
    listed = list_identity(identity(143, name="林备用"), today(), grade="A")
    token = citizens.issue_code(listed.subject().id, today(), utcnow()).token
    browser, context, page = scanner(playwright, live, "web_bus", init_script=HIDE_ED25519)
    card = page.locator("#card")
    try:
        assert page.evaluate("""() => crypto.subtle.importKey("raw", new Uint8Array(32), "Ed25519", false, ["verify"])
            .then(() => "imported", () => "refused")""") == "refused"
        context.set_offline(True)
        typed(page, token)
        page.get_by_role("button", name=MEASURE).wait_for()
        assert "离线核验" in card.inner_text() and "林*用" in card.inner_text()
        typed(page, tampered(token))
        page.get_by_role("heading", name="✗ 二维码无效（签名不符）").wait_for()
        assert any("/vendor/noble-ed25519/index." in url for url in page.asked)
    finally:
        context.close()
        browser.close()
    assert page.policy_violations == []


def test_online_the_page_is_the_servers_and_signing_out_forgets_the_kept_one(playwright, live):
    browser, context, page = scanner(playwright, live, "web_bus")
    try:
        context.clear_cookies()  # the session ended: online, the worker's copy is not shown
        page.goto("/scan/")
        assert urlsplit(page.url).path == "/scan/login"
        page.get_by_label("用户名").fill("web_bus")
        page.get_by_label("密码").fill(PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="登录").click()
        page.locator("#app[data-bundle-synced]").wait_for(state="attached")
        context.set_offline(True)
        page.goto("/scan/history")  # the other pages need the network, and say so
        assert "需要联网" in page.locator("body").inner_text()
        page.get_by_role("link", name="返回扫码").click()
        page.locator("#app").wait_for(state="attached")
        context.set_offline(False)
        with page.expect_navigation():
            page.get_by_role("button", name="退出").click()
        assert urlsplit(page.url).path == "/scan/login"
        assert page.evaluate("""() => new Promise((resolve) => {
            const opened = indexedDB.open("xinyi-scanner-offline");
            opened.onsuccess = () => {
              const request = opened.result.transaction("bundle").objectStore("bundle").count();
              request.onsuccess = () => resolve(request.result);
            };
          })""") == 0
        context.set_offline(True)
        page.goto("/scan/")  # nothing kept for a counter who signed out
        assert "需要联网" in page.locator("body").inner_text()
    finally:
        context.close()
        browser.close()


def test_a_server_that_fails_or_says_nothing_is_decided_offline(playwright, live):
    listed = list_identity(identity(144, name="周等待"), today(), grade="A")
    token = citizens.issue_code(listed.subject().id, today(), utcnow()).token
    browser, context, page = scanner(playwright, live, "web_bus")
    card = page.locator("#card")
    try:
        page.route("**/scan/verify", lambda route: route.fulfill(
            status=503, content_type="application/json",
            body='{"error": {"code": "service_unavailable", "message": "服务暂时不可用"}}'))
        typed(page, token)
        page.get_by_role("button", name=MEASURE).wait_for()
        assert "离线核验" in card.inner_text()
        page.unroute("**/scan/verify")
        page.route("**/scan/verify", lambda route: None)  # connected, and never an answer
        typed(page, token)
        page.get_by_text("正在核验…").wait_for()
        started = time.monotonic()
        page.get_by_role("button", name=MEASURE).wait_for(timeout=5_000)  # 1.5 s without an answer, then offline
        assert time.monotonic() - started > 1.2 and "离线核验" in card.inner_text()
    finally:
        context.close()
        browser.close()


def test_a_bundle_older_than_its_max_age_decides_nothing(playwright, live):
    listed = list_identity(identity(145, name="郑过期"), today(), grade="A")
    token = citizens.issue_code(listed.subject().id, today(), utcnow()).token
    browser, context, page = scanner(playwright, live, "web_bus")
    try:
        context.set_offline(True)
        page.evaluate("""() => new Promise((resolve) => {
            const opened = indexedDB.open("xinyi-scanner-offline");
            opened.onsuccess = () => {
              const store = opened.result.transaction("bundle", "readwrite").objectStore("bundle");
              const read = store.get("current");
              read.onsuccess = () => {
                const kept = read.result;
                kept.bundle.server_time = new Date(Date.now() - 2 * 86400 * 1000).toISOString();
                store.put(kept, "current").onsuccess = () => resolve();
              };
            };
          })""")  # synced two days ago, by the bundle's clock
        page.reload()
        page.locator("#app[data-bundle-version]").wait_for(state="attached")
        typed(page, token)
        page.get_by_text("离线数据已过期，不能离线核验：请联网同步。").wait_for()
        assert page.locator("#card").get_attribute("class") == "decision unreachable"
        assert page.locator("#queue").is_hidden()  # nothing decided, nothing to upload
    finally:
        context.close()
        browser.close()
