"""Citizen cases: objections to list status (名单异议), complaints and suggestions (投诉建议), evidence, inbox."""
from flask import g
from flask_smorest import Blueprint

from app.api.auth import login_required, no_store
from app.api.forms import body_and_uploads, evidence_file, optional_id
from app.models import utcnow
from app.schemas import (ComplaintListSchema, ComplaintSchema, MessagePageSchema, MessageSchema, ObjectionListSchema,
                         ObjectionSchema, PageQuerySchema, RatingSchema)
from app.services import cases

blp = Blueprint("citizen_cases", __name__, url_prefix="/api/v1",
                description="市民端：名单异议、投诉建议、证据材料、消息")
blp.after_request(no_store)
citizen_only = login_required("citizen")
MULTIPART_DOC = {"requestBody": {"content": {
    "application/json": {"schema": {"type": "object"}},
    "multipart/form-data": {"schema": {"type": "object", "properties": {
        "evidence": {"type": "array", "items": {"type": "string", "format": "binary"}}}}}}}}


@blp.route("/objections", methods=["POST"])
@citizen_only
@blp.doc(**MULTIPART_DOC)
@blp.response(201, ObjectionSchema)
def file_objection():
    """名单异议: `type`, `statement`, optional `entry_id` / `attempt_id`; JSON, or multipart with `evidence` files."""
    body, uploads = body_and_uploads()
    return cases.file_objection(g.session.subject_id, body.get("type"), body.get("statement"),
                                optional_id(body, "entry_id"), optional_id(body, "attempt_id"), uploads, utcnow())


@blp.route("/objections")
@citizen_only
@blp.response(200, ObjectionListSchema)
def my_objections():
    return {"items": cases.own_objections(g.session.subject_id)}


@blp.route("/objections/<int:objection_id>")
@citizen_only
@blp.response(200, ObjectionSchema)
def my_objection(objection_id):
    """One of the citizen's own objections with its history; anyone else's is 404."""
    return cases.own_objection(g.session.subject_id, objection_id)


@blp.route("/objections/<int:objection_id>/evidence/<int:evidence_id>")
@citizen_only
def my_objection_evidence(objection_id, evidence_id):
    cases.own_objection(g.session.subject_id, objection_id)
    return evidence_file("objection", objection_id, evidence_id)


@blp.route("/complaints", methods=["POST"])
@citizen_only
@blp.doc(**MULTIPART_DOC)
@blp.response(201, ComplaintSchema)
def file_complaint():
    """投诉建议: `kind`, `content`, optional `venue_id` / `measure_id` / `redemption_id`, evidence as for objections."""
    body, uploads = body_and_uploads()
    return cases.file_complaint(g.session.subject_id, body.get("kind"), body.get("content"),
                                optional_id(body, "venue_id"), optional_id(body, "measure_id"),
                                optional_id(body, "redemption_id"), uploads, utcnow())


@blp.route("/complaints")
@citizen_only
@blp.response(200, ComplaintListSchema)
def my_complaints():
    return {"items": cases.own_complaints(g.session.subject_id)}


@blp.route("/complaints/<int:complaint_id>")
@citizen_only
@blp.response(200, ComplaintSchema)
def my_complaint(complaint_id):
    return cases.own_complaint(g.session.subject_id, complaint_id)


@blp.route("/complaints/<int:complaint_id>/evidence/<int:evidence_id>")
@citizen_only
def my_complaint_evidence(complaint_id, evidence_id):
    cases.own_complaint(g.session.subject_id, complaint_id)
    return evidence_file("complaint", complaint_id, evidence_id)


@blp.route("/complaints/<int:complaint_id>/rating", methods=["POST"])
@citizen_only
@blp.arguments(RatingSchema)
@blp.response(200, ComplaintSchema)
def rate(body, complaint_id):
    """满意度评价 after the reply: 1–5 and an optional comment."""
    return cases.rate_complaint(g.session.subject_id, complaint_id, body["score"], body.get("comment"))


@blp.route("/me/messages")
@citizen_only
@blp.arguments(PageQuerySchema, location="query", as_kwargs=True)
@blp.response(200, MessagePageSchema)
def my_messages(page):
    """The inbox: a notice for every change of the citizen's cases, newest first."""
    items, next_page = cases.messages(g.session.subject_id, page)
    return {"items": items, "next": next_page, "unread": cases.unread_count(g.session.subject_id)}


@blp.route("/me/messages/<int:message_id>/read", methods=["POST"])
@citizen_only
@blp.response(200, MessageSchema)
def read_message(message_id):
    return cases.mark_read(g.session.subject_id, message_id, utcnow())
