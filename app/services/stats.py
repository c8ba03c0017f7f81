"""Programme statistics for the dashboards (the redemption export, app.services.redemption_export, re-exported).

Everything is counted by the database, never by loading rows: closed Beijing days from the daily roll-ups
(app.services.rollups, which survive the purge), the days since from the rows, grouped by Beijing day in SQL.
"""
import datetime as dt
from collections import Counter
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa

from app.db.days import beijing_day
from app.domain.cases import COMPLAINT, OBJECTION, OPEN_STATES
from app.domain.dates import utcnow
from app.extensions import db
from app.models import Complaint, Measure, Objection, Redemption, ScanAttempt, Venue
from app.models.rollups import DailyAttempts, DailyRedemptions, DailyVenueCitizens, RolledDay
from app.services import rollups
from app.services.redemption_export import INCOMPLETE_LINE, export_redemptions, in_range
from app.services.rollups import utc_bounds

__all__ = ["INCOMPLETE_LINE", "MeasureRow", "Totals", "VenueRow", "by_measure", "by_venue", "cases_by_status",
           "export_redemptions", "preparing", "redemptions_by_day", "refusals_by_reason", "totals"]


@dataclass(frozen=True)
class Totals:
    """The headline figures of a range: redemptions, distinct citizens served, scan attempts and refusals."""

    redemptions: int
    citizens: int
    attempts: int
    refusals: int
    refusal_rate: float | None


@dataclass(frozen=True)
class VenueRow:
    venue_id: int
    name: str
    redemptions: int
    citizens: int
    refusals: int


@dataclass(frozen=True)
class MeasureRow:
    measure_id: int
    code: str
    title: str
    scenario: str
    redemptions: int


def _attempts(start: dt.date, end: dt.date, venue_id: int | None) -> list[sa.ColumnElement]:
    begin, finish = utc_bounds(start, end)
    where = [ScanAttempt.at >= begin, ScanAttempt.at < finish]
    return where + ([ScanAttempt.venue_id == venue_id] if venue_id is not None else [])


def _rolled(model, start: dt.date, end: dt.date, venue_id: int | None) -> list[sa.ColumnElement]:
    where = [model.day >= start, model.day <= end]
    return where + ([model.venue_id == venue_id] if venue_id is not None else [])


_REFUSED = sa.func.coalesce(sa.func.sum(sa.case((ScanAttempt.valid.is_(False), 1), else_=0)), 0)


def _sum(column: sa.ColumnElement) -> sa.ColumnElement:
    return sa.func.coalesce(sa.func.sum(column), 0)


@dataclass(frozen=True)
class _Split:
    """A range cut where the roll-ups end: closed days read from them, days not closed yet counted from the rows;
    closed days still waiting for their roll-up are in neither (see `preparing`)."""

    rolled: tuple[dt.date, dt.date] | None
    live: tuple[dt.date, dt.date] | None


def _within(start: dt.date, end: dt.date, first: dt.date, last: dt.date) -> tuple[dt.date, dt.date] | None:
    """The days of start..end that are also in first..last."""
    first, last = max(start, first), min(end, last)
    return (first, last) if first <= last else None


def _split(start: dt.date, end: dt.date) -> _Split:
    """Roll up the waiting days for at most REQUEST_BUDGET (never minutes of them in a request), then cut the range."""
    now = utcnow()
    through = rollups.roll_up(now, budget=rollups.REQUEST_BUDGET)
    waiting = rollups.pending(now)
    rolled = _within(start, end, dt.date.min, through) if through else None
    live_from = (waiting[1] if waiting else through or dt.date.min) + dt.timedelta(days=1)
    return _Split(rolled, _within(start, end, live_from, dt.date.max))


def preparing(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date] | None:
    """The days of the range whose figures are still being prepared (closed, not rolled up yet): the statistics
    leave them out until `flask rollup` or later requests have rolled them up."""
    waiting = rollups.pending(utcnow())
    return _within(start, end, *waiting) if waiting else None


def _summed(*queries: sa.Select | None) -> Counter:
    """{key: total} over queries each giving (key..., count) rows."""
    summed: Counter = Counter()
    for query in queries:
        if query is not None:
            for *key, count in db.session.connection().execute(query):
                summed[key[0] if len(key) == 1 else tuple(key)] += int(count or 0)
    return summed


def _served(split: _Split, start: dt.date, end: dt.date, venue_id: int | None, by_venue: bool = False) -> Counter:
    """Distinct subjects served, per venue or in all (key 0): the union of each rolled day's subject ids and the rows
    since, plus the count each purged day kept."""
    per_venue = by_venue or venue_id is not None
    parts: dict[int, list[np.ndarray]] = {}
    kept: Counter = Counter()
    if split.rolled:
        for venue, citizens, packed in db.session.connection().execute(
                sa.select(DailyVenueCitizens.venue_id, DailyVenueCitizens.citizens, DailyVenueCitizens.subjects)
                .where(*_rolled(DailyVenueCitizens, *split.rolled, venue_id))):
            key = venue if by_venue else 0
            if packed is not None:
                parts.setdefault(key, []).append(rollups.unpack(packed))
            elif per_venue:
                kept[key] += citizens
    if split.live:
        live: dict[int, list[int]] = {}
        for venue, subject in db.session.execute(sa.select(Redemption.venue_id, Redemption.subject_id).distinct()
                                                 .where(*in_range(*split.live, venue_id))):
            live.setdefault(venue if by_venue else 0, []).append(subject)
        for key, subjects in live.items():
            parts.setdefault(key, []).append(np.asarray(subjects, dtype=rollups.SUBJECT_IDS))
    if not per_venue:  # a citizen served at two venues on a purged day counts once, as the day's own count has it
        kept[0] = int(db.session.scalar(sa.select(_sum(RolledDay.citizens)).where(RolledDay.purged,
                                                                                  RolledDay.day >= start,
                                                                                  RolledDay.day <= end)))
    return Counter({key: _distinct(arrays) for key, arrays in parts.items()}) + kept


def _distinct(arrays: list[np.ndarray]) -> int:
    """How many different ids the arrays hold, by marking each in a bitmap (a linear pass, no sort or hash)."""
    ids = np.concatenate(arrays)
    if not ids.size:
        return 0
    marked = np.zeros(int(ids.max()) + 1, dtype=bool)
    marked[ids] = True
    return int(np.count_nonzero(marked))


def totals(start: dt.date, end: dt.date, venue_id: int | None = None) -> Totals:
    """Redemptions, distinct citizens, attempts and refusals over Beijing days start..end, at one venue or all."""
    split = _split(start, end)
    redemptions = attempts = refusals = 0
    if split.rolled:
        redemptions += db.session.scalar(sa.select(_sum(DailyRedemptions.redemptions))
                                         .where(*_rolled(DailyRedemptions, *split.rolled, venue_id)))
        counted = db.session.execute(sa.select(_sum(DailyAttempts.attempts), _sum(DailyAttempts.refusals))
                                     .where(*_rolled(DailyAttempts, *split.rolled, venue_id))).one()
        attempts, refusals = attempts + counted[0], refusals + counted[1]
    if split.live:
        redemptions += db.session.scalar(sa.select(sa.func.count()).where(*in_range(*split.live, venue_id)))
        counted = db.session.execute(sa.select(sa.func.count(), _REFUSED)
                                     .where(*_attempts(*split.live, venue_id))).one()
        attempts, refusals = attempts + counted[0], refusals + counted[1]
    return Totals(int(redemptions), _served(split, start, end, venue_id)[0], int(attempts), int(refusals),
                  refusals / attempts if attempts else None)


def redemptions_by_day(start: dt.date, end: dt.date, venue_id: int | None = None) -> dict[str, dict[dt.date, int]]:
    """{scenario: {Beijing day: count}} for every day of the range (zeros included), scenarios sorted."""
    split, day = _split(start, end), beijing_day(Redemption.redeemed_at)
    # Counted per measure and day, scenarios looked up after: no join for the planner to get wrong on a big table.
    counted = _summed(
        split.rolled and sa.select(DailyRedemptions.measure_id, DailyRedemptions.day,
                                   _sum(DailyRedemptions.redemptions))
        .where(*_rolled(DailyRedemptions, *split.rolled, venue_id))
        .group_by(DailyRedemptions.measure_id, DailyRedemptions.day),
        split.live and sa.select(Redemption.measure_id, day, sa.func.count())
        .where(*in_range(*split.live, venue_id)).group_by(Redemption.measure_id, day))
    scenario_of = dict(db.session.execute(sa.select(Measure.id, Measure.scenario)).all())
    days = [start + dt.timedelta(days=offset) for offset in range((end - start).days + 1)]
    series: dict[str, dict[dt.date, int]] = {}
    for (measure_id, on), count in counted.items():
        scenario = scenario_of[measure_id]
        if scenario not in series:
            series[scenario] = dict.fromkeys(days, 0)
        series[scenario][on] += count
    return dict(sorted(series.items()))


def by_venue(start: dt.date, end: dt.date) -> list[VenueRow]:
    """Every venue with any scan or redemption in the range, busiest first."""
    split = _split(start, end)
    served = _summed(
        split.rolled and sa.select(DailyRedemptions.venue_id, _sum(DailyRedemptions.redemptions))
        .where(*_rolled(DailyRedemptions, *split.rolled, None)).group_by(DailyRedemptions.venue_id),
        split.live and sa.select(Redemption.venue_id, sa.func.count())
        .where(*in_range(*split.live, None)).group_by(Redemption.venue_id))
    scanned, refused = Counter(), Counter()
    for query in (split.rolled and sa.select(DailyAttempts.venue_id, _sum(DailyAttempts.attempts),
                                             _sum(DailyAttempts.refusals))
                  .where(*_rolled(DailyAttempts, *split.rolled, None)).group_by(DailyAttempts.venue_id),
                  split.live and sa.select(ScanAttempt.venue_id, sa.func.count(), _REFUSED)
                  .where(*_attempts(*split.live, None)).group_by(ScanAttempt.venue_id)):
        for venue, attempts, refusals in db.session.connection().execute(query) if query is not None else ():
            scanned[venue] += int(attempts)
            refused[venue] += int(refusals)
    active = {venue for venue, count in (served + scanned).items() if count}
    citizens = _served(split, start, end, None, by_venue=True) if active else Counter()
    names = dict(db.session.execute(sa.select(Venue.id, Venue.name).where(Venue.id.in_(active))).all())
    rows = [VenueRow(venue, names[venue], served[venue], citizens[venue], refused[venue]) for venue in active]
    return sorted(rows, key=lambda row: (-row.redemptions, row.name))


def by_measure(start: dt.date, end: dt.date, venue_id: int | None = None) -> list[MeasureRow]:
    """Every measure redeemed in the range with its count, most redeemed first."""
    split = _split(start, end)
    counted = _summed(
        split.rolled and sa.select(DailyRedemptions.measure_id, _sum(DailyRedemptions.redemptions))
        .where(*_rolled(DailyRedemptions, *split.rolled, venue_id)).group_by(DailyRedemptions.measure_id),
        split.live and sa.select(Redemption.measure_id, sa.func.count())
        .where(*in_range(*split.live, venue_id)).group_by(Redemption.measure_id))
    measures = db.session.execute(sa.select(Measure.id, Measure.code, Measure.title, Measure.scenario)
                                  .where(Measure.id.in_([measure for measure, count in counted.items() if count])))
    rows = [MeasureRow(*measure, counted[measure.id]) for measure in measures]
    return sorted(rows, key=lambda row: (-row.redemptions, row.code))


def refusals_by_reason(start: dt.date, end: dt.date, venue_id: int | None = None) -> list[tuple[str, int]]:
    """[(reason code, count)] of the refused attempts in the range, most frequent first."""
    split = _split(start, end)
    counted = _summed(
        split.rolled and sa.select(DailyAttempts.reason, _sum(DailyAttempts.refusals))
        .where(DailyAttempts.refusals > 0, *_rolled(DailyAttempts, *split.rolled, venue_id))
        .group_by(DailyAttempts.reason),
        split.live and sa.select(ScanAttempt.reason, sa.func.count())
        .where(ScanAttempt.valid.is_(False), *_attempts(*split.live, venue_id)).group_by(ScanAttempt.reason))
    return sorted(((reason, count) for reason, count in counted.items() if count), key=lambda item: (-item[1], item[0]))


def cases_by_status(now: dt.datetime) -> dict[str, list[tuple[str, int, int]]]:
    """{objections|complaints: [(status, count, overdue count)]}."""
    result = {}
    for label, model, open_states in (("objections", Objection, OPEN_STATES[OBJECTION]),
                                      ("complaints", Complaint, OPEN_STATES[COMPLAINT])):
        overdue = sa.func.sum(sa.case((sa.and_(model.status.in_(open_states), model.due_at < now), 1), else_=0))
        result[label] = [(status, count, int(late or 0)) for status, count, late in db.session.execute(
            sa.select(model.status, sa.func.count(), overdue).group_by(model.status).order_by(model.status))]
    return result
