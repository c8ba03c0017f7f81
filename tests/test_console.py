"""The admin console over HTTP (the browser tests drive it in Chromium): roles, sessions, CSRF, lockout, forms."""
import datetime as dt
from io import BytesIO

import pytest
import sqlalchemy as sa

from app.api.staff import offline as offline_routes
from app.config import ConfigError, load_config
from app.demo import resident_id
from app.domain.dates import utcnow
from app.domain.identity import mask_name
from app.extensions import db
from app.models import Department, ListEntry, Measure, Venue
from app.services import accounts, imports, objections
from tests.helpers import Identity, console_csrf, console_login, identity, list_identity
from tests.test_offline_reconciliation import item, listed, phone_codes, staff, upload  # noqa: F401

PASSWORD = "console-pass"
PAGES_BY_ROLE = {
    "admin": ["/admin/dashboard", "/admin/objections", "/admin/complaints", "/admin/subjects", "/admin/import",
              "/admin/measures", "/admin/measures/new", "/admin/venues", "/admin/accounts", "/admin/scans",
              "/admin/audit"],
    "reviewer": ["/admin/dashboard", "/admin/objections", "/admin/complaints", "/admin/subjects"],
    "reporter": ["/admin/import"],
    "manager": ["/admin/dashboard", "/admin/measures", "/admin/measures/new", "/admin/accounts", "/admin/scans"],
}


@pytest.fixture
def people(catalogue):
    tax = db.session.scalar(sa.select(Department).where(Department.code == "SWJ"))
    for role in PAGES_BY_ROLE:
        accounts.create_account(role, PASSWORD, role, "test", department_id=tax.id if role == "reporter" else None,
                                venue_id=catalogue["LIB"].id if role == "manager" else None)
    return tax


_csrf = console_csrf


def _login(client, username):
    return console_login(client, username, PASSWORD)


def _search(client, query):
    """The subject search is posted, so a searched number never appears in a URL."""
    return client.post("/admin/subjects", data={"q": query, "csrf_token": _csrf(client, "/admin/subjects")}
                       ).get_data(as_text=True)


@pytest.mark.parametrize("role", PAGES_BY_ROLE)
def test_each_role_sees_its_pages_and_only_those(client, people, role):
    _login(client, role)
    allowed = set(PAGES_BY_ROLE[role])
    for page in PAGES_BY_ROLE["admin"]:
        response = client.get(page)
        assert response.status_code == (200 if page in allowed else 403), (role, page)
    if role != "admin":
        assert "当前角色无权" in client.get("/admin/audit").get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_login(client, people):
    for page in PAGES_BY_ROLE["admin"]:
        response = client.get(page)
        assert response.status_code == 302 and response.headers["Location"].startswith("/admin/login")


def test_session_cookie_flags_and_logout(client, people):
    response = _login(client, "admin")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    logout = client.post("/admin/logout", data={"csrf_token": _csrf(client, "/admin/dashboard")})
    assert logout.status_code == 302
    assert client.get("/admin/dashboard").status_code == 302


def test_cookies_are_secure_in_production(monkeypatch, tmp_path):
    for name, value in {"DATABASE_URL": "sqlite://", "SECRET_KEY": "s" * 32, "ID_HASH_KEY": "i" * 32,
                        "CODE_SIGNING_KEYS": "k" * 43, "CODE_SEAL_SECRET": "z" * 43,
                        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"}.items():
        monkeypatch.setenv(name, value)
    assert load_config(str(tmp_path), "production").SESSION_COOKIE_SECURE is True
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memory://")  # each worker counting alone
    with pytest.raises(ConfigError):
        load_config(str(tmp_path), "production")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    monkeypatch.delenv("SECRET_KEY")
    with pytest.raises(ConfigError):
        load_config(str(tmp_path), "production")


def test_disabling_an_account_ends_its_console_session(client, people):
    _login(client, "reviewer")
    reviewer = db.session.scalar(sa.select(accounts.Account).where(accounts.Account.username == "reviewer"))
    accounts.set_active(reviewer.id, False, "test", utcnow())
    assert client.get("/admin/dashboard").status_code == 302


def test_forms_without_the_csrf_token_are_refused(client, people):
    refused = client.post("/admin/login", data={"username": "admin", "password": PASSWORD})
    assert refused.status_code == 400
    _login(client, "admin")
    assert client.post("/admin/logout").status_code == 400


def test_repeated_failed_logins_are_locked_out(client, people):
    token = _csrf(client)
    statuses = [client.post("/admin/login", data={"username": "admin", "password": "wrong-pass",
                                                  "csrf_token": token}).status_code for _ in range(6)]
    assert statuses[:5] == [401] * 5 and statuses[5] == 429
    page = client.post("/admin/login", data={"csrf_token": token}, headers={"Accept": "text/html"})
    assert page.status_code == 429 and "操作过于频繁" in page.get_data(as_text=True)


def test_wrong_password_shows_a_message(client, people):
    response = client.post("/admin/login", data={"username": "admin", "password": "nope", "csrf_token": _csrf(client)})
    assert response.status_code == 401 and "用户名或密码错误" in response.get_data(as_text=True)


def test_reporter_imports_only_their_departments_categories(client, people, today):
    _login(client, "reporter")
    good, other = identity(51, kind="enterprise", name="纳税企业"), identity(52, name="某人")
    csv = (f"主体类型,名称,证件号码,名单类别,认定日期\n企业,{good.name},{good.number},E02,{today}\n"
           f"个人,{other.name},{other.number},P02,{today}\n").encode()
    page = client.post("/admin/import", data={"csrf_token": _csrf(client, "/admin/import"),
                                              "file": (BytesIO(csv), "list.csv")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "新增 <b>1</b>" in page and "不由本单位报送" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ListEntry)) == 1


def test_admin_revokes_an_entry_with_a_reason(client, people, today):
    who = list_identity(identity(53, name="撤销者"), today)
    subject = who.subject()
    _login(client, "admin")
    page_url = f"/admin/subjects/{subject.id}"
    url = f"{page_url}/entries/{subject.entries[0].id}/revoke"
    data = {"csrf_token": _csrf(client, page_url), "reason": "  "}
    assert "理由：至少 1 个字符" in client.post(url, data=data, follow_redirects=True).get_data(as_text=True)
    assert db.session.get(ListEntry, subject.entries[0].id).status == "active"  # a reason is required
    data["reason"] = "荣誉称号被撤销"
    page = client.post(url, data=data, follow_redirects=True).get_data(as_text=True)
    assert "已撤销" in page
    db.session.expire_all()
    assert db.session.get(ListEntry, subject.entries[0].id).status == "revoked"


def test_reviewer_may_look_up_but_not_change_the_list(client, people, today):
    who = list_identity(identity(54, name="查询者"), today)
    _login(client, "reviewer")
    found = _search(client, who.number)
    assert "查*者" in found and who.number not in found
    url = f"/admin/subjects/{who.subject().id}"
    response = client.post(f"{url}/entries/{who.subject().entries[0].id}/revoke",
                           data={"csrf_token": _csrf(client, url), "reason": "x"})
    assert response.status_code == 403


@pytest.mark.parametrize("name, number", [("冯海生", resident_id("441702", dt.date(1965, 3, 12), 213)),
                                          ("陈家明", resident_id("810000", dt.date(1983, 7, 1), 35))])
def test_search_finds_real_peoples_numbers(client, people, today, name, number):
    list_identity(Identity("person", name, number), today)
    _login(client, "reviewer")
    found = _search(client, number)
    assert mask_name("person", name) in found and number not in found


def test_the_objection_page_says_what_upholding_will_change(client, people, today):
    who = list_identity(identity(55, name="林双记"), today)
    for day, authority in ((today - dt.timedelta(days=40), "市税务局"), (today - dt.timedelta(days=3), "市人民法院")):
        data = f"kind,id_number,name,recorded_on,authority\nperson,{who.number},{who.name},{day},{authority}\n"
        imports.import_dishonesty("d.csv", data.encode(), "test", day)
    objection = objections.file_objection(who.subject().id, "wrongly_suspended", "暂停有误，请核实。",
                                     who.subject().entries[0].id, None, [], utcnow())
    _login(client, "reviewer")
    page = client.get(f"/admin/objections/{objection.id}").get_data(as_text=True)
    assert "仍有 1 条失信记录生效" in page and "市税务局" in page and "市人民法院" in page


def test_admin_approves_and_withdraws_measures(client, people):
    _login(client, "admin")
    pending = db.session.scalar(sa.select(Measure).where(Measure.code == "XY-XING-03"))
    token = _csrf(client, "/admin/measures")
    client.post(f"/admin/measures/{pending.id}/approve", data={"csrf_token": token})
    client.post(f"/admin/measures/{pending.id}/withdraw", data={"csrf_token": token, "reason": "单位申请取消"})
    db.session.expire_all()
    measure = db.session.get(Measure, pending.id)
    assert measure.status == "withdrawn" and measure.withdrawn_on is not None


def test_admin_creates_and_disables_a_staff_account(client, people, catalogue):
    _login(client, "admin")
    token = _csrf(client, "/admin/accounts")
    client.post("/admin/accounts/new", data={"csrf_token": token, "username": "counter9",
                                         "password": "counter-pass-9", "role": "staff",
                                         "venue_id": catalogue["LIB"].id})
    created = db.session.scalar(sa.select(accounts.Account).where(accounts.Account.username == "counter9"))
    assert created.venue_id == catalogue["LIB"].id and created.active
    client.post(f"/admin/accounts/{created.id}/disable", data={"csrf_token": token})
    db.session.expire_all()
    assert db.session.get(accounts.Account, created.id).active is False


def test_export_is_csv_with_masked_personal_data(client, people):
    _login(client, "reviewer")
    response = client.get("/admin/export/redemptions.csv?start=2026-01-01&end=2026-12-31")
    assert response.mimetype == "text/csv" and response.headers["Cache-Control"] == "no-store"
    assert response.get_data(as_text=True).lstrip("\ufeff").startswith("核销编号,核销时间,场景")
    bad = client.get("/admin/export/redemptions.csv?start=2026-12-31&end=2026-01-01")
    assert bad.status_code == 422 and "invalid_range" in bad.get_data(as_text=True)


@pytest.mark.parametrize("fields, message", [
    ({"code": ""}, "编码：必填"),
    ({"code": "XY-XING-01"}, "编码不能与已有激励措施重复"),
    ({"valid_from": "2026-13-01"}, "生效日期：日期格式应为 YYYY-MM-DD"),
    ({"min_grade": "ZZZ"}, "最低信用等级：可选"),
    ({"benefit_type": "pay_percent", "benefit_value": "12"}, "第1行：打折收费须在 0.1–9.9 折之间"),
    ({"benefit_type": "books", "benefit_value": "三本"}, "第1行：可借数量（额外额度）须填数字"),
    ({"benefit_grade": "A", "benefit_type": "books", "benefit_value": "3", "cap_type": "free", "cap_value": "1"},
     "上限第1行：只有数值类优惠可以设上限"),
    ({"valid_from": "2026-01-01", "valid_to": "2026-12-31"}, "不少于两年"),
])
def test_bad_measure_applications_are_refused_with_a_message(client, people, catalogue, fields, message):
    _login(client, "admin")
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Measure))
    form = {"csrf_token": _csrf(client, "/admin/measures/new"), "code": "XY-NEW-01", "title": "新措施",
            "scenario": "travel", "provider_id": catalogue["BUS"].id, "kinds": "person"} | fields
    page = client.post("/admin/measures/new", data=form).get_data(as_text=True)
    assert message in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Measure)) == before


def test_an_edit_keeps_the_measure_rules(client, people):
    _login(client, "admin")
    measure = db.session.scalar(sa.select(Measure).where(Measure.code == "XY-YUE-01"))
    url = f"/admin/measures/{measure.id}"
    page = client.post(url, data={"csrf_token": _csrf(client, url), "title": measure.title,
                                  "min_grade": "ZZZ"}).get_data(as_text=True)
    assert "最低信用等级：可选" in page
    db.session.expire_all()
    assert db.session.get(Measure, measure.id).min_grade is None


def test_admin_creates_and_edits_a_venue(client, people):
    _login(client, "admin")
    token = _csrf(client, "/admin/venues")
    client.post("/admin/venues/new", data={"csrf_token": token, "code": "MALL", "name": "阳江百货",
                                           "scenario": "shopping"})
    venue = db.session.scalar(sa.select(Venue).where(Venue.code == "MALL"))
    assert (venue.name, venue.scenario) == ("阳江百货", "shopping")
    page = client.post(f"/admin/venues/{venue.id}", data={"csrf_token": token, "code": "BUS",
                                              "name": "重名", "scenario": "shopping"}, follow_redirects=True)
    assert "编码已被使用" in page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Venue, venue.id).code == "MALL"


def test_audit_log_filters_by_actor_and_action(client, people, today):
    list_identity(identity(55, name="审计者"), today)
    _login(client, "admin")
    page = client.get("/admin/audit?action=import.").get_data(as_text=True)
    assert "导入了名单文件 t.csv" in page and "创建了" not in page
    page = client.get("/admin/audit?actor=nobody").get_data(as_text=True)
    assert "没有记录" in page


def test_the_scan_log_costs_the_same_statements_for_one_offline_duplicate_or_four(  # noqa: F811
        app, client, staff, listed, monkeypatch):  # noqa: F811
    """Each duplicate names the counter whose redemption stands, and that redemption its duplicates: looked up once
    for the page, never once per row."""
    monkeypatch.setattr(offline_routes, "utcnow", lambda: utcnow() + dt.timedelta(minutes=10))
    accounts.create_account("office", PASSWORD, "admin", "test")
    office = app.test_client()
    console_login(office, "office", PASSWORD)
    costs, statements = [], []

    def count(*_):
        statements.append(1)

    for number, code in enumerate(phone_codes(client, listed)[:4]):
        upload(client, staff["BUS"][1], item(code, f"bus-{number:08}", seconds=2))
        upload(client, staff["SCENIC"][1], item(code, f"scenic-{number:08}", seconds=9, measure="XY-YOU-01"))
        statements.clear()
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            page = office.get("/admin/scans").get_data(as_text=True)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        assert page.count("该码已于") == page.count("重复核销（离线）：") == number + 1
        costs.append(len(statements))
    assert costs[0] == costs[-1]
