"""Schemas of the counter staff API; the limits come from the rules they guard."""
from marshmallow import Schema, fields, validate

from app.domain.identity import mask_name
from app.http.schemas import Id, Instant, TokenSchema, page_of
from app.models.scanning import DEVICE_LENGTH, IDEMPOTENCY_KEY_LENGTH
from app.services.qrcodes import MAX_TOKEN_LENGTH


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


class ScannedString(fields.Field):
    """Whatever a scanner decoded, NUL and lone surrogates included: it is only compared with the code's shape and
    never stored, so verify answers 200 `token_malformed` for it (API.md) where a stored text would be refused."""

    default_error_messages = {"invalid": "应为文本"}

    def __init__(self, **kwargs) -> None:
        super().__init__(metadata={"type": "string"}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise self.make_error("invalid")
        return value


class VerifyRequestSchema(Schema):
    token = ScannedString(required=True, validate=validate.Length(max=MAX_TOKEN_LENGTH))
    device = fields.String(load_default="", validate=validate.Length(max=DEVICE_LENGTH))


class VerifyResultSchema(Schema):
    valid = fields.Boolean()
    reason = fields.String(allow_none=True)
    attempt_id = fields.Integer()
    subject = fields.Nested(ScanSubjectSchema, allow_none=True)
    measures = fields.List(fields.Nested(OfferSchema))
    token_expires_at = Instant(allow_none=True)


class RedeemRequestSchema(Schema):
    token = fields.String(required=True, validate=validate.Length(max=MAX_TOKEN_LENGTH))
    measure_id = Id(required=True, strict=True)
    idempotency_key = fields.String(validate=validate.Length(*IDEMPOTENCY_KEY_LENGTH),
                                    metadata={"description": "or the Idempotency-Key header"})
    device = fields.String(load_default="", validate=validate.Length(max=DEVICE_LENGTH))


class RedemptionSchema(Schema):
    id = fields.Integer()
    measure_id = fields.Integer()
    benefit = fields.Dict()
    redeemed_at = Instant()


class RedeemResultSchema(Schema):
    redemption = fields.Nested(RedemptionSchema)


class MeasureRefSchema(Schema):
    id = fields.Integer()
    title = fields.String()


class AttemptSchema(Schema):
    """One attempt at this venue: who scanned on which device, what for, and how it ended."""

    id = fields.Integer()
    action = fields.String()
    at = Instant()
    valid = fields.Boolean()
    reason = fields.String(allow_none=True)
    staff_id = fields.Integer()
    staff = fields.Nested(StaffSchema)
    device = fields.String()
    measure_id = fields.Integer(allow_none=True)
    measure = fields.Nested(MeasureRefSchema, allow_none=True)
    subject = fields.Nested(ScanSubjectSchema, allow_none=True)


AttemptPageSchema = page_of(AttemptSchema, keyset=True)


class IdempotencyHeaderSchema(Schema):
    """The idempotency key may come as a header instead of in the body."""

    class Meta:
        unknown = "exclude"

    idempotency_key = fields.String(data_key="Idempotency-Key", validate=validate.Length(*IDEMPOTENCY_KEY_LENGTH))
