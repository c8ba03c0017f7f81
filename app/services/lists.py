"""List rules (SPEC §2): validity, extension, revocation, dishonesty exclusion and suspension, credit repair."""
import datetime as dt

import sqlalchemy as sa
from flask import current_app

from app.errors import Conflict, DomainError, NotFound
from app.extensions import db
from app.models import (ENTERPRISE, PERSON, Department, DishonestyRecord, ListCategory, ListEntry, ScanAttempt,
                        Subject)
from app.prepared import Prepared, raw_connection
from app.services import audit
from app.services.dates import add_years
from app.services.identity import id_hash, mask_id_number, new_qr_ref, normalize_id_number

ACTIVE, EXPIRED, SUSPENDED, REVOKED = "active", "expired", "suspended", "revoked"


def listing_expiry(recognized_on: dt.date) -> dt.date:
    """Last valid day of an entry: two years from the recognition date, that date counted as the first day."""
    return add_years(recognized_on, current_app.config["LISTING_VALIDITY_YEARS"]) - dt.timedelta(days=1)


def entry_status(entry: ListEntry, today: dt.date) -> str:
    """The status a reader should see today: stored revocation or suspension first, then expiry."""
    if entry.status in (REVOKED, SUSPENDED):
        return entry.status
    return EXPIRED if entry.expires_on < today else ACTIVE


def exclusion_start(today: dt.date) -> dt.date:
    return add_years(today, -current_app.config["DISHONESTY_EXCLUSION_YEARS"])


def is_blocking(record: DishonestyRecord, today: dt.date) -> bool:
    """A record excludes its subject while neither repaired nor withdrawn and within the last three years."""
    return not record.lifted and exclusion_start(today) <= record.recorded_on <= today


def blocking_conditions(since, today) -> tuple[sa.ColumnElement, ...]:
    """The exclusion rule in SQL: neither repaired nor withdrawn, and recorded between `since` and `today`."""
    return (DishonestyRecord.repaired_on.is_(None), DishonestyRecord.withdrawn_on.is_(None),
            DishonestyRecord.recorded_on.between(since, today))


def blocking_exists(subject_id: sa.ColumnElement | int, since=None, today=None) -> sa.Exists:
    """Whether a record excludes the subject; bind parameters `since` and `today` unless given (prebuilt statements)."""
    return sa.exists().where(DishonestyRecord.subject_id == subject_id,
                             *blocking_conditions(sa.bindparam("since") if since is None else since,
                                                  sa.bindparam("today") if today is None else today))


def is_excluded(subject_id: int, today: dt.date) -> bool:
    """A serious dishonesty record of the last three years, unrepaired, keeps the subject off the list."""
    return db.session.scalar(sa.select(blocking_exists(subject_id, exclusion_start(today), today)))


def listing_refusal(subject: Subject, entries: list[ListEntry], today: dt.date) -> str | None:
    """None when the subject may use incentives today, otherwise the API.md reason code."""
    return refusal_of(is_excluded(subject.id, today), entries, today)


def refusal_of(blocked: bool, entries, today: dt.date) -> str | None:
    """listing_refusal once it is known whether a dishonesty record blocks; `entries` need status and expires_on.

    A listed subject whom a record blocks is suspended (listing_suspended); excluded_dishonest is for one whom a
    record keeps off the list altogether.
    """
    statuses = {entry_status(entry, today) for entry in entries}
    if blocked:
        return "listing_suspended" if statuses & {ACTIVE, SUSPENDED} else "excluded_dishonest"
    if ACTIVE in statuses:
        return None
    if SUSPENDED in statuses:
        return "listing_suspended"
    if EXPIRED in statuses:
        return "listing_expired"
    return "not_listed"


def categories() -> list[ListCategory]:
    """Every list category, persons first."""
    return db.session.scalars(sa.select(ListCategory).order_by(ListCategory.kind.desc(), ListCategory.code)).all()


# The hot path of issuing a code; must agree with listing_refusal (the tests hold both to the same cases).
_ELIGIBLE_REF = Prepared(
    sa.select(Subject.qr_ref)
    .where(Subject.id == sa.bindparam("subject_id"),
           sa.exists().where(ListEntry.subject_id == Subject.id, ListEntry.status == ACTIVE,
                             ListEntry.expires_on >= sa.bindparam("today")),
           ~blocking_exists(Subject.id)))


def eligible_qr_ref(subject_id: int, today: dt.date) -> str | None:
    """The subject's QR reference when they may use incentives today, in one query; None otherwise."""
    with raw_connection() as connection:
        rows = _ELIGIBLE_REF.run(connection, subject_id=subject_id, today=today, since=exclusion_start(today))
    return rows[0].qr_ref if rows else None


def get_subject(subject_id: int) -> Subject:
    subject = db.session.get(Subject, subject_id)
    if subject is None:
        raise NotFound("subject_not_found", "主体不存在")
    return subject


def recent_attempts(subject_id: int, limit: int = 30) -> list[ScanAttempt]:
    return db.session.scalars(sa.select(ScanAttempt).where(ScanAttempt.subject_id == subject_id)
                              .order_by(ScanAttempt.at.desc()).limit(limit)).all()


def departments() -> list[Department]:
    return db.session.scalars(sa.select(Department).order_by(Department.code)).all()


def search_subjects(query: str, today: dt.date, limit: int = 50) -> list[Subject]:
    """By ID number (the keyed hash of a valid number of either kind) or by part of the name."""
    query = query.strip()
    hashes = []
    for kind in (PERSON, ENTERPRISE):
        try:
            hashes.append(id_hash(kind, normalize_id_number(kind, query, today)))
        except DomainError:
            continue
    if hashes:
        return db.session.scalars(sa.select(Subject).where(Subject.id_hash.in_(hashes))).all()
    if not query:
        return []
    return db.session.scalars(sa.select(Subject).where(Subject.name.contains(query, autoescape=True))
                              .order_by(Subject.name).limit(limit)).all()


def find_subject(kind: str, number: str) -> Subject | None:
    return db.session.scalar(sa.select(Subject).where(Subject.id_hash == id_hash(kind, number)))


def new_subject(kind: str, number: str, name: str) -> Subject:
    """A subject for a validated ID number; the caller adds it to its transaction."""
    return Subject(kind=kind, name=name, id_hash=id_hash(kind, number),
                   id_masked=mask_id_number(number), qr_ref=new_qr_ref())


def _get_entry(entry_id: int) -> ListEntry:
    entry = db.session.get(ListEntry, entry_id)
    if entry is None:
        raise NotFound("entry_not_found", "名单条目不存在")
    return entry


def _require_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("reason_required", "请填写理由", status=400, fields={"reason": "必填"})
    return reason


def extend_entry(entry_id: int, new_expires_on: dt.date, reason: str, actor: str) -> ListEntry:
    """Extend an entry's validity (特殊情况延长), recorded with its reason."""
    reason = _require_reason(reason)
    entry = _get_entry(entry_id)
    if entry.status == REVOKED:
        raise Conflict("entry_revoked", "已撤销的名单条目不能延期")
    if new_expires_on <= entry.expires_on:
        raise DomainError("invalid_date", "新的有效期必须晚于当前有效期", fields={"expires_on": "必须晚于当前有效期"})
    audit.record(actor, "entry.extend", "list_entry", entry.id, reason=reason,
                 old_expires_on=entry.expires_on.isoformat(), new_expires_on=new_expires_on.isoformat())
    entry.expires_on = new_expires_on
    db.session.commit()
    return entry


def revoke_entry(entry_id: int, reason: str, actor: str) -> ListEntry:
    """Revoke an entry for good, with its reason."""
    reason = _require_reason(reason)
    entry = _get_entry(entry_id)
    if entry.status == REVOKED:
        raise Conflict("entry_revoked", "名单条目已撤销")
    audit.record(actor, "entry.revoke", "list_entry", entry.id, reason=reason, old_status=entry.status)
    entry.status, entry.status_reason = REVOKED, reason
    db.session.commit()
    return entry


def suspend_for_dishonesty(record: DishonestyRecord, actor: str, today: dt.date) -> list[int]:
    """Suspend the subject's live entries because of a blocking record; part of the caller's transaction."""
    if not is_blocking(record, today):
        return []
    entries = db.session.scalars(sa.select(ListEntry).where(
        ListEntry.subject_id == record.subject_id, ListEntry.status == ACTIVE,
        ListEntry.expires_on >= today)).all()
    for entry in entries:
        suspend_entry(entry, record)
    if entries:
        audit.record(actor, "entry.suspend", "subject", record.subject_id,
                     entry_ids=[entry.id for entry in entries], dishonesty_record_id=record.id)
    return [entry.id for entry in entries]


def add_dishonesty_record(subject: Subject, recorded_on: dt.date, authority: str, summary: str,
                          actor: str, today: dt.date) -> DishonestyRecord:
    """Record serious dishonesty and suspend the subject's entries at once."""
    if recorded_on > today:
        raise DomainError("future_date", "认定日期不能晚于今天", fields={"recorded_on": "不能晚于今天"})
    exists = db.session.scalar(sa.select(DishonestyRecord.id).where(
        DishonestyRecord.subject_id == subject.id, DishonestyRecord.recorded_on == recorded_on,
        DishonestyRecord.authority == authority))
    if exists:
        raise Conflict("duplicate_record", "该失信记录已存在")
    record = DishonestyRecord(subject=subject, recorded_on=recorded_on, authority=authority, summary=summary)
    db.session.add(record)
    db.session.flush()
    audit.record(actor, "dishonesty.record", "subject", subject.id, dishonesty_record_id=record.id,
                 recorded_on=recorded_on.isoformat(), authority=authority)
    suspend_for_dishonesty(record, actor, today)
    db.session.commit()
    return record


def repair_credit(record_id: int, reason: str, actor: str, today: dt.date) -> DishonestyRecord:
    """Credit repair (信用修复): lift the record and restore entries it suspended once nothing else blocks."""
    reason = _require_reason(reason)
    record = db.session.get(DishonestyRecord, record_id)
    if record is None:
        raise NotFound("record_not_found", "失信记录不存在")
    if record.repaired_on is not None:
        raise Conflict("already_repaired", "该记录已完成信用修复")
    record.repaired_on, record.repair_reason = today, reason
    restored = lift_suspensions(record.subject_id, today)
    audit.record(actor, "dishonesty.repair", "subject", record.subject_id, dishonesty_record_id=record.id,
                 reason=reason, restored_entry_ids=restored)
    db.session.commit()
    return record


def suspend_entry(entry: ListEntry, record: DishonestyRecord) -> None:
    """Suspend an entry on a record's account (the record it rests on is kept with it)."""
    entry.status, entry.suspended_by_record_id = SUSPENDED, record.id
    entry.status_reason = f"严重失信记录（{record.authority} {record.recorded_on}）"


def blocking_records(subject_id: int, today: dt.date) -> list[DishonestyRecord]:
    """The records that exclude the subject today, newest first."""
    return db.session.scalars(sa.select(DishonestyRecord).where(
        DishonestyRecord.subject_id == subject_id, *blocking_conditions(exclusion_start(today), today))
        .order_by(DishonestyRecord.recorded_on.desc(), DishonestyRecord.id.desc())).all()


def lift_suspensions(subject_id: int, today: dt.date) -> list[int]:
    """After records were lifted: restore the subject's suspended entries when nothing blocks any more, otherwise
    rest them on a record that still blocks. Part of the caller's transaction; returns the restored entry ids."""
    db.session.flush()
    remaining = blocking_records(subject_id, today)
    entries = db.session.scalars(sa.select(ListEntry).where(
        ListEntry.subject_id == subject_id, ListEntry.status == SUSPENDED)).all()
    if remaining:
        for entry in entries:
            if entry.suspended_by is None or entry.suspended_by.lifted:
                suspend_entry(entry, remaining[0])
        return []
    for entry in entries:
        entry.status, entry.status_reason, entry.suspended_by_record_id = ACTIVE, None, None
    return [entry.id for entry in entries]


def withdraw_records(records: list[DishonestyRecord], objection_id: int, actor: str, today: dt.date) -> None:
    """Withdraw records an upheld objection found wrong: kept on file, marked, audited; the caller lifts suspensions."""
    for record in records:
        record.withdrawn_on, record.withdrawn_by_objection_id = today, objection_id
        audit.record(actor, "dishonesty.withdraw", "subject", record.subject_id, dishonesty_record_id=record.id,
                     objection_id=objection_id)
