"""The audit log, filtered by who, what and when."""

from flask import render_template, request, url_for

from app.api.admin.schemas import AuditQuerySchema
from app.http.bodies import load
from app.services import audit
from app.web.console.access import requires


@requires("admin")
def audit_log():
    args = load(AuditQuerySchema(), {name: value for name, value in request.args.items() if value})
    found = audit.events(args.get("actor"), args.get("action"), args["since"], args["until"], args["page"])
    next_url = url_for("console.audit_log", **(request.args.to_dict() | {"page": found.next})) if found.next else None
    return render_template("console/audit.html", items=found.items, next_url=next_url, args=request.args)
