"""Reconciling what counters decided offline (POST /api/v1/scan/offline; docs/offline-codes.md, "Reconciliation").

Each uploaded item becomes one attempt in the scan log, marked offline and dated when the counter decided, in a
transaction of its own. A grant is checked again by what the code itself proves and what a counter in good faith
could know; a code redeemed at two counters keeps one redemption, the earliest decision, and the other attempt is a
duplicate_offline. Re-sending an item (the same staff member and idempotency key) answers its outcome as it stands and
changes nothing.
"""
import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.domain import codes
from app.domain.dates import local_date
from app.domain.lists import exclusion_start, refusal_of
from app.domain.measures import PUBLISHED, WITHDRAWN, MeasureFacts, is_current, no_offer_reason, offers_for
from app.domain.roles import actor
from app.extensions import db
from app.models import CodeBatch, DishonestyRecord, ListCategory, ListEntry, Measure, Redemption, ScanAttempt
from app.models.scanning import DUPLICATE, DUPLICATE_OFFLINE
from app.services import audit, bundle, qrcodes
from app.services.dishonesty import is_excluded
from app.services.rollups import utc_bounds

MAX_ITEMS = 500
RECORDED = "recorded"
KEY_REUSED = "idempotency_key_reused"


@dataclass(frozen=True)
class OfflineItem:
    """One decision a counter made without the network, as it uploads it."""

    idempotency_key: str
    token: str
    action: str
    measure_id: int | None
    decided_at: dt.datetime
    device: str
    valid: bool
    reason: str | None


def reconcile(staff_id: int, items: list[OfflineItem], now: dt.datetime) -> list[tuple[str, str]]:
    """Record every item in its own transaction; [(idempotency key, outcome)] in the items' order."""
    venue_id = bundle.staff_venue(staff_id).id
    return [(item.idempotency_key, _settled(staff_id, venue_id, item, now)) for item in items]


def _settled(staff_id: int, venue_id: int, item: OfflineItem, now: dt.datetime) -> str:
    """One item, committed; a concurrent upload of the same key or code loses the race once, then reads its result."""
    try:
        outcome = _settle(staff_id, venue_id, item, now)
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        outcome = _settle(staff_id, venue_id, item, now)
    db.session.commit()
    return outcome


def _genuine(token: str) -> tuple[codes.Parsed | None, str | None]:
    """(the parsed code, None) when the server's keys signed it, else (None, the reason)."""
    try:
        parsed = codes.parse(token)
        codes.check_signature(parsed, qrcodes.public_keys())
    except codes.CodeRefused as refused:
        return None, refused.code
    return parsed, None


def _settle(staff_id: int, venue_id: int, item: OfflineItem, now: dt.datetime) -> str:
    """Log the item as an offline attempt (a refusal as the counter gave it, a grant as the server confirms it) and
    redeem once; a time the server cannot believe (in the future, or older than the upload horizon) is logged at the
    time of the upload and confirms nothing."""
    parsed, refusal = _genuine(item.token)
    token_key = parsed.token_key if parsed else None
    earlier = db.session.scalar(sa.select(ScanAttempt).where(ScanAttempt.staff_id == staff_id,
                                                             ScanAttempt.idempotency_key == item.idempotency_key))
    if earlier is not None:
        return _replayed(earlier, item, token_key)
    batch = parsed and db.session.scalar(sa.select(CodeBatch).where(CodeBatch.tag == parsed.batch_tag.hex()))
    measure = db.session.get(Measure, item.measure_id) if item.measure_id else None
    leeway = dt.timedelta(seconds=qrcodes.CLOCK_LEEWAY_SECONDS)
    believable = now - bundle.upload_horizon() <= item.decided_at <= now + leeway
    attempt = ScanAttempt(action=item.action, venue_id=venue_id, staff_id=staff_id, device=item.device,
                          subject_id=batch.subject_id if batch else None, measure_id=measure.id if measure else None,
                          token_key=token_key, valid=False, reason=item.reason, offline=True,
                          idempotency_key=item.idempotency_key, at=item.decided_at if believable else now)
    db.session.add(attempt)
    if not item.valid:
        return RECORDED
    refusal, benefit = refusal or (None if believable else "token_expired"), None
    if refusal is None:
        refusal, benefit = _checked(parsed, batch, item, measure, venue_id)
    if refusal:
        attempt.reason = refusal
        return refusal
    attempt.valid, attempt.reason = True, None
    return RECORDED if item.action == "verify" else _redeem(attempt, benefit)


def _replayed(attempt: ScanAttempt, item: OfflineItem, token_key: str | None) -> str:
    """The outcome of an item uploaded before, as it stands now (a grant may since have become the duplicate)."""
    if (attempt.action, attempt.token_key) != (item.action, token_key):
        return KEY_REUSED
    if attempt.valid or not item.valid:
        return RECORDED
    return attempt.reason


def _sealed(parsed: codes.Parsed) -> codes.Sealed:
    """The clear block, under the seal key of the day the code's window starts in."""
    starts = local_date(dt.datetime.fromtimestamp(parsed.not_before, dt.UTC))
    return codes.open_sealed(parsed, qrcodes.seal_key(codes.day_of_seal(parsed.seal_day, codes.day_number(starts))))


def _checked(parsed: codes.Parsed, batch: CodeBatch | None, item: OfflineItem, measure: Measure | None,
             venue_id: int) -> tuple[str | None, dict | None]:
    """(why the server does not confirm a grant, or None; the benefit of a redemption it confirms): the code's window
    at decided_at, its batch, its sealed block, a standing every counter with a usable bundle knew, and for a
    redemption the measure."""
    try:
        codes.check_window(parsed, item.decided_at, qrcodes.CLOCK_LEEWAY_SECONDS)
        sealed = _sealed(parsed)
    except codes.CodeRefused as refused:
        return refused.code, None
    if batch is None:
        return "not_listed", None
    known = item.decided_at - dt.timedelta(seconds=bundle.max_age())
    refusal = _standing_known(batch.subject_id, item.decided_at, known)
    if refusal or item.action == "verify":
        return refusal, None
    return _measure_checked(measure, venue_id, sealed, item.decided_at, known)


def _standing_known(subject_id: int, decided_at: dt.datetime, known: dt.datetime) -> str | None:
    """Why the subject could not use incentives when the counter decided, if that was so already at `known` (the
    oldest bundle a counter may decide with): a change after it is honoured as the counter's good faith."""
    day = local_date(decided_at)
    entries = db.session.execute(sa.select(ListEntry.status, ListEntry.expires_on, ListEntry.updated_at)
                                 .where(ListEntry.subject_id == subject_id)).all()
    refusal = refusal_of(is_excluded(subject_id, day), entries, day)
    if refusal is None:
        return None
    recorded = db.session.scalar(sa.select(sa.func.max(DishonestyRecord.created_at)).where(
        DishonestyRecord.subject_id == subject_id, DishonestyRecord.recorded_on >= exclusion_start(day)))
    changed = max([entry.updated_at for entry in entries] + ([recorded] if recorded else []), default=None)
    return refusal if changed is None or changed <= known else None


class _Published:
    """A measure withdrawn after the oldest usable bundle was made, as that bundle still showed it."""

    status = PUBLISHED

    def __init__(self, measure: Measure) -> None:
        self._measure = measure

    def __getattr__(self, name: str):
        return getattr(self._measure, name)


def _as_known(measure: Measure, known: dt.datetime) -> MeasureFacts:
    withdrawn_late = (measure.status == WITHDRAWN and measure.withdrawn_on is not None
                      and measure.withdrawn_on >= local_date(known))
    return _Published(measure) if withdrawn_late else measure


def _categories(sealed: codes.Sealed) -> set[str]:
    return set(db.session.scalars(sa.select(ListCategory.code).where(ListCategory.id.in_(sealed.categories))))


def _measure_checked(measure: Measure | None, venue_id: int, sealed: codes.Sealed, decided_at: dt.datetime,
                     known: dt.datetime) -> tuple[str | None, dict | None]:
    """The venue's measure, current on the day of the decision, for the kind, grade and categories the code carries
    (what the counter read), by the one rule (offers_for, no_offer_reason); with the benefit for that grade."""
    if measure is None or measure.provider_id != venue_id:
        return "measure_not_at_venue", None
    facts = _as_known(measure, known)
    if not is_current(facts, local_date(decided_at)):
        return "measure_withdrawn", None
    offers = offers_for(sealed.kind, sealed.grade, _categories(sealed), [facts])
    if not offers:
        return no_offer_reason(sealed.kind, sealed.grade, [facts]), None
    return None, offers[0].benefit


def _redeem(attempt: ScanAttempt, benefit: dict) -> str:
    """One redemption per code, the earliest decision's: a new one, the attempt as a duplicate of an earlier one, or
    the redemption moved here from a later one (which becomes the duplicate)."""
    held = db.session.scalar(sa.select(Redemption).where(Redemption.token_key == attempt.token_key)
                             .with_for_update(of=Redemption))
    if held is not None and held.redeemed_at <= attempt.at:
        attempt.valid, attempt.reason = False, DUPLICATE_OFFLINE
        return DUPLICATE_OFFLINE
    db.session.flush()
    terms = {"attempt_id": attempt.id, "idempotency_key": attempt.idempotency_key, "measure_id": attempt.measure_id,
             "venue_id": attempt.venue_id, "staff_id": attempt.staff_id, "subject_id": attempt.subject_id,
             "benefit": benefit, "redeemed_at": attempt.at}
    who = actor("staff", attempt.staff_id)
    if held is None:
        held = Redemption(token_key=attempt.token_key, **terms)
        db.session.add(held)
        db.session.flush()
        audit.record(who, "redemption.create", "redemption", held.id, measure_id=attempt.measure_id,
                     venue_id=attempt.venue_id, subject_id=attempt.subject_id, offline=True)
        return RECORDED
    displaced = held.attempt
    displaced.valid, displaced.reason = False, DUPLICATE_OFFLINE
    audit.record(who, "redemption.move", "redemption", held.id, from_attempt_id=displaced.id,
                 to_attempt_id=attempt.id, from_venue_id=held.venue_id, venue_id=attempt.venue_id)
    for name, value in terms.items():
        setattr(held, name, value)
    return RECORDED


def duplicates(start: dt.date, end: dt.date, venue_id: int | None = None) -> int:
    """duplicate_offline attempts over Beijing days start..end; for a venue, those where either counter was its own.
    Counted from the scan log through its partial index (duplicates are few), so for the years it keeps."""
    begin, finish = utc_bounds(start, end)
    query = sa.select(sa.func.count()).select_from(ScanAttempt).where(DUPLICATE, ScanAttempt.at >= begin,
                                                                      ScanAttempt.at < finish)
    if venue_id is not None:
        query = query.where(sa.or_(ScanAttempt.venue_id == venue_id, sa.exists().where(
            Redemption.token_key == ScanAttempt.token_key, Redemption.venue_id == venue_id)))
    return db.session.scalar(query)


def redemptions_held(attempts: list[ScanAttempt]) -> dict[str, Redemption]:
    """For the duplicate_offline attempts among `attempts`, the redemption their code kept (the other counter), by
    the code's key: one query for a page of the scan log."""
    keys = {attempt.token_key for attempt in attempts if attempt.reason == DUPLICATE_OFFLINE and attempt.token_key}
    if not keys:
        return {}
    held = db.session.scalars(sa.select(Redemption).where(Redemption.token_key.in_(keys)).options(
        selectinload(Redemption.attempt).selectinload(ScanAttempt.staff)))
    return {redemption.token_key: redemption for redemption in held}


def repeats_of(attempts: list[ScanAttempt]) -> dict[str, list[ScanAttempt]]:
    """For the granted redemptions among `attempts`, the duplicate_offline attempts of the same code elsewhere (the
    other counters), by the code's key: one query for a page of the scan log."""
    keys = {attempt.token_key for attempt in attempts
            if attempt.valid and attempt.action == "redeem" and attempt.token_key}
    if not keys:
        return {}
    repeats: dict[str, list[ScanAttempt]] = {}
    for attempt in db.session.scalars(sa.select(ScanAttempt).where(ScanAttempt.token_key.in_(keys), DUPLICATE)
                                      .options(selectinload(ScanAttempt.staff)).order_by(ScanAttempt.at)):
        repeats.setdefault(attempt.token_key, []).append(attempt)
    return repeats
