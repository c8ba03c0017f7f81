"""The counter scan's one read and its rules: the statements verify and redeem run, and what their rows mean.

Each scan reads everything it needs in one statement, keyed by the staff member: their venue, and the subject the
code's batch tag stands for with their list entries, whether that code was redeemed and whether dishonesty blocks
them. The claimed subject is only used once the code's signature and window check out.
"""
import datetime as dt
from collections import namedtuple
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, NamedTuple

import sqlalchemy as sa

from app.db.prepared import Prepared, RawConnection
from app.domain.codes import CodeRefused, Parsed
from app.domain.identity import mask_name
from app.domain.lists import ACTIVE, entry_status, exclusion_start, refusal_of
from app.domain.measures import PUBLISHED, Offer, offers_for
from app.errors import NotFound
from app.models import Account, CodeBatch, ListCategory, ListEntry, Measure, Redemption, ScanAttempt, Subject
from app.services import qrcodes
from app.services.dishonesty import blocking_exists


@dataclass(frozen=True)
class ScanSubject:
    """Whose a genuine code is: what staff may see, and what the rules need."""

    id: int
    kind: str
    name: str
    grade: str | None

    @property
    def name_masked(self) -> str:
        return mask_name(self.kind, self.name)


@dataclass(frozen=True)
class LoggedAttempt:
    """A logged scan attempt (one scan_attempts row)."""

    id: int
    valid: bool
    reason: str | None
    token_key: str | None
    subject_id: int | None


class _Entry(NamedTuple):
    """A list entry as entry_status reads it, with its category code."""

    status: str
    expires_on: dt.date
    category: str


@dataclass(frozen=True)
class Standing:
    """The claimed subject's standing as one scan read it."""

    subject: ScanSubject | None
    used: bool
    blocked: bool
    entries: list[_Entry]


# The measure columns the rules and the answer read, each selected as `m_<name>` and read back as MeasureRow.
_MEASURE_COLUMNS = (Measure.id, Measure.code, Measure.title, Measure.provider_id, Measure.kinds, Measure.category_codes,
                    Measure.min_grade, Measure.benefit, Measure.status, Measure.valid_from, Measure.valid_to)
MeasureRow = namedtuple("MeasureRow", [column.key for column in _MEASURE_COLUMNS])
_MEASURE = tuple(column.label(f"m_{column.key}") for column in _MEASURE_COLUMNS)
_MEASURE_OF_ROW = attrgetter(*(column.name for column in _MEASURE))
_SUBJECT = (Subject.id.label("subject_id"), Subject.kind, Subject.name, Subject.grade,
            sa.exists().where(Redemption.token_key == sa.bindparam("token_key")).label("used"),
            blocking_exists(Subject.id).label("blocked"),
            ListEntry.id.label("entry_id"), ListEntry.status.label("entry_status"), ListEntry.expires_on,
            ListCategory.code.label("category"))
EARLIER_REDEMPTION = sa.orm.aliased(Redemption, name="earlier")
EARLIER = (EARLIER_REDEMPTION.id.label("earlier_id"), EARLIER_REDEMPTION.token_key.label("earlier_token_key"),
           EARLIER_REDEMPTION.measure_id.label("earlier_measure_id"),
           EARLIER_REDEMPTION.benefit.label("earlier_benefit"),
           EARLIER_REDEMPTION.redeemed_at.label("earlier_redeemed_at"))


def _with_subject(query: sa.Select) -> sa.Select:
    return (query.outerjoin(CodeBatch, CodeBatch.tag == sa.bindparam("batch_tag"))
            .outerjoin(Subject, Subject.id == CodeBatch.subject_id)
            .outerjoin(ListEntry, ListEntry.subject_id == Subject.id)
            .outerjoin(ListCategory, ListCategory.id == ListEntry.category_id))


# verify: also the venue's published measures (whether each is current today is checked in Python).
VERIFY_READ = Prepared(_with_subject(
    sa.select(Account.role, Account.venue_id, *_SUBJECT, *_MEASURE).select_from(Account)
).outerjoin(Measure, sa.and_(Measure.provider_id == Account.venue_id, Measure.status == PUBLISHED)).where(
    Account.id == sa.bindparam("staff_id")).order_by(Measure.id, ListEntry.id))

# redeem: also the redemption an earlier request with this idempotency key made, and the measure asked for.
REDEEM_READ = Prepared(_with_subject(
    sa.select(Account.role, Account.venue_id, *EARLIER, *_MEASURE, *_SUBJECT).select_from(Account)
    .outerjoin(EARLIER_REDEMPTION, sa.and_(EARLIER_REDEMPTION.staff_id == Account.id,
                                           EARLIER_REDEMPTION.idempotency_key == sa.bindparam("idempotency_key")))
    .outerjoin(Measure, Measure.id == sa.bindparam("measure_id"))
).where(Account.id == sa.bindparam("staff_id")).order_by(ListEntry.id))

ATTEMPT_COLUMNS = ["action", "venue_id", "staff_id", "device", "subject_id", "measure_id", "token_key", "valid",
                   "reason", "at"]
_INSERT_ATTEMPT = Prepared(sa.insert(ScanAttempt).returning(ScanAttempt.id), column_keys=ATTEMPT_COLUMNS)


def read(connection: RawConnection, statement: Prepared, claimed: Parsed | None, today: dt.date,
         params: dict[str, Any]) -> list[tuple]:
    """The scan's one read, for the batch tag and single-use key the scanned string claims (none if malformed)."""
    batch_tag, token_key = (claimed.batch_tag.hex(), claimed.token_key) if claimed else (None, None)
    return statement.run(connection, batch_tag=batch_tag, token_key=token_key, today=today,
                         since=exclusion_start(today), **params)


def check(claimed: Parsed | None, now: dt.datetime) -> Parsed:
    """The claimed code if its signature and window hold now; else CodeRefused with the reason."""
    if claimed is None:
        raise CodeRefused("token_malformed")
    qrcodes.check(claimed, now)
    return claimed


def venue_of(rows: list[tuple]) -> int:
    """The staff member's venue; only staff scan."""
    if not rows or rows[0].role != "staff":
        raise NotFound("account_not_found", "账号不存在")
    return rows[0].venue_id


def standing(rows: list[tuple]) -> Standing:
    """The claimed subject's standing from a scan's read (one row per entry, repeated per measure for verify)."""
    first = rows[0]
    if first.subject_id is None:
        return Standing(None, False, False, [])
    entries = {row.entry_id: _Entry(row.entry_status, row.expires_on, row.category)
               for row in rows if row.entry_id is not None}
    return Standing(ScanSubject(first.subject_id, first.kind, first.name, first.grade), bool(first.used),
                    bool(first.blocked), list(entries.values()))


def measures(rows: list[tuple]) -> list[MeasureRow]:
    """The measures a scan's read found, once each."""
    found = {row.m_id: MeasureRow._make(_MEASURE_OF_ROW(row)) for row in rows if row.m_id is not None}
    return list(found.values())


def refusal(standing: Standing, today: dt.date) -> str | None:
    """Why the claimed subject may use nothing today (not listed, code used, blocked, no live entry), or None."""
    if standing.subject is None:
        return "not_listed"
    if standing.used:
        return "token_used"
    return refusal_of(standing.blocked, standing.entries, today)


def offers(standing: Standing, measures: list[MeasureRow], today: dt.date) -> list[Offer]:
    """The measures of `measures` a listed subject may use, from the rows read at this scan."""
    active = {entry.category for entry in standing.entries if entry_status(entry, today) == ACTIVE}
    return offers_for(standing.subject.kind, standing.subject.grade, active, measures)


def log(connection: RawConnection, values: dict[str, Any]) -> LoggedAttempt:
    """Insert an attempt into the connection's transaction; the caller commits."""
    attempt_id = _INSERT_ATTEMPT.one(connection, **values).id
    return LoggedAttempt(attempt_id, values["valid"], values["reason"], values["token_key"], values["subject_id"])
