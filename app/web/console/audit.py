"""The audit log, filtered by who, what and when."""
import datetime as dt

from flask import render_template, request, url_for

from app.api.admin.schemas import AuditQuerySchema
from app.domain.dates import LOCAL_TZ
from app.http.bodies import load
from app.services import audit
from app.web.console.access import requires


def _day_start(day: dt.date | None) -> dt.datetime | None:
    return dt.datetime.combine(day, dt.time(), tzinfo=LOCAL_TZ) if day else None


@requires("admin")
def audit_log():
    args = load(AuditQuerySchema(), {name: value for name, value in request.args.items() if value})
    end = args.get("end")
    found = audit.events(args.get("actor"), args.get("action"), _day_start(args.get("start")),
                         _day_start(end + dt.timedelta(days=1)) if end else None, args["page"])
    next_url = url_for("console.audit_log", **(request.args.to_dict() | {"page": found.next})) if found.next else None
    return render_template("console/audit.html", items=found.items, next_url=next_url, args=request.args)
