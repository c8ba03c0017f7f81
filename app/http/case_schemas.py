"""Objections and complaints over HTTP: how a citizen files them (the citizen API and the citizen's pages alike), and
how they are shown, to their citizen and to reviewers; serialised from case views (history and evidence already
loaded, overdue already decided), so dumping runs no query and reads no clock."""
from marshmallow import Schema, fields, validate

from app.domain.cases import COMPLAINT_KINDS, OBJECTION_TYPES, RATING_COMMENT_LENGTH, RATING_RANGE, STATEMENT_LENGTH
from app.domain.roles import actor_kind
from app.http.schemas import Id, Instant, SubjectSchema, Text, page_of


class CaseEventSchema(Schema):
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    actor = fields.Function(lambda event: actor_kind(event.actor))
    note = fields.String(allow_none=True)
    at = Instant()


class EvidenceSchema(Schema):
    id = fields.Integer()
    original_name = fields.String(data_key="filename")
    content_type = fields.String()
    size = fields.Integer()


class CaseSchema(Schema):
    id = fields.Integer()
    status = fields.String()
    created_at = Instant()
    due_at = Instant()
    overdue = fields.Boolean()
    history = fields.List(fields.Nested(CaseEventSchema))
    evidence = fields.List(fields.Nested(EvidenceSchema))


class ObjectionSchema(CaseSchema):
    type = fields.String()
    entry_id = fields.Integer(allow_none=True)
    attempt_id = fields.Integer(allow_none=True)
    statement = fields.String()
    decision_reason = fields.String(allow_none=True)
    decided_at = Instant(allow_none=True)


class ComplaintSchema(CaseSchema):
    kind = fields.String()
    content = fields.String()
    venue_id = fields.Integer(allow_none=True)
    measure_id = fields.Integer(allow_none=True)
    redemption_id = fields.Integer(allow_none=True)
    reply = fields.String(allow_none=True)
    replied_at = Instant(allow_none=True)
    rating = fields.Integer(allow_none=True)
    rating_comment = fields.String(allow_none=True)


class ReviewObjectionSchema(ObjectionSchema):
    """A reviewer's view: the subject, masked."""

    subject = fields.Nested(SubjectSchema)


class ReviewComplaintSchema(ComplaintSchema):
    subject = fields.Nested(SubjectSchema)
    assignee_id = fields.Integer(allow_none=True)


ReviewObjectionPageSchema = page_of(ReviewObjectionSchema)
ReviewComplaintPageSchema = page_of(ReviewComplaintSchema)


class ObjectionFilingSchema(Schema):
    """名单异议 as JSON or multipart fields; evidence files come as multipart `evidence`."""

    type = fields.String(required=True, validate=validate.OneOf(OBJECTION_TYPES))
    statement = Text(*STATEMENT_LENGTH, required=True)
    entry_id = Id(allow_none=True)
    attempt_id = Id(allow_none=True)


class ComplaintFilingSchema(Schema):
    """投诉建议 as JSON or multipart fields."""

    kind = fields.String(required=True, validate=validate.OneOf(COMPLAINT_KINDS))
    content = Text(*STATEMENT_LENGTH, required=True)
    venue_id = Id(allow_none=True)
    measure_id = Id(allow_none=True)
    redemption_id = Id(allow_none=True)


class RatingSchema(Schema):
    score = fields.Integer(required=True, strict=True, validate=validate.Range(*RATING_RANGE))
    comment = Text(0, RATING_COMMENT_LENGTH)
