"""The administrator console in a real browser (system Chromium via Playwright) against gunicorn on loopback.

Set SAVE_SCREENSHOTS=<folder> to keep full-page PNGs of the main pages (docs/console/ holds the committed ones).
"""
import csv
import datetime as dt
import io
import os
import random
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import sqlalchemy as sa
from PIL import Image, ImageDraw

from app import demo
from app.demo import person_id
from app.domain import dates
from app.extensions import db
from app.models import AuditEvent, Complaint, ListEntry, Measure, Objection, Subject
from app.services import accounts, complaints, objections, subjects
from tests.browser import watch_for_policy_violations
from tests.helpers import identity, list_identity
from tests.live_server import LiveServer

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "console-pass-1"
STAFF_PASSWORD = "counter-pass"

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="system Chromium is not installed")

pytest.importorskip("playwright.sync_api")


# ---- fixtures ------------------------------------------------------------------------------------------------

@pytest.fixture
def users(app, catalogue):
    """One console account per role; the reporter belongs to 市文明办 (WMB), which reports category P02."""
    department_id = next(category.department_id for category in subjects.categories() if category.code == "P02")
    made = {
        "admin": accounts.create_account("c_admin", PASSWORD, "admin", "test", display_name="信用办管理员"),
        "reviewer": accounts.create_account("c_reviewer", PASSWORD, "reviewer", "test", display_name="异议审核员"),
        "reporter": accounts.create_account("c_reporter", PASSWORD, "reporter", "test", department_id=department_id,
                                            display_name="文明办报送员"),
    }
    return {role: account.id for role, account in made.items()}


@pytest.fixture
def live(app, database_url, users, tmp_path):
    """gunicorn on the test database, storing evidence where the test app looks for it."""
    server = LiveServer(database_url, tmp_path / "server.log")
    server.env["EVIDENCE_DIR"] = app.config["EVIDENCE_DIR"]
    server.start()
    yield server
    server.kill()


@pytest.fixture
def page(browser, live):
    context = browser.new_context(base_url=live.url, viewport={"width": 1280, "height": 800}, locale="zh-CN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    refused = watch_for_policy_violations(page)
    yield page
    context.close()
    assert refused == []  # nothing the strict Content-Security-Policy had to block


# ---- helpers -------------------------------------------------------------------------------------------------

def snap(page, name: str) -> None:
    """A full-page PNG of the current page, only when SAVE_SCREENSHOTS names a folder."""
    folder = os.environ.get("SAVE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def fill_login(page, username: str, password: str = PASSWORD) -> None:
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()


def login(page, username: str) -> None:
    page.goto("/admin/login")
    fill_login(page, username)
    assert "/admin/login" not in page.url, page.inner_text("main")


def submit(page, button_name: str) -> None:
    """Click a form's submit button and wait for the post/redirect/get to finish."""
    with page.expect_navigation():
        page.get_by_role("button", name=button_name, exact=True).click()


def nav_links(page) -> list[str]:
    return [text.strip() for text in page.locator("header nav a").all_inner_texts()]


def flashes(page) -> list[str]:
    return [text.strip() for text in page.locator(".flash").all_inner_texts()]


def table_rows(locator) -> list[list[str]]:
    """The data rows (not the header row) of a table as lists of cell texts."""
    return [[cell.strip() for cell in row.locator("td").all_inner_texts()]
            for row in locator.locator("tr").all() if row.locator("td").count()]


def fresh() -> None:
    """Forget what this process's session has cached: the server process changed the database."""
    db.session.commit()
    db.session.expire_all()


def citizen_headers(live, who) -> dict:
    response = requests.post(live.url + "/api/v1/auth/login", json=who.login_body(), timeout=10)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def staff_headers(live, username: str) -> dict:
    response = requests.post(live.url + "/api/v1/staff/login", json={"username": username, "password": STAFF_PASSWORD},
                             timeout=10)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def evidence_png(width: int = 160, height: int = 100) -> bytes:
    image = Image.new("RGB", (width, height), (240, 240, 240))
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, 10, width - 10, height - 10), outline=(178, 34, 34), width=4)
    draw.line((10, 10, width - 10, height - 10), fill=(31, 97, 141), width=3)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def measure_id(code: str) -> int:
    return db.session.scalar(sa.select(Measure.id).where(Measure.code == code))


def wrong_check_digit(number: str) -> str:
    last = "0" if number[-1] != "0" else "1"
    return number[:-1] + last


# ---- 1. login, session cookie, logout ------------------------------------------------------------------------

def test_login_cookie_and_logout(page, live):
    page.goto("/admin/login")
    snap(page, "login")
    assert page.title().startswith("登录")

    page.fill("input[name=username]", "c_admin")
    page.fill("input[name=password]", "wrong-password")
    with page.expect_response(lambda response: response.request.method == "POST") as posted:
        page.get_by_role("button", name="登录").click()
    assert posted.value.status == 401
    page.wait_for_load_state()
    assert "/admin/login" in page.url
    assert flashes(page) == ["用户名或密码错误"]
    assert page.locator("header nav").count() == 0

    fill_login(page, "c_admin")
    assert page.url == live.url + "/admin/dashboard"
    assert page.locator("main h2").first.inner_text() == "概览"
    assert "信用办管理员（管理员）" in page.locator("header .who").inner_text()

    cookies = {cookie["name"]: cookie for cookie in page.context.cookies()}
    assert set(cookies) == {"session"}
    session_cookie = cookies["session"]
    assert session_cookie["httpOnly"] is True
    assert session_cookie["sameSite"] == "Lax"
    assert session_cookie["domain"] == "127.0.0.1" and session_cookie["path"] == "/"

    submit(page, "退出")
    assert page.url == live.url + "/admin/login"
    assert page.locator("header nav").count() == 0

    page.goto("/admin/objections")
    where = urlsplit(page.url)
    assert where.path == "/admin/login", page.url
    assert parse_qs(where.query)["next"][0].rstrip("?") == "/admin/objections"

    # The old cookie is worthless once logged out: the session was revoked on the server, not just forgotten.
    page.context.add_cookies([session_cookie])
    response = page.goto("/admin/dashboard")
    assert response.status == 200 and "/admin/login" in page.url


# ---- 2. reviewing an objection with evidence -----------------------------------------------------------------

def test_reviewer_upholds_an_objection_with_evidence(page, live, users, today):
    who = list_identity(identity(21, name="李诚信"), today)
    entry = who.subject().entries[0]
    entry.status, entry.status_reason = "suspended", "误录严重失信"
    db.session.commit()
    entry_id, subject_id = entry.id, entry.subject_id

    response = requests.post(live.url + "/api/v1/objections", headers=citizen_headers(live, who), timeout=10,
                             data={"type": "wrongly_suspended",
                                   "statement": "我没有失信记录，名单被错误暂停，请核实恢复。",
                                   "entry_id": str(entry_id)},
                             files=[("evidence", ("proof.png", evidence_png(), "image/png"))])
    assert response.status_code == 201, response.text
    objection_id = response.json()["id"]

    # Not logged in: the queue sends the reviewer to log in, and back to the queue afterwards.
    page.goto("/admin/objections")
    assert "/admin/login?next=" in page.url
    fill_login(page, "c_reviewer")
    assert page.url.startswith(live.url + "/admin/objections")
    rows = table_rows(page.locator("main table"))
    assert [row[0] for row in rows] == [f"#{objection_id}"]
    assert rows[0][1].startswith("李*信") and rows[0][2:4] == ["被错误暂停", "已提交"]
    snap(page, "objections")

    page.get_by_role("link", name=f"#{objection_id}", exact=True).click()
    page.wait_for_url(f"**/admin/objections/{objection_id}")
    assert page.locator("main h2").first.inner_text().startswith(f"名单异议 #{objection_id} 已提交")
    assert "状态 已暂停" in page.locator(".card", has_text="涉及的名单条目").inner_text()

    image = page.locator(".evidence img")
    assert image.count() == 1
    image.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete", arg=image.element_handle())
    assert image.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [160, 100]
    assert image.get_attribute("alt") == "proof.png"

    submit(page, "受理")
    assert flashes(page) == ["已受理"]
    assert "审核中" in page.locator("main h2").first.inner_text()
    assert page.get_by_role("button", name="受理", exact=True).count() == 0
    snap(page, "objection")

    page.check("input[name=outcome][value=upheld]")
    page.fill("textarea[name=reason]", "经核实，该主体无严重失信记录，暂停系误录，予以恢复。")
    submit(page, "作出决定")
    assert flashes(page) == ["已作出决定"], page.inner_text("main")
    assert "异议成立" in page.locator("main h2").first.inner_text()
    assert "经核实，该主体无严重失信记录" in page.locator("dl.facts").inner_text()
    assert "状态 有效" in page.locator(".card", has_text="涉及的名单条目").inner_text()
    history = table_rows(page.locator(".card", has_text="办理记录").locator("table"))
    assert [row[1] for row in history] == ["— → 已提交", "已提交 → 审核中", "审核中 → 异议成立"]
    assert [row[2] for row in history] == ["市民 李*信"] + ["审核员 异议审核员 (c_reviewer)"] * 2

    fresh()
    entry = db.session.get(ListEntry, entry_id)
    assert (entry.status, entry.status_reason) == ("active", None)
    objection = db.session.get(Objection, objection_id)
    assert (objection.status, objection.decided_by) == ("upheld", users["reviewer"])
    upheld = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "objection.upheld")).all()
    assert len(upheld) == 1 and upheld[0].details["restored_entry_id"] == entry_id

    submit(page, "办结")
    assert flashes(page) == ["已办结"]
    assert "已办结" in page.locator("main h2").first.inner_text()
    assert len(table_rows(page.locator(".card", has_text="办理记录").locator("table"))) == 4

    # The subject page, reached from the case, shows the restored entry.
    page.locator("dl.facts a").click()
    page.wait_for_url(f"**/admin/subjects/{subject_id}")
    entries = table_rows(page.locator(".card", has_text="名单条目").locator("table"))
    assert len(entries) == 1 and entries[0][0].startswith("P02") and entries[0][3].startswith("有效")
    assert page.locator(".card", has_text="名单条目").locator("form").count() == 0  # reviewers cannot change lists
    snap(page, "subject")


# ---- 3. importing a file with bad rows -----------------------------------------------------------------------

def test_admin_import_reports_bad_rows(page, live):
    local_today = dates.today()
    good, bad_digit, unknown, future = (person_id(random.Random(seed)) for seed in (301, 302, 303, 304))
    recognized = (local_today - dt.timedelta(days=30)).isoformat()
    data = ("主体类型,名称,证件号码,名单类别,认定日期,信用等级\n"
            f"个人,陈守约,{good},P02,{recognized},AA\n"
            f"个人,林诚实,{wrong_check_digit(bad_digit)},P02,{recognized},\n"
            f"个人,黄重诺,{unknown},P99,{recognized},\n"
            f"个人,吴践行,{future},P03,{(local_today + dt.timedelta(days=10)).isoformat()},\n").encode()

    login(page, "c_admin")
    page.get_by_role("link", name="名单导入").click()
    page.wait_for_url("**/admin/import")
    assert page.locator("select[name=kind]").count() == 1
    templates = page.locator("main a", has_text=re.compile("^(XLSX|CSV)$"))
    assert templates.count() == 2
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV", exact=True).click()
    template = Path(download.value.path()).read_bytes().decode("utf-8-sig")
    assert template.splitlines()[0].startswith("主体类型")

    page.set_input_files("input[name=file]", {"name": "list-2026.csv", "mimeType": "text/csv", "buffer": data})
    submit(page, "上传并导入")
    report = page.locator("#report")
    summary = report.locator("p").first.inner_text()
    assert "list-2026.csv" in report.locator("h3").inner_text()
    assert re.search(r"共 4 行：新增 1，更新 0，未变 0，\s*拒绝 3", summary), summary
    assert report.locator("b").inner_text() == "1"
    errors = table_rows(report.locator("table"))
    # Rows and columns as the clerk's own file names them, each refusal in words.
    assert [row[:2] for row in errors] == [["第 3 行", "证件号码"], ["第 4 行", "名单类别"], ["第 5 行", "认定日期"]]
    assert "校验位" in errors[0][2] and "P99" in errors[1][2] and "不能晚于今天" in errors[2][2]
    snap(page, "import")

    fresh()
    names = db.session.scalars(sa.select(Subject.name)).all()
    assert names == ["陈守约"]


# ---- 4. dashboard chart and export ----------------------------------------------------------------------------

def test_dashboard_chart_and_csv_export(page, live, catalogue, today):
    accounts.create_account("gate_bus", STAFF_PASSWORD, "staff", "test", venue_id=catalogue["BUS"].id)
    accounts.create_account("desk_hosp", STAFF_PASSWORD, "staff", "test", venue_id=catalogue["HOSP"].id)
    bus, hospital = measure_id("XY-XING-01"), measure_id("XY-YI-01")
    who = list_identity(identity(41, name="周守信"), today)
    citizen = citizen_headers(live, who)

    def code() -> str:
        response = requests.get(live.url + "/api/v1/me/qrcode", headers=citizen, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()["token"]

    def redeem(staff, token, measure, key):
        return requests.post(live.url + "/api/v1/scan/redeem", headers=staff, timeout=10,
                             json={"token": token, "measure_id": measure, "idempotency_key": key})

    gate, desk = staff_headers(live, "gate_bus"), staff_headers(live, "desk_hosp")
    first = code()
    assert redeem(gate, first, bus, "dash-key-0001").status_code == 201
    assert redeem(desk, code(), hospital, "dash-key-0002").status_code == 201
    refused = redeem(gate, first, bus, "dash-key-0003")  # the same code again
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "token_used"

    login(page, "c_reviewer")
    assert page.url == live.url + "/admin/dashboard"
    # redemptions, citizens, scans, refusals, offline duplicates
    assert [figure.inner_text() for figure in page.locator(".totals .figure").all()] == ["2", "1", "3", "1", "0"]
    assert "（33.3%）" in page.locator(".totals").inner_text()
    chart = page.locator("svg.chart")
    assert chart.is_visible()
    box = chart.bounding_box()
    assert box["width"] > 600 and box["height"] > 150
    bars = chart.locator("g")
    assert bars.count() == 30  # one bar per day of the default 30-day range
    today_bar = bars.nth(29).locator("rect")
    assert today_bar.count() == 2  # both scenarios, stacked: neither hides the other
    tops = sorted(float(rect.get_attribute("y")) for rect in today_bar.all())
    heights = [float(rect.get_attribute("height")) for rect in today_bar.all()]
    assert tops[0] + heights[0] == pytest.approx(tops[1]) or tops[0] + heights[1] == pytest.approx(tops[1])
    assert "共 2 次" in bars.nth(29).locator("title").text_content()
    legend = page.locator("ul.legend").inner_text()
    assert "信易行 1" in legend and "信易医 1" in legend
    measures = table_rows(page.locator(".card", has_text="按激励措施").locator("table"))
    assert sorted(row[2] for row in measures) == ["1", "1"]
    refusals = table_rows(page.locator(".card", has_text="扫码未通过的原因").locator("table"))
    assert refusals == [["二维码已使用", "1"]]
    snap(page, "dashboard")

    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("导出核销记录 CSV")).click()
    assert re.fullmatch(r"redemptions-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv", download.value.suggested_filename)
    raw = Path(download.value.path()).read_bytes()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][0] == "核销编号" and len(rows[0]) == 10
    assert len(rows) == 3
    assert {row[2] for row in rows[1:]} == {"信易行", "信易医"}
    assert all(row[7] == "周*信" for row in rows[1:])
    assert who.number not in raw.decode("utf-8-sig")

    fresh()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "export.redemptions")) == 1


# ---- 5. roles --------------------------------------------------------------------------------------------------

def test_reviewer_is_refused_admin_pages(page, live):
    login(page, "c_reviewer")
    assert nav_links(page) == ["概览", "名单异议", "投诉建议", "名单查询"]
    for path in ("/admin/measures", "/admin/accounts", "/admin/audit", "/admin/import"):
        response = page.goto(path)
        assert response.status == 403, path
        assert page.locator("main h2").inner_text() == "403 · 当前角色无权执行此操作"
        assert "forbidden_role" in page.locator("main").inner_text()
    assert nav_links(page) == ["概览", "名单异议", "投诉建议", "名单查询"]  # still logged in, still a reviewer


def test_reporter_sees_only_the_import_page(page, live):
    login(page, "c_reporter")
    assert page.url == live.url + "/admin/import"
    assert nav_links(page) == ["名单导入"]
    assert "市文明办" in page.locator("main").inner_text()
    assert page.locator("select[name=kind]").count() == 0
    for path in ("/admin/dashboard", "/admin/objections", "/admin/measures"):
        assert page.goto(path).status == 403, path
    page.goto("/admin/import")

    own, other = person_id(random.Random(501)), person_id(random.Random(502))
    day = (dates.today() - dt.timedelta(days=10)).isoformat()
    data = (f"kind,name,id_number,category,recognized_on\n"
            f"person,郑好人,{own},P02,{day}\nperson,钱劳模,{other},P03,{day}\n")
    page.set_input_files("input[name=file]", {"name": "wmb.csv", "mimeType": "text/csv", "buffer": data.encode()})
    submit(page, "上传并导入")
    report = page.locator("#report")
    assert report.locator("b").inner_text() == "1"
    refused = table_rows(report.locator("table"))
    assert [row[:2] for row in refused] == [["第 3 行", "category"]] and "不由本单位报送" in refused[0][2]


# ---- 6. CSRF -----------------------------------------------------------------------------------------------------

def test_forms_without_csrf_token_are_refused(page, live, users, today):
    who = list_identity(identity(61, name="孙守诺"), today)
    objection = objections.file_objection(who.subject().id, "other", "请核实我的名单信息是否完整。", None, None, [],
                                     dt.datetime.now(dt.UTC))
    objection_id = objection.id

    page.goto("/admin/login")
    page.evaluate("document.querySelector('input[name=csrf_token]').remove()")
    page.fill("input[name=username]", "c_admin")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_response(lambda response: response.request.method == "POST") as posted:
        page.get_by_role("button", name="登录").click()
    assert posted.value.status == 400
    page.wait_for_load_state()
    assert page.locator("main h2").inner_text().startswith("400 ·")
    assert "bad_request" in page.locator("main").inner_text()
    assert page.goto("/admin/dashboard").url.startswith(live.url + "/admin/login")  # not logged in

    login(page, "c_reviewer")
    case_url = f"/admin/objections/{objection_id}"
    page.goto(case_url)
    action_url = case_url + "/review"
    forged = page.request.post(action_url, form={}, max_redirects=0)
    assert forged.status == 400
    wrong = page.request.post(action_url, form={"csrf_token": "not-the-token"}, max_redirects=0)
    assert wrong.status == 400
    fresh()
    assert db.session.get(Objection, objection_id).status == "submitted"

    # The same request with the page's token goes through (so the refusals above were about the token).
    token = page.locator("input[name=csrf_token]").first.input_value()
    accepted = page.request.post(action_url, form={"csrf_token": token}, max_redirects=0)
    assert accepted.status == 302
    fresh()
    assert db.session.get(Objection, objection_id).status == "under_review"


# ---- 7. the administrator's other pages ----------------------------------------------------------------------

def test_admin_pages_render(page, live, today):
    who = list_identity(identity(71, name="欧阳守信"), today)
    login(page, "c_admin")
    assert nav_links(page) == ["概览", "名单异议", "投诉建议", "名单查询", "名单导入", "激励措施", "实施单位",
                               "账号管理", "扫码记录", "审计日志"]

    page.goto("/admin/measures")
    rows = table_rows(page.locator("main table"))
    assert len(rows) == len(demo.MEASURES)
    by_code = {row[0]: row for row in rows}
    assert by_code["XY-XING-01"][1] == "守信个人乘坐市内公交车5折优惠" and by_code["XY-XING-01"][6] == "已发布"
    assert by_code["XY-XING-01"][4] == "按5折收费"
    assert by_code["XY-XING-03"][6] == "待审核" and by_code["XY-YOU-03"][6] == "已停止"
    snap(page, "measures")

    page.goto("/admin/venues")
    venue_names = [field.input_value() for field in page.locator("main input[name=name]").all()]
    # One row per venue (ordered by code) and a blank row for a new one.
    assert venue_names == [name for _, name, _, _ in sorted(demo.VENUES)] + [""]
    page.goto("/admin/accounts")
    listed = {row[0]: row for row in table_rows(page.locator("main table").first)}
    assert set(listed) == {"c_admin", "c_reviewer", "c_reporter"}
    assert listed["c_reporter"][2:4] == ["报送单位", "市文明办"]

    page.goto("/admin/audit")
    entries = page.locator("ol.audit li").all_inner_texts()
    assert any(entry.startswith("管理员 信用办管理员 (c_admin) 于 ") and entry.endswith("登录了管理后台")
               for entry in entries)
    assert any("导入了名单文件" in entry for entry in entries)
    assert any("创建了审核员账号 c_reviewer" in entry for entry in entries)
    snap(page, "audit")

    subject_id = who.subject().id
    page.goto("/admin/subjects/" + str(subject_id))
    assert page.locator("main h2").inner_text().startswith("欧**信")
    assert page.locator(".card", has_text="名单条目").locator("form").count() == 2  # admins may extend and revoke


def test_subject_search_by_name_and_by_number(page, live, today):
    who = list_identity(identity(81, name="司马诚信"), today)
    list_identity(identity(82, name="上官守约"), today)
    login(page, "c_reviewer")
    page.get_by_role("link", name="名单查询").click()
    page.wait_for_url("**/admin/subjects")
    assert page.locator("main table").count() == 0  # nothing searched yet
    for query, echoed in (("司马", "司马"), (who.number, "")):
        page.fill("input[name=q]", query)
        submit(page, "查询")
        assert page.locator("input[name=q]").input_value() == echoed  # a searched number is not written back
        rows = table_rows(page.locator("main table"))
        assert len(rows) == 1 and rows[0][:2] == ["司**信", "个人"], query
        assert who.number not in page.content()
    page.fill("input[name=q]", "查无此人")
    submit(page, "查询")
    assert table_rows(page.locator("main table")) == [["没有找到"]]
    page.fill("input[name=q]", "司马")
    submit(page, "查询")
    assert "司马" not in page.url
    page.get_by_role("link", name="司**信").click()
    page.wait_for_url(f"**/admin/subjects/{who.subject().id}")


# ---- 8. queue filters and deadlines ------------------------------------------------------------------------------

def test_objection_queue_filters_and_overdue(page, live, today):
    now = dt.datetime.now(dt.UTC)
    late_who = list_identity(identity(91, name="赵守时"), today)
    new_who = list_identity(identity(92, name="钱守约"), today)
    late = objections.file_objection(late_who.subject().id, "other", "一个月前提交的异议，至今未处理。", None, None, [],
                                now - dt.timedelta(days=30)).id
    fresh_one = objections.file_objection(new_who.subject().id, "other", "刚刚提交的异议，请尽快处理。", None, None, [],
                                          now).id

    login(page, "c_reviewer")
    cases_card = page.locator(".card", has_text="名单异议")
    assert table_rows(cases_card.locator("table")) == [["已提交", "2", "1"]]
    cases_card.locator("a.overdue").click()
    page.wait_for_url("**/admin/objections?overdue=1")
    assert [row[0] for row in table_rows(page.locator("main table"))] == [f"#{late}"]

    page.goto("/admin/objections")
    rows = table_rows(page.locator("main table"))
    assert [row[0] for row in rows] == [f"#{late}", f"#{fresh_one}"]  # earliest deadline first
    assert rows[0][5].endswith("超期") and "超期" not in rows[1][5]

    page.check("input[name=overdue]")
    submit(page, "筛选")
    assert parse_qs(urlsplit(page.url).query).get("overdue") == ["1"]
    assert page.locator("input[name=overdue]").is_checked()
    assert [row[0] for row in table_rows(page.locator("main table"))] == [f"#{late}"]

    page.uncheck("input[name=overdue]")
    page.select_option("select[name=status]", "under_review")
    submit(page, "筛选")
    assert page.locator("select[name=status]").input_value() == "under_review"
    assert table_rows(page.locator("main table")) == [["没有符合条件的异议"]]

    page.select_option("select[name=status]", "submitted")
    submit(page, "筛选")
    assert len(table_rows(page.locator("main table"))) == 2

    page.goto(f"/admin/objections/{late}")
    assert page.locator("main h2 .overdue").inner_text() == "超期"
    assert "未指向具体条目" in page.locator(".card", has_text="涉及的名单条目").inner_text()
    page.goto(f"/admin/objections/{fresh_one}")
    assert page.locator("main h2 .overdue").count() == 0


# ---- 9. a complaint from filing to closing -------------------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_complaint_is_assigned_replied_and_closed(page, live, users, catalogue, today):
    who = list_identity(identity(95, name="冯乘客"), today)
    complaint_id = complaints.file_complaint(who.subject().id, "complaint",
                                             "公交车上出示信用码后，司机拒绝给予5折优惠。",
                                        catalogue["BUS"].id, measure_id("XY-XING-01"), None, [("ticket.pdf", PDF)],
                                        dt.datetime.now(dt.UTC)).id

    login(page, "c_reviewer")
    page.get_by_role("link", name="投诉建议").click()
    page.wait_for_url("**/admin/complaints")
    rows = table_rows(page.locator("main table"))
    assert len(rows) == 1 and rows[0][:3] == [f"#{complaint_id}", "投诉", "冯*客"] and rows[0][4] == "已提交"
    page.get_by_role("link", name=f"#{complaint_id}", exact=True).click()
    page.wait_for_url(f"**/admin/complaints/{complaint_id}")
    assert page.locator("main h2").inner_text().startswith(f"投诉 #{complaint_id} 已提交")
    facts = page.locator("dl.facts").inner_text()
    assert "阳江市公共汽车有限公司" in facts and "守信个人乘坐市内公交车5折优惠" in facts

    link = page.locator(".evidence a", has_text="ticket.pdf")
    served = page.request.get(link.get_attribute("href"))
    assert served.status == 200 and served.body() == PDF
    assert served.headers["content-type"] == "application/pdf"
    assert served.headers["x-content-type-options"] == "nosniff"

    page.select_option("select[name=assignee_id]", label="信用办管理员")
    submit(page, "转办")
    assert flashes(page) == ["已转办"]
    assert "承办人\n信用办管理员" in page.locator("dl.facts").inner_text()

    page.fill("textarea[name=reply]", "经核实，司机未按规定实施优惠，已责令整改并补退差价。")
    submit(page, "答复")
    assert flashes(page) == ["已答复"] and "已答复" in page.locator("main h2").inner_text()
    assert "已责令整改" in page.locator("dl.facts").inner_text()

    submit(page, "办结（不等评价）")
    assert flashes(page) == ["已办结"] and "已办结" in page.locator("main h2").inner_text()
    history = table_rows(page.locator(".card", has_text="办理记录").locator("table"))
    assert [row[1] for row in history] == ["— → 已提交", "已提交 → 已转办", "已转办 → 已答复", "已答复 → 已办结"]
    assert history[1][3] == "承办人：信用办管理员"

    fresh()
    complaint = db.session.get(Complaint, complaint_id)
    assert (complaint.status, complaint.assignee_id) == ("closed", users["admin"])
