"""Schemas of the citizen API: login, 身份核对, the codes, history, and the bodies of objections and complaints."""
from marshmallow import INCLUDE, Schema, fields, validate

from app.api.public.schemas import MeasureSchema
from app.domain.codes import DEFAULT_BATCH_HOURS, MAX_BATCH_HOURS
from app.errors import DomainError
from app.http.case_schemas import ComplaintSchema, ObjectionSchema
from app.http.schemas import Instant, RefSchema, SubjectSchema, TokenSchema, page_of
from app.services.identity_providers import PROVIDER_NAMES
from app.services.wechat_client import PROVIDER as WECHAT


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


class ProofSchema(Schema):
    """A real-name provider and its own fields: dev — kind, name, id_number (or uscc); gov — code."""

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


class LoginSchema(ProofSchema):
    """`provider` plus that provider's own fields: dev — kind, name, id_number (or uscc); gov — code; wechat — code
    and, the first time, `proof`."""

    provider = fields.String(required=True, validate=validate.OneOf((*PROVIDER_NAMES, WECHAT)),
                             metadata={"description": "dev：开发环境实名表单（DEV_LOGIN=1 时）；gov：政务平台授权码；"
                                                      "wechat：小程序 wx.login 的 code（一键登录）"})
    code = fields.String(validate=validate.Length(max=512),
                         metadata={"description": "gov：一次性授权码；wechat：wx.login 得到的 code（一次有效）"})
    proof = fields.Nested(ProofSchema, metadata={
        "description": "wechat 首次登录时的实名核验（dev 或 gov 的登录字段）：核验通过后这个微信绑定到该身份，"
                       "以后只需 code。没有它而微信未绑定时回答 401 wechat_not_bound"})


class CitizenLoginResultSchema(TokenSchema):
    subject = fields.Nested(SubjectSchema)


class QrCodeSchema(Schema):
    token = fields.String(metadata={"description": "格式 1 身份码（docs/offline-codes.md），以 QR 字母数字模式生成"})
    expires_at = Instant()
    ttl = fields.Integer()
    refresh_in = fields.Integer()


def _hours_in_range(hours: int) -> None:
    """Hours out of range is a refusal of a well-formed request (422), as a day out of range is."""
    if not 1 <= hours <= MAX_BATCH_HOURS:
        raise DomainError("hours_out_of_range", "小时数超出范围", fields={"hours": f"应在 1 至 {MAX_BATCH_HOURS} 之间"})


class CodesQuerySchema(Schema):
    hours = fields.Integer(load_default=DEFAULT_BATCH_HOURS, validate=_hours_in_range,
                           metadata={"description": f"覆盖多少小时（1–{MAX_BATCH_HOURS}，默认 {DEFAULT_BATCH_HOURS}）",
                                     "minimum": 1, "maximum": MAX_BATCH_HOURS})


class WindowCodeSchema(Schema):
    token = fields.String()
    not_before = Instant()
    expires_at = Instant()


class CodesSchema(Schema):
    """A batch of codes for showing offline: one per consecutive window of QR_TTL_SECONDS, in order."""

    codes = fields.List(fields.Nested(WindowCodeSchema))
    valid_until = Instant(metadata={"description": "本批次到期时刻（不晚于所依据名单条目的有效期）"})


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
