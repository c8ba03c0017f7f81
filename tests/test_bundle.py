"""The counter bundle through GET /api/v1/scan/bundle: its parts, the deny-list by the one eligibility rule, deltas
since a version, and its size at a province's scale."""
import base64
import datetime as dt
import json

import pytest
import sqlalchemy as sa

from app.domain import codes
from app.domain.dates import LOCAL_TZ, local_date, utcnow
from app.domain.grades import GRADES
from app.extensions import db
from app.models import CodeBatch, DishonestyRecord, ListCategory, ListEntry, Subject
from app.services import accounts, dishonesty, imports, lists, qrcodes
from bench.bench_bundle import LIMIT_BYTES, fill_province
from tests.helpers import identity, list_identity, login

PASSWORD = "counter-pass"


def _headers(client, catalogue, venue: str) -> dict:
    accounts.create_account(f"desk_{venue.lower()}", PASSWORD, "staff", "test", venue_id=catalogue[venue].id)
    response = client.post("/api/v1/staff/login", json={"username": f"desk_{venue.lower()}", "password": PASSWORD})
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


@pytest.fixture
def bus(client, catalogue):
    return _headers(client, catalogue, "BUS")


def fetch(client, headers, since=None) -> dict:
    response = client.get("/api/v1/scan/bundle" + ("" if since is None else f"?since={since}"), headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_json()


def raw(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def phone_code(client, who) -> str:
    response = client.get("/api/v1/me/codes?hours=2", headers=login(client, who))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["codes"][0]["token"]


def tag_of(token: str) -> str:
    return codes.parse(token).batch_tag.hex()


def denied(bundle: dict) -> dict[str, str]:
    """{batch tag: reason} of a bundle's deny-list."""
    return {tag: group["reason"] for group in bundle["deny"] for tag in group["tags"]}


def suspend(who, today) -> None:
    data = f"kind,id_number,name,recorded_on,authority\nperson,{who.number},{who.name},{today},市人民法院\n"
    imports.import_dishonesty("d.csv", data.encode(), "test", today)


def age_facts(who, hours: int = 1) -> None:
    """Make a subject's entries, records and batches look changed, recorded and issued `hours` ago."""
    subject_id = who.subject().id
    earlier = utcnow() - dt.timedelta(hours=hours)
    db.session.execute(sa.update(ListEntry).where(ListEntry.subject_id == subject_id).values(updated_at=earlier))
    db.session.execute(sa.update(DishonestyRecord).where(DishonestyRecord.subject_id == subject_id)
                       .values(created_at=earlier))
    db.session.execute(sa.update(CodeBatch).where(CodeBatch.subject_id == subject_id).values(issued_at=earlier))
    db.session.commit()


# ---- the parts -------------------------------------------------------------------------------------------------

def test_the_bundle_carries_the_keys_times_and_this_venues_measures(client, bus, catalogue, today):
    token = phone_code(client, list_identity(identity(401, name="王守信"), today, grade="AA"))
    before = utcnow()
    bundle = fetch(client, bus)
    assert (bundle["format"], bundle["full"], bundle["lifted"], bundle["deny"]) == (1, True, [], [])
    assert (bundle["max_age_seconds"], bundle["ttl"], bundle["leeway"]) == (86400, 60, 5)
    assert bundle["venue"] == {"id": catalogue["BUS"].id, "name": "阳江市公共汽车有限公司", "scenario": "travel"}
    server_time = dt.datetime.fromisoformat(bundle["server_time"])
    assert server_time.utcoffset() == dt.timedelta(hours=8) and before <= server_time <= utcnow()
    assert bundle["version"] == int(server_time.timestamp() * 1000)

    keys = {key["key_id"]: raw(key["public_key"]) for key in bundle["signing_keys"]}
    assert keys == qrcodes.public_keys()
    parsed = codes.parse(token)
    codes.check_signature(parsed, keys)  # a counter verifies today's codes with the bundle's keys ...
    day = codes.day_number(local_date(server_time))
    assert [key["day"] for key in bundle["seal_keys"]] == [day - 1, day, day + 1]
    seal = {key["day"] % 256: raw(key["key"]) for key in bundle["seal_keys"]}
    opened = codes.open_sealed(parsed, seal[parsed.seal_day])  # ... and opens them with its seal keys
    assert (opened.kind, opened.grade, opened.name) == ("person", "AA", "王*信")
    assert opened.categories == (db.session.scalar(sa.select(ListCategory.id).where(ListCategory.code == "P02")),)

    measures = {measure["code"]: measure for measure in bundle["measures"]}
    assert sorted(measures) == ["XY-XING-01", "XY-XING-02"]  # published ones only (XY-XING-03 is pending)
    p05 = db.session.scalar(sa.select(ListCategory.id).where(ListCategory.code == "P05"))
    assert (measures["XY-XING-02"]["category_ids"], measures["XY-XING-01"]["category_ids"]) == ([p05], [])
    half = measures["XY-XING-01"]
    assert (half["kinds"], half["min_grade"], half["valid_from"], half["valid_to"]) == (
        ["person"], None, "2025-01-01", "2027-12-31")
    assert set(half["benefits"]) == {"", *GRADES}
    assert all(benefit == {"pay_percent": 50, "summary": "按5折收费"} for benefit in half["benefits"].values())


def test_the_benefit_for_each_grade_is_worked_out_by_the_server(client, catalogue):
    library = fetch(client, _headers(client, catalogue, "LIB"))
    (reading,) = library["measures"]
    benefits = reading["benefits"]
    assert benefits[""] == benefits["B"] == {"deposit_waived": True, "summary": "免押金"}
    assert (benefits["A"]["books"], benefits["AA"]["books"], benefits["AAA"]["books"]) == (3, 4, 5)
    assert benefits["AAA"]["summary"] == "免押金，可借5本，借期延长60天"
    bank = {measure["code"]: measure for measure in fetch(client, _headers(client, catalogue, "BANK"))["measures"]}
    assert (bank["XY-DAI-01"]["min_grade"], bank["XY-DAI-01"]["kinds"]) == ("A", ["enterprise"])


def test_only_counter_staff_fetch_a_bundle(client, catalogue, today):
    citizen = login(client, list_identity(identity(402), today))
    assert client.get("/api/v1/scan/bundle", headers=citizen).status_code == 401
    assert client.get("/api/v1/scan/bundle").status_code == 401


@pytest.mark.parametrize("since", ["abc", "-1", "1.5", str(2 ** 60)])
def test_a_since_that_is_no_version_is_400(client, bus, since):
    response = client.get(f"/api/v1/scan/bundle?since={since}", headers=bus)
    assert response.status_code == 400 and "since" in response.get_json()["error"]["fields"]


# ---- the deny-list ---------------------------------------------------------------------------------------------

def test_a_suspended_or_revoked_citizens_live_batch_is_denied_with_the_online_reason(client, bus, today):
    fine = list_identity(identity(403, name="李守信"), today)
    suspended = list_identity(identity(404, name="钱暂停"), today)
    revoked = list_identity(identity(405, name="孙撤销"), today)
    tokens = {who.name: phone_code(client, who) for who in (fine, suspended, revoked)}
    suspend(suspended, today)
    lists.revoke_entry(revoked.subject().entries[0].id, "认定有误", "admin:1")

    bundle = fetch(client, bus)
    assert denied(bundle) == {tag_of(tokens["钱暂停"]): "listing_suspended", tag_of(tokens["孙撤销"]): "not_listed"}
    for group in bundle["deny"]:
        until = dt.datetime.fromisoformat(group["until"])
        assert until.utcoffset() == dt.timedelta(hours=8) and (until.minute, until.second) == (0, 0)
        for tag in group["tags"]:
            valid_until = db.session.scalar(sa.select(CodeBatch.valid_until).where(CodeBatch.tag == tag))
            assert valid_until <= until < valid_until + dt.timedelta(hours=1)


def test_an_ended_batch_leaves_the_deny_list(client, bus, today):
    suspended = list_identity(identity(406, name="钱暂停"), today)
    phone_code(client, suspended)
    suspend(suspended, today)
    assert len(denied(fetch(client, bus))) == 1
    db.session.execute(sa.update(CodeBatch).values(valid_until=utcnow() - dt.timedelta(seconds=1)))
    db.session.commit()
    assert fetch(client, bus)["deny"] == []


def test_the_deny_list_is_refusal_of_for_every_standing(client, bus, catalogue, today):
    """The SQL that picks the batches (lists.may_use_incentives) and the reason (refusal_of) agree with the one rule
    for every mix of entry states, expiry and dishonesty records."""
    now, real_today = utcnow(), local_date(utcnow())
    category = db.session.scalar(sa.select(ListCategory.id).where(ListCategory.code == "P02"))
    cases = {
        "active": [("active", 400)], "suspended": [("suspended", 400)], "revoked": [("revoked", 400)],
        "expired": [("active", -1)], "expired and suspended": [("active", -1), ("suspended", 400)],
        "suspended and active": [("suspended", 400), ("active", 400)], "no entry": [],
        "active, record blocks": [("active", 400), "record"], "no entry, record blocks": ["record"],
        "active, record repaired": [("active", 400), "repaired"], "active, record too old": [("active", 400), "old"],
    }
    tags = {}
    for number, (case, facts) in enumerate(cases.items()):
        subject = Subject(kind="person", name="王守信", id_hash=f"case{number:060d}", id_masked="441***********0000")
        db.session.add(subject)
        db.session.flush()
        for index, fact in enumerate(facts):
            if isinstance(fact, tuple):
                db.session.add(ListEntry(subject_id=subject.id, category_id=category, status=fact[0],
                                         recognized_on=real_today - dt.timedelta(days=300 + index),
                                         expires_on=real_today + dt.timedelta(days=fact[1])))
            else:
                recorded = real_today - dt.timedelta(days=4 * 366 if fact == "old" else 10)
                db.session.add(DishonestyRecord(subject_id=subject.id, recorded_on=recorded, authority="市法院",
                                                repaired_on=real_today if fact == "repaired" else None))
        tags[case] = f"{number:016x}"
        db.session.add(CodeBatch(tag=tags[case], subject_id=subject.id, kind="offline", issued_at=now,
                                 valid_until=now + dt.timedelta(hours=2)))
    db.session.commit()

    got = denied(fetch(client, bus))
    for case, tag in tags.items():
        subject = db.session.scalar(sa.select(Subject).join(CodeBatch).where(CodeBatch.tag == tag))
        assert got.get(tag) == lists.listing_refusal(subject, subject.entries, real_today), case
    assert set(got.values()) == {"listing_suspended", "not_listed", "listing_expired", "excluded_dishonest"}
    assert tags["active"] not in got and tags["suspended and active"] not in got


# ---- deltas ----------------------------------------------------------------------------------------------------

def test_a_delta_holds_the_deny_lists_changes_since_its_version(client, bus, today):
    old = list_identity(identity(407, name="钱早停"), today)
    newly = list_identity(identity(408, name="赵新停"), today)
    restored = list_identity(identity(409, name="孙恢复"), today)
    tokens = {who.name: phone_code(client, who) for who in (old, newly, restored)}
    suspend(old, today)
    suspend(restored, today)
    for who in (old, newly, restored):
        age_facts(who)  # all of this happened an hour ago
    first = fetch(client, bus)
    assert set(denied(first)) == {tag_of(tokens["钱早停"]), tag_of(tokens["孙恢复"])}

    suspend(newly, today)
    record = db.session.scalar(sa.select(DishonestyRecord).where(DishonestyRecord.subject_id == restored.subject().id))
    dishonesty.repair_credit(record.id, "已履行", "admin:1", today)
    delta = fetch(client, bus, since=first["version"])
    assert delta["full"] is False and delta["version"] > first["version"]
    assert denied(delta) == {tag_of(tokens["赵新停"]): "listing_suspended"}  # not the one the counter has
    assert delta["lifted"] == [tag_of(tokens["孙恢复"])]
    assert (delta["signing_keys"], delta["seal_keys"], delta["measures"]) == (
        first["signing_keys"], first["seal_keys"], first["measures"])

    again = fetch(client, bus, since=delta["version"])  # changes within the 5-minute overlap are sent again
    assert (again["full"], denied(again), again["lifted"]) == (False, denied(delta), delta["lifted"])
    age_facts(newly)
    age_facts(restored)
    settled = fetch(client, bus, since=delta["version"])
    assert (settled["deny"], settled["lifted"]) == ([], [])


@pytest.mark.parametrize("offset", [dt.timedelta(hours=1), -dt.timedelta(days=2)])
def test_a_since_in_the_future_or_older_than_the_maximum_age_gets_a_full_bundle(client, bus, today, offset):
    suspended = list_identity(identity(410, name="钱暂停"), today)
    token = phone_code(client, suspended)
    suspend(suspended, today)
    age_facts(suspended, hours=30)
    since = int((utcnow() + offset).timestamp() * 1000)
    bundle = fetch(client, bus, since=since)
    assert bundle["full"] is True and denied(bundle) == {tag_of(token): "listing_suspended"}


# ---- size ------------------------------------------------------------------------------------------------------

def test_a_province_scale_bundle_stays_under_200_kb(client, bus, catalogue):
    """20,000 live batches of which 2,000 are denied, and a dozen measures at the venue (bench/bench_bundle.py)."""
    tags = fill_province(catalogue["BUS"].id, utcnow())
    response = client.get("/api/v1/scan/bundle", headers=bus)
    assert response.status_code == 200
    assert len(response.get_data()) <= LIMIT_BYTES
    bundle = json.loads(response.get_data())
    assert len(bundle["measures"]) == 12
    assert sorted(denied(bundle)) == sorted(tags)
    assert set(denied(bundle).values()) == {"listing_suspended", "not_listed"}
    ends = [dt.datetime.fromisoformat(group["until"]).astimezone(LOCAL_TZ) for group in bundle["deny"]]
    assert len(ends) <= 2 * 25  # grouped by reason and hour
