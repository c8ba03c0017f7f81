"""Partner units' managers in the console: confined to their own unit, changes to published measures wait for the
credit office, every action audited; the benefit editor in words; names, deadlines and kept forms."""
import csv
import datetime as dt
import io
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import demo
from app.domain.benefits import BenefitRow, benefit_from_rows, rows_of, sentences
from app.domain.dates import utcnow
from app.domain.identity import mask_name
from app.errors import DomainError
from app.extensions import db
from app.models import AccessToken, Account, AuditEvent, Measure, MeasureChange
from app.services import accounts, citizens, objections, scanning
from tests.helpers import console_csrf, console_login, identity, list_identity

PASSWORD = "console-pass"


@pytest.fixture
def unit(catalogue):
    """The library's manager and counter, the bus company's counter, and the credit office's administrator."""
    library, bus = catalogue["LIB"], catalogue["BUS"]
    return {"library": library, "bus": bus,
            "manager": accounts.create_account("lib_boss", PASSWORD, "manager", "test", venue_id=library.id,
                                               display_name="图书馆王馆长"),
            "lib_staff": accounts.create_account("lib_desk", PASSWORD, "staff", "test", venue_id=library.id),
            "bus_staff": accounts.create_account("bus_desk", PASSWORD, "staff", "test", venue_id=bus.id),
            "admin": accounts.create_account("office", PASSWORD, "admin", "test", display_name="张三")}


def _measure(code: str) -> Measure:
    return db.session.scalar(sa.select(Measure).where(Measure.code == code))


def _post(client, path: str, data: dict, page: str | None = None):
    return client.post(path, data={"csrf_token": console_csrf(client, page or path)} | data, follow_redirects=True)


# ---- the benefit in words --------------------------------------------------------------------------------------

def test_every_demo_benefit_reads_back_from_the_editors_rows():
    for spec in demo.MEASURES:
        assert benefit_from_rows(*rows_of(spec["benefit"])) == spec["benefit"], spec["code"]


def test_rows_become_tiers_and_caps_and_each_grade_reads_its_sentence():
    benefit = benefit_from_rows(
        [BenefitRow(None, "deposit_waived"), BenefitRow("A", "books", "3"), BenefitRow("AAA", "books", "8"),
         BenefitRow("AA", "extra_loan_days", "30"), BenefitRow(None, "")],
        [BenefitRow(None, "books", "5")])
    assert benefit == {"deposit_waived": True, "tiers": [{"min_grade": "A", "books": 3},
                                                         {"min_grade": "AA", "extra_loan_days": 30},
                                                         {"min_grade": "AAA", "books": 8}], "caps": {"books": 5}}
    assert sentences(benefit) == [("所有可享受者", "免押金"), ("信用等级 A 及以上", "免押金，可借3本"),
                                  ("信用等级 AA 及以上", "免押金，可借3本，借期延长30天"),
                                  ("信用等级 AAA 及以上", "免押金，可借5本，借期延长30天")]


def test_discounts_are_typed_as_zhe_and_rate_cuts_as_percentage_points():
    benefit = benefit_from_rows([BenefitRow(None, "pay_percent", "8.8"), BenefitRow(None, "rate_cut_bp", "0.35")], [])
    assert benefit == {"pay_percent": 88, "rate_cut_bp": 35}
    assert sentences(benefit)[0][1] == "按8.8折收费，贷款利率下浮0.35个百分点"


@pytest.mark.parametrize("row, problem", [
    (BenefitRow(None, "pay_percent", "10"), "0.1–9.9 折"),
    (BenefitRow(None, "pay_percent", "8.85"), "最多 1 位小数"),
    (BenefitRow(None, "books", "NaN"), "须填数字"),
    (BenefitRow(None, "books", "2.5"), "须为整数"),
    (BenefitRow(None, "note", "   "), "说明"),
    (BenefitRow("S", "books", "2"), "信用等级无效"),
    (BenefitRow(None, "teleport", "1"), "未知的优惠类型"),
])
def test_a_wrong_row_is_refused_with_its_line(row, problem):
    with pytest.raises(DomainError) as refused:
        benefit_from_rows([BenefitRow(None, "free"), row], [])
    assert problem in refused.value.fields["第2行"]


def test_the_admin_api_obeys_the_editors_rules(client, catalogue):
    admin = accounts.create_account("api_office", PASSWORD, "admin", "test")
    token = client.post("/api/v1/admin/login", json={"username": admin.username, "password": PASSWORD}
                        ).get_json()["access_token"]
    body = {"code": "XY-YUE-09", "title": "新措施", "scenario": "reading", "provider_id": catalogue["LIB"].id,
            "kinds": ["person"], "benefit": {"pay_percent": 885}}
    refused = client.post("/api/v1/admin/measures", json=body, headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "invalid_benefit"
    assert _measure("XY-YUE-09") is None


def test_the_editor_saves_rows_and_previews_without_saving(client, unit):
    console_login(client, "office", PASSWORD)
    measure = _measure("XY-YUE-01")
    url = f"/admin/measures/{measure.id}"
    form = {"title": measure.title, "benefit_grade": ["", "AA"], "benefit_type": ["deposit_waived", "books"],
            "benefit_value": ["", "6"], "cap_type": [""], "cap_value": [""]}
    page = _post(client, url, form | {"action": "preview"}).get_data(as_text=True)
    assert "信用等级 AA 及以上</strong>：免押金，可借6本" in page
    db.session.expire_all()
    assert _measure("XY-YUE-01").benefit == measure.benefit  # a preview changes nothing
    preview = client.post("/admin/measures/preview", data=form | {"csrf_token": console_csrf(client, url)})
    assert preview.get_json() == {"sentences": [["所有可享受者", "免押金"], ["信用等级 AA 及以上", "免押金，可借6本"]]}
    _post(client, url, form | {"action": "save"})
    db.session.expire_all()
    assert _measure("XY-YUE-01").benefit == {"deposit_waived": True, "tiers": [{"min_grade": "AA", "books": 6}]}


def test_category_choices_show_names_and_departments(client, unit):
    console_login(client, "office", PASSWORD)
    page = client.get("/admin/measures/new").get_data(as_text=True)
    assert "道德模范、诚信之星、阳江好人" in page and "市文明办" in page
    assert "JSON" not in page and "<textarea name=\"benefit\"" not in page


# ---- a manager's reach -----------------------------------------------------------------------------------------

def test_a_manager_sees_only_their_units_pages(client, unit):
    console_login(client, "lib_boss", PASSWORD)
    for page in ("/admin/objections", "/admin/complaints", "/admin/subjects", "/admin/import", "/admin/venues",
                 "/admin/audit"):
        assert client.get(page).status_code == 403, page
    measures = client.get("/admin/measures").get_data(as_text=True)
    assert "XY-YUE-01" in measures and "XY-XING-01" not in measures and "批准发布" not in measures
    assert client.get(f"/admin/measures/{_measure('XY-XING-01').id}").status_code == 404
    staff = client.get("/admin/accounts").get_data(as_text=True)
    assert "lib_desk" in staff and "bus_desk" not in staff and "office" not in staff


def test_a_manager_runs_their_own_counter_staff_only(client, unit):
    console_login(client, "lib_boss", PASSWORD)
    _post(client, "/admin/accounts/new", {"username": "lib_desk2", "password": "desk-pass-2", "role": "admin",
                                          "venue_id": unit["bus"].id}, "/admin/accounts")
    created = db.session.scalar(sa.select(Account).where(Account.username == "lib_desk2"))
    assert (created.role, created.venue_id) == ("staff", unit["library"].id)  # whatever the form claimed
    for target in (unit["bus_staff"], unit["admin"]):
        response = client.post(f"/admin/accounts/{target.id}/disable",
                               data={"csrf_token": console_csrf(client, "/admin/accounts")}, follow_redirects=True)
        assert "账号不存在" in response.get_data(as_text=True)
        db.session.expire_all()
        assert db.session.get(Account, target.id).active
    session = client.application.test_client()
    assert session.post("/api/v1/staff/login", json={"username": "lib_desk", "password": PASSWORD}
                        ).status_code == 200
    page = _post(client, f"/admin/accounts/{unit['lib_staff'].id}/password", {"password": "fresh-pass-9"},
                 "/admin/accounts").get_data(as_text=True)
    assert "密码已重置" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AccessToken).where(
        AccessToken.account_id == unit["lib_staff"].id, AccessToken.revoked_at.is_(None))) == 0
    assert session.post("/api/v1/staff/login", json={"username": "lib_desk", "password": "fresh-pass-9"}
                        ).status_code == 200
    actions = db.session.scalars(sa.select(AuditEvent.action).where(
        AuditEvent.actor == f"admin:{unit['manager'].id}")).all()
    assert {"account.create", "account.reset_password"} <= set(actions)


def test_a_managers_change_to_a_published_measure_waits_for_the_credit_office(client, unit):
    measure = _measure("XY-YUE-01")
    before = dict(measure.benefit)
    console_login(client, "lib_boss", PASSWORD)
    url = f"/admin/measures/{measure.id}"
    form = {"title": measure.title, "benefit_grade": [""], "benefit_type": ["free"], "benefit_value": [""],
            "change_note": "馆务会决定全面免费", "action": "save"}
    assert "变更申请已提交" in _post(client, url, form).get_data(as_text=True)
    db.session.expire_all()
    assert _measure("XY-YUE-01").benefit == before  # citizens still get the published terms
    again = _post(client, url, form).get_data(as_text=True)
    assert "已有一项变更在等待审核" in again
    change = db.session.scalar(sa.select(MeasureChange))
    assert (change.status, change.note, change.requested_by) == ("pending", "馆务会决定全面免费", unit["manager"].id)
    assert client.post(f"/admin/measure-changes/{change.id}/approve",
                       data={"csrf_token": console_csrf(client, "/admin/measures")}).status_code == 403

    office = client.application.test_client()
    console_login(office, "office", PASSWORD)
    listing = office.get("/admin/measures").get_data(as_text=True)
    assert "1 项待审核" in listing and "馆务会决定全面免费" in listing
    _post(office, f"/admin/measure-changes/{change.id}/approve", {}, "/admin/measures")
    db.session.expire_all()
    assert _measure("XY-YUE-01").benefit == {"free": True}
    assert db.session.get(MeasureChange, change.id).status == "approved"
    audit = office.get("/admin/audit").get_data(as_text=True)
    assert "管理员 张三 (office)" in audit and "批准了激励措施 XY-YUE-01 的变更申请" in audit
    assert "实施单位管理员 图书馆王馆长 (lib_boss)" in audit and "提交了激励措施 XY-YUE-01 的变更申请" in audit


def test_a_rejected_change_keeps_the_terms_and_says_why(client, unit):
    measure = _measure("XY-YUE-01")
    console_login(client, "lib_boss", PASSWORD)
    _post(client, f"/admin/measures/{measure.id}", {"title": "改名", "benefit_type": ["free"], "action": "save"})
    change = db.session.scalar(sa.select(MeasureChange))
    office = client.application.test_client()
    console_login(office, "office", PASSWORD)
    refused = _post(office, f"/admin/measure-changes/{change.id}/reject", {"reason": " "}, "/admin/measures")
    assert "理由" in refused.get_data(as_text=True)
    _post(office, f"/admin/measure-changes/{change.id}/reject", {"reason": "与财政补贴不符"}, "/admin/measures")
    db.session.expire_all()
    assert _measure("XY-YUE-01").title == measure.title
    assert "退回理由：与财政补贴不符" in client.get("/admin/measures").get_data(as_text=True)


def test_a_managers_application_is_for_their_unit_and_waits_for_approval(client, unit):
    console_login(client, "lib_boss", PASSWORD)
    _post(client, "/admin/measures/new", {"code": "XY-YUE-07", "title": "守信读者夜间自习室优先", "scenario": "reading",
                                          "provider_id": unit["bus"].id, "kinds": ["person"],
                                          "benefit_type": ["priority"], "action": "save"})
    created = _measure("XY-YUE-07")
    assert (created.provider_id, created.status) == (unit["library"].id, "pending")


def test_a_managers_dashboard_scans_and_export_are_their_units_only(client, unit, today):
    who = list_identity(identity(71, name="欧阳守信"), today)
    now = utcnow()
    for staff, code in ((unit["lib_staff"], "XY-YUE-01"), (unit["bus_staff"], "XY-XING-01")):
        token = citizens.issue_code(who.subject().id, today, now).token
        scanning.redeem(token, _measure(code).id, f"key-{staff.id}-0001", staff.id, "", now, today)
    console_login(client, "lib_boss", PASSWORD)
    day = now.date()
    dashboard = client.get(f"/admin/dashboard?start={day - dt.timedelta(days=1)}&end={day + dt.timedelta(days=1)}"
                           ).get_data(as_text=True)
    assert "信用借阅" in dashboard and "守信个人乘坐市内公交车" not in dashboard and "已超期" not in dashboard
    scans = client.get("/admin/scans").get_data(as_text=True)
    assert mask_name("person", "欧阳守信") in scans and scans.count("已核销") == 1 and who.number not in scans
    export = client.get(f"/admin/export/redemptions.csv?start={day - dt.timedelta(days=1)}"
                        f"&end={day + dt.timedelta(days=1)}").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(export.lstrip("\ufeff"))))
    assert len(rows) == 2 and rows[1][5] == "阳江市图书馆"


def test_create_manager_command(app, catalogue):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-manager", "bus_boss", "--venue", str(catalogue["BUS"].id),
                                 "--password", "manager-pass-1"])
    assert result.exit_code == 0 and "阳江市公共汽车有限公司" in result.output
    missing = runner.invoke(args=["create-manager", "nobody_boss", "--venue", "99999", "--password", "manager-pass-1"])
    assert missing.exit_code != 0 and "实施单位不存在" in missing.output
    assert db.session.scalar(sa.select(Account.role).where(Account.username == "bus_boss")) == "manager"


# ---- names, deadlines, kept forms ------------------------------------------------------------------------------

def test_case_history_names_people_and_deadlines_count_working_days(client, unit, today):
    who = list_identity(identity(72, name="司马守信"), today)
    subject = who.subject()
    objection = objections.file_objection(subject.id, "wrong_entry", "我的名单信息有误，请核实更正。",
                                          subject.entries[0].id, None, [], utcnow())
    console_login(client, "office", PASSWORD)
    page = client.get(f"/admin/objections/{objection.id}").get_data(as_text=True)
    assert f"市民 {mask_name('person', '司马守信')}" in page and "24:00 前（还剩" in page and "个工作日）" in page
    assert "citizen:" not in page


def test_a_refused_form_keeps_what_was_typed_but_never_the_password(client, unit):
    console_login(client, "office", PASSWORD)
    page = _post(client, "/admin/accounts/new", {"username": "office", "display_name": "重名的人",
                                                 "password": "typed-secret-1", "role": "reviewer"},
                 "/admin/accounts").get_data(as_text=True)
    assert "用户名已存在" in page and 'value="重名的人"' in page and "typed-secret-1" not in page
    assert 'value="重名的人"' not in client.get("/admin/accounts").get_data(as_text=True)  # shown once


def test_every_audited_action_has_a_sentence():
    """An action added to a service without wording would show its code to the clerk."""
    from app.web.console.audit_text import VERBS
    calls = [line for path in Path("app").rglob("*.py") for line in path.read_text(encoding="utf-8").splitlines()
             if "audit.record" in line]
    written = {action for line in calls for action in re.findall(r'"([a-z_]+\.[a-z_]+)"', line)}
    formatted = {"import.list", "import.dishonesty", "objection.upheld", "objection.rejected", "admin.login",
                 "staff.login"}  # f"import.{kind}", f"objection.{outcome}", f"{audience}.login"
    assert len(written) > 20 and written | formatted <= set(VERBS), sorted(written | formatted - set(VERBS))
