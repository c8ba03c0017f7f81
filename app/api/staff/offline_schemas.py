"""Schemas of the counters' offline endpoints: the bundle, and the upload of decisions made offline."""
from marshmallow import Schema, fields, validate, validates_schema

from app.api.staff.schemas import ScannedString, VenueSchema
from app.domain.refusals import REASON_CODES
from app.errors import DomainError
from app.http.schemas import FIRST_DAY, LAST_DAY, Id, Instant
from app.models.scanning import DEVICE_LENGTH, DUPLICATE_OFFLINE, IDEMPOTENCY_KEY_LENGTH, SCAN_ACTIONS
from app.services.offline import MAX_ITEMS
from app.services.qrcodes import MAX_TOKEN_LENGTH

MAX_VERSION = 2 ** 53 - 1  # what a JSON number holds exactly


class BundleQuerySchema(Schema):
    since = fields.Integer(load_default=None, validate=validate.Range(min=0, max=MAX_VERSION), metadata={
        "description": "上次取得的数据包 version：只返回此后变化的拒绝名单（增量）；无法按增量提供时返回完整数据包"})


class SigningKeySchema(Schema):
    key_id = fields.Integer(metadata={"description": "码中的 key_id：公钥 SHA-256 的第一个字节"})
    public_key = fields.String(metadata={"description": "Ed25519 公钥，32 字节，base64url（无填充）"})


class SealKeySchema(Schema):
    day = fields.Integer(metadata={"description": "北京日期距 1970-01-01 的天数；码中 seal_day 为其模 256"})
    key = fields.String(metadata={"description": "当日 AES-128 密钥，16 字节，base64url（无填充）"})


class BundleMeasureSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    title = fields.String()
    kinds = fields.List(fields.String(), metadata={"description": "person（码中 1）、enterprise（码中 2）"})
    category_ids = fields.List(fields.Integer(), metadata={"description": "适用的名单类别 id；空表示所有类别"})
    min_grade = fields.String(allow_none=True)
    valid_from = fields.Date()
    valid_to = fields.Date(allow_none=True)
    benefits = fields.Dict(keys=fields.String(), values=fields.Dict(), metadata={
        "description": "各信用等级（D…AAA）及无等级（键为空字符串）的优惠内容，已由服务器算好"})


class DenyGroupSchema(Schema):
    reason = fields.String(metadata={"description": "与在线核验相同的原因代码"})
    until = Instant(metadata={"description": "这些批次最晚结束的整点；此后可删除"})
    tags = fields.List(fields.String(), metadata={"description": "批次标签（码中 batch_tag 的 16 位十六进制）"})


class BundleSchema(Schema):
    """What a counter needs to decide alone (docs/offline-codes.md, "The counter bundle")."""

    format = fields.Integer()
    version = fields.Integer(metadata={"description": "生成时服务器时钟（毫秒），只增不减；下次以 since 传回"})
    full = fields.Boolean(metadata={"description": "true：完整数据包，替换拒绝名单；false：增量"})
    server_time = Instant()
    max_age_seconds = fields.Integer(metadata={"description": "数据包可用于离线核验的最长时间"})
    ttl = fields.Integer()
    leeway = fields.Integer()
    venue = fields.Nested(VenueSchema)
    signing_keys = fields.List(fields.Nested(SigningKeySchema))
    seal_keys = fields.List(fields.Nested(SealKeySchema))
    measures = fields.List(fields.Nested(BundleMeasureSchema))
    deny = fields.List(fields.Nested(DenyGroupSchema))
    lifted = fields.List(fields.String(), metadata={"description": "增量中不再拒绝的批次标签"})


class DecidedAt(fields.AwareDateTime):
    """When the counter decided: an instant with its offset, on a day the programme can have (2000 … 2099; another is
    well-formed but refused, 422 date_out_of_range, like every day in a request)."""

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        if not FIRST_DAY <= moment.date() <= LAST_DAY:
            raise DomainError("date_out_of_range", "日期超出范围",
                              fields={self.data_key or self.name or attr: f"应在 {FIRST_DAY} 至 {LAST_DAY} 之间"})
        return moment


class OfflineItemSchema(Schema):
    idempotency_key = fields.String(required=True, validate=validate.Length(*IDEMPOTENCY_KEY_LENGTH))
    token = ScannedString(required=True, validate=validate.Length(max=MAX_TOKEN_LENGTH))
    action = fields.String(required=True, validate=validate.OneOf(SCAN_ACTIONS))
    measure_id = Id(load_default=None, allow_none=True, strict=True, metadata={"description": "核销（redeem）时必填"})
    decided_at = DecidedAt(required=True, metadata={"description": "柜台作出决定的时间（按上次同步的服务器时间）"})
    device = fields.String(load_default="", validate=validate.Length(max=DEVICE_LENGTH))
    valid = fields.Boolean(required=True, metadata={"description": "柜台离线时是否通过"})
    reason = fields.String(load_default=None, allow_none=True,
                           validate=validate.OneOf([code for code in REASON_CODES if code != DUPLICATE_OFFLINE]),
                           metadata={"description": "未通过时柜台给出的原因代码（必填）"})


class OfflineUploadSchema(Schema):
    items = fields.List(fields.Nested(OfflineItemSchema), required=True,
                        validate=validate.Length(min=1, max=MAX_ITEMS))

    @validates_schema
    def _complete(self, body, **kwargs):
        """What one field requires of another, which the description cannot say: refused as 422, not malformed."""
        missing = {}
        for index, item in enumerate(body["items"]):
            if item["action"] == "redeem" and item["measure_id"] is None:
                missing[f"items.{index}.measure_id"] = "核销须给出 measure_id"
            if not item["valid"] and item["reason"] is None:
                missing[f"items.{index}.reason"] = "未通过的决定须给出原因代码"
        if missing:
            raise DomainError("offline_item_incomplete", "离线记录不完整：核销须给出措施，未通过须给出原因",
                              fields=missing)


class OfflineOutcomeSchema(Schema):
    idempotency_key = fields.String()
    outcome = fields.String(metadata={"description": (
        "recorded：已记入扫码记录（通过的已确认、未通过的照记）；duplicate_offline：该码已在其他柜台更早核销；"
        "原因代码：服务器不确认这次通过（已记为未通过）；idempotency_key_reused：该幂等键已用于另一次决定")})


class OfflineResultSchema(Schema):
    items = fields.List(fields.Nested(OfflineOutcomeSchema))
