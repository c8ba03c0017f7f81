"""The administration API beyond the review queues (API.md: "reachable from the console and as JSON"): measures,
venues, accounts, subjects and list changes, imports, statistics, the export and the audit log, each for its roles."""
import csv
import datetime as dt
import io

import pytest
import sqlalchemy as sa

from app.domain.dates import today, utcnow
from app.extensions import db
from app.models import Department, ListEntry, Measure
from app.services import accounts, citizens, scanning
from tests.helpers import identity, list_identity

PASSWORD = "admin-api-pass"


@pytest.fixture
def tokens(client, catalogue):
    """A bearer token per console role; the reporter reports for 市文明办 (category P02)."""
    wmb = db.session.scalar(sa.select(Department).where(Department.code == "WMB"))
    made = {}
    for role in ("admin", "reviewer", "reporter"):
        accounts.create_account(f"api_{role}", PASSWORD, role, "test",
                                department_id=wmb.id if role == "reporter" else None)
        answer = client.post("/api/v1/admin/login", json={"username": f"api_{role}", "password": PASSWORD}).get_json()
        made[role] = {"Authorization": f"Bearer {answer['access_token']}"}
    return made


ADMIN_ONLY = [("GET", "/api/v1/admin/measures"), ("POST", "/api/v1/admin/measures"), ("GET", "/api/v1/admin/venues"),
              ("POST", "/api/v1/admin/venues"), ("GET", "/api/v1/admin/accounts"), ("POST", "/api/v1/admin/accounts"),
              ("GET", "/api/v1/admin/audit"), ("POST", "/api/v1/admin/subjects/1/dishonesty")]
REVIEWERS = [("GET", "/api/v1/admin/stats"), ("GET", "/api/v1/admin/export/redemptions.csv"),
             ("GET", "/api/v1/admin/subjects?q=王"), ("POST", "/api/v1/admin/subjects/search")]


@pytest.mark.parametrize("method, path", ADMIN_ONLY + REVIEWERS)
def test_roles(client, tokens, method, path):
    for role, allowed in (("admin", True), ("reviewer", (method, path) in REVIEWERS), ("reporter", False)):
        status = client.open(path, method=method, json={}, headers=tokens[role]).status_code
        assert (status != 403) == allowed, (role, method, path, status)
    assert client.open(path, method=method, json={}).status_code == 401


def test_measures_apply_edit_approve_withdraw(client, tokens, catalogue):
    admin = tokens["admin"]
    body = {"code": "XY-TING-01", "title": "守信车主停车费8折", "scenario": "parking",
            "provider_id": catalogue["GOV"].id, "kinds": ["person"], "benefit": {"pay_percent": 80},
            "valid_from": "2026-12-01"}
    created = client.post("/api/v1/admin/measures", json=body, headers=admin)
    assert created.status_code == 201 and created.get_json()["status"] == "pending"
    measure_id = created.get_json()["id"]
    twice = client.post("/api/v1/admin/measures", json=body, headers=admin)
    assert twice.status_code == 409 and twice.get_json()["error"]["code"] == "code_taken"
    short = client.put(f"/api/v1/admin/measures/{measure_id}", headers=admin,
                       json={"title": "守信车主停车费8折", "benefit": {"pay_percent": 80}, "valid_to": "2027-01-01"})
    assert short.status_code == 422 and short.get_json()["error"]["code"] == "validity_too_short"
    edited = client.put(f"/api/v1/admin/measures/{measure_id}", headers=admin,
                        json={"title": "守信车主停车费7折", "benefit": {"pay_percent": 70}, "categories": ["P02"]})
    assert edited.get_json()["title"] == "守信车主停车费7折" and edited.get_json()["categories"] == ["P02"]
    approved = client.post(f"/api/v1/admin/measures/{measure_id}/approve", headers=admin)
    assert approved.get_json()["status"] == "published"
    no_reason = client.post(f"/api/v1/admin/measures/{measure_id}/withdraw", headers=admin, json={})
    assert no_reason.status_code == 400 and "reason" in no_reason.get_json()["error"]["fields"]
    withdrawn = client.post(f"/api/v1/admin/measures/{measure_id}/withdraw", headers=admin,
                            json={"reason": "停车场改造"})
    assert withdrawn.get_json()["status"] == "withdrawn"
    codes = [item["code"] for item in client.get("/api/v1/admin/measures", headers=admin).get_json()["items"]]
    assert "XY-TING-01" in codes and "XY-XING-03" in codes  # pending ones too, unlike the public catalogue


def test_venues_and_accounts(client, tokens):
    admin = tokens["admin"]
    venue = client.post("/api/v1/admin/venues", headers=admin,
                        json={"code": "MALL", "name": "阳江百货", "scenario": "shopping", "address": "江城区一号"})
    assert venue.status_code == 201
    venue_id = venue.get_json()["id"]
    renamed = client.put(f"/api/v1/admin/venues/{venue_id}", headers=admin,
                         json={"code": "MALL", "name": "阳江百货大楼", "scenario": "shopping"})
    assert renamed.get_json()["name"] == "阳江百货大楼"
    weak = client.post("/api/v1/admin/accounts", headers=admin,
                       json={"username": "mall1", "password": "short", "role": "staff", "venue_id": venue_id})
    assert weak.status_code == 400 and "password" in weak.get_json()["error"]["fields"]
    made = client.post("/api/v1/admin/accounts", headers=admin,
                       json={"username": "mall1", "password": "mall-pass-1", "role": "staff", "venue_id": venue_id})
    assert made.status_code == 201 and made.get_json()["venue"]["name"] == "阳江百货大楼"
    account_id = made.get_json()["id"]
    assert client.post("/api/v1/staff/login", json={"username": "mall1", "password": "mall-pass-1"}).status_code == 200
    assert client.post(f"/api/v1/admin/accounts/{account_id}/disable", headers=admin).get_json()["active"] is False
    assert client.post("/api/v1/staff/login", json={"username": "mall1", "password": "mall-pass-1"}).status_code == 401
    me = next(item for item in client.get("/api/v1/admin/accounts", headers=admin).get_json()["items"]
              if item["username"] == "api_admin")
    refused = client.post(f"/api/v1/admin/accounts/{me['id']}/disable", headers=admin)
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "cannot_disable_self"


def test_subjects_search_file_and_list_changes(client, tokens, today):
    who = list_identity(identity(141, name="司马守诚"), today)
    admin, reviewer = tokens["admin"], tokens["reviewer"]
    by_name = client.get("/api/v1/admin/subjects?q=司马", headers=reviewer).get_json()["items"]
    assert [(item["name_masked"], item["entries"]) for item in by_name] == [("司**诚", 1)]
    in_url = client.get(f"/api/v1/admin/subjects?q={who.number}", headers=reviewer)
    assert in_url.status_code == 422 and in_url.get_json()["error"]["code"] == "number_in_url"
    by_number = client.post("/api/v1/admin/subjects/search", json={"q": who.number}, headers=reviewer)
    assert who.number not in by_number.get_data(as_text=True)
    subject_id = by_number.get_json()["items"][0]["id"]
    file = client.get(f"/api/v1/admin/subjects/{subject_id}", headers=reviewer).get_json()
    entry = file["entries"][0]
    assert entry["status"] == "active" and file["subject"]["id_number_masked"].endswith(who.number[-4:])
    url = f"/api/v1/admin/subjects/{subject_id}/entries/{entry['id']}"
    assert client.post(url + "/revoke", json={"reason": "撤销"}, headers=reviewer).status_code == 403
    later = (dt.date.fromisoformat(entry["expires_on"]) + dt.timedelta(days=90)).isoformat()
    extended = client.post(url + "/extend", json={"expires_on": later, "reason": "统筹协调小组同意"}, headers=admin)
    assert extended.get_json()["entries"][0]["expires_on"] == later
    record = client.post(f"/api/v1/admin/subjects/{subject_id}/dishonesty", headers=admin,
                         json={"recorded_on": str(dates_today()), "authority": "市人民法院", "summary": "拒不履行"})
    assert record.status_code == 201
    suspended = client.get(f"/api/v1/admin/subjects/{subject_id}", headers=admin).get_json()["entries"][0]
    assert suspended["status"] == "suspended" and suspended["suspended_by_record_id"] == record.get_json()["id"]
    repaired = client.post(f"/api/v1/admin/subjects/{subject_id}/dishonesty/{record.get_json()['id']}/repair",
                           json={"reason": "已履行"}, headers=admin)
    assert repaired.get_json()["repaired_on"] is not None
    assert client.post(url + "/revoke", json={"reason": "荣誉被撤销"}, headers=admin).get_json()["entries"][0][
        "status"] == "revoked"
    assert db.session.get(ListEntry, entry["id"]).status == "revoked"


def dates_today():
    return today()


def test_imports_by_role(client, tokens, today):
    rows = (f"kind,name,id_number,category,recognized_on\n"
            f"person,郑好人,{identity(142).number},P02,{today}\nperson,钱劳模,{identity(143).number},P03,{today}\n")
    files = {"file": (io.BytesIO(rows.encode()), "list.csv"), "kind": "list"}
    report = client.post("/api/v1/admin/imports", data=files, headers=tokens["reporter"],
                         content_type="multipart/form-data").get_json()
    assert (report["created"], report["refused"]) == (1, 1)
    assert report["errors"][0]["code"] == "category_not_allowed"
    dishonest = client.post("/api/v1/admin/imports", headers=tokens["reporter"], content_type="multipart/form-data",
                            data={"file": (io.BytesIO(b"x"), "d.csv"), "kind": "dishonesty"})
    assert dishonest.status_code == 403
    assert client.post("/api/v1/admin/imports", headers=tokens["admin"], content_type="multipart/form-data",
                       data={"kind": "list"}).status_code == 400


def test_stats_and_audit(client, tokens, measure_id):
    who = list_identity(identity(144, name="周统计"), today())
    staff = accounts.create_account("stats_bus", PASSWORD, "staff", "test", venue_id=db.session.get(
        Measure, measure_id).provider_id)
    token = citizens.issue_code(who.subject().id, today(), utcnow()).token
    scanning.redeem(token, measure_id, "stats-key-1", staff.id, "", utcnow(), today())
    scanning.verify("not a code", staff.id, "", utcnow(), today())
    answer = client.get("/api/v1/admin/stats", headers=tokens["reviewer"]).get_json()
    travel = next(series for series in answer["redemptions"] if series["scenario"] == "travel")
    assert travel["total"] == 1 and travel["scenario_name"] == "信易行" and len(travel["days"]) == 30
    assert {"reason": "token_malformed", "label": "非本平台二维码", "count": 1} in answer["refusals"]
    bad = client.get("/api/v1/admin/stats?start=2026-12-31&end=2026-01-01", headers=tokens["reviewer"])
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "invalid_range"
    events = client.get("/api/v1/admin/audit?action=redemption.", headers=tokens["admin"]).get_json()["items"]
    assert [event["action"] for event in events] == ["redemption.create"]
    assert events[0]["at"].endswith("+08:00")


@pytest.mark.parametrize("hostile", ['=HYPERLINK("http://evil.example/","点我")', "@SUM(1+1)", "+1+1", "-2+3",
                                     "\t=1+1"])
def test_the_export_never_holds_a_formula_whatever_staff_typed(client, tokens, hostile):
    """Venue names, measure titles and benefit notes are typed by people; names of subjects are refused at the door."""
    admin, day = tokens["admin"], today()
    venue = client.post("/api/v1/admin/venues", headers=admin,
                        json={"code": "EVIL", "name": hostile, "scenario": "shopping"}).get_json()
    measure = client.post("/api/v1/admin/measures", headers=admin, json={
        "code": "XY-GOU-09", "title": hostile, "scenario": "shopping", "provider_id": venue["id"], "kinds": ["person"],
        "benefit": {"note": hostile}, "valid_from": str(day - dt.timedelta(days=1))}).get_json()
    client.post(f"/api/v1/admin/measures/{measure['id']}/approve", headers=admin)
    refused = client.post("/api/v1/auth/login", json=identity(145, name=hostile).login_body())
    assert refused.status_code == 422 and "name" in refused.get_json()["error"]["fields"]
    who = list_identity(identity(146, name="吴守法"), day)
    staff = accounts.create_account("evil_counter", PASSWORD, "staff", "test", venue_id=venue["id"])
    token = citizens.issue_code(who.subject().id, day, utcnow()).token
    scanning.redeem(token, measure["id"], "evil-key-01", staff.id, "", utcnow(), day)
    export = client.get(f"/api/v1/admin/export/redemptions.csv?start={day - dt.timedelta(days=1)}&end={day}",
                        headers=tokens["reviewer"])
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 2
    for cell in rows[1]:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert f"'{hostile}" in rows[1]
