"""Schemas of the administration API: review bodies and answers; the console's forms load through the same ones."""
from marshmallow import Schema, fields, post_load, validate

from app.domain.cases import OUTCOMES, REASON_LENGTH, REPLY_LENGTH
from app.domain.dates import today
from app.domain.grades import GRADES
from app.domain.identity import SUBJECT_KINDS
from app.domain.measures import SCENARIOS
from app.domain.roles import ROLES
from app.http.schemas import PageQuerySchema, Text, TokenSchema
from app.services.accounts import MIN_PASSWORD_LENGTH


class AdminSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    role = fields.String()


class AdminLoginResultSchema(TokenSchema):
    admin = fields.Nested(AdminSchema)


class ReviewQuerySchema(PageQuerySchema):
    status = fields.String()
    overdue = fields.Boolean(load_default=False)


class CorrectionSchema(Schema):
    """补录/更正: the category and recognition date an upheld objection writes into the list."""

    category = fields.String(required=True, validate=validate.Length(min=1, max=40))
    recognized_on = fields.Date(required=True)


class DecisionSchema(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    reason = Text(*REASON_LENGTH, metadata={"description": "不成立时必填"})
    correction = fields.Nested(CorrectionSchema, metadata={"description": "补录/更正：{category, recognized_on}"})
    withdraw_record_ids = fields.List(fields.Integer(strict=True), metadata={
        "description": "异议成立时撤销的严重失信记录；缺省时“被错误暂停”类撤销条目暂停所依据的记录"})


class ReplySchema(Schema):
    reply = Text(*REPLY_LENGTH, required=True)


class AssignSchema(Schema):
    assignee_id = fields.Integer(required=True)


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


class DecisionFormSchema(DecisionSchema):
    """The console's decision form: the correction's two fields side by side with the rest."""

    class Meta:
        exclude = ("correction",)

    correction_category = fields.String(validate=validate.Length(max=40))
    correction_recognized_on = fields.Date()

    @post_load
    def nest_correction(self, data, **_):
        category, recognized_on = data.pop("correction_category", None), data.pop("correction_recognized_on", None)
        if category and recognized_on:
            data["correction"] = {"category": category, "recognized_on": recognized_on}
        return data


class ReasonSchema(Schema):
    """Every change to the list is made with its reason."""

    reason = Text(1, 500, required=True)


class EntryExtensionSchema(ReasonSchema):
    expires_on = fields.Date(required=True)


class DishonestyInputSchema(Schema):
    recorded_on = fields.Date(required=True)
    authority = Text(1, 200, required=True)
    summary = Text(0, 2000, load_default="")


class ImportKindSchema(Schema):
    kind = fields.String(load_default="list", validate=validate.OneOf(("list", "dishonesty")))


class MeasureTermsSchema(Schema):
    """What an edit of a measure may change."""

    title = Text(1, 200, required=True)
    description = Text(0, 4000, load_default="")
    benefit = fields.Dict(required=True)
    min_grade = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(GRADES))
    category_codes = fields.List(fields.String(), data_key="categories", load_default=list)
    valid_to = fields.Date(allow_none=True, load_default=None)


class MeasureApplicationSchema(MeasureTermsSchema):
    """A new measure: the terms, and who offers it to whom from when."""

    code = Text(1, 40, required=True)
    scenario = fields.String(required=True, validate=validate.OneOf(SCENARIOS))
    provider_id = fields.Integer(required=True)
    kinds = fields.List(fields.String(validate=validate.OneOf(SUBJECT_KINDS)), required=True,
                        validate=validate.Length(min=1))
    valid_from = fields.Date(load_default=today)


class VenueInputSchema(Schema):
    code = Text(1, 40, required=True)
    name = Text(1, 200, required=True)
    scenario = fields.String(required=True, validate=validate.OneOf(SCENARIOS))
    address = Text(0, 255, load_default="")


class AccountInputSchema(Schema):
    username = Text(1, 80, required=True)
    password = fields.String(required=True, validate=validate.Length(min=MIN_PASSWORD_LENGTH, max=200))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    display_name = Text(0, 120, load_default="")
    venue_id = fields.Integer(allow_none=True, load_default=None)
    department_id = fields.Integer(allow_none=True, load_default=None)


class DateRangeSchema(Schema):
    """Beijing calendar days, both included; at most a year."""

    start = fields.Date()
    end = fields.Date()


class AuditQuerySchema(PageQuerySchema):
    actor = fields.String(validate=validate.Length(max=80))
    action = fields.String(validate=validate.Length(max=60))
    start = fields.Date()
    end = fields.Date()
