"""Redeeming one measure with a citizen's code at a counter (确认核销): once per code, replayed per idempotency key.

Part of the counters' hot path (see app.services.scanning): one read, the rules, and on PostgreSQL the attempt, the
redemption and its audit event stored by a single statement; every refusal is logged as an attempt.
"""
import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from app.db.prepared import Prepared, RawConnection, raw_connection
from app.domain.codes import CodeRefused, Parsed, check_window
from app.domain.measures import is_current, no_offer_reason
from app.domain.refusals import REFUSALS
from app.domain.roles import actor
from app.errors import Conflict, DomainError, NotFound
from app.models import AuditEvent, Redemption, ScanAttempt
from app.services import audit, qrcodes
from app.services import scan_reads as scan

AUDIT_ACTION = "redemption.create"


@dataclass(frozen=True)
class Redeemed:
    """A redemption as the counter's answer shows it (as stored: a replay shows the same)."""

    id: int
    measure_id: int
    benefit: dict[str, Any]
    redeemed_at: dt.datetime


_REPLAY = Prepared(sa.select(*scan.EARLIER).where(
    scan.EARLIER_REDEMPTION.staff_id == sa.bindparam("staff_id"),
    scan.EARLIER_REDEMPTION.idempotency_key == sa.bindparam("idempotency_key")))

_VERIFIED_LIVE_AT = Prepared(
    sa.select(ScanAttempt.at)
    .where(ScanAttempt.token_key == sa.bindparam("token_key"), ScanAttempt.venue_id == sa.bindparam("venue_id"),
           ScanAttempt.action == "verify", ScanAttempt.valid.is_(True), ScanAttempt.at >= sa.bindparam("since"))
    .order_by(ScanAttempt.at).limit(1))

_REDEMPTION_COLUMNS = ["token_key", "idempotency_key", "attempt_id", "subject_id", "measure_id", "venue_id",
                       "staff_id", "benefit", "redeemed_at"]
_INSERT_REDEMPTION = Prepared(sa.insert(Redemption).returning(Redemption.id), column_keys=_REDEMPTION_COLUMNS)


def _stored_in_one_statement() -> sa.Insert:
    """Attempt, redemption and audit event in one statement of data-modifying CTEs (PostgreSQL): one round trip.
    Returns the audit event's target, the redemption's id."""
    def value(table: sa.Table, column: str, name: str | None = None) -> sa.BindParameter:
        return sa.bindparam(name or column, type_=table.c[column].type)

    attempts, redemptions, events = ScanAttempt.__table__, Redemption.__table__, AuditEvent.__table__
    attempt = (sa.insert(attempts).values({column: value(attempts, column) for column in scan.ATTEMPT_COLUMNS})
               .returning(attempts.c.id).cte("attempt"))
    redemption = sa.insert(redemptions).from_select(_REDEMPTION_COLUMNS, sa.select(
        value(redemptions, "token_key"), value(redemptions, "idempotency_key"), attempt.c.id,
        value(redemptions, "subject_id"), value(redemptions, "measure_id"), value(redemptions, "venue_id"),
        value(redemptions, "staff_id"), value(redemptions, "benefit"), value(redemptions, "redeemed_at", "at"),
    )).returning(redemptions.c.id).cte("redemption")
    return sa.insert(events).from_select(["at", "actor", "action", "target_type", "target_id", "details"], sa.select(
        value(events, "at"), value(events, "actor"), sa.literal(AUDIT_ACTION), sa.literal("redemption"),
        sa.cast(redemption.c.id, events.c.target_id.type), value(events, "details"),
    )).add_cte(attempt, redemption).returning(events.c.target_id)


_STORE = Prepared(_stored_in_one_statement())


def _refuse(connection: RawConnection, attempt: dict[str, Any], code: str) -> DomainError:
    """Log the refused attempt in its own transaction and build the error to raise (409 for a used code)."""
    scan.log(connection, attempt | {"valid": False, "reason": code})
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
        scan.check(claimed, now)
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
        rows = scan.read(connection, scan.REDEEM_READ, claimed, today, params)
        venue_id = scan.venue_of(rows)
        earlier = _earlier(rows[0], token_key, measure_id)
        if earlier is not None:
            return earlier, True
        if rows[0].m_id is None:
            raise NotFound("measure_not_found", "激励措施不存在")
        measure = scan.measures(rows)[0]
        attempt = {"action": "redeem", "venue_id": venue_id, "staff_id": staff_id, "device": device,
                   "subject_id": None, "measure_id": measure_id, "token_key": token_key, "valid": False,
                   "reason": None, "at": now}
        try:
            _live_code(connection, claimed, venue_id, now)
        except CodeRefused as refused:
            raise _refuse(connection, attempt, refused.code) from None
        standing = scan.standing(rows)
        subject = standing.subject
        attempt["subject_id"] = subject.id if subject else None
        if measure.provider_id != venue_id:
            raise _refuse(connection, attempt, "measure_not_at_venue")
        if not is_current(measure, today):
            raise _refuse(connection, attempt, "measure_withdrawn")
        reason = scan.refusal(standing, today)
        if reason:
            raise _refuse(connection, attempt, reason)
        offers = scan.offers(standing, [measure], today)
        if not offers:
            raise _refuse(connection, attempt, no_offer_reason(subject.kind, subject.grade, [measure]))
        return _store_redemption(connection, attempt, offers[0].benefit, idempotency_key)


def _insert(connection: RawConnection, attempt: dict[str, Any], benefit: dict, idempotency_key: str) -> int:
    """Store the granted attempt, the redemption and its audit event; the redemption's id."""
    staff, venue_id, subject_id = actor("staff", attempt["staff_id"]), attempt["venue_id"], attempt["subject_id"]
    details = {"measure_id": attempt["measure_id"], "venue_id": venue_id, "subject_id": subject_id}
    if connection.dialect.name == "postgresql":
        return int(_STORE.one(connection, **attempt, idempotency_key=idempotency_key, benefit=benefit, actor=staff,
                              details=details).target_id)
    attempt_id = scan.log(connection, attempt).id
    redemption_id = _INSERT_REDEMPTION.one(
        connection, token_key=attempt["token_key"], idempotency_key=idempotency_key, attempt_id=attempt_id,
        subject_id=subject_id, measure_id=attempt["measure_id"], venue_id=venue_id, staff_id=attempt["staff_id"],
        benefit=benefit, redeemed_at=attempt["at"]).id
    audit.record_on(connection, attempt["at"], staff, AUDIT_ACTION, "redemption", redemption_id, **details)
    return redemption_id


def _store_redemption(connection: RawConnection, attempt: dict[str, Any], benefit: dict,
                      idempotency_key: str) -> tuple[Redeemed, bool]:
    """Store the redemption in the request's transaction and commit; the unique token_key settles any race."""
    attempt = attempt | {"valid": True}
    try:
        redemption_id = _insert(connection, attempt, benefit, idempotency_key)
    except IntegrityError:
        connection.rollback()
        replay = _REPLAY.run(connection, staff_id=attempt["staff_id"], idempotency_key=idempotency_key)
        earlier = _earlier(replay[0] if replay else None, attempt["token_key"], attempt["measure_id"])
        if earlier is not None:
            return earlier, True
        raise _refuse(connection, attempt, "token_used") from None
    connection.commit()
    return Redeemed(redemption_id, attempt["measure_id"], benefit, attempt["at"]), False
