"""Citizen cases: objections to list status (名单异议), complaints and suggestions (投诉建议), evidence, inbox."""
from flask import g
from flask_smorest import Blueprint

from app.domain.cases import COMPLAINT, OBJECTION
from app.domain.dates import utcnow
from app.http.auth import login_required, no_store
from app.http.bodies import evidence_file, load_with_uploads
from app.http.case_schemas import (
    ComplaintFilingSchema,
    ComplaintSchema,
    ObjectionFilingSchema,
    ObjectionSchema,
    RatingSchema,
)
from app.http.schemas import PageQuerySchema
from app.models import Complaint, Objection
from app.services import case_log, complaints, objections
from miniprogram_api.schemas import ComplaintListSchema, MessagePageSchema, MessageSchema, ObjectionListSchema

blp = Blueprint("citizen_cases", __name__, url_prefix="/api/v1",
                description="市民端：名单异议、投诉建议、证据材料、消息")
blp.after_request(no_store)
citizen_only = login_required("citizen")


def _body_doc(schema) -> dict:
    """A body that comes as JSON, or as multipart fields with `evidence` files (up to five)."""
    multipart = {"allOf": [schema, {"type": "object", "properties": {
        "evidence": {"type": "array", "items": {"type": "string", "format": "binary"}}}}]}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema},
                                                          "multipart/form-data": {"schema": multipart}}}}


@blp.route("/objections", methods=["POST"])
@citizen_only
@blp.doc(**_body_doc(ObjectionFilingSchema))
@blp.response(201, ObjectionSchema)
def file_objection():
    """名单异议: `type`, `statement`, optional `entry_id` / `attempt_id`; JSON, or multipart with `evidence` files."""
    body, uploads = load_with_uploads(ObjectionFilingSchema())
    filed = objections.file_objection(g.session.subject_id, body["type"], body["statement"], body.get("entry_id"),
                                      body.get("attempt_id"), uploads, utcnow())
    return case_log.view(OBJECTION, filed, utcnow())


@blp.route("/objections")
@citizen_only
@blp.response(200, ObjectionListSchema)
def my_objections():
    return {"items": case_log.own_cases(OBJECTION, Objection, g.session.subject_id, utcnow())}


@blp.route("/objections/<id:objection_id>")
@citizen_only
@blp.response(200, ObjectionSchema)
def my_objection(objection_id):
    """One of the citizen's own objections with its history; anyone else's is 404."""
    return case_log.view(OBJECTION, objections.own_objection(g.session.subject_id, objection_id), utcnow())


@blp.route("/objections/<id:objection_id>/evidence/<id:evidence_id>")
@citizen_only
def my_objection_evidence(objection_id, evidence_id):
    objections.own_objection(g.session.subject_id, objection_id)
    return evidence_file(OBJECTION, objection_id, evidence_id)


@blp.route("/complaints", methods=["POST"])
@citizen_only
@blp.doc(**_body_doc(ComplaintFilingSchema))
@blp.response(201, ComplaintSchema)
def file_complaint():
    """投诉建议: `kind`, `content`, optional `venue_id` / `measure_id` / `redemption_id`, evidence as for objections."""
    body, uploads = load_with_uploads(ComplaintFilingSchema())
    filed = complaints.file_complaint(g.session.subject_id, body["kind"], body["content"], body.get("venue_id"),
                                      body.get("measure_id"), body.get("redemption_id"), uploads, utcnow())
    return case_log.view(COMPLAINT, filed, utcnow())


@blp.route("/complaints")
@citizen_only
@blp.response(200, ComplaintListSchema)
def my_complaints():
    return {"items": case_log.own_cases(COMPLAINT, Complaint, g.session.subject_id, utcnow())}


@blp.route("/complaints/<id:complaint_id>")
@citizen_only
@blp.response(200, ComplaintSchema)
def my_complaint(complaint_id):
    return case_log.view(COMPLAINT, complaints.own_complaint(g.session.subject_id, complaint_id), utcnow())


@blp.route("/complaints/<id:complaint_id>/evidence/<id:evidence_id>")
@citizen_only
def my_complaint_evidence(complaint_id, evidence_id):
    complaints.own_complaint(g.session.subject_id, complaint_id)
    return evidence_file(COMPLAINT, complaint_id, evidence_id)


@blp.route("/complaints/<id:complaint_id>/rating", methods=["POST"])
@citizen_only
@blp.arguments(RatingSchema)
@blp.response(200, ComplaintSchema)
def rate(body, complaint_id):
    """满意度评价 after the reply: 1–5 and an optional comment."""
    rated = complaints.rate_complaint(g.session.subject_id, complaint_id, body["score"], body.get("comment"))
    return case_log.view(COMPLAINT, rated, utcnow())


@blp.route("/me/messages")
@citizen_only
@blp.arguments(PageQuerySchema, location="query", as_kwargs=True)
@blp.response(200, MessagePageSchema)
def my_messages(page):
    """The inbox: a notice for every change of the citizen's cases, newest first."""
    found = case_log.messages(g.session.subject_id, page)
    return {"items": found.items, "next": found.next, "unread": case_log.unread_count(g.session.subject_id)}


@blp.route("/me/messages/<id:message_id>/read", methods=["POST"])
@citizen_only
@blp.response(200, MessageSchema)
def read_message(message_id):
    return case_log.mark_read(g.session.subject_id, message_id, utcnow())
