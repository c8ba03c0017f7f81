"""Schemas of the citizen API: login, 身份核对, the code, history, and the bodies of objections and complaints."""
from marshmallow import INCLUDE, Schema, fields, validate

from app.api.public.schemas import MeasureSchema
from app.http.case_schemas import ComplaintSchema, ObjectionSchema
from app.http.schemas import Instant, RefSchema, SubjectSchema, TokenSchema, page_of
from app.services.identity_providers import PROVIDER_NAMES


class CategoryRefSchema(Schema):
    code = fields.String()
    name = fields.String()


class EntrySchema(Schema):
    id = fields.Integer()
    category = fields.Nested(CategoryRefSchema)
    recognized_on = fields.Date()
    expires_on = fields.Date()
    status = fields.String(metadata={"description": "active, expired, suspended, revoked or under_objection"})
    status_before_objection = fields.String(allow_none=True,
                                            metadata={"description": "what decides eligibility while under objection"})
    status_reason = fields.String(allow_none=True)


class MeSchema(Schema):
    subject = fields.Nested(SubjectSchema)
    listed = fields.Boolean()
    refusal = fields.String(allow_none=True, metadata={"description": "why the subject may not use incentives now"})
    entries = fields.List(fields.Nested(EntrySchema))
    measures = fields.List(fields.Nested(MeasureSchema), metadata={"description": "benefit already worked out"})


class LoginSchema(Schema):
    """`provider` plus that provider's own fields: dev — kind, name, id_number (or uscc); gov — code."""

    class Meta:
        unknown = INCLUDE

    provider = fields.String(required=True, validate=validate.OneOf(PROVIDER_NAMES),
                             metadata={"description": "dev：开发环境实名表单（DEV_LOGIN=1 时）；gov：政务平台授权码"})
    kind = fields.String(validate=validate.OneOf(("person", "enterprise", "个人", "企业")),
                         metadata={"description": "dev：主体类型"})
    name = fields.String(validate=validate.Length(max=200), metadata={"description": "dev：姓名或企业名称"})
    id_number = fields.String(validate=validate.Length(max=40), metadata={"description": "dev：居民身份证号码"})
    uscc = fields.String(validate=validate.Length(max=40), metadata={"description": "dev：统一社会信用代码"})
    code = fields.String(validate=validate.Length(max=512), metadata={"description": "gov：一次性授权码"})


class CitizenLoginResultSchema(TokenSchema):
    subject = fields.Nested(SubjectSchema)


class QrCodeSchema(Schema):
    token = fields.String()
    expires_at = Instant()
    ttl = fields.Integer()
    refresh_in = fields.Integer()


class RedemptionItemSchema(Schema):
    id = fields.Integer()
    measure = fields.Function(lambda r: {"id": r.measure.id, "title": r.measure.title, "code": r.measure.code})
    venue = fields.Nested(RefSchema)
    redeemed_at = Instant()
    benefit = fields.Dict()


RedemptionPageSchema = page_of(RedemptionItemSchema, keyset=True)


class DeviceSessionSchema(Schema):
    """A device signed in as this citizen, in words derived from its browser at sign-in (never the raw identifier)."""

    id = fields.Integer()
    device = fields.String(allow_none=True, metadata={"example": "安卓手机 · Chrome"})
    signed_in_at = Instant(attribute="created_at")
    last_used_at = Instant()
    this_device = fields.Boolean(metadata={"description": "是否为发出本请求的设备"})


DeviceSessionListSchema = Schema.from_dict({"items": fields.List(fields.Nested(DeviceSessionSchema))},
                                           name="DeviceSessionList")


class ObjectionListSchema(Schema):
    items = fields.List(fields.Nested(ObjectionSchema))


class ComplaintListSchema(Schema):
    items = fields.List(fields.Nested(ComplaintSchema))


class MessageSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    body = fields.String()
    case_type = fields.String(allow_none=True)
    case_id = fields.Integer(allow_none=True)
    created_at = Instant()
    read_at = Instant(allow_none=True)


MessagePageSchema = page_of(MessageSchema, unread=fields.Integer())
