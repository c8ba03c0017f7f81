"""The counter's own problems are the counter's, never the citizen's: an ended sign-in, a stale page, a server error
and an unreachable server each have their own card in the counter's colour, and the code is read again after the fix.
Also the card readable on a phone and a tablet, the venue on one line, the glare hint, and no console errors.

Set SAVE_SCAN_SCREENSHOTS=<folder> to keep PNGs of each state (docs/scan/ holds the committed ones).
"""
import io
import re
import time
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from flask import g
from PIL import Image, ImageDraw, ImageFilter

from app.domain.dates import today, utcnow
from app.extensions import db
from app.models import AccessToken
from app.services import accounts, citizens, qrcodes
from tests.browser import PHONE, launch, requires_chromium, snap, watch_for_policy_violations
from tests.helpers import identity, list_identity
from tests.live_server import LiveServer

PASSWORD = "counter-pass"


@pytest.fixture
def counter(catalogue):
    return accounts.create_account("web_bus", PASSWORD, "staff", "test", venue_id=catalogue["BUS"].id,
                                   display_name="公交一号窗口")


def _csrf(client, path: str) -> str:
    g.pop("csrf_token", None)
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"|name="csrf_token" value="([^"]+)"', page).group(0) \
        .split('"')[-2]


def _signed_in(client) -> str:
    client.post("/scan/login", data={"csrf_token": _csrf(client, "/scan/login"), "username": "web_bus",
                                     "password": PASSWORD})
    return _csrf(client, "/scan/")


def _end_sessions() -> None:
    db.session.execute(sa.delete(AccessToken))
    db.session.commit()


def test_an_ended_sign_in_answers_401_session_expired_to_the_page_fetches(client, counter):
    token = _signed_in(client)
    _end_sessions()
    for path in ("/scan/verify", "/scan/redeem"):
        answer = client.post(path, json={"token": "X"}, headers={"X-CSRFToken": token})
        assert answer.status_code == 401, path
        assert answer.get_json()["error"]["code"] == "session_expired"
        assert answer.get_json()["error"]["message"] == "登录已过期，请重新登录"


def test_a_lost_session_cookie_is_an_ended_sign_in_not_a_csrf_failure(client, counter):
    token = _signed_in(client)
    client.delete_cookie("session")
    answer = client.post("/scan/verify", json={"token": "X"}, headers={"X-CSRFToken": token})
    assert answer.status_code == 401 and answer.get_json()["error"]["code"] == "session_expired"


def test_a_stale_form_token_with_a_live_sign_in_is_still_refused_as_a_stale_page(client, counter):
    _signed_in(client)
    answer = client.post("/scan/verify", json={"token": "X"}, headers={"X-CSRFToken": "stale"})
    assert answer.status_code == 400
    assert answer.get_json()["error"] == {"code": "bad_request", "message": "页面已过期，请刷新后重试"}


def test_a_live_sign_in_still_verifies(client, counter):
    token = _signed_in(client)
    who = list_identity(identity(141, name="邓守约"), today(), grade="A")
    code = citizens.issue_code(who.subject().id, today(), utcnow()).token
    answer = client.post("/scan/verify", json={"token": code}, headers={"X-CSRFToken": token})
    assert answer.status_code == 200 and answer.get_json()["valid"] is True


# ---- in Chromium -----------------------------------------------------------------------------------------------

SHOTS = "SAVE_SCAN_SCREENSHOTS"
FAKE_CAMERA = ("--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream")
LONG_VENUE = "阳江市公共汽车有限公司江城区东风三路客运站第一售票窗口"
CONFIRM = "确认实施：守信个人乘坐市内公交车5折优惠"
TABLET = {"viewport": {"width": 820, "height": 1180}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def frame_of(token: str, glare: bool = False) -> np.ndarray:
    """A camera frame (luma) of the code on a phone screen; with glare, a white reflection over the code's middle."""
    code = Image.open(io.BytesIO(qrcodes.render_png(token, scale=6))).convert("L")
    frame = Image.new("L", (640, 480), 90)
    screen = Image.new("L", (code.width + 40, code.height + 40), 255)
    screen.paste(code, (20, 20))
    if glare:
        blotch = Image.new("L", screen.size, 0)
        w, h = screen.size
        ImageDraw.Draw(blotch).ellipse((w * 0.28, h * 0.3, w * 0.78, h * 0.72), fill=255)
        blotch = blotch.filter(ImageFilter.GaussianBlur(6))
        screen = Image.composite(Image.new("L", screen.size, 250), screen, blotch)
    frame.paste(screen, (320 - screen.width // 2, 240 - screen.height // 2))
    return np.asarray(frame, dtype=np.uint8)


def write_y4m(path: Path, frames: list[np.ndarray]) -> Path:
    """What Chromium's fake camera plays (in a loop), 10 frames a second."""
    chroma = np.full((240, 320), 128, dtype=np.uint8).tobytes()
    with open(path, "wb") as video:
        video.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        for luma in frames:
            video.write(b"FRAME\n" + luma.tobytes() + chroma + chroma)
    return path


@pytest.fixture
def live(app, database_url, counter, catalogue, tmp_path):
    catalogue["BUS"].name = LONG_VENUE
    db.session.commit()
    server = LiveServer(database_url, tmp_path / "server.log")
    server.env["QR_TTL_SECONDS"] = "600"  # the code in the video must outlive the test
    server.start()
    yield server
    server.kill()


@pytest.fixture
def token(app):
    who = list_identity(identity(131, name="梁守正"), today(), grade="A")
    return citizens.issue_code(who.subject().id, today(), utcnow()).token


@pytest.fixture
def playwright():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as running:
        yield running


class Scanner:
    """A phone's browser with the fake camera playing `video` (no camera when None), its console errors collected."""

    def __init__(self, playwright, live, video: Path | None, device: dict = PHONE):
        args = (*FAKE_CAMERA, f"--use-file-for-fake-video-capture={video}") if video else ()
        self.browser = launch(playwright, args)
        self.context = self.browser.new_context(base_url=live.url, locale="zh-CN", **device)
        self.context.set_default_timeout(20_000)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda message: self.errors.append(message.text) if message.type == "error" else None)
        self.page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))
        self.refused = watch_for_policy_violations(self.page)

    def sign_in(self, page=None):
        """Sign in on `page`, or on a page of its own, then open the scanner as the installed app does: no tap yet."""
        on = page or self.context.new_page()
        if "/scan/login" not in on.url:
            on.goto("/scan/login")
        on.get_by_label("用户名").fill("web_bus")
        on.get_by_label("密码").fill(PASSWORD)
        with on.expect_navigation():
            on.get_by_role("button", name="登录").click()
        assert on.url.endswith("/scan/")
        if page is None:
            on.close()
            self.page.goto("/scan/")
        return self

    def close(self):
        self.context.close()
        self.browser.close()

    def unexplained_errors(self, status: int | None = None) -> list[str]:
        """Console errors other than the browser's own line for an answer the test made fail with `status`."""
        expected = f"the server responded with a status of {status}" if status else None
        return [text for text in self.errors if not (expected and expected in text)]


@pytest.fixture
def scanners(playwright):
    opened: list[Scanner] = []
    yield lambda *args, **kwargs: opened.append(Scanner(playwright, *args, **kwargs)) or opened[-1]
    for scanner in opened:
        scanner.close()
    assert all(scanner.refused == [] for scanner in opened)  # nothing the Content-Security-Policy had to block


def counters_card(page, headline: str) -> str:
    """Wait for the counter's own card and return its words, which must not be a refusal of the citizen."""
    page.get_by_role("heading", name=headline).wait_for()
    words = page.locator("#card").inner_text()
    assert "请告知对方" not in words and "暂时不能享受" not in words and "✗" not in words
    return words


@requires_chromium
def test_an_ended_sign_in_is_the_counters_card_and_the_code_is_read_again_after_signing_in(app, scanners, live,
                                                                                          token, tmp_path):
    scanner = scanners(live, write_y4m(tmp_path / "code.y4m", [frame_of(token)] * 10))
    page = scanner.page
    verifies: list[int] = []

    def end_the_session_first(route):
        if not verifies:
            with app.app_context():  # Playwright calls this outside the test's own context
                _end_sessions()  # the session ends on the server just as the code is read
        verifies.append(1)
        route.continue_()

    page.route("**/scan/verify", end_the_session_first)
    scanner.sign_in()
    words = counters_card(page, "登录已失效，请重新登录")
    assert page.locator("#card").get_attribute("class") == "decision fault"
    assert "与对方无关" in words
    snap(page, SHOTS, "fault-session")
    time.sleep(1.5)
    assert len(verifies) == 1  # nothing more is sent while the counter cannot be trusted to be signed in
    page.get_by_role("button", name="重新登录").click()
    page.wait_for_url("**/scan/login**")
    scanner.sign_in(page)  # back on the scanner, the same code on the citizen's screen is read and verified
    page.get_by_role("button", name=CONFIRM).wait_for()
    assert "可以享受守信激励" in page.locator("#card").inner_text()
    assert scanner.unexplained_errors(401) == []


@requires_chromium
def test_a_stale_form_token_is_renewed_by_itself_and_a_stale_page_asks_for_a_refresh(scanners, live, token):
    scanner = scanners(live, None).sign_in()
    page = scanner.page
    scanner.sign_in(scanner.context.new_page())  # signing in again in another tab replaces the session and its token
    answers: list[int] = []
    page.on("response", lambda response: answers.append(response.status) if response.url.endswith("/verify") else None)
    page.get_by_label("扫码枪 / 手动输入").fill(token)
    page.get_by_role("button", name="核验", exact=True).click()
    page.get_by_role("button", name=CONFIRM).wait_for()
    assert answers == [400, 200]  # refused once for the old token, then sent again with the page's new one

    stale = {"error": {"code": "bad_request", "message": "页面已过期，请刷新后重试"}}
    page.route("**/scan/verify", lambda route: route.fulfill(status=400, json=stale))
    page.get_by_label("扫码枪 / 手动输入").fill(token)
    page.get_by_role("button", name="核验", exact=True).click()
    counters_card(page, "页面已过期，请刷新")
    assert page.locator("#card").get_attribute("class") == "decision fault"
    snap(page, SHOTS, "fault-stale")
    with page.expect_navigation():
        page.get_by_role("button", name="刷新页面").click()
    page.get_by_role("heading", name="请出示身份二维码").wait_for()
    assert scanner.unexplained_errors(400) == []


@requires_chromium
def test_a_server_fault_and_no_network_are_the_counters_and_the_code_is_tried_again(scanners, live, token, tmp_path):
    scanner = scanners(live, write_y4m(tmp_path / "code.y4m", [frame_of(token)] * 10))
    page = scanner.page
    page.route("**/scan/bundle**", lambda route: route.abort("internetdisconnected"))  # nothing to decide offline
    tries: list[int] = []

    def broken(route):
        tries.append(1)
        route.fulfill(status=500, json={"error": {"code": "internal_error", "message": "服务器内部错误，请稍后重试"}})

    page.route("**/scan/verify", broken)
    scanner.sign_in()
    words = counters_card(page, "服务器暂时故障，请稍后再试")
    assert page.locator("#card").get_attribute("class") == "decision fault" and "这不是对方的问题" in words
    snap(page, SHOTS, "fault-server")
    page.wait_for_function("() => document.querySelector('#card').className !== 'decision fault'")
    page.get_by_role("heading", name="服务器暂时故障，请稍后再试").wait_for()
    assert len(tries) >= 2  # tried again by itself within seconds, not after the two minutes a decision is kept
    page.unroute("**/scan/verify")
    page.get_by_role("button", name=CONFIRM).wait_for()  # fixed: the same code is verified

    page.route("**/scan/redeem", lambda route: route.abort("internetdisconnected"))
    page.route("**/scan/verify", lambda route: route.abort("internetdisconnected"))
    page.get_by_label("扫码枪 / 手动输入").fill(token)
    page.get_by_role("button", name="核验", exact=True).click()
    counters_card(page, "网络不可用，无法核验，请稍后再试")
    assert page.locator("#card").get_attribute("class") == "decision unreachable"
    snap(page, SHOTS, "fault-network")
    assert [text for text in scanner.unexplained_errors(500) if "ERR_INTERNET_DISCONNECTED" not in text] == []


def sizes(page) -> dict:
    return page.evaluate("""() => {
        const px = (node) => parseFloat(getComputedStyle(node).fontSize);
        const venue = document.getElementById('venue');
        return {benefit: px(document.querySelector('.offer .benefit')),
                largest: Math.max(...[...document.querySelectorAll('#card *')].map(px)),
                venueHeight: venue.getBoundingClientRect().height,
                venueLine: parseFloat(getComputedStyle(venue).lineHeight) || px(venue) * 1.3,
                venueCut: venue.scrollWidth > venue.clientWidth,
                barHeight: document.querySelector('.topbar').getBoundingClientRect().height};
    }""")


@requires_chromium
@pytest.mark.parametrize(("device", "least", "shot"), [(PHONE, 34, "card-phone"), (TABLET, 48, "card-tablet")])
def test_the_card_reads_from_arms_length_and_the_venue_keeps_to_one_line(scanners, live, token, tmp_path, device,
                                                                         least, shot):
    scanner = scanners(live, write_y4m(tmp_path / "code.y4m", [frame_of(token)] * 10), device=device)
    page = scanner.page
    with page.expect_response("**/scan/verify"):
        scanner.sign_in()
    page.wait_for_timeout(500)  # the verdict and its signal, before anything (even a test's query) activates the page
    assert scanner.errors == []  # vibration is not asked for before the first tap (Chromium says so as an error)
    page.get_by_role("button", name=CONFIRM).wait_for()
    measured = sizes(page)
    assert measured["benefit"] >= least and measured["benefit"] == measured["largest"]
    assert measured["venueHeight"] < 2 * measured["venueLine"]  # one line
    assert measured["venueCut"] == (device is PHONE)  # the long name is cut with an ellipsis where it does not fit
    snap(page, SHOTS, shot)
    if device is PHONE:
        page.get_by_role("button", name=LONG_VENUE).click()  # a tap shows the whole name
        assert page.get_by_role("button", name=LONG_VENUE).get_attribute("aria-expanded") == "true"
        assert sizes(page)["venueHeight"] > 1.5 * measured["venueLine"]
        page.get_by_role("button", name=LONG_VENUE).click()
        assert sizes(page)["venueHeight"] < 2 * measured["venueLine"]
    page.get_by_role("button", name=CONFIRM).click()
    page.get_by_role("heading", name="✓ 已核销").wait_for()
    assert scanner.errors == []  # no console error: vibration waited for the first touch (确认), the rest is clean


@requires_chromium
def test_glare_over_the_code_asks_to_tilt_the_phone_until_a_clean_frame_is_read(scanners, live, token, tmp_path):
    frames = [frame_of(token, glare=True)] * 40 + [frame_of(token)] * 50  # 4 s of glare, then 5 s clean
    scanner = scanners(live, write_y4m(tmp_path / "glare.y4m", frames)).sign_in()
    page = scanner.page
    hint = page.locator("#glare")
    page.wait_for_function("() => document.getElementById('glare').textContent === '请调整角度，避免反光'")
    assert hint.get_attribute("role") == "status"
    assert page.locator("#card").get_attribute("class") == "decision idle"  # nothing was read through the glare
    snap(page, SHOTS, "glare-hint")
    page.get_by_role("button", name=CONFIRM).wait_for(timeout=15_000)
    assert hint.inner_text() == ""
    assert scanner.errors == []
