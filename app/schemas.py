"""Marshmallow schemas shared by the API blueprints; they also generate the OpenAPI description."""
from marshmallow import INCLUDE, Schema, fields, validate

from app.models import SUBJECT_KINDS
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


class CitizenLoginResultSchema(Schema):
    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()
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


class StaffLoginResultSchema(Schema):
    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()
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
