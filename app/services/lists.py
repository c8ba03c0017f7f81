"""The list (名单): a subject's standing today, and the credit office's changes to entries (extension, revocation)."""
import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import QueryableAttribute

from app.db.prepared import Prepared, raw_connection
from app.domain.codes import MAX_CATEGORIES, Sealed
from app.domain.dates import LOCAL_TZ
from app.domain.identity import mask_name
from app.domain.lists import ACTIVE, REVOKED, entry_status, exclusion_start, refusal_of
from app.errors import Conflict, DomainError, NotFound
from app.extensions import db
from app.models import CodeBatch, DishonestyRecord, ListEntry, ScanAttempt, Subject
from app.models.codes import ONLINE
from app.services import audit, scanning
from app.services.dishonesty import blocking_exists, is_excluded
from app.services.subjects import get_subject


def listing_refusal(subject: Subject, entries: list[ListEntry], today: dt.date) -> str | None:
    """None when the subject may use incentives today, otherwise the API.md reason code."""
    return refusal_of(is_excluded(subject.id, today), entries, today)


def may_use_incentives(subject_id: sa.ColumnElement[int] | QueryableAttribute[int], since: dt.date,
                       today: dt.date) -> sa.ColumnElement[bool]:
    """`refusal_of(...) is None` in SQL, for statements over many subjects (the counters' deny-list): an entry whose
    stored state is active that has not expired, and no record that blocks (blocking_conditions)."""
    return sa.and_(sa.exists().where(ListEntry.subject_id == subject_id, ListEntry.status == ACTIVE,
                                     ListEntry.expires_on >= today),
                   ~blocking_exists(subject_id, since, today))


@dataclass(frozen=True)
class CodeStanding:
    """What issuing a code needs: what a counter opens (masked name, grade, the categories of the four oldest active
    entries), the end of the earliest of those entries' last days (no batch outlives it), and the subject's online
    batch still live at `covered_until`, if any."""

    sealed: Sealed
    entries_end: dt.datetime
    online_tag: str | None


_LIVE_ONLINE_BATCH = (sa.select(CodeBatch.tag).where(CodeBatch.subject_id == Subject.id, CodeBatch.kind == ONLINE,
                                                     CodeBatch.valid_until >= sa.bindparam("covered_until"))
                      .order_by(CodeBatch.valid_until.desc()).limit(1).scalar_subquery())

# Issuing a code is the citizens' busiest call: the facts in one prepared read, the rule (refusal_of) in Python.
_STANDING = Prepared(
    sa.select(Subject.kind, Subject.name, Subject.grade, blocking_exists(Subject.id).label("blocked"),
              _LIVE_ONLINE_BATCH.label("online_tag"), ListEntry.status, ListEntry.expires_on, ListEntry.category_id)
    .select_from(Subject).outerjoin(ListEntry, ListEntry.subject_id == Subject.id)
    .where(Subject.id == sa.bindparam("subject_id")).order_by(ListEntry.recognized_on, ListEntry.id))


def code_standing(subject_id: int, today: dt.date, covered_until: dt.datetime) -> CodeStanding | str:
    """The standing for issuing codes, or the API.md reason code when the subject may not use incentives today."""
    with raw_connection() as connection:
        rows: list[Any] = _STANDING.run(connection, subject_id=subject_id, today=today,  # named tuples
                                        since=exclusion_start(today), covered_until=covered_until)
        connection.commit()
    if not rows:
        raise NotFound("subject_not_found", "主体不存在")
    first = rows[0]
    entries = [row for row in rows if row.status is not None]
    refusal = refusal_of(bool(first.blocked), entries, today)
    if refusal:
        return refusal
    named = [row for row in entries if entry_status(row, today) == ACTIVE][:MAX_CATEGORIES]
    categories = tuple(dict.fromkeys(row.category_id for row in named))
    last_day = min(row.expires_on for row in named)
    sealed = Sealed(first.kind, first.grade, categories, mask_name(first.kind, first.name))
    end = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(), tzinfo=LOCAL_TZ).astimezone(dt.UTC)
    return CodeStanding(sealed, end, first.online_tag)


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

    def __getattr__(self, name: str) -> Any:
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
