"""Counter scanning (扫码确认): verify a citizen's code, redeem one measure, and log every attempt.

verify and redeem are the counters' hot path: a few statements prepared once at module level (app.db.prepared), run
on one pooled connection without loading ORM objects. Nothing is cached between scans: the staff member's venue, the
venue's measures, the subject's list standing and the code's single use are read live every time.
"""
import datetime as dt
from collections import namedtuple
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, NamedTuple

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from app.db.paging import Page
from app.db.prepared import Prepared, RawConnection, raw_connection
from app.domain.codes import CodeRefused, Parsed, check_window
from app.domain.identity import mask_name
from app.domain.lists import ACTIVE, entry_status, exclusion_start, refusal_of
from app.domain.measures import PUBLISHED, Offer, is_current, no_offer_reason, offers_for
from app.domain.refusals import REFUSALS
from app.domain.roles import actor
from app.errors import Conflict, DomainError, NotFound
from app.extensions import db
from app.models import Account, CodeBatch, ListCategory, ListEntry, Measure, Redemption, ScanAttempt, Subject
from app.services import audit, qrcodes, scan_log
from app.services.dishonesty import blocking_exists

PAGE_SIZE = 30


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


@dataclass(frozen=True)
class Verification:
    """What staff see after a scan: the attempt, and for a genuine live code whose it is and what applies here."""

    attempt: LoggedAttempt
    subject: ScanSubject | None
    offers: list[Offer]
    token_expires_at: dt.datetime | None


@dataclass(frozen=True)
class Redeemed:
    """A redemption as the counter's answer shows it (as stored: a replay shows the same)."""

    id: int
    measure_id: int
    benefit: dict[str, Any]
    redeemed_at: dt.datetime


class _Entry(NamedTuple):
    """A list entry as entry_status reads it, with its category code."""

    status: str
    expires_on: dt.date
    category: str


@dataclass(frozen=True)
class _Standing:
    subject: ScanSubject | None
    used: bool
    blocked: bool
    entries: list[_Entry]


# ---- statements, built once ----------------------------------------------------------------------------------
# Each scan reads everything it needs in one statement, keyed by the staff member: their venue, and the subject the
# code's batch tag stands for with their list entries, whether that code was redeemed and whether dishonesty blocks
# them. The claimed subject is only used once the code's signature and window check out.

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
_EARLIER_REDEMPTION = sa.orm.aliased(Redemption, name="earlier")
_EARLIER = (_EARLIER_REDEMPTION.id.label("earlier_id"), _EARLIER_REDEMPTION.token_key.label("earlier_token_key"),
            _EARLIER_REDEMPTION.measure_id.label("earlier_measure_id"),
            _EARLIER_REDEMPTION.benefit.label("earlier_benefit"),
            _EARLIER_REDEMPTION.redeemed_at.label("earlier_redeemed_at"))


def _with_subject(query: sa.Select) -> sa.Select:
    return (query.outerjoin(CodeBatch, CodeBatch.tag == sa.bindparam("batch_tag"))
            .outerjoin(Subject, Subject.id == CodeBatch.subject_id)
            .outerjoin(ListEntry, ListEntry.subject_id == Subject.id)
            .outerjoin(ListCategory, ListCategory.id == ListEntry.category_id))


# verify: also the venue's published measures (whether each is current today is checked in Python).
_VERIFY_READ = Prepared(_with_subject(
    sa.select(Account.role, Account.venue_id, *_SUBJECT, *_MEASURE).select_from(Account)
).outerjoin(Measure, sa.and_(Measure.provider_id == Account.venue_id, Measure.status == PUBLISHED)).where(
    Account.id == sa.bindparam("staff_id")).order_by(Measure.id, ListEntry.id))

# redeem: also the redemption an earlier request with this idempotency key made, and the measure asked for.
_REDEEM_READ = Prepared(_with_subject(
    sa.select(Account.role, Account.venue_id, *_EARLIER, *_MEASURE, *_SUBJECT).select_from(Account)
    .outerjoin(_EARLIER_REDEMPTION, sa.and_(_EARLIER_REDEMPTION.staff_id == Account.id,
                                            _EARLIER_REDEMPTION.idempotency_key == sa.bindparam("idempotency_key")))
    .outerjoin(Measure, Measure.id == sa.bindparam("measure_id"))
).where(Account.id == sa.bindparam("staff_id")).order_by(ListEntry.id))

_REPLAY = Prepared(sa.select(*_EARLIER).where(
    _EARLIER_REDEMPTION.staff_id == sa.bindparam("staff_id"),
    _EARLIER_REDEMPTION.idempotency_key == sa.bindparam("idempotency_key")))

_VERIFIED_LIVE_AT = Prepared(
    sa.select(ScanAttempt.at)
    .where(ScanAttempt.token_key == sa.bindparam("token_key"), ScanAttempt.venue_id == sa.bindparam("venue_id"),
           ScanAttempt.action == "verify", ScanAttempt.valid.is_(True), ScanAttempt.at >= sa.bindparam("since"))
    .order_by(ScanAttempt.at).limit(1))

_INSERT_ATTEMPT = Prepared(sa.insert(ScanAttempt).returning(ScanAttempt.id), column_keys=[
    "action", "venue_id", "staff_id", "device", "subject_id", "measure_id", "token_key", "valid", "reason", "at"])
_INSERT_REDEMPTION = Prepared(
    sa.insert(Redemption).returning(Redemption.id, Redemption.benefit, Redemption.redeemed_at),
    column_keys=["token_key", "idempotency_key", "attempt_id", "subject_id", "measure_id", "venue_id", "staff_id",
                 "benefit", "redeemed_at"])


# ---- shared steps ----------------------------------------------------------------------------------------------

def _read(connection: RawConnection, statement: Prepared, claimed: Parsed | None, today: dt.date,
          params: dict[str, Any]) -> list[tuple]:
    """The scan's one read, for the batch tag and single-use key the scanned string claims (none if malformed)."""
    batch_tag, token_key = (claimed.batch_tag.hex(), claimed.token_key) if claimed else (None, None)
    return statement.run(connection, batch_tag=batch_tag, token_key=token_key, today=today,
                         since=exclusion_start(today), **params)


def _check(claimed: Parsed | None, now: dt.datetime) -> Parsed:
    """The claimed code if its signature and window hold now; else CodeRefused with the reason."""
    if claimed is None:
        raise CodeRefused("token_malformed")
    qrcodes.check(claimed, now)
    return claimed


def _venue_of(rows: list[tuple]) -> int:
    """The staff member's venue; only staff scan."""
    if not rows or rows[0].role != "staff":
        raise NotFound("account_not_found", "账号不存在")
    return rows[0].venue_id


def _standing(rows: list[tuple]) -> _Standing:
    """The claimed subject's standing from a scan's read (one row per entry, repeated per measure for verify)."""
    first = rows[0]
    if first.subject_id is None:
        return _Standing(None, False, False, [])
    entries = {row.entry_id: _Entry(row.entry_status, row.expires_on, row.category)
               for row in rows if row.entry_id is not None}
    return _Standing(ScanSubject(first.subject_id, first.kind, first.name, first.grade), bool(first.used),
                     bool(first.blocked), list(entries.values()))


def _measures(rows: list[tuple]) -> list[MeasureRow]:
    measures = {row.m_id: MeasureRow._make(_MEASURE_OF_ROW(row)) for row in rows if row.m_id is not None}
    return list(measures.values())


def _refusal(standing: _Standing, today: dt.date) -> str | None:
    if standing.subject is None:
        return "not_listed"
    if standing.used:
        return "token_used"
    return refusal_of(standing.blocked, standing.entries, today)


def _offers(standing: _Standing, measures: list[MeasureRow], today: dt.date) -> list[Offer]:
    """The measures of `measures` a listed subject may use, from the rows read at this scan."""
    active = {entry.category for entry in standing.entries if entry_status(entry, today) == ACTIVE}
    return offers_for(standing.subject.kind, standing.subject.grade, active, measures)


def _log(connection: RawConnection, values: dict[str, Any]) -> LoggedAttempt:
    """Insert an attempt into the connection's transaction; the caller commits."""
    attempt_id = _INSERT_ATTEMPT.one(connection, **values).id
    return LoggedAttempt(attempt_id, values["valid"], values["reason"], values["token_key"], values["subject_id"])


# ---- verify ----------------------------------------------------------------------------------------------------

def verify(token: str, staff_id: int, device: str, now: dt.datetime, today: dt.date) -> Verification:
    """Check a scanned string against signature, age, single use and the subject's live standing; log the attempt."""
    claimed = qrcodes.claim(token)
    with raw_connection() as connection:
        rows = _read(connection, _VERIFY_READ, claimed, today, {"staff_id": staff_id})
        venue_id = _venue_of(rows)
        subject, offers, token_key, expires_at = None, [], None, None
        try:
            code = _check(claimed, now)
        except CodeRefused as refused:
            reason = refused.code
        else:
            token_key, expires_at = code.token_key, dt.datetime.fromtimestamp(code.expires_at, dt.UTC)
            standing = _standing(rows)
            subject = standing.subject
            reason = _refusal(standing, today)
            if reason is None:
                measures = [measure for measure in _measures(rows) if is_current(measure, today)]
                offers = _offers(standing, measures, today)
                reason = None if offers else no_offer_reason(subject.kind, subject.grade, measures)
        attempt = _log(connection, {"action": "verify", "venue_id": venue_id, "staff_id": staff_id, "device": device,
                                    "subject_id": subject.id if subject else None, "measure_id": None,
                                    "token_key": token_key, "valid": reason is None, "reason": reason, "at": now})
        connection.commit()
    return Verification(attempt, subject, offers, expires_at)


# ---- redeem ----------------------------------------------------------------------------------------------------

def _refuse(connection: RawConnection, attempt: dict[str, Any], code: str) -> DomainError:
    """Log the refused attempt in its own transaction and build the error to raise (409 for a used code)."""
    _log(connection, attempt | {"valid": False, "reason": code})
    connection.commit()
    message = REFUSALS[code].title
    return Conflict(code, message) if code == "token_used" else DomainError(code, message)


def _earlier(row: tuple | None, token_key: str | None, measure_id: int) -> Redeemed | None:
    """The redemption an earlier request with this key made, if any; the same key for another request is a conflict."""
    if row is None or row.earlier_id is None:
        return None
    if row.earlier_token_key != token_key or row.earlier_measure_id != measure_id:
        raise Conflict("idempotency_key_reused", "该幂等键已用于另一次核销")
    return Redeemed(row.earlier_id, row.earlier_measure_id, row.earlier_benefit, row.earlier_redeemed_at)


def _live_code(connection: RawConnection, claimed: Parsed | None, venue_id: int, now: dt.datetime) -> None:
    """Pass if the code is live now — or was verified live at this venue and the confirmation is within the grace.

    A confirmation queued by a scanner that lost the network reaches the server after the code's minute is up;
    the successful verify attempt proves the citizen showed a live code at this counter.
    """
    try:
        _check(claimed, now)
    except CodeRefused as refused:
        if refused.code != "token_expired":
            raise
        grace = dt.timedelta(seconds=current_app.config["REDEEM_GRACE_SECONDS"])
        verified = _VERIFIED_LIVE_AT.run(connection, token_key=claimed.token_key, venue_id=venue_id,
                                         since=now - grace)
        if not verified:
            raise
        check_window(claimed, verified[0].at, qrcodes.CLOCK_LEEWAY_SECONDS)  # its signature held above


def redeem(token: str, measure_id: int, idempotency_key: str, staff_id: int, device: str, now: dt.datetime,
           today: dt.date) -> tuple[Redeemed, bool]:
    """Redeem one measure with a code, once; returns (redemption, replayed). Refusals are logged and raised."""
    claimed = qrcodes.claim(token)
    token_key = claimed.token_key if claimed else None
    params = {"staff_id": staff_id, "idempotency_key": idempotency_key, "measure_id": measure_id}
    with raw_connection() as connection:
        rows = _read(connection, _REDEEM_READ, claimed, today, params)
        venue_id = _venue_of(rows)
        earlier = _earlier(rows[0], token_key, measure_id)
        if earlier is not None:
            connection.commit()
            return earlier, True
        if rows[0].m_id is None:
            raise NotFound("measure_not_found", "激励措施不存在")
        measure = _measures(rows)[0]
        attempt = {"action": "redeem", "venue_id": venue_id, "staff_id": staff_id, "device": device,
                   "subject_id": None, "measure_id": measure_id, "token_key": token_key, "valid": False,
                   "reason": None, "at": now}
        try:
            _live_code(connection, claimed, venue_id, now)
        except CodeRefused as refused:
            raise _refuse(connection, attempt, refused.code) from None
        standing = _standing(rows)
        subject = standing.subject
        attempt["subject_id"] = subject.id if subject else None
        if measure.provider_id != venue_id:
            raise _refuse(connection, attempt, "measure_not_at_venue")
        if not is_current(measure, today):
            raise _refuse(connection, attempt, "measure_withdrawn")
        reason = _refusal(standing, today)
        if reason:
            raise _refuse(connection, attempt, reason)
        offers = _offers(standing, [measure], today)
        if not offers:
            raise _refuse(connection, attempt, no_offer_reason(subject.kind, subject.grade, [measure]))
        return _store_redemption(connection, attempt, offers[0].benefit, idempotency_key)


def _store_redemption(connection: RawConnection, attempt: dict[str, Any], benefit: dict,
                      idempotency_key: str) -> tuple[Redeemed, bool]:
    """Insert the attempt, the redemption and its audit event together; the unique token_key settles any race."""
    attempt = attempt | {"valid": True}
    staff_id, measure_id = attempt["staff_id"], attempt["measure_id"]
    try:
        attempt_id = _log(connection, attempt).id
        stored = _INSERT_REDEMPTION.one(
            connection, token_key=attempt["token_key"], idempotency_key=idempotency_key, attempt_id=attempt_id,
            subject_id=attempt["subject_id"], measure_id=measure_id, venue_id=attempt["venue_id"], staff_id=staff_id,
            benefit=benefit, redeemed_at=attempt["at"])
    except IntegrityError:
        connection.rollback()
        replay = _REPLAY.run(connection, staff_id=staff_id, idempotency_key=idempotency_key)
        earlier = _earlier(replay[0] if replay else None, attempt["token_key"], measure_id)
        if earlier is not None:
            return earlier, True
        raise _refuse(connection, attempt, "token_used") from None
    audit.record_on(connection, attempt["at"], actor("staff", staff_id), "redemption.create", "redemption", stored.id,
                    measure_id=measure_id, venue_id=attempt["venue_id"], subject_id=attempt["subject_id"])
    connection.commit()
    return Redeemed(stored.id, measure_id, stored.benefit, stored.redeemed_at), False


def staff_account(staff_id: int) -> Account:
    """A counter staff member's account (their venue with it); others are not found."""
    account = db.session.get(Account, staff_id)
    if account is None or account.role != "staff":
        raise NotFound("account_not_found", "账号不存在")
    return account


def history(staff_id: int, page: int, after: str | None = None) -> Page[ScanAttempt]:
    """This venue's attempts, newest first: page `page`, or the page below `after` (any depth at page 1's cost)."""
    return scan_log.attempts(staff_account(staff_id).venue_id, page, after, size=PAGE_SIZE)


def subject_attempts(subject_id: int, limit: int = PAGE_SIZE) -> list[ScanAttempt]:
    """A subject's latest attempts at any counter, for the credit office."""
    return db.session.scalars(sa.select(ScanAttempt).where(ScanAttempt.subject_id == subject_id)
                              .order_by(ScanAttempt.at.desc(), ScanAttempt.id.desc()).limit(limit)).all()
