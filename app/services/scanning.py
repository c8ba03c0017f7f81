"""Counter scanning (扫码确认): verify a citizen's code, redeem one measure, and log every attempt."""
import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from app.errors import Conflict, DomainError, NotFound
from app.extensions import db
from app.models import Account, Measure, Redemption, ScanAttempt, Subject
from app.services import audit, citizens, qrcodes
from app.services.grades import meets
from app.services.measures import is_current

PAGE_SIZE = 30


@dataclass(frozen=True)
class Verification:
    """What staff see after a scan: the attempt, and for a genuine live code whose it is and what applies here."""

    attempt: ScanAttempt
    subject: Subject | None
    offers: list[citizens.Offer]
    token_expires_at: dt.datetime | None


def _staff(staff_id: int) -> Account:
    account = db.session.get(Account, staff_id)
    if account is None or account.role != "staff":
        raise NotFound("account_not_found", "账号不存在")
    return account


def _venue_measures(venue_id: int, today: dt.date) -> list[Measure]:
    measures = db.session.scalars(sa.select(Measure).where(Measure.provider_id == venue_id,
                                                           Measure.status == "published")).all()
    return [measure for measure in measures if is_current(measure, today)]


def _subject_by_ref(subject_ref: str) -> Subject | None:
    return db.session.scalar(sa.select(Subject).where(Subject.qr_ref == subject_ref))


def _no_offer_reason(subject: Subject, measures: list[Measure]) -> str:
    """grade_too_low when a measure here would apply but for the grade, otherwise no_applicable_measure."""
    if any(subject.kind in measure.kinds and not meets(subject.grade, measure.min_grade) for measure in measures):
        return "grade_too_low"
    return "no_applicable_measure"


def _used(token_key: str) -> bool:
    return db.session.scalar(sa.select(Redemption.id).where(Redemption.token_key == token_key)) is not None


def verify(token: str, staff_id: int, device: str, now: dt.datetime, today: dt.date) -> Verification:
    """Check a scanned string against signature, age, single use and the subject's live standing; log the attempt."""
    staff = _staff(staff_id)
    attempt = ScanAttempt(action="verify", venue_id=staff.venue_id, staff_id=staff.id, device=device, valid=False,
                          at=now)
    subject, offers, expires_at = None, [], None
    try:
        code = qrcodes.verify(token, now)
    except qrcodes.TokenRefused as refused:
        attempt.reason = refused.code
    else:
        attempt.token_key, expires_at = code.token_key, code.expires_at
        subject = _subject_by_ref(code.subject_ref)
        attempt.reason = _refusal(code.token_key, subject, today)
        if attempt.reason is None:
            measures = _venue_measures(staff.venue_id, today)
            offers = citizens.offers(citizens.standing(subject, today), today, measures)
            attempt.reason = None if offers else _no_offer_reason(subject, measures)
        attempt.subject_id = subject.id if subject else None
    attempt.valid = attempt.reason is None
    db.session.add(attempt)
    db.session.commit()
    return Verification(attempt, subject, offers, expires_at)


def _refusal(token_key: str, subject: Subject | None, today: dt.date) -> str | None:
    if subject is None:
        return "not_listed"
    if _used(token_key):
        return "token_used"
    return citizens.standing(subject, today).refusal


def _refuse(attempt: ScanAttempt, code: str, message: str, status: int = 422) -> DomainError:
    """Log the refused attempt in its own transaction and build the error to raise."""
    attempt.valid, attempt.reason = False, code
    db.session.add(attempt)
    db.session.commit()
    return (Conflict if status == 409 else DomainError)(code, message, status=status)


def _replay(staff_id: int, idempotency_key: str, token_key: str | None, measure_id: int) -> Redemption | None:
    """The redemption an earlier request with this key made, if any; the same key for another request is a conflict."""
    earlier = db.session.scalar(sa.select(Redemption).where(Redemption.staff_id == staff_id,
                                                            Redemption.idempotency_key == idempotency_key))
    if earlier is not None and (earlier.token_key != token_key or earlier.measure_id != measure_id):
        raise Conflict("idempotency_key_reused", "该幂等键已用于另一次核销")
    return earlier


def _live_code(token: str, token_key: str | None, venue_id: int, now: dt.datetime) -> qrcodes.VerifiedCode:
    """The code if live now — or if it was verified live at this venue and the confirmation arrives within the grace.

    A confirmation queued by a scanner that lost the network reaches the server after the code's minute is up;
    the successful verify attempt proves the citizen showed a live code at this counter.
    """
    try:
        return qrcodes.verify(token, now)
    except qrcodes.TokenRefused as refused:
        if refused.code != "token_expired" or token_key is None:
            raise
        grace = dt.timedelta(seconds=current_app.config["REDEEM_GRACE_SECONDS"])
        verified_at = db.session.scalar(
            sa.select(ScanAttempt.at).where(ScanAttempt.token_key == token_key, ScanAttempt.venue_id == venue_id,
                                            ScanAttempt.action == "verify", ScanAttempt.valid.is_(True),
                                            ScanAttempt.at >= now - grace)
            .order_by(ScanAttempt.at).limit(1))
        if verified_at is None:
            raise
        return qrcodes.verify(token, verified_at)


def redeem(token: str, measure_id: int, idempotency_key: str, staff_id: int, device: str, now: dt.datetime,
           today: dt.date) -> tuple[Redemption, bool]:
    """Redeem one measure with a code, once; returns (redemption, replayed). Refusals are logged and raised."""
    staff = _staff(staff_id)
    token_key = qrcodes.token_key_of(token)
    earlier = _replay(staff.id, idempotency_key, token_key, measure_id)
    if earlier is not None:
        return earlier, True
    attempt = ScanAttempt(action="redeem", venue_id=staff.venue_id, staff_id=staff.id, device=device,
                          measure_id=measure_id, token_key=token_key, valid=False, at=now)
    measure = db.session.get(Measure, measure_id)
    if measure is None:
        raise NotFound("measure_not_found", "激励措施不存在")
    try:
        code = _live_code(token, token_key, staff.venue_id, now)
    except qrcodes.TokenRefused as refused:
        raise _refuse(attempt, refused.code, refused.message) from None
    subject = _subject_by_ref(code.subject_ref)
    attempt.subject_id = subject.id if subject else None
    if measure.provider_id != staff.venue_id:
        raise _refuse(attempt, "measure_not_at_venue", "该激励措施不由本单位实施")
    if not is_current(measure, today):
        raise _refuse(attempt, "measure_withdrawn", "该激励措施已停止实施")
    reason = _refusal(code.token_key, subject, today)
    if reason == "token_used":
        raise _refuse(attempt, reason, "该二维码已使用，请刷新后重新出示", status=409)
    if reason:
        raise _refuse(attempt, reason, citizens.REFUSAL_MESSAGES.get(reason, "不符合守信激励条件"))
    offers = citizens.offers(citizens.standing(subject, today), today, [measure])
    if not offers:
        reason = _no_offer_reason(subject, [measure])
        raise _refuse(attempt, reason, "信用等级不足" if reason == "grade_too_low" else "该主体不适用此激励措施")
    return _record(attempt, subject, measure, offers[0].benefit, idempotency_key, staff.id, now)


def _record(attempt: ScanAttempt, subject: Subject, measure: Measure, benefit: dict, idempotency_key: str,
            staff_id: int, now: dt.datetime) -> tuple[Redemption, bool]:
    """Insert the attempt and the redemption together; the unique token_key settles any race between scanners."""
    attempt.valid = True
    db.session.add(attempt)
    redemption = Redemption(token_key=attempt.token_key, idempotency_key=idempotency_key, attempt=attempt,
                            subject_id=subject.id, measure_id=measure.id, venue_id=attempt.venue_id,
                            staff_id=staff_id, benefit=benefit, redeemed_at=now)
    db.session.add(redemption)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        earlier = _replay(staff_id, idempotency_key, attempt.token_key, measure.id)
        if earlier is not None:
            return earlier, True
        attempt = ScanAttempt(action="redeem", venue_id=attempt.venue_id, staff_id=staff_id, device=attempt.device,
                              measure_id=measure.id, token_key=attempt.token_key, subject_id=subject.id,
                              valid=False, at=now)
        raise _refuse(attempt, "token_used", "该二维码已使用，请刷新后重新出示", status=409) from None
    audit.record(f"staff:{staff_id}", "redemption.create", "redemption", redemption.id,
                 measure_id=measure.id, venue_id=attempt.venue_id, subject_id=subject.id)
    db.session.commit()
    return redemption, False


def history(staff_id: int, page: int) -> tuple[list[ScanAttempt], int | None]:
    """This venue's attempts, newest first."""
    staff = _staff(staff_id)
    rows = db.session.scalars(
        sa.select(ScanAttempt).where(ScanAttempt.venue_id == staff.venue_id)
        .order_by(ScanAttempt.at.desc(), ScanAttempt.id.desc())
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    return rows[:PAGE_SIZE], page + 1 if len(rows) > PAGE_SIZE else None
