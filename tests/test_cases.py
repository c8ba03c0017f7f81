"""Objections and complaints: filing, evidence, access, deadlines, decisions and their list effects, inbox."""
import datetime as dt
import io
import os

import pytest
import sqlalchemy as sa
from PIL import Image

from app.domain import workdays
from app.domain.dates import utcnow
from app.extensions import db
from app.models import AuditEvent, Complaint, Evidence, ListEntry, Objection, ScanAttempt
from app.services import accounts, imports, objections, scanning
from tests.helpers import code_of, identity, list_identity, login, race

PASSWORD = "review-pass"


@pytest.fixture
def reviewer(client, catalogue):
    account = accounts.create_account("reviewer1", PASSWORD, "reviewer", "test")
    token = client.post("/api/v1/admin/login", json={"username": "reviewer1", "password": PASSWORD}).get_json()
    return account.id, {"Authorization": f"Bearer {token['access_token']}"}


@pytest.fixture
def alice(client, catalogue, today):
    who = list_identity(identity(1, name="王爱丽"), today)
    return who, login(client, who)


@pytest.fixture
def bob(client, catalogue, today):
    who = list_identity(identity(2, name="李博"), today)
    return who, login(client, who)


def _jpeg(exif_gps=True, size=(40, 30)) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    if exif_gps:
        exif[0x010F] = "SecretCam"  # Make
        exif[0x8825] = {2: (22.0, 30.0, 0.0)}  # GPSInfo: latitude
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), (0, 120, 0)).save(buffer, "PNG")
    return buffer.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _object(client, headers, statement="我的名单被错误暂停，请核实。", files=(), **fields):
    data = {"type": "wrongly_suspended", "statement": statement, **fields}
    if not files:
        return client.post("/api/v1/objections", json=data, headers=headers)
    data = {key: str(value) for key, value in data.items()}
    data["evidence"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post("/api/v1/objections", data=data, headers=headers, content_type="multipart/form-data")


def _entry_id(who):
    return who.subject().entries[0].id


def _count(model):
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _evidence_files(app):
    directory = app.config["EVIDENCE_DIR"]
    return os.listdir(directory) if os.path.isdir(directory) else []


# ---- filing ----------------------------------------------------------------------------------------------

def test_file_an_objection_marks_the_entry_under_objection(client, alice):
    who, headers = alice
    response = _object(client, headers, entry_id=_entry_id(who))
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "submitted" and body["overdue"] is False
    assert [step["to_status"] for step in body["history"]] == ["submitted"]
    entry = client.get("/api/v1/me", headers=headers).get_json()["entries"][0]
    assert entry["status"] == "under_objection" and entry["status_before_objection"] == "active"


def test_under_objection_still_redeems_by_its_status_before_the_objection(client, alice, catalogue):
    """An active entry under objection stays usable; the objection itself changes nothing until decided."""
    who, headers = alice
    _object(client, headers, type="wrong_entry", entry_id=_entry_id(who))
    assert client.get("/api/v1/me/qrcode", headers=headers).status_code == 200
    assert client.get("/api/v1/me", headers=headers).get_json()["listed"] is True


@pytest.mark.parametrize("fields, field", [
    ({"type": "nonsense"}, "type"),
    ({"type": "wrongly_suspended"}, "entry_id"),
    ({"type": "scan_refused"}, "attempt_id"),
    ({"type": "other", "statement": "短"}, "statement"),
    ({"type": "other", "statement": "长" * 2001}, "statement"),
    ({"type": "other", "entry_id": "abc"}, "entry_id"),
])
def test_bad_objection_fields_are_refused_with_the_field(client, alice, fields, field):
    """Outside the documented shape: 400; a type that needs a reference it lacks: 422."""
    _, headers = alice
    body = {"statement": "这是一段足够长的陈述。"} | fields
    response = client.post("/api/v1/objections", json=body, headers=headers)
    assert response.status_code == (422 if field in ("entry_id", "attempt_id") and "abc" not in str(fields) else 400)
    assert field in response.get_json()["error"]["fields"]
    assert _count(Objection) == 0


def test_references_to_other_peoples_objects_are_404(client, alice, bob, catalogue, today):
    who_a, headers_a = alice
    who_b, _ = bob
    assert _object(client, headers_a, entry_id=_entry_id(who_b)).status_code == 404
    staff = accounts.create_account("s1", "staff-pass", "staff", "test", venue_id=catalogue["BUS"].id)
    attempt = scanning.verify("garbage", staff.id, "", utcnow(), today).attempt
    response = client.post("/api/v1/objections", headers=headers_a,
                           json={"type": "scan_refused", "attempt_id": attempt.id, "statement": "扫码被拒绝了，请核实"})
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "attempt_not_found"
    assert _count(Objection) == 0


def test_a_second_open_objection_on_one_entry_is_a_conflict(client, alice):
    who, headers = alice
    assert _object(client, headers, entry_id=_entry_id(who)).status_code == 201
    again = _object(client, headers, entry_id=_entry_id(who))
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "objection_already_open"


def test_unsupported_body_is_415(client, alice):
    _, headers = alice
    response = client.post("/api/v1/objections", data="type=other", headers=headers, content_type="text/plain")
    assert response.status_code == 415


# ---- evidence ----------------------------------------------------------------------------------------------

def test_evidence_is_stored_stripped_and_served_to_owner_and_reviewers_only(app, client, alice, bob, reviewer):
    who, headers = alice
    response = _object(client, headers, entry_id=_entry_id(who),
                       files=[("../../etc/photo.jpg", _jpeg()), ("scan.png", _png()), ("letter.pdf", PDF)])
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert [item["content_type"] for item in body["evidence"]] == ["image/jpeg", "image/png", "application/pdf"]
    assert body["evidence"][0]["filename"] == "photo.jpg"
    stored = db.session.scalars(sa.select(Evidence.stored_name)).all()
    assert sorted(_evidence_files(app)) == sorted(stored) and not any("photo" in name for name in stored)

    url = f"/api/v1/objections/{body['id']}/evidence/{body['evidence'][0]['id']}"
    download = client.get(url, headers=headers)
    assert download.status_code == 200 and download.mimetype == "image/jpeg"
    assert download.headers["Content-Disposition"].startswith("attachment")
    image = Image.open(io.BytesIO(download.data))
    assert not image.getexif() and b"SecretCam" not in download.data
    assert client.get(url, headers=bob[1]).status_code == 404
    admin_url = f"/api/v1/admin/objections/{body['id']}/evidence/{body['evidence'][2]['id']}"
    reviewed = client.get(admin_url, headers=reviewer[1])
    assert reviewed.status_code == 200 and reviewed.data == PDF


@pytest.mark.parametrize("name, content, status, code", [
    ("photo.jpg", b"#!/bin/sh\nrm -rf /\n", 415, "evidence_type_not_allowed"),
    ("empty.png", b"", 422, "evidence_empty"),
    ("cut.jpg", _jpeg(size=(400, 300))[:600], 422, "evidence_corrupt"),
    ("cut.pdf", PDF[:-7], 422, "evidence_corrupt"),
    ("huge.png", b"\x89PNG\r\n\x1a\n" + b"0" * (5 * 1024 * 1024), 413, "evidence_too_large"),
])
def test_each_bad_upload_is_refused_and_leaves_nothing(app, client, alice, name, content, status, code):
    who, headers = alice
    response = _object(client, headers, entry_id=_entry_id(who), files=[("good.png", _png()), (name, content)])
    assert response.status_code == status and response.get_json()["error"]["code"] == code
    assert _count(Objection) == 0 and _count(Evidence) == 0 and _evidence_files(app) == []


def _browser_multipart(fields: dict[str, str]) -> tuple[bytes, str]:
    """A form as a browser sends it when no file was picked: the file part is there, unnamed and empty."""
    boundary = "----WebKitFormBoundaryNoFilePicked"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'
             for key, value in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="evidence"; filename=""\r\n'
                 "Content-Type: application/octet-stream\r\n\r\n\r\n")
    return "".join(parts).encode() + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def test_a_file_field_left_empty_is_no_file(app, client, alice, catalogue):
    who, headers = alice
    body, content_type = _browser_multipart({"type": "wrongly_suspended", "entry_id": str(_entry_id(who)),
                                             "statement": "我的名单被错误暂停，请核实。"})
    filed = client.post("/api/v1/objections", data=body, headers={**headers, "Content-Type": content_type})
    assert filed.status_code == 201, filed.get_json()
    assert filed.get_json()["evidence"] == [] and _count(Evidence) == 0 and _evidence_files(app) == []
    body, content_type = _browser_multipart({"kind": "suggestion", "content": "希望公交卡也能在图书馆使用。"})
    complained = client.post("/api/v1/complaints", data=body, headers={**headers, "Content-Type": content_type})
    assert complained.status_code == 201, complained.get_json()
    assert _count(Complaint) == 1 and _count(Evidence) == 0


def test_too_many_files_are_refused(app, client, alice):
    who, headers = alice
    response = _object(client, headers, entry_id=_entry_id(who), files=[(f"{n}.png", _png()) for n in range(6)])
    assert response.get_json()["error"]["code"] == "evidence_too_many" and _evidence_files(app) == []


def test_an_oversized_request_is_a_json_413(app, client, alice):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    who, headers = alice
    response = _object(client, headers, entry_id=_entry_id(who), files=[("a.png", b"\x89PNG\r\n\x1a\n" + b"0" * 4096)])
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "payload_too_large"


# ---- access matrix -----------------------------------------------------------------------------------------

def test_nobody_sees_another_citizens_cases(client, alice, bob, reviewer):
    who, headers = alice
    objection = _object(client, headers, entry_id=_entry_id(who), files=[("a.png", _png())]).get_json()
    complaint = client.post("/api/v1/complaints", headers=headers,
                            json={"kind": "complaint", "content": "柜台没有按规定打折"}).get_json()
    message = client.get("/api/v1/me/messages", headers=headers).get_json()["items"][0]
    other = bob[1]
    for method, url in [
        ("get", f"/api/v1/objections/{objection['id']}"),
        ("get", f"/api/v1/objections/{objection['id']}/evidence/{objection['evidence'][0]['id']}"),
        ("get", f"/api/v1/complaints/{complaint['id']}"),
        ("post", f"/api/v1/complaints/{complaint['id']}/rating"),
        ("post", f"/api/v1/me/messages/{message['id']}/read"),
    ]:
        response = getattr(client, method)(url, headers=other, json={"score": 5} if method == "post" else None)
        assert response.status_code == 404, url
    assert client.get("/api/v1/objections", headers=other).get_json() == {"items": []}
    assert client.get("/api/v1/complaints", headers=other).get_json() == {"items": []}
    assert client.get("/api/v1/me/messages", headers=other).get_json()["items"] == []
    assert client.get(f"/api/v1/admin/objections/{objection['id']}", headers=headers).status_code == 401
    assert client.get(f"/api/v1/objections/{objection['id']}", headers=reviewer[1]).status_code == 401


def test_department_reporters_cannot_review(client, alice, catalogue):
    accounts.create_account("reporter1", PASSWORD, "reporter", "test", department_id=1)
    token = client.post("/api/v1/admin/login", json={"username": "reporter1", "password": PASSWORD}).get_json()
    response = client.get("/api/v1/admin/objections", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden_role"


# ---- deadlines ---------------------------------------------------------------------------------------------

def test_deadlines_count_working_days_across_national_day():
    """Filed 30 Sep 2026: 1–7 Oct are holidays and Sat 10 Oct a make-up working day → due end of 13 Oct."""
    filed = dt.datetime(2026, 9, 30, 2, 0, tzinfo=dt.UTC)  # 10:00 in Beijing
    assert workdays.due_at(filed, 5) == dt.datetime(2026, 10, 13, 16, 0, tzinfo=dt.UTC)
    assert workdays.due_at(filed, 1) == dt.datetime(2026, 10, 8, 16, 0, tzinfo=dt.UTC)
    assert workdays.is_working_day(dt.date(2026, 10, 10)) and not workdays.is_working_day(dt.date(2026, 10, 5))
    friday_night = dt.datetime(2026, 11, 20, 15, 30, tzinfo=dt.UTC)  # Sat 23:30 in Beijing
    assert workdays.due_at(friday_night, 10) == dt.datetime(2026, 12, 4, 16, 0, tzinfo=dt.UTC)


def test_deadlines_past_the_calendar_data_fall_back_to_weekdays():
    assert workdays.is_working_day(dt.date(2031, 1, 6)) and not workdays.is_working_day(dt.date(2031, 1, 5))


def test_overdue_filter_and_due_date_order(client, alice, bob, reviewer):
    for who, headers in (alice, bob):
        _object(client, headers, entry_id=_entry_id(who))
    late = db.session.scalar(sa.select(Objection).order_by(Objection.id))
    late.due_at = utcnow() - dt.timedelta(hours=1)
    db.session.commit()
    queue = client.get("/api/v1/admin/objections", headers=reviewer[1]).get_json()["items"]
    assert [item["id"] for item in queue] == [late.id, late.id + 1]
    assert queue[0]["overdue"] is True and queue[0]["subject"]["name_masked"] == "王*丽"
    overdue = client.get("/api/v1/admin/objections?overdue=1", headers=reviewer[1]).get_json()["items"]
    assert [item["id"] for item in overdue] == [late.id]
    assert client.get("/api/v1/admin/objections?status=upheld", headers=reviewer[1]).get_json()["items"] == []


# ---- decisions ---------------------------------------------------------------------------------------------

def _suspend(who, today):
    data = f"kind,id_number,name,recorded_on,authority\nperson,{who.number},{who.name},{today},市人民法院\n"
    imports.import_dishonesty("d.csv", data.encode(), "test", today)


def test_upheld_objection_restores_the_entry_and_is_audited(client, alice, reviewer, today):
    who, headers = alice
    db.session.execute(sa.update(ListEntry).where(ListEntry.id == _entry_id(who)).values(status="suspended"))
    db.session.commit()
    objection = _object(client, headers, entry_id=_entry_id(who)).get_json()
    assert client.post(f"/api/v1/admin/objections/{objection['id']}/review", headers=reviewer[1]).status_code == 200
    decided = client.post(f"/api/v1/admin/objections/{objection['id']}/decision", headers=reviewer[1],
                          json={"outcome": "upheld", "reason": "暂停依据有误"})
    assert decided.status_code == 200 and decided.get_json()["status"] == "upheld"
    assert db.session.get(ListEntry, _entry_id(who)).status == "active"
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "objection.upheld"))
    assert event.details["restored_entry_id"] == _entry_id(who) and event.details["previous_status"] == "suspended"
    closed = client.post(f"/api/v1/admin/objections/{objection['id']}/close", headers=reviewer[1]).get_json()
    mine = client.get(f"/api/v1/objections/{objection['id']}", headers=headers).get_json()
    assert closed["status"] == mine["status"] == "closed"
    assert [(step["from_status"], step["to_status"], step["actor"]) for step in mine["history"]] == [
        (None, "submitted", "citizen"), ("submitted", "under_review", "admin"),
        ("under_review", "upheld", "admin"), ("upheld", "closed", "admin")]
    titles = [item["title"] for item in client.get("/api/v1/me/messages", headers=headers).get_json()["items"]]
    assert titles == ["名单异议已办结", "名单异议成立", "名单异议已受理", "名单异议已提交"]


def test_upheld_not_listed_objection_adds_the_entry(client, catalogue, reviewer, today):
    who = identity(3, name="赵补录")
    headers = login(client, who)
    objection = client.post("/api/v1/objections", headers=headers,
                            json={"type": "not_listed", "statement": "我获评道德模范，但未列入名单"}).get_json()
    url = f"/api/v1/admin/objections/{objection['id']}/decision"
    missing = client.post(url, headers=reviewer[1], json={"outcome": "upheld"})
    assert missing.status_code == 422 and missing.get_json()["error"]["code"] == "correction_required"
    assert db.session.get(Objection, objection["id"]).status == "submitted"
    decided = client.post(url, headers=reviewer[1], json={
        "outcome": "upheld", "correction": {"category": "P02", "recognized_on": str(today - dt.timedelta(days=30))}})
    assert decided.status_code == 200
    me = client.get("/api/v1/me", headers=headers).get_json()
    assert me["listed"] is True and me["entries"][0]["category"]["code"] == "P02"


def test_rejected_objection_needs_a_reason_and_changes_nothing(client, alice, reviewer):
    who, headers = alice
    objection = _object(client, headers, entry_id=_entry_id(who)).get_json()
    url = f"/api/v1/admin/objections/{objection['id']}/decision"
    assert client.post(url, headers=reviewer[1], json={"outcome": "rejected"}).status_code == 422
    rejected = client.post(url, headers=reviewer[1], json={"outcome": "rejected", "reason": "经核实，暂停依据充分"})
    assert rejected.get_json()["decision_reason"] == "经核实，暂停依据充分"
    assert db.session.get(ListEntry, _entry_id(who)).status == "active"
    again = client.post(url, headers=reviewer[1], json={"outcome": "upheld"})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "case_state_changed"
    entry = client.get("/api/v1/me", headers=headers).get_json()["entries"][0]
    assert entry["status"] == "active"


def test_upheld_scan_refusal_marks_the_attempt_wrong(client, alice, reviewer, catalogue, today):
    who, headers = alice
    staff = accounts.create_account("s2", "staff-pass", "staff", "test", venue_id=catalogue["LIB"].id)
    _suspend(who, today)
    token = code_of(who, utcnow())
    attempt = scanning.verify(token, staff.id, "", utcnow(), today).attempt
    assert attempt.reason == "listing_suspended"
    objection = client.post("/api/v1/objections", headers=headers, json={
        "type": "scan_refused", "attempt_id": attempt.id, "statement": "失信记录不是我的，被拒绝借书"}).get_json()
    client.post(f"/api/v1/admin/objections/{objection['id']}/decision", headers=reviewer[1],
                json={"outcome": "upheld", "reason": "身份误认"})
    assert db.session.get(ScanAttempt, attempt.id).overturned_by_objection_id == objection["id"]


def test_two_reviewers_deciding_at_once_one_wins(app, database_url, alice, reviewer, client):
    who, headers = alice
    objection_id = _object(client, headers, entry_id=_entry_id(who)).get_json()["id"]
    second = accounts.create_account("reviewer2", PASSWORD, "reviewer", "test").id

    def decide(account_id, outcome):
        objections.decide_objection(objection_id, outcome, "并发决定", account_id, utcnow())
        return "decided"

    outcomes = race(database_url, decide, [(reviewer[0], "upheld"), (second, "rejected")])
    assert outcomes == ["case_state_changed", "decided"]
    db.session.expire_all()
    history = client.get(f"/api/v1/objections/{objection_id}", headers=headers).get_json()["history"]
    assert len([step for step in history if step["to_status"] in ("upheld", "rejected")]) == 1


# ---- complaints --------------------------------------------------------------------------------------------

def test_complaint_lifecycle_with_rating(client, alice, reviewer, catalogue, today):
    who, headers = alice
    staff = accounts.create_account("s3", "staff-pass", "staff", "test", venue_id=catalogue["BUS"].id)
    redemption, _ = scanning.redeem(code_of(who, utcnow()),
                                    db.session.scalar(sa.text("SELECT id FROM measures WHERE code = 'XY-XING-01'")),
                                    "complaint-key-1", staff.id, "", utcnow(), today)
    filed = client.post("/api/v1/complaints", headers=headers, json={
        "kind": "complaint", "content": "司机不认可二维码，未按5折收费", "redemption_id": redemption.id})
    assert filed.status_code == 201
    complaint = filed.get_json()
    assert complaint["venue_id"] == catalogue["BUS"].id and complaint["measure_id"] == redemption.measure_id
    url = f"/api/v1/complaints/{complaint['id']}"
    early = client.post(url + "/rating", headers=headers, json={"score": 4})
    assert early.status_code == 409 and early.get_json()["error"]["code"] == "not_replied"
    admin = f"/api/v1/admin/complaints/{complaint['id']}"
    assert client.post(admin + "/assign", headers=reviewer[1], json={"assignee_id": reviewer[0]}).status_code == 200
    replied = client.post(admin + "/reply", headers=reviewer[1], json={"reply": "已约谈公交公司，补退差价"})
    assert replied.status_code == 200
    bad = client.post(url + "/rating", headers=headers, json={"score": 6})
    assert bad.status_code == 400
    rated = client.post(url + "/rating", headers=headers, json={"score": 4, "comment": "处理及时"}).get_json()
    assert (rated["status"], rated["rating"], rated["rating_comment"]) == ("closed", 4, "处理及时")
    assert [step["to_status"] for step in rated["history"]] == ["submitted", "assigned", "replied", "closed"]
    assert client.post(url + "/rating", headers=headers, json={"score": 5}).status_code == 409


@pytest.mark.parametrize("body, status, code", [
    ({"kind": "praise", "content": "很好很好"}, 400, "invalid_request"),
    ({"kind": "suggestion", "content": ""}, 400, "invalid_request"),
    ({"kind": "complaint", "content": "投诉内容足够长", "venue_id": 99999}, 404, "venue_not_found"),
    ({"kind": "complaint", "content": "投诉内容足够长", "measure_id": 99999}, 404, "measure_not_found"),
    ({"kind": "complaint", "content": "投诉内容足够长", "redemption_id": 99999}, 404, "redemption_not_found"),
])
def test_bad_complaints(client, alice, body, status, code):
    response = client.post("/api/v1/complaints", headers=alice[1], json=body)
    assert response.status_code == status and response.get_json()["error"]["code"] == code


def test_messages_can_be_marked_read(client, alice):
    who, headers = alice
    _object(client, headers, entry_id=_entry_id(who))
    inbox = client.get("/api/v1/me/messages", headers=headers).get_json()
    assert inbox["unread"] == 1 and inbox["items"][0]["title"] == "名单异议已提交"
    read = client.post(f"/api/v1/me/messages/{inbox['items'][0]['id']}/read", headers=headers).get_json()
    assert read["read_at"] is not None
    assert client.get("/api/v1/me/messages", headers=headers).get_json()["unread"] == 0
