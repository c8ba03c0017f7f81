"""Serious dishonesty records (严重失信): one suspends the subject's entries; repair or withdrawal lifts it."""
import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import QueryableAttribute

from app.domain.lists import ACTIVE, SUSPENDED, exclusion_start
from app.errors import Conflict, DomainError, NotFound
from app.extensions import db
from app.models import DishonestyRecord, ListEntry, Subject
from app.services import audit

Day = dt.date | sa.ColumnElement[dt.date]  # a date, or a bind parameter for prepared statements


def blocking_conditions(since: Day, today: Day) -> tuple[sa.ColumnElement[bool], ...]:
    """The exclusion rule in SQL, the one place it is written: not repaired, not withdrawn, recorded in the window."""
    return (DishonestyRecord.repaired_on.is_(None), DishonestyRecord.withdrawn_on.is_(None),
            DishonestyRecord.recorded_on.between(since, today))


def blocking_exists(subject_id: sa.ColumnElement[int] | QueryableAttribute[int] | int, since: Day | None = None,
                    today: Day | None = None) -> sa.Exists:
    """Whether a record excludes the subject; bind parameters `since` and `today` unless given (prepared statements)."""
    return sa.exists().where(DishonestyRecord.subject_id == subject_id,
                             *blocking_conditions(sa.bindparam("since") if since is None else since,
                                                  sa.bindparam("today") if today is None else today))


def is_excluded(subject_id: int, today: dt.date) -> bool:
    return db.session.execute(sa.select(blocking_exists(subject_id, exclusion_start(today), today))).scalar_one()


def blocking_records(subject_id: int, today: dt.date) -> list[DishonestyRecord]:
    """The records that exclude the subject today, newest first."""
    return list(db.session.scalars(sa.select(DishonestyRecord).where(
        DishonestyRecord.subject_id == subject_id, *blocking_conditions(exclusion_start(today), today))
        .order_by(DishonestyRecord.recorded_on.desc(), DishonestyRecord.id.desc())))


def suspend_entry(entry: ListEntry, record: DishonestyRecord) -> None:
    """Suspend an entry on a record's account (the record it rests on is kept with it)."""
    entry.status, entry.suspended_by_record_id = SUSPENDED, record.id
    entry.status_reason = f"严重失信记录（{record.authority} {record.recorded_on}）"


def suspend_for(record: DishonestyRecord, actor: str, today: dt.date) -> list[int]:
    """Suspend the subject's live entries if the (flushed) record blocks; part of the caller's transaction."""
    if record.id not in {blocking.id for blocking in blocking_records(record.subject_id, today)}:
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


def add_record(subject: Subject, recorded_on: dt.date, authority: str, summary: str, actor: str,
               today: dt.date) -> DishonestyRecord:
    """Record serious dishonesty by hand and suspend the subject's entries at once."""
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
    suspend_for(record, actor, today)
    db.session.commit()
    return record


def repair_credit(record_id: int, reason: str, actor: str, today: dt.date) -> DishonestyRecord:
    """Credit repair (信用修复): lift the record and restore entries it suspended once nothing else blocks."""
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
