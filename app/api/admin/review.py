"""Review of objections and complaints over JSON: the queues, the case, and each step of its handling."""
from flask import g
from flask_smorest import Blueprint

from app.api.admin.schemas import AssignSchema, DecisionSchema, ReplySchema, ReviewQuerySchema, UpheldEffectsSchema
from app.domain.cases import COMPLAINT, OBJECTION
from app.domain.dates import today, utcnow
from app.domain.roles import REVIEWERS
from app.http.auth import login_required, no_store
from app.http.bodies import evidence_file
from app.http.case_schemas import (
    ReviewComplaintPageSchema,
    ReviewComplaintSchema,
    ReviewObjectionPageSchema,
    ReviewObjectionSchema,
)
from app.models import Complaint, Objection
from app.services import case_log, complaints, objections
from app.services.objections import Correction

blp = Blueprint("admin_review", __name__, url_prefix="/api/v1/admin", description="管理端：异议与投诉审核")
blp.after_request(no_store)
reviewers = login_required("admin", REVIEWERS)


@blp.route("/objections")
@reviewers
@blp.arguments(ReviewQuerySchema, location="query", as_kwargs=True)
@blp.response(200, ReviewObjectionPageSchema)
def objection_queue(page, overdue, status=None):
    """The objection queue, earliest deadline first; `overdue=1` keeps open cases past their deadline."""
    return case_log.review_queue(OBJECTION, Objection, status, overdue, utcnow(), page)


@blp.route("/objections/<id:objection_id>")
@reviewers
@blp.response(200, ReviewObjectionSchema)
def objection(objection_id):
    return case_log.view(OBJECTION, objections.get_objection(objection_id), utcnow())


@blp.route("/objections/<id:objection_id>/review", methods=["POST"])
@reviewers
@blp.response(200, ReviewObjectionSchema)
def start_review(objection_id):
    """受理: submitted → under review."""
    return case_log.view(OBJECTION, objections.start_review(objection_id, g.account.id), utcnow())


@blp.route("/objections/<id:objection_id>/if-upheld")
@reviewers
@blp.response(200, UpheldEffectsSchema)
def if_upheld(objection_id):
    """Before deciding: the dishonesty records upholding would withdraw, and any that would still block."""
    return objections.upheld_effects(objections.get_objection(objection_id), today())


@blp.route("/objections/<id:objection_id>/decision", methods=["POST"])
@reviewers
@blp.arguments(DecisionSchema)
@blp.response(200, ReviewObjectionSchema)
def decide(body, objection_id):
    """Uphold (the list changes in the same transaction) or reject (reason required); a lost race is 409."""
    correction = Correction(**body["correction"]) if body.get("correction") else None
    decided = objections.decide_objection(objection_id, body["outcome"], body.get("reason"), g.account.id, utcnow(),
                                          correction, body.get("withdraw_record_ids"))
    return case_log.view(OBJECTION, decided, utcnow())


@blp.route("/objections/<id:objection_id>/close", methods=["POST"])
@reviewers
@blp.response(200, ReviewObjectionSchema)
def close_objection(objection_id):
    return case_log.view(OBJECTION, objections.close_objection(objection_id, g.account.id), utcnow())


@blp.route("/objections/<id:objection_id>/evidence/<id:evidence_id>")
@reviewers
def objection_evidence(objection_id, evidence_id):
    objections.get_objection(objection_id)
    return evidence_file(OBJECTION, objection_id, evidence_id)


@blp.route("/complaints")
@reviewers
@blp.arguments(ReviewQuerySchema, location="query", as_kwargs=True)
@blp.response(200, ReviewComplaintPageSchema)
def complaint_queue(page, overdue, status=None):
    return case_log.review_queue(COMPLAINT, Complaint, status, overdue, utcnow(), page)


@blp.route("/complaints/<id:complaint_id>")
@reviewers
@blp.response(200, ReviewComplaintSchema)
def complaint(complaint_id):
    return case_log.view(COMPLAINT, complaints.get_complaint(complaint_id), utcnow())


@blp.route("/complaints/<id:complaint_id>/assign", methods=["POST"])
@reviewers
@blp.arguments(AssignSchema)
@blp.response(200, ReviewComplaintSchema)
def assign(body, complaint_id):
    return case_log.view(COMPLAINT, complaints.assign_complaint(complaint_id, body["assignee_id"], g.account.id),
                         utcnow())


@blp.route("/complaints/<id:complaint_id>/reply", methods=["POST"])
@reviewers
@blp.arguments(ReplySchema)
@blp.response(200, ReviewComplaintSchema)
def reply(body, complaint_id):
    return case_log.view(COMPLAINT, complaints.reply_complaint(complaint_id, body["reply"], g.account.id, utcnow()),
                         utcnow())


@blp.route("/complaints/<id:complaint_id>/close", methods=["POST"])
@reviewers
@blp.response(200, ReviewComplaintSchema)
def close_complaint(complaint_id):
    return case_log.view(COMPLAINT, complaints.close_complaint(complaint_id, g.account.id), utcnow())


@blp.route("/complaints/<id:complaint_id>/evidence/<id:evidence_id>")
@reviewers
def complaint_evidence(complaint_id, evidence_id):
    complaints.get_complaint(complaint_id)
    return evidence_file(COMPLAINT, complaint_id, evidence_id)
