"""The administrators' console (管理后台): server-rendered pages over the same services as the JSON API, one module per
area; this table is where each page and each form action is found."""
from flask import Blueprint, request

from app.http.auth import no_store as personal_data
from app.web.console import accounts, audit, cases, catalogue, dashboard, lists, measure_editor, scans, session
from app.web.console.access import console_nav, kept_form

bp = Blueprint("console", __name__, url_prefix="/admin", template_folder="templates", static_folder="static",
               static_url_path="/static")
bp.app_context_processor(lambda: {"console_nav": console_nav})
bp.context_processor(lambda: {"kept": kept_form()})

GET, POST, BOTH = ("GET",), ("POST",), ("GET", "POST")
ROUTES = (
    ("/login", "login", session.login, BOTH),
    ("/logout", "logout", session.logout, POST),
    ("/", "home", session.home, GET),
    ("/dashboard", "dashboard", dashboard.dashboard, GET),
    ("/export/redemptions.csv", "export_redemptions", dashboard.export_redemptions, GET),
    ("/objections", "objections", cases.objections_queue, GET),
    ("/objections/<id:objection_id>", "objection", cases.objection, GET),
    ("/objections/<id:objection_id>/review", "review_objection", cases.review_objection, POST),
    ("/objections/<id:objection_id>/decision", "decide_objection", cases.decide_objection, POST),
    ("/objections/<id:objection_id>/close", "close_objection", cases.close_objection, POST),
    ("/complaints", "complaints", cases.complaints_queue, GET),
    ("/complaints/<id:complaint_id>", "complaint", cases.complaint, GET),
    ("/complaints/<id:complaint_id>/assign", "assign_complaint", cases.assign_complaint, POST),
    ("/complaints/<id:complaint_id>/reply", "reply_complaint", cases.reply_complaint, POST),
    ("/complaints/<id:complaint_id>/close", "close_complaint", cases.close_complaint, POST),
    ("/<any(objection, complaint):case_type>/<id:case_id>/evidence/<id:evidence_id>", "evidence_file",
     cases.case_evidence, GET),
    ("/subjects", "subjects", lists.search, BOTH),
    ("/subjects/<id:subject_id>", "subject", lists.subject, GET),
    ("/subjects/<id:subject_id>/entries/<id:entry_id>/extend", "extend_entry", lists.extend_entry, POST),
    ("/subjects/<id:subject_id>/entries/<id:entry_id>/revoke", "revoke_entry", lists.revoke_entry, POST),
    ("/subjects/<id:subject_id>/dishonesty", "record_dishonesty", lists.record_dishonesty, POST),
    ("/subjects/<id:subject_id>/sessions/end", "end_sessions", lists.end_sessions, POST),
    ("/subjects/<id:subject_id>/dishonesty/<id:record_id>/repair", "repair_credit", lists.repair_credit, POST),
    ("/import", "import_page", lists.import_page, BOTH),
    ("/import/template.<any(csv, xlsx):fmt>", "import_template", lists.import_template, GET),
    ("/measures", "measure_list", catalogue.measure_list, GET),
    ("/measures/new", "measure_form", measure_editor.measure_form, BOTH),
    ("/measures/<id:measure_id>", "measure_form", measure_editor.measure_form, BOTH),
    ("/measures/preview", "preview_benefit", measure_editor.preview_benefit, POST),
    ("/measure-changes/<id:change_id>/approve", "approve_change", measure_editor.decide_change, POST,
     {"approve": True}),
    ("/measure-changes/<id:change_id>/reject", "reject_change", measure_editor.decide_change, POST,
     {"approve": False}),
    ("/measures/<id:measure_id>/approve", "approve_measure", catalogue.approve_measure, POST),
    ("/measures/<id:measure_id>/withdraw", "withdraw_measure", catalogue.withdraw_measure, POST),
    ("/venues", "venue_list", catalogue.venue_list, GET),
    ("/venues/new", "create_venue", catalogue.save_venue, POST),
    ("/venues/<id:venue_id>", "save_venue", catalogue.save_venue, POST),
    ("/accounts", "account_list", accounts.account_list, GET),
    ("/accounts/new", "create_account", accounts.create_account, POST),
    ("/accounts/<id:account_id>/enable", "enable_account", accounts.set_account_active, POST, {"active": True}),
    ("/accounts/<id:account_id>/disable", "disable_account", accounts.set_account_active, POST, {"active": False}),
    ("/accounts/<id:account_id>/password", "reset_password", accounts.reset_password, POST),
    ("/accounts/<id:account_id>/unlock", "unlock_account", accounts.unlock_account, POST),
    ("/scans", "scan_log", scans.scan_log_page, GET),
    ("/audit", "audit_log", audit.audit_log, GET),
)
for rule, endpoint, view, methods, *defaults in ROUTES:
    # No "defaults" option at all for a route without: a blueprint merges it into its own with dict(**defaults).
    bp.add_url_rule(rule, endpoint, view, methods=methods,
                    **({"defaults": defaults[0]} if defaults else {}))  # type: ignore[arg-type]  # typed one option


@bp.after_request
def no_store(response):
    """Console pages, evidence and exports name people: never kept by a browser or proxy (static files are, by name)."""
    return response if request.endpoint == "console.static" else personal_data(response)
