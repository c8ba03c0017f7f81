"""The console in Chromium for partner units and on phones: a manager's whole journey, the benefit editor's live
preview, keyboard-only sign-in, every page at 1366 px and 390 px without sideways scrolling and without serious axe
findings.

SAVE_SCREENSHOTS=<folder> keeps a PNG of every page at both widths (docs/console/ holds the committed ones)."""
import datetime as dt
import os

import pytest
import requests
import sqlalchemy as sa

from app.domain.dates import utcnow
from app.extensions import db
from app.models import Account, Measure, MeasureChange, Objection
from app.services import accounts, citizens, complaints, objections, scanning
from tests.browser import PHONE, axe_violations, requires_chromium, watch_for_policy_violations
from tests.helpers import identity, list_identity
from tests.live_server import LiveServer
from tests.test_console_browser import PASSWORD, flashes, fresh, login, submit

DESKTOP = {"viewport": {"width": 1366, "height": 900}}

pytestmark = requires_chromium
pytest.importorskip("playwright.sync_api")


@pytest.fixture
def people(app, catalogue):
    library, bus = catalogue["LIB"], catalogue["BUS"]
    return {"admin": accounts.create_account("c_admin", PASSWORD, "admin", "test", display_name="张三"),
            "reviewer": accounts.create_account("c_reviewer", PASSWORD, "reviewer", "test", display_name="李四"),
            "manager": accounts.create_account("lib_boss", PASSWORD, "manager", "test", venue_id=library.id,
                                               display_name="王馆长"),
            "lib_desk": accounts.create_account("lib_desk", PASSWORD, "staff", "test", venue_id=library.id,
                                                display_name="借还书台"),
            "bus_desk": accounts.create_account("bus_desk", PASSWORD, "staff", "test", venue_id=bus.id)}


@pytest.fixture
def live(app, database_url, people, tmp_path):
    server = LiveServer(database_url, tmp_path / "server.log")
    server.env["EVIDENCE_DIR"] = app.config["EVIDENCE_DIR"]
    server.start()
    yield server
    server.kill()


def _page(browser, live, device: dict):
    context = browser.new_context(base_url=live.url, locale="zh-CN", **device)
    context.set_default_timeout(15_000)
    page = context.new_page()
    return context, page, watch_for_policy_violations(page)


@pytest.fixture
def desktop(browser, live):
    context, page, refused = _page(browser, live, DESKTOP)
    yield page
    context.close()
    assert refused == []


def _measure(code: str) -> Measure:
    return db.session.scalar(sa.select(Measure).where(Measure.code == code))


def test_a_managers_journey(desktop, live, people, today):
    page = desktop
    login(page, "lib_boss")
    assert page.url.endswith("/admin/dashboard")
    assert [link.strip() for link in page.locator("header nav a").all_inner_texts()] == \
        ["概览", "激励措施", "账号管理", "扫码记录"]
    assert "本单位概览：阳江市图书馆" in page.locator("main h2").first.inner_text()

    # A change to the published 信用借阅 measure, typed in words, previewed live, sent for approval.
    page.get_by_role("link", name="激励措施").click()
    page.get_by_role("link", name="XY-YUE-01").click()
    assert "变更申请" in page.locator(".note").inner_text()
    preview = page.locator("#benefit-preview")
    rows = page.locator("#benefit-rows tbody tr")
    aaa_books = rows.nth(5)  # deposit waived, then A, AA and AAA tiers of books and loan days, then blank rows
    assert aaa_books.locator("select[name=benefit_grade]").input_value() == "AAA"
    assert aaa_books.locator("select[name=benefit_type]").input_value() == "books"
    aaa_books.locator("input[name=benefit_value]").fill("10")
    page.locator("#cap-rows input[name=cap_value]").first.fill("8")
    page.get_by_role("button", name="添加一行优惠").click()
    added = rows.last
    assert rows.count() == 10 and added.locator("select[name=benefit_type]").input_value() == ""
    added.locator("select[name=benefit_grade]").select_option("AAA")
    added.locator("select[name=benefit_type]").select_option("note")
    added.locator("input[name=benefit_value]").fill("夜间自习室优先")
    page.wait_for_function("() => document.querySelector('#benefit-preview').innerText.includes('自习室')")
    assert "信用等级 AAA 及以上：免押金，可借8本，借期延长60天，夜间自习室优先" in preview.inner_text()
    aaa_books.locator("input[name=benefit_value]").fill("十本")
    page.wait_for_function("() => document.querySelector('#benefit-preview .bad') !== null")
    assert "第6行" in preview.inner_text() and "须填数字" in preview.inner_text()
    aaa_books.locator("input[name=benefit_value]").fill("10")
    page.fill("textarea[name=change_note]", "AAA 读者多借，总量仍受上限约束。")
    submit(page, "提交变更申请")
    assert flashes(page) == ["变更申请已提交，信用办审核通过后生效"]
    assert "1 项待审核" in page.locator("#changes-title").inner_text()
    fresh()
    change = db.session.scalar(sa.select(MeasureChange))
    assert change.terms["benefit"]["caps"] == {"books": 8, "extra_loan_days": 60}

    # Counter staff of the unit: create one, reset a password, disable one.
    page.get_by_role("link", name="账号管理").click()
    assert "bus_desk" not in page.locator("main").inner_text()
    page.fill("input[name=username]", "lib_desk2")
    page.fill("input[name=display_name]", "自助借还区")
    page.fill("form.fields input[name=password]", "desk-pass-22")
    submit(page, "创建")
    assert flashes(page) == ["账号已创建"]
    row = page.locator("tr", has_text="lib_desk2")
    row.locator("input[name=password]").fill("desk-pass-33")
    with page.expect_navigation():
        row.get_by_role("button", name="重置密码").click()
    assert flashes(page)[0].startswith("密码已重置")
    with page.expect_navigation():
        page.locator("tr", has_text="lib_desk2").get_by_role("button", name="停用").click()
    assert flashes(page) == ["已停用，该账号的全部登录已结束"]
    fresh()
    assert db.session.scalar(sa.select(Account.active).where(Account.username == "lib_desk2")) is False

    # Scans at the unit's own counter only.
    who = list_identity(identity(31, name="慕容守信"), today)
    now = utcnow()
    for desk, code in ((people["lib_desk"], "XY-YUE-01"), (people["bus_desk"], "XY-XING-01")):
        token = citizens.issue_code(who.subject().id, today, now).token
        scanning.redeem(token, _measure(code).id, f"journey-{desk.id}-01", desk.id, "", now, today)
    page.get_by_role("link", name="扫码记录").click()
    rows = page.locator("main table tbody tr, main table tr:has(td)")
    assert rows.count() == 1 and "借还书台" in rows.first.inner_text()
    assert who.number not in page.content()

    # The credit office approves; the audit log tells the story in words.
    page.locator("header button", has_text="退出").click()
    login(page, "c_admin")
    page.goto("/admin/measures")
    submit(page, "批准变更")
    assert flashes(page) == ["已批准变更"]
    page.goto("/admin/audit")
    log = page.locator("ol.audit").inner_text()
    assert "实施单位管理员 王馆长 (lib_boss) 于" in log and "提交了激励措施 XY-YUE-01 的变更申请" in log
    assert "管理员 张三 (c_admin) 于" in log and "批准了激励措施 XY-YUE-01 的变更申请" in log
    assert "重置了账号" in log and "停用了账号" in log
    fresh()
    assert _measure("XY-YUE-01").benefit["caps"]["books"] == 8


def test_keyboard_only_sign_in_and_a_refused_form_keeps_its_values(desktop, live):
    page = desktop
    page.goto("/admin/login")
    # The user name field has the focus: Chromium applies autofocus at its next rendering step, after the load event.
    page.wait_for_function("document.activeElement && document.activeElement.name === 'username'")
    page.keyboard.type("c_admin")
    page.keyboard.press("Tab")
    page.keyboard.type("wrong-password")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("input[name=username]").input_value() == "c_admin"
    assert page.evaluate("document.activeElement.name") == "password"
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.goto("/admin/venues")
    new_row = page.locator("tr").last
    new_row.locator("input[name=code]").fill("BUS")  # taken
    new_row.locator("input[name=name]").fill("阳江市海陵岛旅游区")
    new_row.locator("input[name=address]").fill("海陵岛闸坡镇")
    submit(page, "新增")
    assert flashes(page) == ["编码已被使用"]
    new_row = page.locator("tr").last
    assert new_row.locator("input[name=name]").input_value() == "阳江市海陵岛旅游区"
    assert new_row.locator("input[name=address]").input_value() == "海陵岛闸坡镇"


def _seed_cases(people, today) -> dict:
    """An overdue objection and a complaint, so the dashboard and the queues have something to show."""
    who = list_identity(identity(41, name="诸葛诚信"), today)
    now = dt.datetime.now(dt.UTC)
    late = objections.file_objection(who.subject().id, "wrong_entry", "名单上的认定日期有误，请更正。",
                                     who.subject().entries[0].id, None, [], now - dt.timedelta(days=20))
    complaint = complaints.file_complaint(who.subject().id, "suggestion", "建议在图书馆入口张贴信用借阅说明。",
                                          None, None, None, [], now)
    token = citizens.issue_code(who.subject().id, today, utcnow()).token
    scanning.redeem(token, _measure("XY-YUE-01").id, "shots-0001", people["lib_desk"].id, "", utcnow(), today)
    return {"objection": late.id, "complaint": complaint.id, "subject": who.subject().id}


PAGES = {
    "c_admin": ["/admin/dashboard", "/admin/objections", "/admin/objections/{objection}", "/admin/complaints",
                "/admin/complaints/{complaint}", "/admin/subjects", "/admin/subjects/{subject}", "/admin/import",
                "/admin/measures", "/admin/measures/new", "/admin/measures/{measure}", "/admin/venues",
                "/admin/accounts", "/admin/scans", "/admin/audit"],
    "lib_boss": ["/admin/dashboard", "/admin/measures", "/admin/measures/{measure}", "/admin/accounts",
                 "/admin/scans"],
}


@pytest.mark.parametrize("device_name, device", [("desktop", DESKTOP), ("phone", PHONE)])
def test_every_page_fits_its_screen_and_passes_axe(browser, live, people, today, device_name, device):
    ids = _seed_cases(people, today) | {"measure": _measure("XY-YUE-01").id}
    fresh()
    assert db.session.get(Objection, ids["objection"]).status == "submitted"
    context, page, refused = _page(browser, live, device)
    folder = os.environ.get("SAVE_SCREENSHOTS")
    page.goto("/admin/login")
    _shoot(page, folder, f"login-{device_name}")
    for username, paths in PAGES.items():
        login(page, username)
        for path in paths:
            response = page.goto(path.format(**ids))
            assert response.status == 200, path
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= device["viewport"]["width"], (path, width, _overflowing(page))  # tables scroll in a box
            header = page.locator("header").bounding_box()
            assert page.locator("main").bounding_box()["y"] >= header["y"] + header["height"], path
            assert axe_violations(page) == [], path
            name = ("manager-" if username == "lib_boss" else "") + path.removeprefix("/admin/").replace(
                "/", "-").replace("{measure}", "edit").replace("{objection}", "detail").replace(
                "{complaint}", "detail").replace("{subject}", "detail")
            _shoot(page, folder, f"{name}-{device_name}")
        page.locator("header button", has_text="退出").click()
        page.wait_for_url("**/admin/login")
    context.close()
    assert refused == []


def _overflowing(page) -> list[str]:
    """What sticks out to the right of the screen, for the failure message."""
    return page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(node => node.getBoundingClientRect().right > 390 && !node.closest('nav'))
        .slice(0, 5).map(node => node.tagName + '.' + node.className + ' ' + node.textContent.slice(0, 30))""")


def _shoot(page, folder: str | None, name: str) -> None:
    if folder:
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)


def test_the_dashboard_reads_totals_and_overdue_cases_first(desktop, live, people, today):
    ids = _seed_cases(people, today)
    login(desktop, "c_reviewer")
    first_card = desktop.locator("main section.card").first
    assert "已超期的案件" in first_card.inner_text() and f"名单异议 #{ids['objection']}" in first_card.inner_text()
    assert "已超期" in first_card.inner_text()
    assert desktop.locator(".totals .figure").first.inner_text() == "1"
    response = requests.get(live.url + "/admin/measures", timeout=10, allow_redirects=False)
    assert response.status_code == 302  # signed-out visitors go to the login page
