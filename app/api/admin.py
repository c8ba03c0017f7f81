"""Review API for the credit office (API.md, "Administrators"): objections and complaints."""
from flask import current_app, g
from flask_smorest import Blueprint

from app.api.auth import login_required, no_store, roles_required
from app.api.forms import evidence_file
from app.extensions import limiter
from app.models import Complaint, Objection, utcnow
from app.schemas import (AdminLoginResultSchema, AssignSchema, CredentialsSchema, DecisionSchema, ReplySchema,
                         ReviewComplaintPageSchema, ReviewComplaintSchema, ReviewObjectionPageSchema,
                         ReviewObjectionSchema, ReviewQuerySchema, UpheldEffectsSchema)
from app.services import cases, sessions
from app.services.dates import today

blp = Blueprint("admin", __name__, url_prefix="/api/v1/admin", description="管理端：异议与投诉审核")
blp.after_request(no_store)
reviewers = roles_required("admin", "reviewer")


@blp.route("/login", methods=["POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"])
@blp.arguments(CredentialsSchema)
@blp.response(200, AdminLoginResultSchema)
def login(credentials):
    """Administrators, reviewers and department reporters log in; the token works only on the admin API."""
    account, token, lifetime = sessions.login_account(credentials["username"], credentials["password"], "admin",
                                                      utcnow())
    return {"access_token": token, "token_type": "Bearer", "expires_in": lifetime, "admin": account}


@blp.route("/logout", methods=["POST"])
@login_required("admin")
@blp.response(204)
def logout():
    sessions.revoke(g.session, utcnow())


@blp.route("/objections")
@reviewers
@blp.arguments(ReviewQuerySchema, location="query", as_kwargs=True)
@blp.response(200, ReviewObjectionPageSchema)
def objections(page, overdue, status=None):
    """The objection queue, earliest deadline first; `overdue=1` keeps open cases past their deadline."""
    items, next_page = cases.review_queue(Objection, status, overdue, utcnow(), page)
    return {"items": items, "next": next_page}


@blp.route("/objections/<int:objection_id>")
@reviewers
@blp.response(200, ReviewObjectionSchema)
def objection(objection_id):
    return cases.get_objection(objection_id)


@blp.route("/objections/<int:objection_id>/review", methods=["POST"])
@reviewers
@blp.response(200, ReviewObjectionSchema)
def start_review(objection_id):
    """受理: submitted → under review."""
    return cases.start_review(objection_id, g.account.id)


@blp.route("/objections/<int:objection_id>/if-upheld")
@reviewers
@blp.response(200, UpheldEffectsSchema)
def if_upheld(objection_id):
    """Before deciding: the dishonesty records upholding would withdraw, and any that would still block."""
    return cases.upheld_effects(cases.get_objection(objection_id), today())


@blp.route("/objections/<int:objection_id>/decision", methods=["POST"])
@reviewers
@blp.arguments(DecisionSchema)
@blp.response(200, ReviewObjectionSchema)
def decide(body, objection_id):
    """Uphold (the list changes in the same transaction) or reject (reason required); a lost race is 409."""
    return cases.decide_objection(objection_id, body["outcome"], body.get("reason"), g.account.id, utcnow(),
                                  body.get("correction"), body.get("withdraw_record_ids"))


@blp.route("/objections/<int:objection_id>/close", methods=["POST"])
@reviewers
@blp.response(200, ReviewObjectionSchema)
def close_objection(objection_id):
    return cases.close_objection(objection_id, g.account.id)


@blp.route("/objections/<int:objection_id>/evidence/<int:evidence_id>")
@reviewers
def objection_evidence(objection_id, evidence_id):
    cases.get_objection(objection_id)
    return evidence_file("objection", objection_id, evidence_id)


@blp.route("/complaints")
@reviewers
@blp.arguments(ReviewQuerySchema, location="query", as_kwargs=True)
@blp.response(200, ReviewComplaintPageSchema)
def complaints(page, overdue, status=None):
    items, next_page = cases.review_queue(Complaint, status, overdue, utcnow(), page)
    return {"items": items, "next": next_page}


@blp.route("/complaints/<int:complaint_id>")
@reviewers
@blp.response(200, ReviewComplaintSchema)
def complaint(complaint_id):
    return cases.get_complaint(complaint_id)


@blp.route("/complaints/<int:complaint_id>/assign", methods=["POST"])
@reviewers
@blp.arguments(AssignSchema)
@blp.response(200, ReviewComplaintSchema)
def assign(body, complaint_id):
    return cases.assign_complaint(complaint_id, body["assignee_id"], g.account.id)


@blp.route("/complaints/<int:complaint_id>/reply", methods=["POST"])
@reviewers
@blp.arguments(ReplySchema)
@blp.response(200, ReviewComplaintSchema)
def reply(body, complaint_id):
    return cases.reply_complaint(complaint_id, body["reply"], g.account.id, utcnow())


@blp.route("/complaints/<int:complaint_id>/close", methods=["POST"])
@reviewers
@blp.response(200, ReviewComplaintSchema)
def close_complaint(complaint_id):
    return cases.close_complaint(complaint_id, g.account.id)


@blp.route("/complaints/<int:complaint_id>/evidence/<int:evidence_id>")
@reviewers
def complaint_evidence(complaint_id, evidence_id):
    cases.get_complaint(complaint_id)
    return evidence_file("complaint", complaint_id, evidence_id)
