"""The list (名单): a subject's standing today, and the credit office's changes to entries (extension, revocation)."""
import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from app.db.prepared import Prepared, raw_connection
from app.domain.lists import REVOKED, entry_status, exclusion_start, refusal_of
from app.errors import Conflict, DomainError, NotFound
from app.extensions import db
from app.models import DishonestyRecord, ListEntry, ScanAttempt, Subject
from app.services import audit, scanning
from app.services.dishonesty import blocking_exists, is_excluded
from app.services.subjects import get_subject


def listing_refusal(subject: Subject, entries: list[ListEntry], today: dt.date) -> str | None:
    """None when the subject may use incentives today, otherwise the API.md reason code."""
    return refusal_of(is_excluded(subject.id, today), entries, today)


@dataclass(frozen=True)
class CodeStanding:
    """What issuing a code needs: the subject's opaque QR reference and why they may not use incentives, if so."""

    qr_ref: str
    refusal: str | None


# Issuing a code is the citizens' busiest call: the facts in one prepared read, the rule (refusal_of) in Python.
_STANDING = Prepared(
    sa.select(Subject.qr_ref, blocking_exists(Subject.id).label("blocked"), ListEntry.status, ListEntry.expires_on)
    .select_from(Subject).outerjoin(ListEntry, ListEntry.subject_id == Subject.id)
    .where(Subject.id == sa.bindparam("subject_id")))


def code_standing(subject_id: int, today: dt.date) -> CodeStanding:
    with raw_connection() as connection:
        rows = _STANDING.run(connection, subject_id=subject_id, today=today, since=exclusion_start(today))
        connection.commit()
    if not rows:
        raise NotFound("subject_not_found", "主体不存在")
    entries = [row for row in rows if row.status is not None]
    return CodeStanding(rows[0].qr_ref, refusal_of(bool(rows[0].blocked), entries, today))


def _get_entry(entry_id: int) -> ListEntry:
    entry = db.session.get(ListEntry, entry_id)
    if entry is None:
        raise NotFound("entry_not_found", "名单条目不存在")
    return entry


def extend_entry(entry_id: int, new_expires_on: dt.date, reason: str, actor: str) -> ListEntry:
    """Extend an entry's validity (特殊情况延长), recorded with its reason."""
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
    entry = _get_entry(entry_id)
    if entry.status == REVOKED:
        raise Conflict("entry_revoked", "名单条目已撤销")
    audit.record(actor, "entry.revoke", "list_entry", entry.id, reason=reason, old_status=entry.status)
    entry.status, entry.status_reason = REVOKED, reason
    db.session.commit()
    return entry


@dataclass(frozen=True)
class EntryStatus:
    """An entry with the status a reader should see today."""

    entry: ListEntry
    status: str

    def __getattr__(self, name: str):
        return getattr(self.entry, name)


@dataclass(frozen=True)
class SubjectFile:
    """What the credit office sees of a subject: entries as they stand today, every record, the recent scans."""

    subject: Subject
    entries: list[EntryStatus]
    records: list[DishonestyRecord]
    attempts: list[ScanAttempt]


def subject_file(subject_id: int, today: dt.date) -> SubjectFile:
    subject = get_subject(subject_id)
    return SubjectFile(subject, [EntryStatus(entry, entry_status(entry, today)) for entry in subject.entries],
                       list(subject.dishonesty_records), scanning.subject_attempts(subject_id))
