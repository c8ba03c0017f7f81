"""Daily roll-ups of the scan log, filled for each Beijing day once it has closed.

Every attempt and redemption is stamped with the server's clock when it is written, so a day's rows are final once
the day is over (plus a margin for requests still committing at midnight) — except what counters decided offline,
which is stamped when they decided and uploaded later: a day is closed only once such uploads can no longer fall on
it (app.services.bundle.upload_horizon: the bundle's maximum age and a day). The statistics read closed days from
here, which keeps a year's dashboard as cheap as a month's, and the purge keeps these counts when it removes the rows.
"""
import datetime as dt
import time

import numpy as np
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.db.days import beijing_day
from app.domain.dates import LOCAL_TZ
from app.extensions import db
from app.models import Redemption, ScanAttempt
from app.models.rollups import DailyAttempts, DailyRedemptions, DailyVenueCitizens, RolledDay
from app.services.bundle import upload_horizon

# A request stamped just before midnight may still be committing just after it.
SETTLE = dt.timedelta(minutes=10)
BATCH_DAYS = 31
# How long a statistics call in a web request may spend rolling up, a day at a time (a day at 10× a province's year
# takes about half a second on a loaded 2-core machine); after a migration of years of history the rest waits for
# `flask rollup` (or the daily timer, or later requests), and the dashboard says which days.
REQUEST_BUDGET = dt.timedelta(seconds=1)


def utc_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Beijing calendar days start..end (inclusive) as a half-open UTC interval."""
    begin = dt.datetime.combine(start, dt.time(), tzinfo=LOCAL_TZ)
    finish = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=LOCAL_TZ)
    return begin.astimezone(dt.UTC), finish.astimezone(dt.UTC)


SUBJECT_IDS = np.dtype("<u4")


def pack(subject_ids: list[int]) -> bytes:
    """Subject ids as stored in DailyVenueCitizens.subjects: ascending little-endian unsigned 32-bit integers."""
    return np.asarray(sorted(set(subject_ids)), dtype=SUBJECT_IDS).tobytes()


def unpack(packed: bytes) -> np.ndarray:
    return np.frombuffer(packed, dtype=SUBJECT_IDS)


def last_closed_day(now: dt.datetime) -> dt.date:
    """The latest Beijing day whose rows can no longer change, offline uploads included."""
    return (now - SETTLE - upload_horizon()).astimezone(LOCAL_TZ).date() - dt.timedelta(days=1)


def rolled_through() -> dt.date | None:
    """The last day in the roll-ups (every earlier day is there too)."""
    return db.session.scalar(sa.select(sa.func.max(RolledDay.day)))


def _first_day() -> dt.date | None:
    first = db.session.scalar(sa.select(sa.func.min(ScanAttempt.at)))
    return first.astimezone(LOCAL_TZ).date() if first else None


def pending(now: dt.datetime) -> tuple[dt.date, dt.date] | None:
    """The closed days not rolled up yet (first, last), or None when the roll-ups are up to date."""
    done = rolled_through()
    first = done + dt.timedelta(days=1) if done else _first_day()
    last = last_closed_day(now)
    return (first, last) if first is not None and first <= last else None


def roll_up(now: dt.datetime, through: dt.date | None = None, budget: dt.timedelta | None = None) -> dt.date | None:
    """Roll up every closed day (up to `through`) not yet rolled up; returns the last day rolled up. With a `budget`,
    one day at a time until the budget is spent (at least one day, so every call makes progress).

    Commits every BATCH_DAYS days, so a first roll-up of years of history holds bounded memory and transactions. Two
    processes rolling up the same days at once collide on the day's key: the loser rolls back and finds the winner's.
    """
    began = time.monotonic()
    done = rolled_through()
    last = min(last_closed_day(now), through or dt.date.max)
    first = done + dt.timedelta(days=1) if done else (_first_day() or last)
    step = BATCH_DAYS if budget is None else 1
    while first <= last:
        upto = min(first + dt.timedelta(days=step - 1), last)
        try:
            _insert(first, upto, now)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            return rolled_through()
        done, first = upto, upto + dt.timedelta(days=1)
        if budget is not None and time.monotonic() - began >= budget.total_seconds():
            break
    return done


def _insert(first: dt.date, last: dt.date, now: dt.datetime) -> None:
    begin, finish = utc_bounds(first, last)
    in_range = [Redemption.redeemed_at >= begin, Redemption.redeemed_at < finish]
    day = beijing_day(Redemption.redeemed_at)
    citizens = dict(db.session.execute(sa.select(day, sa.func.count(sa.distinct(Redemption.subject_id)))
                                       .where(*in_range).group_by(day)).all())
    db.session.execute(sa.insert(RolledDay), [
        {"day": first + dt.timedelta(days=offset), "citizens": citizens.get(first + dt.timedelta(days=offset), 0),
         "purged": False, "rolled_at": now} for offset in range((last - first).days + 1)])
    db.session.execute(sa.insert(DailyRedemptions).from_select(
        ["day", "venue_id", "measure_id", "redemptions"],
        sa.select(day, Redemption.venue_id, Redemption.measure_id, sa.func.count())
        .where(*in_range).group_by(day, Redemption.venue_id, Redemption.measure_id)))
    served: dict[tuple[dt.date, int], list[int]] = {}
    for on, venue_id, subject_id in db.session.execute(
            sa.select(day, Redemption.venue_id, Redemption.subject_id).distinct().where(*in_range)):
        served.setdefault((on, venue_id), []).append(subject_id)
    if served:
        db.session.execute(sa.insert(DailyVenueCitizens), [
            {"day": on, "venue_id": venue_id, "citizens": len(ids), "subjects": pack(ids)}
            for (on, venue_id), ids in served.items()])
    scanned = beijing_day(ScanAttempt.at)
    db.session.execute(sa.insert(DailyAttempts).from_select(
        ["day", "venue_id", "reason", "attempts", "refusals"],
        sa.select(scanned, ScanAttempt.venue_id, ScanAttempt.reason, sa.func.count(),
                  sa.func.sum(sa.case((ScanAttempt.valid.is_(False), 1), else_=0)))
        .where(ScanAttempt.at >= begin, ScanAttempt.at < finish).group_by(scanned, ScanAttempt.venue_id,
                                                                         ScanAttempt.reason)))
