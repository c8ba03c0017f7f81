"""Counter scanning (扫码确认): verify a citizen's code, redeem one measure, and log every attempt.

verify and redeem are the counters' hot path: a few statements prepared once at module level (app.db.prepared), run
on the request's one pooled connection, in the transaction the bearer check began, without loading ORM objects.
Nothing is cached between scans: the staff member's venue, the venue's measures, the subject's list standing and the
code's single use are read live every time. The read and its rules are in app.services.scan_reads, redeeming in
app.services.redeeming.
"""
import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from app.db.paging import Page
from app.db.prepared import raw_connection
from app.domain.codes import CodeRefused
from app.domain.measures import Offer, is_current, no_offer_reason
from app.errors import NotFound
from app.extensions import db
from app.models import Account, ScanAttempt
from app.services import qrcodes, scan_log
from app.services import scan_reads as scan
from app.services.redeeming import Redeemed, redeem
from app.services.scan_reads import LoggedAttempt, ScanSubject

__all__ = ["PAGE_SIZE", "LoggedAttempt", "Redeemed", "ScanSubject", "Verification", "history", "redeem",
           "staff_account", "subject_attempts", "verify"]

PAGE_SIZE = 30


@dataclass(frozen=True)
class Verification:
    """What staff see after a scan: the attempt, and for a genuine live code whose it is and what applies here."""

    attempt: LoggedAttempt
    subject: ScanSubject | None
    offers: list[Offer]
    token_expires_at: dt.datetime | None


def verify(token: str, staff_id: int, device: str, now: dt.datetime, today: dt.date) -> Verification:
    """Check a scanned string against signature, age, single use and the subject's live standing; log the attempt."""
    claimed = qrcodes.claim(token)
    with raw_connection() as connection:
        rows = scan.read(connection, scan.VERIFY_READ, claimed, today, {"staff_id": staff_id})
        venue_id = scan.venue_of(rows)
        subject, token_key, expires_at = None, None, None
        offers: list[Offer] = []
        reason: str | None
        try:
            code = scan.check(claimed, now)
        except CodeRefused as refused:
            reason = refused.code
        else:
            token_key, expires_at = code.token_key, dt.datetime.fromtimestamp(code.expires_at, dt.UTC)
            standing = scan.standing(rows)
            subject = standing.subject
            reason = scan.refusal(standing, today)
            if reason is None:
                measures = [measure for measure in scan.measures(rows) if is_current(measure, today)]
                offers = scan.offers(standing, measures, today)
                reason = None if offers else no_offer_reason(subject.kind, subject.grade, measures)
        attempt = scan.log(connection, {"action": "verify", "venue_id": venue_id, "staff_id": staff_id,
                                        "device": device, "subject_id": subject.id if subject else None,
                                        "measure_id": None, "token_key": token_key, "valid": reason is None,
                                        "reason": reason, "at": now})
        connection.commit()
    return Verification(attempt, subject, offers, expires_at)


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
    return list(db.session.scalars(sa.select(ScanAttempt).where(ScanAttempt.subject_id == subject_id)
                                   .order_by(ScanAttempt.at.desc(), ScanAttempt.id.desc()).limit(limit)))
