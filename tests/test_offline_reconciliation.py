"""Reconciling offline decisions through POST /api/v1/scan/offline: one redemption per code (the earliest decision),
duplicate_offline for the other counter, every item in the scan log marked offline, re-uploads changing nothing, and
what the console shows of it."""
import datetime as dt

import pytest
import sqlalchemy as sa

from app.api.staff import offline as offline_routes
from app.domain import codes
from app.domain.dates import local_date, utcnow
from app.extensions import db
from app.models import AuditEvent, ListEntry, Measure, Redemption, ScanAttempt
from app.services import accounts, imports, offline, stats
from tests.helpers import console_login, identity, list_identity, login, race

PASSWORD = "counter-pass"
# Uploads reach the server this long after the codes' windows began (counters upload when the network is back), so
# decisions made in a code's first window, which starts when the test fetches it, lie in the server's past.
UPLOAD_DELAY = dt.timedelta(minutes=2)


@pytest.fixture(autouse=True)
def uploads_arrive_later(monkeypatch):
    monkeypatch.setattr(offline_routes, "utcnow", lambda: utcnow() + UPLOAD_DELAY)


@pytest.fixture
def staff(client, catalogue):
    """A counter at the bus company and one at the scenic spot, logged in: {venue code: (account id, headers)}."""
    logged_in = {}
    for code in ("BUS", "SCENIC"):
        account = accounts.create_account(f"desk_{code.lower()}", PASSWORD, "staff", "test",
                                          venue_id=catalogue[code].id, display_name=f"{code}柜员")
        response = client.post("/api/v1/staff/login", json={"username": account.username, "password": PASSWORD})
        logged_in[code] = (account.id, {"Authorization": f"Bearer {response.get_json()['access_token']}"})
    return logged_in


def measure_id(code: str) -> int:
    return db.session.scalar(sa.select(Measure.id).where(Measure.code == code))


def phone_codes(client, who) -> list[dict]:
    """The codes a listed citizen's phone keeps for offline use (GET /me/codes), first window starting now."""
    response = client.get("/api/v1/me/codes?hours=1", headers=login(client, who))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["codes"]


def start_of(code: dict) -> dt.datetime:
    return dt.datetime.fromisoformat(code["not_before"])


def item(code: dict | str, key: str, seconds: float = 1, action: str = "redeem", measure: str | None = "XY-XING-01",
         valid: bool = True, reason: str | None = None, device: str = "1路车 前门",
         decided_at: dt.datetime | None = None):
    """One uploaded decision: `seconds` into the code's window unless decided_at is given."""
    token = code if isinstance(code, str) else code["token"]
    moment = decided_at or start_of(code) + dt.timedelta(seconds=seconds)
    return {"idempotency_key": key, "token": token, "action": action,
            "measure_id": measure_id(measure) if measure and action == "redeem" else None,
            "decided_at": moment.isoformat(), "device": device, "valid": valid, "reason": reason}


def upload(client, headers, *items) -> dict[str, str]:
    response = client.post("/api/v1/scan/offline", json={"items": list(items)}, headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.headers["Cache-Control"] == "no-store"
    answer = response.get_json()["items"]
    assert [entry["idempotency_key"] for entry in answer] == [entry["idempotency_key"] for entry in items]
    return {entry["idempotency_key"]: entry["outcome"] for entry in answer}


def attempts() -> list[ScanAttempt]:
    return db.session.scalars(sa.select(ScanAttempt).order_by(ScanAttempt.at, ScanAttempt.id)).all()


def redemptions() -> list[Redemption]:
    return db.session.scalars(sa.select(Redemption)).all()


def tampered(token: str) -> str:
    """The token with one signed byte changed (its not_before), still well-formed base45."""
    data = bytearray(codes.b45decode(token[len(codes.PREFIX):]))
    data[12] ^= 0x01
    return codes.PREFIX + codes.b45encode(bytes(data))


@pytest.fixture
def listed(client, catalogue, today):
    return list_identity(identity(301, name="王离线"), today)


# ---- one redemption per code -----------------------------------------------------------------------------------

@pytest.mark.parametrize("later_first", [True, False])
def test_two_counters_redeem_one_code_offline_one_redemption_the_earliest(client, staff, listed, later_first):
    code = phone_codes(client, listed)[0]
    bus = item(code, "bus-00000001", seconds=2, device="1路车")
    scenic = item(code, "scenic-0000001", seconds=5, measure="XY-YOU-01", device="景区南门闸机")
    uploads = [("SCENIC", scenic), ("BUS", bus)] if later_first else [("BUS", bus), ("SCENIC", scenic)]
    outcomes = {}
    for venue, sent in uploads:
        outcomes |= upload(client, staff[venue][1], sent)
    assert outcomes["bus-00000001"] == "recorded"
    assert outcomes["scenic-0000001"] == ("recorded" if later_first else "duplicate_offline")

    (redemption,) = redemptions()
    bus_attempt, scenic_attempt = attempts()
    assert (redemption.venue_id, redemption.staff_id, redemption.attempt_id) == (
        bus_attempt.venue_id, staff["BUS"][0], bus_attempt.id)
    assert redemption.redeemed_at == start_of(code) + dt.timedelta(seconds=2) == bus_attempt.at
    assert redemption.measure_id == measure_id("XY-XING-01") and redemption.benefit["summary"] == "按5折收费"
    assert (bus_attempt.valid, bus_attempt.reason, bus_attempt.offline) == (True, None, True)
    assert bus_attempt.device == "1路车"
    assert (scenic_attempt.valid, scenic_attempt.reason, scenic_attempt.offline) == (False, "duplicate_offline", True)
    assert scenic_attempt.at == start_of(code) + dt.timedelta(seconds=5)
    assert scenic_attempt.subject_id == bus_attempt.subject_id == listed.subject().id
    assert scenic_attempt.token_key == bus_attempt.token_key == redemption.token_key
    moved = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action.startswith("redemption."))).all()
    assert sorted(moved) == (["redemption.create", "redemption.move"] if later_first else ["redemption.create"])

    # Both counters send again (their outboxes never heard back): the outcomes as they stand, nothing changes.
    assert upload(client, staff["SCENIC"][1], scenic) == {"scenic-0000001": "duplicate_offline"}
    assert upload(client, staff["BUS"][1], bus) == {"bus-00000001": "recorded"}
    assert len(attempts()) == 2 and len(redemptions()) == 1

    # Statistics count one redemption; the duplicate is one figure, in both units' views and the office's.
    day = local_date(redemption.redeemed_at)
    assert stats.totals(day, day).redemptions == 1
    venues = {code: scenic_attempt.venue_id if code == "SCENIC" else bus_attempt.venue_id for code in staff}
    assert [offline.duplicates(day, day, venue) for venue in (None, venues["BUS"], venues["SCENIC"])] == [1, 1, 1]
    hospital = db.session.scalar(sa.select(Measure.provider_id).where(Measure.code == "XY-YI-01"))
    assert offline.duplicates(day, day, hospital) == 0


def test_an_online_redemption_after_an_offline_one_is_token_used(client, staff, listed):
    code = phone_codes(client, listed)[0]
    assert upload(client, staff["SCENIC"][1], item(code, "scenic-0000002", measure="XY-YOU-01")) == {
        "scenic-0000002": "recorded"}
    response = client.post("/api/v1/scan/redeem", headers=staff["BUS"][1], json={
        "token": code["token"], "measure_id": measure_id("XY-XING-01"), "idempotency_key": "online-0000001"})
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "token_used"


def test_two_counters_uploading_at_once_keep_one_redemption(app, client, staff, listed, database_url):
    """The unique code key settles a race between two uploads; the loser reads the winner's redemption."""
    code = phone_codes(client, listed)[0]
    sent = {"BUS": item(code, "race-bus-0001", seconds=3), "SCENIC": item(code, "race-scenic-01", seconds=4,
                                                                            measure="XY-YOU-01")}

    def reconcile(venue):
        raw = sent[venue]
        loaded = offline.OfflineItem(**(raw | {"decided_at": dt.datetime.fromisoformat(raw["decided_at"])}))
        return offline.reconcile(staff[venue][0], [loaded], utcnow() + UPLOAD_DELAY)[0][1]

    # The scenic spot's (later) item answers recorded if it went first and the bus's then took the redemption over.
    assert race(database_url, reconcile, [("BUS",), ("SCENIC",)]) in (["duplicate_offline", "recorded"],
                                                                        ["recorded", "recorded"])
    assert reconcile("SCENIC") == "duplicate_offline"
    (redemption,) = redemptions()
    assert redemption.staff_id == staff["BUS"][0]
    assert sorted((attempt.venue_id == redemption.venue_id, attempt.reason) for attempt in attempts()) == [
        (False, "duplicate_offline"), (True, None)]


# ---- every item in the log, one bad item stopping nothing ----------------------------------------------------

def test_each_item_is_logged_offline_and_a_bad_one_stops_none_of_the_others(client, staff, listed, today):
    first = phone_codes(client, listed)[0]  # each a first window: decided before now, as offline decisions are
    second = phone_codes(client, list_identity(identity(304, name="李二"), today))[0]
    third = phone_codes(client, list_identity(identity(305, name="赵三"), today))[0]
    suspended = list_identity(identity(302, name="钱暂停"), today)
    refused_code = phone_codes(client, suspended)[0]
    sent = [item(tampered(first["token"]), "tampered-0001", decided_at=start_of(first) + dt.timedelta(seconds=1)),
            item("hello", "malformed-001", decided_at=start_of(first)),
            item(second, "verify-000001", action="verify", measure=None),
            item(second, "redeem-000001", seconds=3),
            item(refused_code, "refused-00001", action="verify", measure=None, valid=False,
                 reason="listing_suspended"),
            item(third, "wrong-venue-01", measure="XY-YUE-01")]
    outcomes = upload(client, staff["BUS"][1], *sent)
    assert outcomes == {"tampered-0001": "token_bad_signature", "malformed-001": "token_malformed",
                        "verify-000001": "recorded", "redeem-000001": "recorded", "refused-00001": "recorded",
                        "wrong-venue-01": "measure_not_at_venue"}
    logged = {attempt.idempotency_key: attempt for attempt in attempts()}
    assert all(attempt.offline and attempt.staff_id == staff["BUS"][0] and attempt.device == "1路车 前门"
               for attempt in logged.values())
    assert (logged["tampered-0001"].valid, logged["tampered-0001"].reason, logged["tampered-0001"].subject_id,
            logged["tampered-0001"].token_key) == (False, "token_bad_signature", None, None)
    assert (logged["verify-000001"].action, logged["verify-000001"].valid) == ("verify", True)
    assert logged["refused-00001"].reason == "listing_suspended"
    assert logged["refused-00001"].subject_id == suspended.subject().id  # the code is genuine: whose it is, is known
    assert logged["wrong-venue-01"].measure_id == measure_id("XY-YUE-01")
    assert [redemption.token_key for redemption in redemptions()] == [logged["redeem-000001"].token_key]

    again = upload(client, staff["BUS"][1], *sent)
    assert again == outcomes and len(attempts()) == len(sent) and len(redemptions()) == 1


def test_an_idempotency_key_sent_again_for_another_decision_is_refused_without_change(client, staff, listed):
    first = phone_codes(client, listed)[0]
    second = phone_codes(client, listed)[0]  # a second batch, from now too
    upload(client, staff["BUS"][1], item(first, "same-key-0001"))
    assert upload(client, staff["BUS"][1], item(second, "same-key-0001")) == {
        "same-key-0001": "idempotency_key_reused"}
    assert len(attempts()) == 1 and len(redemptions()) == 1
    # Another counter may use the same key for its own item: keys are per staff member.
    assert upload(client, staff["SCENIC"][1], item(second, "same-key-0001", measure="XY-YOU-01")) == {
        "same-key-0001": "recorded"}


# ---- the checks the server makes again -------------------------------------------------------------------------

def test_a_grant_outside_the_codes_window_or_at_an_unbelievable_time_is_token_expired(client, staff, listed):
    code = phone_codes(client, listed)[0]
    before = start_of(code) - dt.timedelta(seconds=30)
    arrived = utcnow() + UPLOAD_DELAY
    too_old, future = arrived - dt.timedelta(days=3), arrived + dt.timedelta(hours=2)
    outcomes = upload(client, staff["BUS"][1], item(code, "before-window", decided_at=before),
                      item(code, "three-days-ago", decided_at=too_old), item(code, "in-the-future", decided_at=future))
    assert set(outcomes.values()) == {"token_expired"}
    logged = {attempt.idempotency_key: attempt for attempt in attempts()}
    assert logged["before-window"].at == before
    for key in ("three-days-ago", "in-the-future"):  # a time the server cannot believe is logged when it arrived
        assert abs(logged[key].at - arrived) < dt.timedelta(minutes=1)
    assert redemptions() == []


def test_a_suspension_after_the_counter_decided_is_honoured_as_good_faith(client, staff, listed, today):
    code = phone_codes(client, listed)[0]
    data = f"kind,id_number,name,recorded_on,authority\nperson,{listed.number},王离线,{today},市人民法院\n"
    imports.import_dishonesty("d.csv", data.encode(), "test", today)
    assert db.session.scalar(sa.select(ListEntry.status)) == "suspended"
    assert upload(client, staff["BUS"][1], item(code, "good-faith-01")) == {"good-faith-01": "recorded"}
    assert len(redemptions()) == 1


def test_a_suspension_every_usable_bundle_carried_is_refused(app, client, staff, listed):
    """Suspended long before the decision (more than a bundle's maximum age): the counter had it in its deny-list."""
    code = phone_codes(client, listed)[0]
    app.config["OFFLINE_BUNDLE_MAX_AGE"] = 600
    db.session.execute(sa.update(ListEntry).values(status="suspended", updated_at=utcnow() - dt.timedelta(hours=1)))
    db.session.commit()
    assert upload(client, staff["BUS"][1], item(code, "known-denied1")) == {"known-denied1": "listing_suspended"}
    (attempt,) = attempts()
    assert (attempt.valid, attempt.reason, attempt.subject_id) == (False, "listing_suspended", listed.subject().id)
    assert redemptions() == []


def test_the_codes_own_grade_and_kind_decide_the_measure(client, staff, catalogue, today):
    """The server applies the one rule to what the code carries, as the counter did: a person's code at a measure
    for enterprises is no_applicable_measure; a low grade at a graded measure is grade_too_low."""
    bank = accounts.create_account("desk_bank", PASSWORD, "staff", "test", venue_id=catalogue["BANK"].id)
    token = client.post("/api/v1/staff/login", json={"username": bank.username, "password": PASSWORD}).get_json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    graded_a = list_identity(identity(303, name="甲等"), today, grade="A")
    first, second = phone_codes(client, graded_a)[0], phone_codes(client, graded_a)[0]
    assert upload(client, headers, item(first, "low-grade-001", measure="XY-DAI-02"),
                  item(second, "wrong-kind-001", measure="XY-DAI-01")) == {
        "low-grade-001": "grade_too_low", "wrong-kind-001": "no_applicable_measure"}


# ---- the request's shape ---------------------------------------------------------------------------------------

SHAPED = {"idempotency_key": "k" * 8, "token": "x", "action": "verify", "decided_at": "2026-12-01T10:00:00+08:00",
          "valid": True}


@pytest.mark.parametrize("body, field", [
    ({}, "items"), ({"items": []}, "items"),
    ({"items": [SHAPED | {"valid": False, "reason": "duplicate_offline"}]}, "reason"),
    ({"items": [SHAPED | {"decided_at": "2026-12-01T10:00:00"}]}, "decided_at"),  # no offset
    ({"items": [SHAPED | {"idempotency_key": "short"}]}, "idempotency_key"),
    ({"items": [SHAPED | {"action": "refund"}]}, "action"),
])
def test_a_malformed_upload_is_400_naming_the_field(client, staff, body, field):
    response = client.post("/api/v1/scan/offline", json=body, headers=staff["BUS"][1])
    assert response.status_code == 400, response.get_json()
    assert field in str(response.get_json()["error"]["fields"])
    assert attempts() == []


@pytest.mark.parametrize("changed, code, field", [
    ({"action": "redeem"}, "offline_item_incomplete", "items.1.measure_id"),
    ({"valid": False}, "offline_item_incomplete", "items.1.reason"),
    ({"decided_at": "1999-12-31T23:59:59+08:00"}, "date_out_of_range", "decided_at"),
])
def test_a_well_formed_upload_missing_what_a_field_requires_is_422(client, staff, changed, code, field):
    response = client.post("/api/v1/scan/offline", json={"items": [SHAPED, SHAPED | changed]},
                           headers=staff["BUS"][1])
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["code"] == code and field in response.get_json()["error"]["fields"]
    assert attempts() == []


def test_at_most_500_items_per_upload(client, staff):
    response = client.post("/api/v1/scan/offline", json={"items": [SHAPED] * 501}, headers=staff["BUS"][1])
    assert response.status_code == 400 and "items" in response.get_json()["error"]["fields"]


def test_only_counter_staff_upload(client, staff, listed):
    citizen = login(client, listed)
    assert client.post("/api/v1/scan/offline", json={"items": []}, headers=citizen).status_code == 401


# ---- shown to people -------------------------------------------------------------------------------------------

def test_the_scan_log_and_dashboards_show_the_duplicate_with_both_counters(app, client, staff, listed, catalogue):
    code = phone_codes(client, listed)[0]
    upload(client, staff["BUS"][1], item(code, "bus-00000009", seconds=2, device="1路车"))
    upload(client, staff["SCENIC"][1], item(code, "scenic-0000009", seconds=9, measure="XY-YOU-01",
                                           device="南门闸机"))
    accounts.create_account("office", PASSWORD, "admin", "test", display_name="张三")
    accounts.create_account("scenic_boss", PASSWORD, "manager", "test", venue_id=catalogue["SCENIC"].id)

    office = app.test_client()
    console_login(office, "office", PASSWORD)
    page = office.get("/admin/scans").get_data(as_text=True)
    assert page.count('<span class="tag">离线</span>') == 2
    assert "✗ 重复核销（离线）" in page
    held = page[page.index("✗ 重复核销（离线）"):]
    assert "在 阳江市公共汽车有限公司 核销（BUS柜员，1路车，离线）" in held[:held.index("</td>")]
    day = local_date(utcnow())
    dashboard = office.get(f"/admin/dashboard?start={day}&end={day}").get_data(as_text=True)
    assert '<span class="figure">1</span><span>次离线重复核销' in dashboard

    # The redemption's own row names the duplicate too: the unit that kept it sees it in its own log.
    assert "重复核销（离线）：" in page and "在 海陵岛大角湾景区（SCENIC柜员，南门闸机）" in page

    manager = app.test_client()
    console_login(manager, "scenic_boss", PASSWORD)
    own = manager.get(f"/admin/dashboard?start={day}&end={day}").get_data(as_text=True)
    assert '<span class="figure">1</span><span>次离线重复核销' in own
    assert "✗ 重复核销（离线）" in manager.get("/admin/scans").get_data(as_text=True)
    bus_boss = accounts.create_account("bus_boss", PASSWORD, "manager", "test", venue_id=catalogue["BUS"].id)
    console_login(manager, bus_boss.username, PASSWORD)
    bus_log = manager.get("/admin/scans").get_data(as_text=True)
    assert "✓ 已核销" in bus_log and "重复核销（离线）：" in bus_log and "✗" not in bus_log
    assert '<span class="figure">1</span><span>次离线重复核销' in manager.get(
        f"/admin/dashboard?start={day}&end={day}").get_data(as_text=True)
