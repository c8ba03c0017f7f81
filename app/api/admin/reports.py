"""What the dashboard shows, the redemption export and the audit log, over JSON (and CSV)."""
from flask import Response, stream_with_context
from flask_smorest import Blueprint

from app.api.admin.schemas import AuditPageSchema, AuditQuerySchema, DateRangeSchema, StatsSchema
from app.domain.dates import utcnow
from app.domain.measures import SCENARIOS
from app.domain.refusals import label
from app.domain.roles import REVIEWERS
from app.http.auth import current_actor, login_required, no_store
from app.http.errors import error_response
from app.services import audit, stats
from app.services.spreadsheets import CSV_MIMETYPE

blp = Blueprint("admin_reports", __name__, url_prefix="/api/v1/admin", description="管理端：统计、导出与审计日志")
blp.after_request(no_store)
reviewers = login_required("admin", REVIEWERS)
PREPARING_RETRY_AFTER_SECONDS = 30  # each request rolls up another slice of the waiting days


@blp.route("/stats")
@reviewers
@blp.arguments(DateRangeSchema, location="query")
@blp.response(200, StatsSchema)
def statistics(days):
    """Redemptions by scenario and day, refusals by reason, cases by status with their overdue counts."""
    start, end = days["start"], days["end"]
    series = stats.redemptions_by_day(start, end)
    waiting = stats.preparing(start, end)
    if waiting:  # figures without those days would pass for whole ones: ask the client to come back instead
        response = error_response(503, "service_unavailable",
                                  f"{waiting[0]} 至 {waiting[1]} 的统计正在准备中，请稍后重试")
        response.headers["Retry-After"] = str(PREPARING_RETRY_AFTER_SECONDS)
        return response
    return {"start": start, "end": end,
            "redemptions": [{"scenario": scenario, "scenario_name": SCENARIOS[scenario], "total": sum(counts.values()),
                             "days": [{"date": day, "count": count} for day, count in counts.items()]}
                            for scenario, counts in series.items()],
            "refusals": [{"reason": reason, "label": label(reason), "count": count}
                         for reason, count in stats.refusals_by_reason(start, end)],
            "cases": {kind: [{"status": status, "count": count, "overdue": late} for status, count, late in rows]
                      for kind, rows in stats.cases_by_status(utcnow()).items()}}


@blp.route("/export/redemptions.csv")
@reviewers
@blp.arguments(DateRangeSchema, location="query")
@blp.response(200, {"type": "string", "format": "binary"}, content_type=CSV_MIMETYPE)
def export(days):
    """Every redemption of the range as CSV for Excel, personal data masked, streamed as it is read; audited."""
    start, end = days["start"], days["end"]
    return Response(stream_with_context(stats.export_redemptions(start, end, current_actor())), mimetype=CSV_MIMETYPE,
                    headers={"Content-Disposition": f"attachment; filename=redemptions-{start}-{end}.csv"})


@blp.route("/audit")
@login_required("admin", ("admin",))
@blp.arguments(AuditQuerySchema, location="query", as_kwargs=True)
@blp.response(200, AuditPageSchema)
def audit_log(page, since, until, after, actor=None, action=None):
    """The append-only log, newest first, by who (`admin:1`), what (a prefix: `entry.`) and when (Beijing days);
    `after` continues below the previous page."""
    return audit.events(actor, action, since, until, page, after)
