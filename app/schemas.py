"""Marshmallow schemas shared by the API blueprints; they also generate the OpenAPI description."""
from marshmallow import INCLUDE, Schema, fields, validate

from app.models import SUBJECT_KINDS, utcnow
from app.services import cases, evidence
from app.services.identity import mask_name
from app.services.measures import SCENARIOS


class ErrorDetailSchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    fields = fields.Dict(keys=fields.String())


class ErrorSchema(Schema):
    """The one error body of every endpoint (API.md)."""

    error = fields.Nested(ErrorDetailSchema, required=True)


class HealthSchema(Schema):
    status = fields.String()


class RefSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class MeasureSchema(Schema):
    """A measure as API.md describes it; `benefit` is the structured benefit, tiers included."""

    id = fields.Integer()
    code = fields.String()
    title = fields.String()
    scenario = fields.String()
    scenario_name = fields.Function(lambda measure: SCENARIOS[measure.scenario])
    provider = fields.Nested(RefSchema)
    lead_department = fields.Function(lambda m: m.lead_department.name if m.lead_department else None)
    kinds = fields.List(fields.String())
    categories = fields.List(fields.String(), attribute="category_codes")
    min_grade = fields.String(allow_none=True)
    benefit = fields.Dict()
    description = fields.String()
    valid_from = fields.Date()
    valid_to = fields.Date(allow_none=True)
    status = fields.String()


class MeasureListSchema(Schema):
    items = fields.List(fields.Nested(MeasureSchema))


class MeasureQuerySchema(Schema):
    scenario = fields.String(metadata={"description": f"场景代码（{', '.join(SCENARIOS)}）或中文名（信易行…）"})
    kind = fields.String(validate=validate.OneOf(SUBJECT_KINDS))


class CategorySchema(Schema):
    code = fields.String()
    name = fields.String()
    kind = fields.String()
    department = fields.Function(lambda category: category.department.name)
    department_code = fields.Function(lambda category: category.department.code)


class CategoryListSchema(Schema):
    items = fields.List(fields.Nested(CategorySchema))


class PageQuerySchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))


class SubjectSchema(Schema):
    """A subject as its owner or staff may see it: masked name and ID number."""

    id = fields.Integer()
    kind = fields.String()
    name_masked = fields.Function(lambda subject: mask_name(subject.kind, subject.name))
    id_number_masked = fields.String(attribute="id_masked")
    grade = fields.String(allow_none=True)


class CategoryRefSchema(Schema):
    code = fields.String()
    name = fields.String()


class EntrySchema(Schema):
    id = fields.Integer()
    category = fields.Nested(CategoryRefSchema)
    recognized_on = fields.Date()
    expires_on = fields.Date()
    status = fields.String(metadata={"description": "active, expired, suspended, revoked or under_objection"})
    status_before_objection = fields.String(metadata={"description": "what decides eligibility while under objection"})
    status_reason = fields.String(allow_none=True)


class MeSchema(Schema):
    subject = fields.Nested(SubjectSchema)
    listed = fields.Boolean()
    refusal = fields.String(allow_none=True, metadata={"description": "why the subject may not use incentives now"})
    entries = fields.List(fields.Nested(EntrySchema))
    measures = fields.List(fields.Nested(MeasureSchema), metadata={"description": "benefit already worked out"})


class LoginSchema(Schema):
    """`provider` plus that provider's own fields (dev: kind, name, id_number or uscc; gov: code)."""

    class Meta:
        unknown = INCLUDE

    provider = fields.String(required=True)


class TokenSchema(Schema):
    """What every login answers: a bearer token for one audience and its absolute lifetime in seconds."""

    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()


class CitizenLoginResultSchema(TokenSchema):
    subject = fields.Nested(SubjectSchema)


class QrCodeSchema(Schema):
    token = fields.String()
    expires_at = fields.DateTime()
    ttl = fields.Integer()
    refresh_in = fields.Integer()


class RedemptionItemSchema(Schema):
    id = fields.Integer()
    measure = fields.Function(lambda r: {"id": r.measure.id, "title": r.measure.title, "code": r.measure.code})
    venue = fields.Nested(RefSchema)
    redeemed_at = fields.DateTime()
    benefit = fields.Dict()


class RedemptionPageSchema(Schema):
    items = fields.List(fields.Nested(RedemptionItemSchema))
    next = fields.Integer(allow_none=True)


class CredentialsSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=80))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))


class VenueSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    scenario = fields.String()


class StaffSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()


class StaffLoginResultSchema(TokenSchema):
    staff = fields.Nested(StaffSchema)
    venue = fields.Nested(VenueSchema)


class ScanSubjectSchema(Schema):
    """What counter staff may see of a subject: enough to match the person, nothing more."""

    kind = fields.String()
    name_masked = fields.Function(lambda subject: mask_name(subject.kind, subject.name))
    grade = fields.String(allow_none=True)


class OfferSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    title = fields.String()
    benefit = fields.Dict()


class VerifyRequestSchema(Schema):
    token = fields.String(required=True, validate=validate.Length(max=512))
    device = fields.String(load_default="", validate=validate.Length(max=80))


class VerifyResultSchema(Schema):
    valid = fields.Boolean()
    reason = fields.String(allow_none=True)
    attempt_id = fields.Integer()
    subject = fields.Nested(ScanSubjectSchema, allow_none=True)
    measures = fields.List(fields.Nested(OfferSchema))
    token_expires_at = fields.DateTime(allow_none=True)


class RedeemRequestSchema(Schema):
    token = fields.String(required=True, validate=validate.Length(max=512))
    measure_id = fields.Integer(required=True, strict=True)
    idempotency_key = fields.String(validate=validate.Length(min=8, max=80),
                                    metadata={"description": "or the Idempotency-Key header"})
    device = fields.String(load_default="", validate=validate.Length(max=80))


class RedemptionSchema(Schema):
    id = fields.Integer()
    measure_id = fields.Integer()
    benefit = fields.Dict()
    redeemed_at = fields.DateTime()


class RedeemResultSchema(Schema):
    redemption = fields.Nested(RedemptionSchema)


class AttemptSchema(Schema):
    id = fields.Integer()
    action = fields.String()
    at = fields.DateTime()
    valid = fields.Boolean()
    reason = fields.String(allow_none=True)
    staff_id = fields.Integer()
    device = fields.String()
    measure_id = fields.Integer(allow_none=True)
    subject = fields.Nested(ScanSubjectSchema, allow_none=True)


class AttemptPageSchema(Schema):
    items = fields.List(fields.Nested(AttemptSchema))
    next = fields.Integer(allow_none=True)


class CaseEventSchema(Schema):
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    actor = fields.Function(lambda event: event.actor.split(":")[0])
    note = fields.String(allow_none=True)
    at = fields.DateTime()


class EvidenceSchema(Schema):
    id = fields.Integer()
    original_name = fields.String(data_key="filename")
    content_type = fields.String()
    size = fields.Integer()


def _history(case_type: str) -> fields.Function:
    return fields.Function(lambda case: CaseEventSchema(many=True).dump(cases.history(case_type, case.id)))


def _evidence(case_type: str) -> fields.Function:
    return fields.Function(lambda case: EvidenceSchema(many=True).dump(evidence.for_case(case_type, case.id)))


def _overdue() -> fields.Function:
    return fields.Function(lambda case: cases.is_overdue(case, utcnow()))


class ObjectionSchema(Schema):
    id = fields.Integer()
    type = fields.String()
    status = fields.String()
    entry_id = fields.Integer(allow_none=True)
    attempt_id = fields.Integer(allow_none=True)
    statement = fields.String()
    decision_reason = fields.String(allow_none=True)
    created_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    due_at = fields.DateTime()
    overdue = _overdue()
    history = _history("objection")
    evidence = _evidence("objection")


class ComplaintSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    content = fields.String()
    status = fields.String()
    venue_id = fields.Integer(allow_none=True)
    measure_id = fields.Integer(allow_none=True)
    redemption_id = fields.Integer(allow_none=True)
    reply = fields.String(allow_none=True)
    replied_at = fields.DateTime(allow_none=True)
    rating = fields.Integer(allow_none=True)
    rating_comment = fields.String(allow_none=True)
    created_at = fields.DateTime()
    due_at = fields.DateTime()
    overdue = _overdue()
    history = _history("complaint")
    evidence = _evidence("complaint")


class ReviewObjectionSchema(ObjectionSchema):
    """A reviewer's view: the subject, masked."""

    subject = fields.Nested(SubjectSchema)


class ReviewComplaintSchema(ComplaintSchema):
    subject = fields.Nested(SubjectSchema)
    assignee_id = fields.Integer(allow_none=True)


class ObjectionListSchema(Schema):
    items = fields.List(fields.Nested(ObjectionSchema))


class ComplaintListSchema(Schema):
    items = fields.List(fields.Nested(ComplaintSchema))


class ReviewObjectionPageSchema(Schema):
    items = fields.List(fields.Nested(ReviewObjectionSchema))
    next = fields.Integer(allow_none=True)


class ReviewComplaintPageSchema(Schema):
    items = fields.List(fields.Nested(ReviewComplaintSchema))
    next = fields.Integer(allow_none=True)


class ReviewQuerySchema(PageQuerySchema):
    status = fields.String()
    overdue = fields.Boolean(load_default=False)


class RatingSchema(Schema):
    score = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    comment = fields.String(validate=validate.Length(max=500))


class DecisionSchema(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(("upheld", "rejected")))
    reason = fields.String(validate=validate.Length(max=2000))
    correction = fields.Dict(metadata={"description": "补录/更正：{category, recognized_on}"})
    withdraw_record_ids = fields.List(fields.Integer(strict=True), metadata={
        "description": "异议成立时撤销的严重失信记录；缺省时“被错误暂停”类撤销条目暂停所依据的记录"})


class DishonestyRecordSchema(Schema):
    id = fields.Integer()
    recorded_on = fields.Date()
    authority = fields.String()
    summary = fields.String()


class UpheldEffectsSchema(Schema):
    """What upholding would do: the records withdrawn, those still blocking, whether the code works afterwards."""

    withdraws = fields.List(fields.Nested(DishonestyRecordSchema))
    still_blocked_by = fields.List(fields.Nested(DishonestyRecordSchema))
    restores_eligibility = fields.Boolean()


class ReplySchema(Schema):
    reply = fields.String(required=True)


class AssignSchema(Schema):
    assignee_id = fields.Integer(required=True, strict=True)


class MessageSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    body = fields.String()
    case_type = fields.String(allow_none=True)
    case_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)


class MessagePageSchema(Schema):
    items = fields.List(fields.Nested(MessageSchema))
    next = fields.Integer(allow_none=True)
    unread = fields.Integer()


class AdminSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    role = fields.String()


class AdminLoginResultSchema(TokenSchema):
    admin = fields.Nested(AdminSchema)
