"""Retention (个人信息保存期限): the scan log older than the retention period is removed, its statistics kept.

Scan attempts and redemptions say who was where and when; they are kept for the retention period (two years by
default, the list validity) and then removed day by day, each day only once its counts are in the daily roll-ups, so
every statistic of those days survives; the roll-ups then keep counts only, no longer who was served. Cases that cited
a removed scan or redemption keep their text without the link. The audit log stays whole (append-only); its
redemption events carry ids, not names.
"""
import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from app.domain.dates import add_years
from app.errors import DomainError
from app.extensions import db
from app.logs import log_event
from app.models import Complaint, Objection, Redemption, ScanAttempt
from app.models.rollups import DailyVenueCitizens, RolledDay
from app.services import audit, rollups
from app.services.rollups import utc_bounds


@dataclass(frozen=True)
class PurgeReport:
    """What a purge removes (dry run) or removed: rows of the Beijing days before `before`."""

    before: dt.date
    attempts: int
    redemptions: int
    days: int
    executed: bool


def default_before(today: dt.date, years: int) -> dt.date:
    """The first day still kept when `years` of scan log are kept."""
    return add_years(today, -years)


def _counts(cutoff: dt.datetime) -> tuple[int, int]:
    attempts = db.session.execute(sa.select(sa.func.count()).where(ScanAttempt.at < cutoff)).scalar_one()
    redemptions = db.session.execute(sa.select(sa.func.count()).where(Redemption.redeemed_at < cutoff)).scalar_one()
    return attempts, redemptions


def purge(before: dt.date, actor: str, now: dt.datetime, execute: bool = False) -> PurgeReport:
    """Remove (or, by default, only count) the attempts and redemptions of every Beijing day before `before`."""
    if before > rollups.last_closed_day(now) + dt.timedelta(days=1):
        raise DomainError("purge_too_recent", "只能清除已结束的日期之前的记录",
                          fields={"before": f"不晚于 {rollups.last_closed_day(now) + dt.timedelta(days=1)}"})
    cutoff = utc_bounds(before, before)[0]
    attempts, redemptions = _counts(cutoff)
    days = db.session.execute(sa.select(sa.func.count()).where(RolledDay.day < before, RolledDay.purged.is_(False))
                              ).scalar_one()
    if not execute:
        return PurgeReport(before, attempts, redemptions, days, False)
    rollups.roll_up(now, through=before - dt.timedelta(days=1))
    pending = db.session.scalars(sa.select(RolledDay).where(RolledDay.day < before, RolledDay.purged.is_(False))
                                 .order_by(RolledDay.day)).all()
    for day in pending:
        _purge_day(day)
    audit.record(actor, "retention.purge", "scan_log", None, before=before.isoformat(), attempts=attempts,
                 redemptions=redemptions, days=len(pending))
    db.session.commit()
    log_event("purge", before=before.isoformat(), attempts=attempts, redemptions=redemptions, days=len(pending))
    return PurgeReport(before, attempts, redemptions, len(pending), True)


def _purge_day(day: RolledDay) -> None:
    """One day's rows in one transaction: an interrupted purge leaves each day whole or gone, never counted twice."""
    begin, finish = utc_bounds(day.day, day.day)
    redeemed = sa.select(Redemption.id).where(Redemption.redeemed_at >= begin, Redemption.redeemed_at < finish)
    scanned = sa.select(ScanAttempt.id).where(ScanAttempt.at >= begin, ScanAttempt.at < finish)
    db.session.execute(sa.update(Complaint).where(Complaint.redemption_id.in_(redeemed)).values(redemption_id=None))
    db.session.execute(sa.update(Objection).where(Objection.attempt_id.in_(scanned)).values(attempt_id=None))
    db.session.execute(sa.delete(Redemption).where(Redemption.redeemed_at >= begin, Redemption.redeemed_at < finish))
    db.session.execute(sa.delete(ScanAttempt).where(ScanAttempt.at >= begin, ScanAttempt.at < finish))
    db.session.execute(sa.update(DailyVenueCitizens).where(DailyVenueCitizens.day == day.day).values(subjects=None))
    day.purged = True
    db.session.commit()
