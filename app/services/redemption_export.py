"""The redemption export (the feedback to the provincial platform): every redemption of a range as CSV, personal
data masked, streamed as it is read."""
import datetime as dt
from collections.abc import Iterator
from contextlib import suppress
from itertools import islice
from typing import Any

import sqlalchemy as sa
from flask import current_app

from app.db.days import beijing_seconds
from app.domain.identity import KIND_NAMES, mask_name
from app.domain.measures import SCENARIOS
from app.extensions import db
from app.models import Measure, Redemption, Subject, Venue
from app.services import audit
from app.services.rollups import utc_bounds
from app.services.spreadsheets import csv_lines

EXPORT_HEADER = ["核销编号", "核销时间", "场景", "激励措施编码", "激励措施", "实施单位", "主体类型", "主体名称（脱敏）",
                 "证件号码（脱敏）", "优惠内容"]

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


def _export_query(start: dt.date, end: dt.date, venue_id: int | None) -> sa.Select[Any]:
    # Core rows with the time and the benefit's summary formatted by the database, in the order of ix_redemptions_at
    # (id last, as SQLite's rowid): read in index order, never sorted.
    return (sa.select(Redemption.id, beijing_seconds(Redemption.redeemed_at), Redemption.measure_id,
                      Redemption.venue_id, Subject.kind, Subject.name, Subject.id_masked,
                      Redemption.benefit["summary"].as_string())
            .join(Subject, Redemption.subject_id == Subject.id).where(*in_range(start, end, venue_id))
            .order_by(Redemption.redeemed_at, Redemption.venue_id, Redemption.subject_id, Redemption.id))


def _redemption_rows(query: sa.Select[Any]) -> Iterator[list[Any]]:
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


def in_range(start: dt.date, end: dt.date, venue_id: int | None) -> list[sa.ColumnElement[bool]]:
    """The redemptions of Beijing days start..end, at one venue or all, as WHERE conditions."""
    begin, finish = utc_bounds(start, end)
    where = [Redemption.redeemed_at >= begin, Redemption.redeemed_at < finish]
    return where + ([Redemption.venue_id == venue_id] if venue_id is not None else [])
