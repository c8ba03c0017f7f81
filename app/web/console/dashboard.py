"""The dashboard: overdue cases first, the range's totals (offline duplicates among them), redemptions by scenario
and day, per-venue and per-measure tables, refusals by reason; the redemption export. A partner unit's manager sees
the same for their unit only."""
import datetime as dt

from flask import Response, g, render_template, request, stream_with_context

from app.api.admin.schemas import DateRangeSchema
from app.domain.cases import COMPLAINT, OBJECTION
from app.domain.dates import utcnow
from app.domain.roles import REVIEWERS
from app.http.bodies import load
from app.models import Complaint, Objection
from app.services import case_log, offline, stats
from app.web.console.access import current_actor, requires, unit_of
from app.web.console.charts import stacked

OVERDUE_SHOWN = 10


def date_range() -> tuple[dt.date, dt.date]:
    """The range asked for in the query (the last 30 days by default), at most a year."""
    asked = load(DateRangeSchema(), {name: value for name, value in request.args.items() if value})
    return asked["start"], asked["end"]


@requires(*REVIEWERS, "manager")
def dashboard():
    (start, end), unit, now = date_range(), unit_of(g.account), utcnow()
    figures = {"totals": stats.totals(start, end, unit), "chart": stacked(stats.redemptions_by_day(start, end, unit)),
               "measures": stats.by_measure(start, end, unit), "refusals": stats.refusals_by_reason(start, end, unit),
               "duplicates": offline.duplicates(start, end, unit)}
    if unit is None:
        overdue = [("objection", case) for case in case_log.review_queue(
            OBJECTION, Objection, None, True, now, 1).items[:OVERDUE_SHOWN]]
        overdue += [("complaint", case) for case in case_log.review_queue(
            COMPLAINT, Complaint, None, True, now, 1).items[:OVERDUE_SHOWN]]
        figures |= {"venues": stats.by_venue(start, end), "cases": stats.cases_by_status(now),
                    "overdue": sorted(overdue, key=lambda item: item[1].due_at)[:OVERDUE_SHOWN]}
    return render_template("console/dashboard.html", start=start, end=end, unit=unit,
                           preparing=stats.preparing(start, end), **figures)


@requires(*REVIEWERS, "manager")
def export_redemptions():
    start, end = date_range()
    lines = stats.export_redemptions(start, end, current_actor(), unit_of(g.account))
    return Response(stream_with_context(lines), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=redemptions-{start}-{end}.csv"})
