"""Programme statistics for the dashboards, and the redemption export (the feedback to the provincial platform).

Everything is counted by the database, never by loading rows: closed Beijing days from the daily roll-ups
(app.services.rollups, which survive the purge), the days since from the rows, grouped by Beijing day in SQL.
"""
import datetime as dt
from collections import Counter
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from itertools import islice

import numpy as np
import sqlalchemy as sa
from flask import current_app

from app.db.days import beijing_day, beijing_seconds
from app.domain.cases import COMPLAINT, OBJECTION, OPEN_STATES
from app.domain.dates import utcnow
from app.domain.identity import KIND_NAMES, mask_name
from app.domain.measures import SCENARIOS
from app.extensions import db
from app.models import Complaint, Measure, Objection, Redemption, ScanAttempt, Subject, Venue
from app.models.rollups import DailyAttempts, DailyRedemptions, DailyVenueCitizens, RolledDay
from app.services import audit, rollups
from app.services.rollups import utc_bounds
from app.services.spreadsheets import csv_lines

EXPORT_HEADER = ["核销编号", "核销时间", "场景", "激励措施编码", "激励措施", "实施单位", "主体类型", "主体名称（脱敏）",
                 "证件号码（脱敏）", "优惠内容"]


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


def _redemptions(start: dt.date, end: dt.date, venue_id: int | None) -> list[sa.ColumnElement]:
    begin, finish = utc_bounds(start, end)
    where = [Redemption.redeemed_at >= begin, Redemption.redeemed_at < finish]
    return where + ([Redemption.venue_id == venue_id] if venue_id is not None else [])


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
    """A range cut where the roll-ups end: closed days read from them, later days counted from the rows."""

    rolled: tuple[dt.date, dt.date] | None
    live: tuple[dt.date, dt.date] | None


def _split(start: dt.date, end: dt.date) -> _Split:
    through = rollups.roll_up(utcnow())
    if through is None or through < start:
        return _Split(None, (start, end))
    if through >= end:
        return _Split((start, end), None)
    return _Split((start, through), (through + dt.timedelta(days=1), end))


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
                                                 .where(*_redemptions(*split.live, venue_id))):
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
        redemptions += db.session.scalar(sa.select(sa.func.count()).where(*_redemptions(*split.live, venue_id)))
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
        .where(*_redemptions(*split.live, venue_id)).group_by(Redemption.measure_id, day))
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
        .where(*_redemptions(*split.live, None)).group_by(Redemption.venue_id))
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
        .where(*_redemptions(*split.live, venue_id)).group_by(Redemption.measure_id))
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


EXPORT_BATCH = 2000
# The last line of an export that failed after its first line was sent (the answer's status with it): the file itself
# must say it is not whole, and a spreadsheet shows it as the last row.
INCOMPLETE_LINE = "导出未完成：读取记录时出错，以上不是全部记录，请稍后重新导出\r\n"


def export_redemptions(start: dt.date, end: dt.date, actor: str, venue_id: int | None = None) -> Iterator[str]:
    """CSV text (UTF-8 with BOM, for Excel) of every redemption in the range, at one venue or all, personal data
    masked, written as it is read in chunks of EXPORT_BATCH rows. Everything that can be refused is checked and the
    query built before the first line, and the export is audited then as started (its rows are on their way to the
    person from that moment); a failure while the rows are read ends the file with INCOMPLETE_LINE and is logged."""
    query = _export_query(start, end, venue_id)
    scope = {} if venue_id is None else {"venue_id": venue_id}
    audit.record(actor, "export.redemptions", "report", None, start=start.isoformat(), end=end.isoformat(), **scope)
    db.session.commit()
    lines = _ended_visibly(csv_lines(EXPORT_HEADER, _redemption_rows(query)), f"{start}..{end}")
    return iter(lambda: "".join(islice(lines, EXPORT_BATCH)), "")


def _ended_visibly(lines: Iterator[str], what: str) -> Iterator[str]:
    """The lines; after a failure, those already read and INCOMPLETE_LINE instead of a torn-off file."""
    written = 0
    try:
        for line in lines:
            yield line
            written += 1
    except Exception as failure:  # after the first line nothing can change the status: the file says it instead
        # The class only: a driver's message could quote the rows' personal data.
        current_app.logger.error("redemption export %s ended after %d rows: %s", what, max(written - 1, 0),
                                 type(failure).__name__)
        with suppress(Exception):  # the connection may have gone with the failure; the request's end discards it
            db.session.rollback()
        yield INCOMPLETE_LINE


def _export_query(start: dt.date, end: dt.date, venue_id: int | None) -> sa.Select:
    # Core rows with the time and the benefit's summary formatted by the database, in the order of ix_redemptions_at
    # (id last, as SQLite's rowid): read in index order, never sorted.
    return (sa.select(Redemption.id, beijing_seconds(Redemption.redeemed_at), Redemption.measure_id,
                      Redemption.venue_id, Subject.kind, Subject.name, Subject.id_masked,
                      Redemption.benefit["summary"].as_string())
            .join(Subject, Redemption.subject_id == Subject.id).where(*_redemptions(start, end, venue_id))
            .order_by(Redemption.redeemed_at, Redemption.venue_id, Redemption.subject_id, Redemption.id))


def _redemption_rows(query: sa.Select) -> Iterator[list]:
    # Streamed (a server-side cursor on PostgreSQL), with the few measures and venues looked up in Python: the
    # export's cost is per row, and a province-year has millions of rows.
    measures = {measure_id: (SCENARIOS[scenario], code, title) for measure_id, scenario, code, title in
                db.session.execute(sa.select(Measure.id, Measure.scenario, Measure.code, Measure.title))}
    venues = dict(db.session.execute(sa.select(Venue.id, Venue.name)).all())
    # Per statement: Connection.execution_options would stream every later statement on the connection too.
    rows = db.session.connection().execute(query.execution_options(yield_per=EXPORT_BATCH))
    for (redemption_id, redeemed_at, measure_id, venue, kind, name, id_masked, summary) in rows:
        yield [redemption_id, redeemed_at, *measures[measure_id], venues[venue], KIND_NAMES[kind],
               mask_name(kind, name), id_masked, summary or ""]
