"""List rules of SPEC §2, through the services, with "today" injected."""
import datetime as dt
import random

import pytest
import sqlalchemy as sa

from app.demo import enterprise_code, person_id
from app.domain import lists as rules
from app.errors import Conflict, DomainError
from app.extensions import db
from app.models import AuditEvent, ListCategory, ListEntry
from app.services import dishonesty, imports, lists, subjects


def _listed(today, recognized_on=None, category="P02", kind="person", rng_seed=1):
    rng = random.Random(rng_seed)
    number = person_id(rng) if kind == "person" else enterprise_code(rng)
    recognized_on = recognized_on or today - dt.timedelta(days=100)
    data = f"kind,name,id_number,category,recognized_on\n{kind},测试主体,{number},{category},{recognized_on}\n"
    report = imports.import_list("t.csv", data.encode(), "test", today)
    assert report.created == 1, report.errors
    subject = subjects.find_subject(kind, number)
    return subject, subject.entries[0], number


def _dishonesty(today, number, recorded_on, authority="市人民法院"):
    data = (f"kind,id_number,name,recorded_on,authority,summary\n"
            f"person,{number},测试主体,{recorded_on},{authority},拒不履行\n")
    return imports.import_dishonesty("d.csv", data.encode(), "test", today)


def test_validity_is_two_years_from_recognition(catalogue, today):
    """An entry recognised on D is valid through the day before D + 2 years."""
    assert rules.listing_expiry(dt.date(2025, 3, 10)) == dt.date(2027, 3, 9)
    assert rules.listing_expiry(dt.date(2024, 2, 29)) == dt.date(2026, 2, 28)
    _, entry, _ = _listed(today, recognized_on=dt.date(2025, 3, 10))
    assert entry.expires_on == dt.date(2027, 3, 9)
    assert rules.entry_status(entry, dt.date(2027, 3, 9)) == "active"
    assert rules.entry_status(entry, dt.date(2027, 3, 10)) == "expired"


def test_listing_refusal_follows_the_entries(catalogue, today):
    """Active → none; only expired → listing_expired; only revoked → not_listed."""
    subject, entry, _ = _listed(today)
    assert lists.listing_refusal(subject, subject.entries, today) is None
    assert lists.listing_refusal(subject, subject.entries, entry.expires_on + dt.timedelta(days=1)) == "listing_expired"
    lists.revoke_entry(entry.id, "荣誉称号被撤销", "admin:1")
    assert lists.listing_refusal(subject, subject.entries, today) == "not_listed"


def test_extension_needs_a_later_date_and_is_audited(catalogue, today):
    """The credit office may extend validity to a later date, recorded with its reason (required at the edge: the
    console and admin API tests) in the audit log."""
    _, entry, _ = _listed(today)
    old = entry.expires_on
    with pytest.raises(DomainError) as earlier:
        lists.extend_entry(entry.id, old - dt.timedelta(days=1), "特殊情况", "admin:1")
    assert earlier.value.code == "invalid_date"
    assert db.session.get(ListEntry, entry.id).expires_on == old

    lists.extend_entry(entry.id, old + dt.timedelta(days=90), "经统筹协调小组同意延长", "admin:1")
    assert db.session.get(ListEntry, entry.id).expires_on == old + dt.timedelta(days=90)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "entry.extend"))
    assert event.actor == "admin:1"
    assert event.details["reason"] == "经统筹协调小组同意延长"
    assert event.details["old_expires_on"] == old.isoformat()


def test_revocation_is_final_and_audited(catalogue, today):
    """A revoked entry stays revoked: it cannot be revoked again or extended."""
    _, entry, _ = _listed(today)
    lists.revoke_entry(entry.id, "认定单位撤销荣誉", "admin:2")
    assert db.session.get(ListEntry, entry.id).status == "revoked"
    with pytest.raises(Conflict):
        lists.revoke_entry(entry.id, "again", "admin:2")
    with pytest.raises(Conflict):
        lists.extend_entry(entry.id, entry.expires_on + dt.timedelta(days=1), "x", "admin:2")
    actions = db.session.scalars(sa.select(AuditEvent.action)).all()
    assert actions.count("entry.revoke") == 1


def test_dishonesty_record_suspends_active_entries_at_once(catalogue, today):
    """A serious dishonesty record suspends the subject's live entries in the same transaction."""
    subject, entry, number = _listed(today)
    report = _dishonesty(today, number, today - dt.timedelta(days=5))
    assert report.created == 1
    db.session.expire_all()
    assert db.session.get(ListEntry, entry.id).status == "suspended"
    assert lists.listing_refusal(subject, subject.entries, today) == "listing_suspended"
    assert db.session.get(ListEntry, entry.id).suspended_by_record_id == subject.dishonesty_records[0].id
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "entry.suspend")) is not None


def test_old_dishonesty_record_does_not_suspend(catalogue, today):
    """A record older than three years neither suspends nor excludes."""
    subject, entry, number = _listed(today)
    _dishonesty(today, number, today - dt.timedelta(days=3 * 366 + 1))
    db.session.expire_all()
    assert db.session.get(ListEntry, entry.id).status == "active"
    assert lists.listing_refusal(subject, subject.entries, today) is None


def test_credit_repair_lifts_the_suspension_only_when_nothing_else_blocks(catalogue, today):
    """Repairing one of two records keeps the suspension; repairing the last restores the entries."""
    subject, entry, number = _listed(today)
    _dishonesty(today, number, today - dt.timedelta(days=20), authority="市人民法院")
    _dishonesty(today, number, today - dt.timedelta(days=10), authority="市税务局")
    first, second = sorted(subject.dishonesty_records, key=lambda record: record.authority)
    dishonesty.repair_credit(first.id, "已履行判决", "admin:1", today)
    assert db.session.get(ListEntry, entry.id).status == "suspended"
    with pytest.raises(Conflict):
        dishonesty.repair_credit(first.id, "again", "admin:1", today)
    dishonesty.repair_credit(second.id, "已补缴税款", "admin:1", today)
    assert db.session.get(ListEntry, entry.id).status == "active"
    assert lists.listing_refusal(subject, subject.entries, today) is None


def test_direct_dishonesty_record_refuses_a_future_date_and_a_duplicate(catalogue, today):
    """Recording dishonesty by hand validates like the import does."""
    subject, _, _ = _listed(today)
    with pytest.raises(DomainError) as future:
        dishonesty.add_record(subject, today + dt.timedelta(days=1), "市人民法院", "x", "admin:1", today)
    assert future.value.code == "future_date"
    dishonesty.add_record(subject, today, "市人民法院", "x", "admin:1", today)
    with pytest.raises(Conflict):
        dishonesty.add_record(subject, today, "市人民法院", "x", "admin:1", today)


def test_a_category_accepts_only_its_subject_kind(catalogue, today):
    """Every annex category has one kind: 11 person and 7 enterprise categories."""
    kinds = db.session.scalars(sa.select(ListCategory.kind)).all()
    assert kinds.count("person") == 11 and kinds.count("enterprise") == 7
    number = person_id(random.Random(5))
    data = f"kind,name,id_number,category,recognized_on\nperson,某人,{number},E02,{today}\n"
    report = imports.import_list("t.csv", data.encode(), "test", today)
    assert [error["code"] for error in report.errors] == ["category_kind_mismatch"]
