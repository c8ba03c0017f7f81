"""Programme statistics for the dashboards, and the redemption export (the feedback to the provincial platform).

Everything is counted by the database, grouped by Beijing calendar day in SQL; no statistic loads rows into Python.
"""
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa

from app.db.days import beijing_day
from app.domain.cases import COMPLAINT, OBJECTION, OPEN_STATES
from app.domain.dates import LOCAL_TZ
from app.domain.identity import KIND_NAMES, mask_name
from app.domain.measures import SCENARIOS
from app.extensions import db
from app.models import Complaint, Measure, Objection, Redemption, ScanAttempt, Subject, Venue
from app.services import audit
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


def _utc_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Beijing calendar days start..end (inclusive) as a half-open UTC interval."""
    begin = dt.datetime.combine(start, dt.time(), tzinfo=LOCAL_TZ)
    finish = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=LOCAL_TZ)
    return begin.astimezone(dt.UTC), finish.astimezone(dt.UTC)


def _redemptions(start: dt.date, end: dt.date, venue_id: int | None) -> list[sa.ColumnElement]:
    begin, finish = _utc_bounds(start, end)
    where = [Redemption.redeemed_at >= begin, Redemption.redeemed_at < finish]
    return where + ([Redemption.venue_id == venue_id] if venue_id is not None else [])


def _attempts(start: dt.date, end: dt.date, venue_id: int | None) -> list[sa.ColumnElement]:
    begin, finish = _utc_bounds(start, end)
    where = [ScanAttempt.at >= begin, ScanAttempt.at < finish]
    return where + ([ScanAttempt.venue_id == venue_id] if venue_id is not None else [])


_REFUSED = sa.func.coalesce(sa.func.sum(sa.case((ScanAttempt.valid.is_(False), 1), else_=0)), 0)


def totals(start: dt.date, end: dt.date, venue_id: int | None = None) -> Totals:
    """Redemptions, distinct citizens, attempts and refusals over Beijing days start..end, at one venue or all."""
    redemptions, citizens = db.session.execute(
        sa.select(sa.func.count(), sa.func.count(sa.distinct(Redemption.subject_id)))
        .where(*_redemptions(start, end, venue_id))).one()
    attempts, refusals = db.session.execute(
        sa.select(sa.func.count(), _REFUSED).where(*_attempts(start, end, venue_id))).one()
    return Totals(redemptions, citizens, attempts, int(refusals), refusals / attempts if attempts else None)


def redemptions_by_day(start: dt.date, end: dt.date, venue_id: int | None = None) -> dict[str, dict[dt.date, int]]:
    """{scenario: {Beijing day: count}} for every day of the range (zeros included), scenarios sorted."""
    day = beijing_day(Redemption.redeemed_at)
    rows = db.session.execute(
        sa.select(Measure.scenario, day, sa.func.count()).join(Measure, Redemption.measure_id == Measure.id)
        .where(*_redemptions(start, end, venue_id)).group_by(Measure.scenario, day))
    days = [start + dt.timedelta(days=offset) for offset in range((end - start).days + 1)]
    counts: dict[str, dict[dt.date, int]] = {}
    for scenario, on, count in rows:
        counts.setdefault(scenario, dict.fromkeys(days, 0))[on] = count
    return dict(sorted(counts.items()))


def by_venue(start: dt.date, end: dt.date) -> list[VenueRow]:
    """Every venue with any scan or redemption in the range, busiest first."""
    served = {venue_id: (count, citizens) for venue_id, count, citizens in db.session.execute(
        sa.select(Redemption.venue_id, sa.func.count(), sa.func.count(sa.distinct(Redemption.subject_id)))
        .where(*_redemptions(start, end, None)).group_by(Redemption.venue_id))}
    refused = dict(db.session.execute(sa.select(ScanAttempt.venue_id, _REFUSED)
                                      .where(*_attempts(start, end, None)).group_by(ScanAttempt.venue_id)).all())
    names = dict(db.session.execute(sa.select(Venue.id, Venue.name).where(Venue.id.in_(served.keys() | refused.keys())))
                 .all())
    rows = [VenueRow(venue_id, names[venue_id], *served.get(venue_id, (0, 0)), int(refused.get(venue_id, 0)))
            for venue_id in names]
    return sorted(rows, key=lambda row: (-row.redemptions, row.name))


def by_measure(start: dt.date, end: dt.date, venue_id: int | None = None) -> list[MeasureRow]:
    """Every measure redeemed in the range with its count, most redeemed first."""
    count = sa.func.count().label("redemptions")
    rows = db.session.execute(
        sa.select(Measure.id, Measure.code, Measure.title, Measure.scenario, count)
        .join(Redemption, Redemption.measure_id == Measure.id).where(*_redemptions(start, end, venue_id))
        .group_by(Measure.id, Measure.code, Measure.title, Measure.scenario).order_by(count.desc(), Measure.code))
    return [MeasureRow(*row) for row in rows]


def refusals_by_reason(start: dt.date, end: dt.date, venue_id: int | None = None) -> list[tuple[str, int]]:
    """[(reason code, count)] of the refused attempts in the range, most frequent first."""
    count = sa.func.count()
    return [(reason, number) for reason, number in db.session.execute(
        sa.select(ScanAttempt.reason, count).where(ScanAttempt.valid.is_(False), *_attempts(start, end, venue_id))
        .group_by(ScanAttempt.reason).order_by(count.desc(), ScanAttempt.reason))]


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


def export_redemptions(start: dt.date, end: dt.date, actor: str, venue_id: int | None = None) -> Iterator[str]:
    """CSV lines (UTF-8 with BOM, for Excel) of every redemption in the range, at one venue or all, personal data
    masked, written as they are read; the export is audited before the first line."""
    scope = {} if venue_id is None else {"venue_id": venue_id}
    audit.record(actor, "export.redemptions", "report", None, start=start.isoformat(), end=end.isoformat(), **scope)
    db.session.commit()
    return csv_lines(EXPORT_HEADER, _redemption_rows(start, end, venue_id))


def _redemption_rows(start: dt.date, end: dt.date, venue_id: int | None) -> Iterator[list]:
    rows = db.session.execute(
        sa.select(Redemption.id, Redemption.redeemed_at, Redemption.benefit, Measure.scenario, Measure.code,
                  Measure.title, Venue.name, Subject.kind, Subject.name, Subject.id_masked)
        .join(Measure, Redemption.measure_id == Measure.id).join(Venue, Redemption.venue_id == Venue.id)
        .join(Subject, Redemption.subject_id == Subject.id).where(*_redemptions(start, end, venue_id))
        .order_by(Redemption.redeemed_at, Redemption.id).execution_options(yield_per=EXPORT_BATCH))
    for (redemption_id, redeemed_at, benefit, scenario, code, title, venue, kind, name, id_masked) in rows:
        yield [redemption_id, redeemed_at.astimezone(LOCAL_TZ).isoformat(timespec="seconds"), SCENARIOS[scenario], code,
               title, venue, KIND_NAMES[kind], mask_name(kind, name), id_masked, benefit.get("summary", "")]
