"""The citizen's pages on a phone: system Chromium under Playwright in mobile emulation, against gunicorn on loopback.

Set SAVE_H5_SCREENSHOTS=<folder> to keep a PNG of every page at 390×844 (docs/h5/ holds the committed ones).
"""
import io
import time

import numpy as np
import pytest
import requests
import sqlalchemy as sa
import zxingcpp
from PIL import Image

from app.domain.dates import today
from app.extensions import db
from app.models import Evidence, Measure, Objection
from app.services import accounts
from tests.browser import axe_violations, requires_chromium, snap
from tests.helpers import identity, list_identity
from tests.live_server import STAFF_PASSWORD

pytestmark = requires_chromium
pytest.importorskip("playwright.sync_api")
SHOTS = "SAVE_H5_SCREENSHOTS"


@pytest.fixture
def citizen(app, catalogue):
    who = list_identity(identity(111, name="阿依古丽·买买提"), today(), category="P02", grade="AA")
    accounts.create_account("bus_gate", STAFF_PASSWORD, "staff", "test", venue_id=catalogue["BUS"].id)
    return who


def sign_in(phone, who) -> None:
    phone.goto("/m/login")
    phone.get_by_label("姓名 / 企业名称").fill(who.name)
    phone.get_by_label("证件号码").fill(who.number)
    with phone.expect_navigation():
        phone.get_by_role("button", name="登录").click()
    assert phone.url.endswith("/m/"), phone.inner_text("main")


def shown_token(phone) -> str:
    """What the QR on screen says, read back from the pixels as a scanner would (again if it was being replaced)."""
    for _ in range(10):
        picture = Image.open(io.BytesIO(phone.locator("#qr").screenshot())).convert("L")
        results = zxingcpp.read_barcodes(np.asarray(picture), formats=zxingcpp.BarcodeFormat.QRCode)
        if results:
            return results[0].text
        phone.wait_for_timeout(200)
    raise AssertionError("no readable code on screen")


def no_serious_violations(phone) -> None:
    assert axe_violations(phone) == [], phone.url


def test_sign_in_home_and_every_page(phone, citizen):
    phone.goto("/m/login")
    snap(phone, SHOTS, "login")
    no_serious_violations(phone)
    sign_in(phone, citizen)
    assert phone.get_by_role("heading", name="您是守信激励对象").is_visible()
    assert phone.locator(".entry h3").first.inner_text() == "道德模范、诚信之星、阳江好人"
    assert "AA" in phone.locator("main").inner_text()
    snap(phone, SHOTS, "home")
    no_serious_violations(phone)
    for tab, heading in (("措施", "激励措施"), ("办事", "异议与投诉"), ("消息", "消息")):
        phone.get_by_role("navigation", name="底部导航").get_by_role("link", name=tab).click()
        phone.wait_for_load_state()
        assert phone.locator("header h1").inner_text() == heading
        snap(phone, SHOTS, {"措施": "measures", "办事": "cases", "消息": "messages"}[tab])
        no_serious_violations(phone)
        if tab == "措施":
            first = phone.locator("article.measure").first
            assert "您可享受" in first.inner_text() and first.locator(".benefit").count() == 1
    phone.goto("/m/redemptions")
    snap(phone, SHOTS, "redemptions")
    no_serious_violations(phone)
    phone.goto("/m/complaints/new")
    snap(phone, SHOTS, "complaint-form")
    no_serious_violations(phone)


def test_the_code_refreshes_itself_and_shows_the_redemption_staff_confirm(phone, live, citizen):
    sign_in(phone, citizen)
    phone.get_by_role("navigation", name="底部导航").get_by_role("link", name="亮码").click()
    phone.locator("#qr").wait_for(state="visible")
    first = shown_token(phone)
    snap(phone, SHOTS, "code")
    no_serious_violations(phone)
    phone.wait_for_function("previous => !document.getElementById('qr').src.endsWith(previous)",
                            arg=phone.locator("#qr").get_attribute("src")[-40:], timeout=10_000)
    second = shown_token(phone)
    assert second != first and phone.url.endswith("/m/code")  # a new code, and no reload

    staff = requests.post(live.url + "/api/v1/staff/login", timeout=10,
                          json={"username": "bus_gate", "password": STAFF_PASSWORD}).json()["access_token"]
    headers = {"Authorization": f"Bearer {staff}"}
    verdict = requests.post(live.url + "/api/v1/scan/verify", headers=headers, json={"token": second},
                            timeout=10).json()
    assert verdict["valid"] is True, verdict
    measure = next(offer for offer in verdict["measures"] if offer["code"] == "XY-XING-01")
    redeemed = requests.post(live.url + "/api/v1/scan/redeem", headers=headers, timeout=10,
                             json={"token": second, "measure_id": measure["id"], "idempotency_key": "phone-test-1"})
    assert redeemed.status_code == 201
    started = time.monotonic()
    phone.get_by_role("heading", name="已核销").wait_for(state="visible", timeout=8_000)
    assert time.monotonic() - started < 8
    assert phone.locator("#done-measure").inner_text() == measure["title"]
    assert phone.locator("#done-benefit").inner_text() == measure["benefit"]["summary"]
    snap(phone, SHOTS, "code-redeemed")
    phone.get_by_role("button", name="出示新的二维码").click()
    phone.locator("#qr").wait_for(state="visible")
    assert shown_token(phone) != second
    phone.goto("/m/redemptions")
    assert measure["title"] in phone.locator("main").inner_text()


def test_the_code_page_is_light(phone, citizen):
    """Under 100 KB before the QR image: the page, its style sheets, scripts and icons."""
    sign_in(phone, citizen)
    sizes = {}
    phone.on("response", lambda response: sizes.__setitem__(response.url, len(response.body()))
             if response.request.resource_type in ("document", "stylesheet", "script", "image")
             and not response.url.startswith("data:") else None)
    phone.goto("/m/code")
    phone.locator("#qr").wait_for(state="visible")
    assert 0 < sum(sizes.values()) < 100 * 1024, sizes


def test_an_objection_with_a_photo_from_the_camera(phone, citizen, app):
    sign_in(phone, citizen)
    phone.get_by_role("link", name="对名单有异议").first.click()
    phone.wait_for_load_state()
    photo = io.BytesIO()
    Image.effect_noise((3000, 2000), 60).convert("RGB").save(photo, "JPEG", quality=95)
    assert len(photo.getvalue()) > 3 * 1024 * 1024  # as large as a phone camera's
    phone.get_by_role("radio", name="被错误暂停").check()
    phone.get_by_label("情况说明").fill("我的荣誉称号仍然有效，名单不应被暂停，请核实。")
    phone.locator("#evidence").set_input_files(
        files=[{"name": "荣誉证书.jpg", "mimeType": "image/jpeg", "buffer": photo.getvalue()}])
    phone.get_by_text("已选 1 个文件").wait_for()
    phone.locator(".picker").scroll_into_view_if_needed()
    snap(phone, SHOTS, "objection-form")
    no_serious_violations(phone)
    with phone.expect_navigation():
        phone.get_by_role("button", name="提交异议").click()
    assert "名单异议已提交" in phone.locator(".flash").inner_text()
    snap(phone, SHOTS, "objection")
    db.session.expire_all()
    objection = db.session.scalar(sa.select(Objection))
    stored = db.session.scalar(sa.select(Evidence).where(Evidence.case_id == objection.id))
    assert stored.size < len(photo.getvalue()) / 3  # made smaller on the phone before it was sent
    with Image.open(app.config["EVIDENCE_DIR"] + "/" + stored.stored_name) as image:
        assert max(image.size) <= 1600
    phone.goto("/m/")
    assert "异议处理中" in phone.locator("main").inner_text()
    phone.goto("/m/messages")
    assert "名单异议已提交" in phone.locator("main").inner_text()


def test_elder_mode_persists_and_logout_ends_the_session(phone, citizen):
    sign_in(phone, citizen)
    normal = phone.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    with phone.expect_navigation():
        phone.get_by_role("button", name="长辈版").click()
    phone.reload()
    large = phone.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert large >= 21 > normal
    no_serious_violations(phone)
    phone.goto("/m/code")
    phone.locator("#qr").wait_for(state="visible")
    box = phone.locator("#qr").bounding_box()
    assert box["width"] >= 300  # the code fills the width of a small phone
    tab_heights = [link.bounding_box()["height"] for link in phone.locator(".tabs a").all()]
    assert min(tab_heights) >= 60
    phone.goto("/m/")
    with phone.expect_navigation():
        phone.get_by_role("button", name="退出登录").click()
    assert "/m/login" in phone.url
    phone.goto("/m/code")
    assert "/m/login" in phone.url


def test_the_front_door_and_the_public_catalogue(phone, citizen):
    phone.goto("/")
    assert phone.get_by_role("link", name="我是市民 / 企业").is_visible()
    snap(phone, SHOTS, "front-door")
    no_serious_violations(phone)
    phone.get_by_role("link", name="激励措施清单").click()
    phone.wait_for_load_state()
    assert phone.locator("article.measure").count() == db.session.scalar(
        sa.select(sa.func.count()).select_from(Measure).where(Measure.status == "published"))
    phone.get_by_role("link", name="信易阅").click()
    phone.wait_for_load_state()
    assert [text.strip() for text in phone.locator("article.measure h3").all_inner_texts()] == [
        "信用借阅：免押金、按信用等级增加借阅量和借期"]
    snap(phone, SHOTS, "catalogue")
