"""The citizen's pages (/m/): the mini-program's pages as a mobile web app on the same services as the citizen API,
for 粤省事/粤商通/WeChat H5 embedding and every platform without a mini-program. This table is where each page is."""
from flask import Blueprint, request
from flask_wtf.csrf import CSRFError

from app.web.citizen import cases, offline, pages, preferences, session, wechat
from app.web.citizen.access import csrf_refused, page_context

bp = Blueprint("citizen", __name__, url_prefix="/m", template_folder="templates", static_folder="static",
               static_url_path="/static")
bp.context_processor(page_context)
bp.register_error_handler(CSRFError, csrf_refused)

GET, POST, BOTH = ("GET",), ("POST",), ("GET", "POST")
ROUTES = (
    ("/login", "login", session.login, BOTH),
    ("/login/gov", "gov_start", session.gov_start, GET),
    ("/login/gov/return", "gov_return", session.gov_return, GET),
    ("/logout", "logout", session.logout, POST),
    ("/logout/others", "end_other_devices", session.end_other_devices, POST),
    ("/wechat/unbind", "unbind_wechat", wechat.unbind, POST),
    ("/elder", "elder_mode", preferences.elder_mode, POST),
    ("/", "home", pages.home, GET),
    ("/code", "code", pages.code, GET),
    ("/code/fresh", "fresh_code", pages.fresh_code, GET),
    ("/code/status", "code_status", pages.code_status, POST),
    ("/code/batch", "code_batch", offline.code_batch, GET),
    ("/code/shell", "code_shell", offline.code_shell, GET),
    ("/offline", "needs_network", offline.needs_network, GET),
    ("/sw.js", "service_worker", offline.service_worker, GET),
    ("/measures", "measures", pages.measures, GET),
    ("/redemptions", "redemptions", pages.redemptions, GET),
    ("/cases", "cases", cases.cases, GET),
    ("/objections/new", "new_objection", cases.new_objection, BOTH),
    ("/objections/<id:objection_id>", "objection", cases.objection, GET),
    ("/complaints/new", "new_complaint", cases.new_complaint, BOTH),
    ("/complaints/<id:complaint_id>", "complaint", cases.complaint, GET),
    ("/complaints/<id:complaint_id>/rating", "rate_complaint", cases.rate_complaint, POST),
    ("/<any(objection, complaint):case_type>/<id:case_id>/evidence/<id:evidence_id>", "case_evidence",
     cases.case_evidence, GET),
    ("/messages", "messages", cases.messages, GET),
)
for rule, endpoint, view, methods in ROUTES:
    bp.add_url_rule(rule, endpoint, view, methods=methods)


@bp.after_request
def no_store(response):
    """Every citizen page holds personal data: never cached by the browser or a proxy (static files are, by name)."""
    if request.endpoint != "citizen.static":
        response.headers["Cache-Control"] = "no-store"
    return response
