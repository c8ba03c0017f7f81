"""Every kind of upheld objection leaves the subject where the decision says — proved at a counter's verify."""
import datetime as dt

import pytest
import sqlalchemy as sa

from app.domain import dates
from app.extensions import db
from app.models import AuditEvent, DishonestyRecord, ListEntry, ScanAttempt
from app.services import accounts, imports
from tests.helpers import identity, list_identity, login

PASSWORD = "review-pass"


@pytest.fixture
def reviewer(client, catalogue):
    accounts.create_account("reviewer1", PASSWORD, "reviewer", "test")
    token = client.post("/api/v1/admin/login", json={"username": "reviewer1", "password": PASSWORD}).get_json()
    return {"Authorization": f"Bearer {token['access_token']}"}


@pytest.fixture
def counter(client, catalogue):
    accounts.create_account("bus_counter", PASSWORD, "staff", "test", venue_id=catalogue["BUS"].id)
    token = client.post("/api/v1/staff/login", json={"username": "bus_counter", "password": PASSWORD}).get_json()
    return {"Authorization": f"Bearer {token['access_token']}"}


def _record(who, day, authority):
    data = ("kind,id_number,name,recorded_on,authority,summary\n"
            f"person,{who.number},{who.name},{day},{authority},拒不履行\n")
    assert imports.import_dishonesty("d.csv", data.encode(), "test", day).created == 1


def _scan(client, citizen, counter) -> dict:
    """A fresh code shown at the bus counter: what staff see (or why no code could be shown)."""
    code = client.get("/api/v1/me/qrcode", headers=citizen)
    if code.status_code != 200:
        return {"valid": False, "reason": code.get_json()["error"]["code"]}
    return client.post("/api/v1/scan/verify", headers=counter, json={"token": code.get_json()["token"]}).get_json()


def _object(client, citizen, **body):
    response = client.post("/api/v1/objections", headers=citizen, json={"statement": "请核实我的名单状态。", **body})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def _decide(client, reviewer, objection_id, **body):
    response = client.post(f"/api/v1/admin/objections/{objection_id}/decision", headers=reviewer,
                           json={"outcome": "upheld", **body})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _last_notice(client, citizen) -> str:
    return client.get("/api/v1/me/messages", headers=citizen).get_json()["items"][0]["body"]


def test_wrongly_suspended_upheld_withdraws_the_record_and_the_code_verifies_at_once(client, reviewer, counter,
                                                                                   today):
    who = list_identity(identity(31, name="冯海生"), today)
    citizen = login(client, who)
    _record(who, today - dt.timedelta(days=3), "市人民法院")
    assert _scan(client, citizen, counter)["reason"] == "listing_suspended"
    entry = who.subject().entries[0]
    record_id = entry.suspended_by_record_id
    objection_id = _object(client, citizen, type="wrongly_suspended", entry_id=entry.id)

    preview = client.get(f"/api/v1/admin/objections/{objection_id}/if-upheld", headers=reviewer).get_json()
    assert [record["id"] for record in preview["withdraws"]] == [record_id]
    assert preview["still_blocked_by"] == [] and preview["restores_eligibility"] is True

    _decide(client, reviewer, objection_id, reason="失信记录系同名误认")
    scan = _scan(client, citizen, counter)
    assert scan["valid"] is True and scan["measures"]
    record = db.session.get(DishonestyRecord, record_id)
    assert record.withdrawn_by_objection_id == objection_id and record.withdrawn_on == dates.today()
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "dishonesty.withdraw")) is not None
    me = client.get("/api/v1/me", headers=citizen).get_json()
    assert me["listed"] is True and me["entries"][0]["status"] == "active"


def test_an_upheld_objection_that_cannot_restore_says_so_before_and_after(client, reviewer, counter, today):
    who = list_identity(identity(32, name="林双记"), today)
    citizen = login(client, who)
    _record(who, today - dt.timedelta(days=40), "市税务局")
    _record(who, today - dt.timedelta(days=3), "市人民法院")
    entry = who.subject().entries[0]
    objection_id = _object(client, citizen, type="wrongly_suspended", entry_id=entry.id)

    preview = client.get(f"/api/v1/admin/objections/{objection_id}/if-upheld", headers=reviewer).get_json()
    # The suspension rests on the record that caused it; the later one finds the entry already suspended.
    assert [record["authority"] for record in preview["withdraws"]] == ["市税务局"]
    assert [record["authority"] for record in preview["still_blocked_by"]] == ["市人民法院"]
    assert preview["restores_eligibility"] is False

    _decide(client, reviewer, objection_id)
    assert _scan(client, citizen, counter)["reason"] == "listing_suspended"
    db.session.expire_all()
    assert db.session.get(ListEntry, entry.id).suspended_by.authority == "市人民法院"
    assert "仍有严重失信记录（市人民法院" in _last_notice(client, citizen)


def test_the_reviewer_may_withdraw_every_record_found_wrong(client, reviewer, counter, today):
    who = list_identity(identity(33, name="黄两错"), today)
    citizen = login(client, who)
    _record(who, today - dt.timedelta(days=40), "市税务局")
    _record(who, today - dt.timedelta(days=3), "市人民法院")
    objection_id = _object(client, citizen, type="wrongly_suspended", entry_id=who.subject().entries[0].id)
    records = [record.id for record in who.subject().dishonesty_records]
    refused = client.post(f"/api/v1/admin/objections/{objection_id}/decision", headers=reviewer,
                          json={"outcome": "upheld", "withdraw_record_ids": [records[0], 99999]})
    assert refused.status_code == 422 and "withdraw_record_ids" in refused.get_json()["error"]["fields"]
    _decide(client, reviewer, objection_id, withdraw_record_ids=records)
    assert _scan(client, citizen, counter)["valid"] is True


def test_not_listed_upheld_with_a_correction_lists_the_subject(client, reviewer, counter, today):
    who = identity(34, name="赵补录")
    citizen = login(client, who)
    assert _scan(client, citizen, counter)["reason"] == "not_listed"
    objection_id = _object(client, citizen, type="not_listed")
    _decide(client, reviewer, objection_id,
            correction={"category": "P02", "recognized_on": str(today - dt.timedelta(days=30))})
    assert _scan(client, citizen, counter)["valid"] is True


def test_not_listed_upheld_while_a_record_blocks_keeps_the_new_entry_suspended(client, reviewer, counter, today):
    who = identity(35, name="钱未列")
    citizen = login(client, who)
    _record(who, today - dt.timedelta(days=10), "市人民法院")
    assert _scan(client, citizen, counter)["reason"] == "excluded_dishonest"
    objection_id = _object(client, citizen, type="not_listed")
    preview = client.get(f"/api/v1/admin/objections/{objection_id}/if-upheld", headers=reviewer).get_json()
    assert preview["restores_eligibility"] is False
    _decide(client, reviewer, objection_id, correction={"category": "P02", "recognized_on": str(today)})
    assert _scan(client, citizen, counter)["reason"] == "listing_suspended"
    assert "仍有严重失信记录" in _last_notice(client, citizen)


def test_wrong_entry_upheld_corrects_the_entry(client, reviewer, counter, today):
    who = list_identity(identity(36, name="孙更正"), today, category="P02")
    citizen = login(client, who)
    entry_id = who.subject().entries[0].id
    objection_id = _object(client, citizen, type="wrong_entry", entry_id=entry_id)
    corrected_on = today - dt.timedelta(days=5)
    _decide(client, reviewer, objection_id, correction={"category": "P05", "recognized_on": str(corrected_on)})
    entry = client.get("/api/v1/me", headers=citizen).get_json()["entries"][0]
    assert (entry["id"], entry["category"]["code"], entry["recognized_on"]) == (entry_id, "P05", str(corrected_on))
    assert _scan(client, citizen, counter)["valid"] is True


def test_scan_refused_upheld_marks_the_attempt_overturned(client, reviewer, counter, today):
    who = list_identity(identity(37, name="周被拒"), today)
    citizen = login(client, who)
    shown = client.get("/api/v1/me/qrcode", headers=citizen).get_json()["token"]
    _record(who, today - dt.timedelta(days=3), "市人民法院")
    refused = client.post("/api/v1/scan/verify", headers=counter, json={"token": shown}).get_json()
    assert refused["reason"] == "listing_suspended"
    attempt_id = refused["attempt_id"]
    objection_id = _object(client, citizen, type="scan_refused", attempt_id=attempt_id)
    decided = _decide(client, reviewer, objection_id, withdraw_record_ids=[
        record.id for record in who.subject().dishonesty_records])
    assert decided["status"] == "upheld"
    assert db.session.get(ScanAttempt, attempt_id).overturned_by_objection_id == objection_id
    assert _scan(client, citizen, counter)["valid"] is True


def test_a_withdrawn_record_is_kept_and_a_later_record_still_suspends(client, reviewer, counter, today):
    """Records are never deleted: the withdrawn one stays on file; a new record suspends as usual."""
    who = list_identity(identity(38, name="吴存档"), today)
    citizen = login(client, who)
    _record(who, today - dt.timedelta(days=3), "市人民法院")
    objection_id = _object(client, citizen, type="wrongly_suspended", entry_id=who.subject().entries[0].id)
    _decide(client, reviewer, objection_id)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DishonestyRecord)) == 1
    _record(who, today - dt.timedelta(days=1), "市市场监管局")
    assert _scan(client, citizen, counter)["reason"] == "listing_suspended"
