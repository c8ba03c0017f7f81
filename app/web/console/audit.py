"""The audit log as sentences, filtered by who, what and when."""
from flask import render_template, request, url_for

from app.api.admin.schemas import AuditQuerySchema
from app.domain.roles import ROLE_AUDIENCE
from app.http.bodies import load
from app.services import accounts, actors, audit
from app.web.console.access import requires
from app.web.console.audit_text import link, sentence

ACTION_GROUPS = {"measure.": "激励措施", "entry.": "名单条目", "dishonesty.": "失信记录", "import.": "导入",
                 "export.": "导出", "objection.": "名单异议", "complaint.": "投诉建议", "account.": "账号",
                 "venue.": "实施单位", "admin.login": "登录管理后台", "redemption.": "柜台核销",
                 "retention.": "清除过期记录"}


@requires("admin")
def audit_log():
    args = load(AuditQuerySchema(), {name: value for name, value in request.args.items() if value})
    found = audit.events(args.get("actor"), args.get("action"), args["since"], args["until"], args["page"])
    next_url = url_for("console.audit_log", **(request.args.to_dict() | {"page": found.next})) if found.next else None
    who = actors.names(event.actor for event in found.items)
    rows = [(event, who[event.actor], sentence(event), link(event)) for event in found.items]
    people = [(f"{ROLE_AUDIENCE[account.role]}:{account.id}", f"{account.display_name} ({account.username})")
              for account in accounts.all_accounts()]
    return render_template("console/audit.html", rows=rows, next_url=next_url, args=request.args, people=people,
                           groups=ACTION_GROUPS)
