"""The dashboard: redemptions by scenario and day, refusals by reason, cases by status; the redemption export."""
import datetime as dt
from typing import Any

from flask import Response, render_template, request, stream_with_context

from app.api.admin.schemas import DateRangeSchema
from app.domain.dates import utcnow
from app.domain.roles import REVIEWERS
from app.http.bodies import load
from app.services import stats
from app.web.console.access import current_actor, requires


def date_range() -> tuple[dt.date, dt.date]:
    """The range asked for in the query (the last 30 days by default), at most a year."""
    asked = load(DateRangeSchema(), {name: value for name, value in request.args.items() if value})
    return asked["start"], asked["end"]


def chart(series: dict[str, dict[dt.date, int]], width: int = 760, height: int = 220) -> dict[str, Any]:
    """Polyline points for an inline SVG chart: one line per scenario."""
    days = next(iter(series.values())).keys() if series else []
    peak = max([max(counts.values()) for counts in series.values()] + [1])
    step = width / max(len(days) - 1, 1)
    lines = [{"scenario": scenario, "total": sum(counts.values()),
              "points": " ".join(f"{index * step:.1f},{height - count / peak * height:.1f}"
                                 for index, count in enumerate(counts.values()))}
             for scenario, counts in series.items()]
    return {"lines": lines, "peak": peak, "width": width, "height": height,
            "first": min(days) if days else None, "last": max(days) if days else None}


@requires(*REVIEWERS)
def dashboard():
    start, end = date_range()
    return render_template("console/dashboard.html", start=start, end=end,
                           chart=chart(stats.redemptions_by_day(start, end)),
                           refusals=stats.refusals_by_reason(start, end), cases=stats.cases_by_status(utcnow()))


@requires(*REVIEWERS)
def export_redemptions():
    start, end = date_range()
    return Response(stream_with_context(stats.export_redemptions(start, end, current_actor())), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=redemptions-{start}-{end}.csv",
                             "Cache-Control": "no-store"})
