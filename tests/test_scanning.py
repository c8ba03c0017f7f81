"""Counter scanning: the staff API contract over HTTP, and the redemption rules through the service."""
import datetime as dt

import pytest
import sqlalchemy as sa

from app.domain import codes
from app.domain.dates import utcnow
from app.errors import DomainError
from app.extensions import db
from app.models import Account, AuditEvent, ListEntry, Measure, Redemption, ScanAttempt
from app.services import accounts, imports, scanning
from tests.helpers import code_of, identity, list_identity, login, race

PASSWORD = "counter-pass"


@pytest.fixture
def staff(client, catalogue):
    """Log in one staff member per demo venue; returns {venue code: (account id, headers)}."""
    logged_in = {}
    for code, venue in catalogue.items():
        account = accounts.create_account(f"s_{code.lower()}", PASSWORD, "staff", "test", venue_id=venue.id)
        response = client.post("/api/v1/staff/login", json={"username": account.username, "password": PASSWORD})
        logged_in[code] = (account.id, {"Authorization": f"Bearer {response.get_json()['access_token']}"})
    return logged_in


def _measure_id(code):
    return db.session.scalar(sa.select(Measure.id).where(Measure.code == code))


def _code_for(client, who):
    response = client.get("/api/v1/me/qrcode", headers=login(client, who))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["token"]


def _verify(client, headers, token):
    response = client.post("/api/v1/scan/verify", json={"token": token}, headers=headers)
    assert response.status_code == 200
    return response.get_json()


def _redeem(client, headers, token, measure_code, key="key-00000001", **extra):
    return client.post("/api/v1/scan/redeem", headers=headers,
                       json={"token": token, "measure_id": _measure_id(measure_code), "idempotency_key": key, **extra})


# ---- login ---------------------------------------------------------------------------------------------------

def test_staff_login_names_the_venue(client, staff, catalogue):
    response = client.post("/api/v1/staff/login", json={"username": "s_lib", "password": PASSWORD})
    body = response.get_json()
    assert response.status_code == 200
    assert body["venue"] == {"id": catalogue["LIB"].id, "name": "阳江市图书馆", "scenario": "reading"}
    assert body["staff"]["username"] == "s_lib" and body["expires_in"] == 12 * 3600


def test_staff_login_refuses_a_wrong_password(client, staff):
    response = client.post("/api/v1/staff/login", json={"username": "s_lib", "password": "nope-nope"})
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "invalid_credentials"


def test_citizen_token_cannot_scan(client, catalogue):
    headers = login(client, identity(1))
    assert client.post("/api/v1/scan/verify", json={"token": "x"}, headers=headers).status_code == 401


# ---- verify ----------------------------------------------------------------------------------------------------

def test_verify_a_listed_person_at_the_library(client, staff, today):
    who = list_identity(identity(2, name="王守信"), today, grade="AA")
    result = _verify(client, staff["LIB"][1], _code_for(client, who))
    assert result["valid"] is True and result["reason"] is None
    assert result["subject"] == {"kind": "person", "name_masked": "王*信", "grade": "AA"}
    assert [(m["code"], m["benefit"]["books"], m["benefit"]["extra_loan_days"]) for m in result["measures"]] == [
        ("XY-YUE-01", 4, 60)]
    assert result["token_expires_at"].endswith("+08:00")  # Beijing time; stored as UTC
    assert result["attempt_id"] == db.session.scalar(sa.select(ScanAttempt.id))


# A well-formed code signed by a key this server does not list; and the shape of the codes before format 1.
FOREIGN = codes.encode(codes.Payload(bytes(8), int(utcnow().timestamp()), 3600, bytes(8), 0,
                                     codes.Sealed("person", "A", (1,), "冯*生")), bytes(32), bytes(16))
BEFORE_FORMAT_1 = "ABCDEFGHIJKLMNOP.ABCDEFG.ABCDEFGHIJKLMNOP"


@pytest.mark.parametrize("token, reason", [
    ("hello", "token_malformed"), ("", "token_malformed"), ("A" * 512, "token_malformed"),
    (BEFORE_FORMAT_1, "token_malformed"), (FOREIGN, "token_bad_signature"),
])
def test_verify_answers_200_for_any_string(client, staff, token, reason):
    result = _verify(client, staff["BUS"][1], token)
    assert (result["valid"], result["reason"], result["subject"], result["measures"]) == (False, reason, None, [])


@pytest.mark.parametrize("body", [{}, {"token": 5}, {"token": None}, {"token": "A" * 513}, {"token": ["x"]}])
def test_verify_400_only_for_a_missing_non_string_or_too_long_token(client, staff, body):
    response = client.post("/api/v1/scan/verify", json=body, headers=staff["BUS"][1])
    assert response.status_code == 400 and "token" in response.get_json()["error"]["fields"]


def test_verify_refusals_by_standing(client, staff, today):
    unlisted = identity(3)
    login(client, unlisted)
    forged_for_unlisted = code_of(unlisted, utcnow())
    assert _verify(client, staff["BUS"][1], forged_for_unlisted)["reason"] == "not_listed"

    enterprise = list_identity(identity(4, kind="enterprise", name="某公司"), today, category="E02")
    result = _verify(client, staff["LIB"][1], _code_for(client, enterprise))
    assert (result["valid"], result["reason"]) == (False, "no_applicable_measure")
    assert result["subject"]["name_masked"] == "某公司"

    graded_a = list_identity(identity(5, name="甲等"), today, grade="A")
    assert _verify(client, staff["BANK"][1], _code_for(client, graded_a))["reason"] == "grade_too_low"


def test_standing_is_checked_live_at_each_scan(client, staff, today):
    """A code issued a second ago is refused once the entry is suspended, expired or the subject dishonest."""
    who = list_identity(identity(6, name="临时"), today)
    token = _code_for(client, who)
    entry_id = who.subject().entries[0].id
    for status, expires, reason in (("suspended", None, "listing_suspended"),
                                    ("active", today - dt.timedelta(days=1), "listing_expired"),
                                    ("revoked", None, "not_listed")):
        values = {"status": status} | ({"expires_on": expires} if expires else {})
        db.session.execute(sa.update(ListEntry).where(ListEntry.id == entry_id).values(**values))
        db.session.commit()
        assert _verify(client, staff["BUS"][1], token)["reason"] == reason


def test_dishonesty_arriving_after_the_code_is_refused(client, staff, today):
    who = list_identity(identity(7, name="后失信"), today)
    token = _code_for(client, who)
    data = f"kind,id_number,name,recorded_on,authority\nperson,{who.number},后失信,{today},市人民法院\n"
    imports.import_dishonesty("d.csv", data.encode(), "test", today)
    assert _verify(client, staff["BUS"][1], token)["reason"] == "listing_suspended"


def test_expired_code_is_refused_at_verify(app, staff, today):
    who = list_identity(identity(8), today)
    old = code_of(who, utcnow() - dt.timedelta(seconds=120))
    result = scanning.verify(old, staff["BUS"][0], "", utcnow(), today)
    assert result.attempt.reason == "token_expired"


# ---- redeem -----------------------------------------------------------------------------------------------------

def test_redeem_once_and_replay_with_the_same_key(client, staff, today):
    who = list_identity(identity(9, name="乘客"), today)
    token = _code_for(client, who)
    first = _redeem(client, staff["BUS"][1], token, "XY-XING-01")
    assert first.status_code == 201
    body = first.get_json()["redemption"]
    assert body["benefit"]["pay_percent"] == 50 and body["measure_id"] == _measure_id("XY-XING-01")
    again = _redeem(client, staff["BUS"][1], token, "XY-XING-01")
    assert again.status_code == 201 and again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    other_key = _redeem(client, staff["BUS"][1], token, "XY-XING-01", key="key-00000002")
    assert other_key.status_code == 409 and other_key.get_json()["error"]["code"] == "token_used"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Redemption)) == 1


def test_the_idempotency_key_may_come_as_a_header(client, staff, today):
    token = _code_for(client, list_identity(identity(10), today))
    response = client.post("/api/v1/scan/redeem", json={"token": token, "measure_id": _measure_id("XY-XING-01")},
                           headers=staff["BUS"][1] | {"Idempotency-Key": "header-key-1"})
    assert response.status_code == 201
    missing = client.post("/api/v1/scan/redeem", json={"token": token, "measure_id": 1}, headers=staff["BUS"][1])
    assert missing.status_code == 422 and "idempotency_key" in missing.get_json()["error"]["fields"]


def test_a_key_reused_for_another_request_is_a_conflict(client, staff, today):
    first, second = (_code_for(client, list_identity(identity(seed), today)) for seed in (11, 12))
    assert _redeem(client, staff["BUS"][1], first, "XY-XING-01").status_code == 201
    reused = _redeem(client, staff["BUS"][1], second, "XY-XING-01")
    assert reused.status_code == 409 and reused.get_json()["error"]["code"] == "idempotency_key_reused"


@pytest.mark.parametrize("venue, measure, status, code", [
    ("LIB", "XY-XING-01", 422, "measure_not_at_venue"),
    ("SCENIC", "XY-YOU-03", 422, "measure_withdrawn"),
    ("BUS", "XY-XING-03", 422, "measure_withdrawn"),  # still awaiting approval
    ("BUS", "XY-XING-02", 422, "no_applicable_measure"),  # only for transport-system model workers
    ("HOSP", "XY-YI-02", 422, "grade_too_low"),
])
def test_redeem_refusals(client, staff, today, venue, measure, status, code):
    token = _code_for(client, list_identity(identity(13, name="无等级"), today))
    response = _redeem(client, staff[venue][1], token, measure)
    assert response.status_code == status and response.get_json()["error"]["code"] == code
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Redemption)) == 0


def test_redeem_an_unknown_measure_is_404(client, staff, today):
    token = _code_for(client, list_identity(identity(14), today))
    response = client.post("/api/v1/scan/redeem", headers=staff["BUS"][1],
                           json={"token": token, "measure_id": 99999, "idempotency_key": "key-unknown"})
    assert response.status_code == 404


def test_a_withdrawn_measure_cannot_be_redeemed_even_after_a_good_verify(client, staff, today):
    token = _code_for(client, list_identity(identity(15), today))
    assert _verify(client, staff["BUS"][1], token)["valid"]
    db.session.execute(sa.update(Measure).where(Measure.code == "XY-XING-01").values(status="withdrawn"))
    db.session.commit()
    assert _redeem(client, staff["BUS"][1], token, "XY-XING-01").get_json()["error"]["code"] == "measure_withdrawn"


def test_a_queued_confirmation_redeems_after_expiry_only_if_verified_live(app, staff, today):
    who = list_identity(identity(16), today)
    now = utcnow()
    staff_id = staff["BUS"][0]
    verified = code_of(who, now)
    assert scanning.verify(verified, staff_id, "gate-1", now, today).attempt.valid
    later = now + dt.timedelta(minutes=10)
    redemption, replayed = scanning.redeem(verified, _measure_id("XY-XING-01"), "queued-0001", staff_id, "gate-1",
                                           later, today)
    assert redemption.id and not replayed

    never_verified = code_of(who, now)
    with pytest.raises(DomainError) as refused:
        scanning.redeem(never_verified, _measure_id("XY-XING-01"), "queued-0002", staff_id, "gate-1", later, today)
    assert refused.value.code == "token_expired"


def test_every_attempt_is_logged_and_history_is_per_venue(client, staff, today):
    token = _code_for(client, list_identity(identity(17, name="记录"), today))
    _verify(client, staff["BUS"][1], "garbage")
    _verify(client, staff["BUS"][1], token)
    _redeem(client, staff["BUS"][1], token, "XY-XING-01")
    _redeem(client, staff["BUS"][1], token, "XY-XING-01", key="key-00000009")
    _verify(client, staff["LIB"][1], token)
    rows = db.session.execute(sa.select(ScanAttempt.action, ScanAttempt.valid, ScanAttempt.reason,
                                        ScanAttempt.venue_id).order_by(ScanAttempt.id)).all()
    assert [(action, valid, reason) for action, valid, reason, _ in rows] == [
        ("verify", False, "token_malformed"), ("verify", True, None), ("redeem", True, None),
        ("redeem", False, "token_used"), ("verify", False, "token_used")]
    bus = client.get("/api/v1/scan/history", headers=staff["BUS"][1]).get_json()["items"]
    lib = client.get("/api/v1/scan/history", headers=staff["LIB"][1]).get_json()["items"]
    assert len(bus) == 4 and len(lib) == 1
    assert bus[0]["reason"] == "token_used" and bus[0]["subject"]["name_masked"] == "记*"
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "redemption.create")) is not None


def test_citizen_sees_the_redemption(client, staff, today):
    who = list_identity(identity(18), today)
    headers = login(client, who)
    token = client.get("/api/v1/me/qrcode", headers=headers).get_json()["token"]
    _redeem(client, staff["BUS"][1], token, "XY-XING-01")
    items = client.get("/api/v1/me/redemptions", headers=headers).get_json()["items"]
    assert len(items) == 1
    assert items[0]["venue"]["name"] == "阳江市公共汽车有限公司" and items[0]["measure"]["code"] == "XY-XING-01"


def test_two_scanners_at_the_same_instant_redeem_once(app, database_url, staff, today):
    """Two counters confirm the same code at once: one redemption, one token_used — by constraint, not by luck."""
    who = list_identity(identity(19), today)
    token = code_of(who, utcnow())
    bus_venue = db.session.get(Account, staff["BUS"][0]).venue_id
    second = accounts.create_account("s_bus_2", PASSWORD, "staff", "test", venue_id=bus_venue).id
    measure_id = _measure_id("XY-XING-01")

    def confirm(staff_id, key):
        scanning.redeem(token, measure_id, key, staff_id, "", utcnow(), today)
        return "redeemed"

    outcomes = race(database_url, confirm, [(staff["BUS"][0], "race-key-1"), (second, "race-key-2")])
    assert outcomes == ["redeemed", "token_used"]
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Redemption)) == 1
