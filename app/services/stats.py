"""Programme statistics for the dashboard, and the redemption export (the feedback to the provincial platform)."""
import datetime as dt
from collections import defaultdict
from collections.abc import Iterator

import sqlalchemy as sa

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


def _utc_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Beijing calendar days start..end (inclusive) as a half-open UTC interval."""
    begin = dt.datetime.combine(start, dt.time(), tzinfo=LOCAL_TZ)
    finish = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=LOCAL_TZ)
    return begin.astimezone(dt.UTC), finish.astimezone(dt.UTC)


def redemptions_by_day(start: dt.date, end: dt.date) -> dict[str, dict[dt.date, int]]:
    """{scenario: {Beijing day: count}} for every day of the range (zeros included)."""
    begin, finish = _utc_bounds(start, end)
    rows = db.session.execute(sa.select(Measure.scenario, Redemption.redeemed_at).join(Measure)
                              .where(Redemption.redeemed_at >= begin, Redemption.redeemed_at < finish))
    days = [start + dt.timedelta(days=offset) for offset in range((end - start).days + 1)]
    counts: dict[str, dict[dt.date, int]] = defaultdict(lambda: dict.fromkeys(days, 0))
    for scenario, redeemed_at in rows:
        counts[scenario][redeemed_at.astimezone(LOCAL_TZ).date()] += 1
    return dict(sorted(counts.items()))


def refusals_by_reason(start: dt.date, end: dt.date) -> list[tuple[str, int]]:
    begin, finish = _utc_bounds(start, end)
    return db.session.execute(
        sa.select(ScanAttempt.reason, sa.func.count()).where(ScanAttempt.valid.is_(False), ScanAttempt.at >= begin,
                                                             ScanAttempt.at < finish)
        .group_by(ScanAttempt.reason).order_by(sa.func.count().desc())).all()


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


def export_redemptions(start: dt.date, end: dt.date, actor: str) -> Iterator[str]:
    """CSV lines (UTF-8 with BOM, for Excel) of every redemption in the range, personal data masked, written as they
    are read; the export is audited before the first line."""
    audit.record(actor, "export.redemptions", "report", None, start=start.isoformat(), end=end.isoformat())
    db.session.commit()
    return csv_lines(EXPORT_HEADER, _redemption_rows(start, end))


def _redemption_rows(start: dt.date, end: dt.date) -> Iterator[list]:
    begin, finish = _utc_bounds(start, end)
    rows = db.session.execute(
        sa.select(Redemption.id, Redemption.redeemed_at, Redemption.benefit, Measure.scenario, Measure.code,
                  Measure.title, Venue.name, Subject.kind, Subject.name, Subject.id_masked)
        .join(Measure, Redemption.measure_id == Measure.id).join(Venue, Redemption.venue_id == Venue.id)
        .join(Subject, Redemption.subject_id == Subject.id)
        .where(Redemption.redeemed_at >= begin, Redemption.redeemed_at < finish)
        .order_by(Redemption.redeemed_at, Redemption.id).execution_options(yield_per=EXPORT_BATCH))
    for (redemption_id, redeemed_at, benefit, scenario, code, title, venue, kind, name, id_masked) in rows:
        yield [redemption_id, redeemed_at.astimezone(LOCAL_TZ).isoformat(timespec="seconds"), SCENARIOS[scenario], code,
               title, venue, KIND_NAMES[kind], mask_name(kind, name), id_masked, benefit.get("summary", "")]
