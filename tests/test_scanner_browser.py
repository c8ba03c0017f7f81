"""The staff web scanner in the system Chromium with a fake camera playing a video of a code the server issued.

Set SAVE_SCAN_SCREENSHOTS=<folder> to keep PNGs of each state (docs/scan/ holds the committed ones).
"""
import io
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from PIL import Image

from app.domain.dates import today, utcnow
from app.extensions import db
from app.models import Redemption
from app.services import accounts, citizens, qrcodes
from tests.browser import PHONE, axe_violations, launch, requires_chromium, snap, watch_for_policy_violations
from tests.helpers import identity, list_identity
from tests.live_server import LiveServer

pytestmark = requires_chromium
sync_api = pytest.importorskip("playwright.sync_api")
SHOTS = "SAVE_SCAN_SCREENSHOTS"
PASSWORD = "counter-pass"
FAKE_CAMERA = ("--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream")


def camera_video(path: Path, token: str, frames: int = 10) -> Path:
    """A Y4M video (what Chromium's fake camera plays) of the code on a phone screen held up to the camera."""
    code = Image.open(io.BytesIO(qrcodes.render_png(token, scale=6))).convert("L")
    frame = Image.new("L", (640, 480), 90)
    screen = Image.new("L", (code.width + 40, code.height + 40), 255)
    screen.paste(code, (20, 20))
    frame.paste(screen, (320 - screen.width // 2, 240 - screen.height // 2))
    luma = np.asarray(frame, dtype=np.uint8)
    chroma = np.full((240, 320), 128, dtype=np.uint8).tobytes()
    with open(path, "wb") as video:
        video.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        for _ in range(frames):
            video.write(b"FRAME\n" + luma.tobytes() + chroma + chroma)
    return path


@pytest.fixture
def counter(catalogue):
    return accounts.create_account("web_bus", PASSWORD, "staff", "test", venue_id=catalogue["BUS"].id,
                                   display_name="公交一号窗口")


@pytest.fixture
def live(app, database_url, counter, tmp_path):
    server = LiveServer(database_url, tmp_path / "server.log")
    server.env["QR_TTL_SECONDS"] = "600"  # the code in the video must outlive the test
    server.start()
    yield server
    server.kill()


@pytest.fixture
def shown_code(app, tmp_path):
    """A listed citizen's code, issued by the server's own service, and a camera video of it."""
    who = list_identity(identity(131, name="梁守正"), today(), grade="A")
    token = citizens.issue_code(who.subject().id, today(), utcnow()).token
    return token, camera_video(tmp_path / "code.y4m", token)


@pytest.fixture
def playwright():
    with sync_api.sync_playwright() as running:
        yield running


def open_scanner(playwright, live, video: Path | None, **context_options):
    """A phone's browser with the fake camera playing `video` (no camera at all when None), signed in."""
    args = (*FAKE_CAMERA, f"--use-file-for-fake-video-capture={video}") if video else ()
    browser = launch(playwright, args)
    context = browser.new_context(base_url=live.url, locale="zh-CN", **(PHONE | context_options))
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.policy_violations = watch_for_policy_violations(page)
    page.goto("/scan/login")
    page.get_by_label("用户名").fill("web_bus")
    page.get_by_label("密码").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    return browser, context, page


def redemptions() -> int:
    db.session.commit()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Redemption))


def test_the_code_is_read_from_the_camera_confirmed_once_and_refused_when_used(playwright, live, shown_code):
    token, video = shown_code
    browser, context, page = open_scanner(playwright, live, video)
    try:
        card = page.locator("#card")
        page.get_by_role("button", name="确认实施：守信个人乘坐市内公交车5折优惠").wait_for()
        assert "可以享受守信激励" in card.inner_text() and "梁*正" in card.inner_text()
        assert page.locator(".offer .benefit").first.inner_text() == "按5折收费"
        sizes = page.evaluate("""() => [...document.querySelectorAll('#card *')].map(
            node => parseFloat(getComputedStyle(node).fontSize))""")
        benefit_size = page.evaluate(
            "parseFloat(getComputedStyle(document.querySelector('.offer .benefit')).fontSize)")
        assert benefit_size == max(sizes)  # the benefit to give is the largest text on the card
        snap(page, SHOTS, "valid")
        assert axe_violations(page) == []
        page.get_by_role("button", name="确认实施：守信个人乘坐市内公交车5折优惠").click()
        page.get_by_role("heading", name="✓ 已核销").wait_for()
        assert page.locator("#card").get_attribute("class") == "decision done"
        assert page.locator("#card button").count() == 0
        snap(page, SHOTS, "done")
        assert redemptions() == 1

        page.reload()  # the same code, still on the citizen's screen, read again: this counter confirmed it
        page.get_by_role("heading", name="✓ 已核销（本机已确认）").wait_for()
        assert "请告知对方" not in card.inner_text() and page.locator("#card button").count() == 0
        assert redemptions() == 1
        page.goto("/scan/history")
        assert "守信个人乘坐市内公交车5折优惠" in page.locator("table").inner_text()
        snap(page, SHOTS, "history")
    finally:
        context.close()
        browser.close()
    assert page.policy_violations == []

    browser, context, page = open_scanner(playwright, live, video)  # another counter reads the same code
    try:
        page.get_by_role("heading", name="✗ 该二维码已使用过").wait_for()
        assert "请告知对方" in page.locator("#card").inner_text() and page.locator("#card button").count() == 0
        snap(page, SHOTS, "refused-used")
        assert redemptions() == 1
    finally:
        context.close()
        browser.close()


def test_a_confirmation_without_network_is_kept_and_sent_once(playwright, live, shown_code):
    token, video = shown_code
    browser, context, page = open_scanner(playwright, live, video)
    try:
        confirm = page.get_by_role("button", name="确认实施：守信个人乘坐市内公交车5折优惠")
        confirm.wait_for()
        page.route("**/scan/redeem", lambda route: route.abort("internetdisconnected"))
        confirm.click()
        page.get_by_role("heading", name="已确认，待上传").wait_for()
        assert page.locator("#queue").inner_text() == "待上传 1"
        snap(page, SHOTS, "queued")
        page.reload()  # still queued after a reload: it lives in IndexedDB, and the code seen again says so
        page.locator("#queue").wait_for(state="visible")
        assert page.locator("#queue").inner_text() == "待上传 1"
        page.get_by_role("heading", name="✓ 已核销（本机已确认）").wait_for()
        assert "联网后自动上传" in page.locator("#card").inner_text()
        assert redemptions() == 0
        page.unroute("**/scan/redeem")
        page.locator("#queue").wait_for(state="hidden", timeout=15_000)
        assert redemptions() == 1

        context.set_offline(True)
        page.locator("#network").wait_for(state="visible", timeout=3_000)
        assert page.locator("#network").inner_text() == "网络已断开"
        snap(page, SHOTS, "offline")
        context.set_offline(False)
        page.locator("#network").wait_for(state="hidden")
        assert redemptions() == 1
    finally:
        context.close()
        browser.close()


def test_a_keyboard_wedge_scanner_types_the_code(playwright, live, shown_code):
    token, _ = shown_code
    browser, context, page = open_scanner(playwright, live, None)
    try:
        page.locator("#camera-message").wait_for(state="visible")
        assert page.locator("#camera-message").inner_text().startswith("未找到摄像头")
        snap(page, SHOTS, "no-camera")
        page.locator("body").click(position={"x": 5, "y": 5})
        # A wedge scanner's keys come milliseconds apart; sent one by one through the browser's debugging protocol
        # on a busy machine they can come 100 ms apart, which the page rightly takes for a person typing.
        page.evaluate("""token => {
            for (const key of [...token, "Enter"]) {
                document.body.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true }));
            }
        }""", token)
        page.get_by_role("button", name="确认实施：守信个人乘坐市内公交车5折优惠").wait_for()
        page.get_by_label("扫码枪 / 手动输入").fill("NOT-A-CODE-AT-ALL")
        page.get_by_role("button", name="核验", exact=True).click()
        page.get_by_role("heading", name="✗ 不是守信激励身份二维码").wait_for()
        snap(page, SHOTS, "refused-malformed")
    finally:
        context.close()
        browser.close()


def test_the_scanner_on_a_tablet_on_its_side(playwright, live, shown_code):
    token, video = shown_code
    browser, context, page = open_scanner(playwright, live, video, viewport={"width": 1180, "height": 820},
                                          device_scale_factor=2)
    try:
        page.get_by_role("button", name="确认实施：守信个人乘坐市内公交车5折优惠").wait_for()
        camera, card = page.locator(".camera").bounding_box(), page.locator("#card").bounding_box()
        assert card["x"] > camera["x"] + camera["width"] - 1  # side by side
        snap(page, SHOTS, "tablet")
    finally:
        context.close()
        browser.close()
