"""Schemas of the administration API: review bodies and answers; the console's forms load through the same ones."""
import datetime as dt

from marshmallow import Schema, fields, post_load, validate

from app.api.public.schemas import MeasureSchema
from app.domain.cases import OUTCOMES, REASON_LENGTH, REPLY_LENGTH
from app.domain.dates import LOCAL_TZ, today
from app.domain.grades import GRADES
from app.domain.identity import SUBJECT_KINDS
from app.domain.measures import SCENARIOS
from app.domain.roles import ROLES
from app.errors import DomainError
from app.http.schemas import (
    Day,
    Id,
    Instant,
    KeysetQuerySchema,
    PageQuerySchema,
    RefSchema,
    SubjectSchema,
    Text,
    TokenSchema,
    page_of,
)
from app.services.accounts import MIN_PASSWORD_LENGTH

DEFAULT_RANGE_DAYS = 30
MAX_RANGE_DAYS = 366


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
    recognized_on = Day(required=True)


class DecisionSchema(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    reason = Text(*REASON_LENGTH, metadata={"description": "不成立时必填"})
    correction = fields.Nested(CorrectionSchema, metadata={"description": "补录/更正：{category, recognized_on}"})
    withdraw_record_ids = fields.List(Id(strict=True), metadata={
        "description": "异议成立时撤销的严重失信记录；缺省时“被错误暂停”类撤销条目暂停所依据的记录"})


class ReplySchema(Schema):
    reply = Text(*REPLY_LENGTH, required=True)


class AssignSchema(Schema):
    assignee_id = Id(required=True)


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
    correction_recognized_on = Day()

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
    expires_on = Day(required=True)


class DishonestyInputSchema(Schema):
    recorded_on = Day(required=True)
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
    valid_to = Day(allow_none=True, load_default=None)


class MeasureApplicationSchema(MeasureTermsSchema):
    """A new measure: the terms, and who offers it to whom from when."""

    code = Text(1, 40, required=True)
    scenario = fields.String(required=True, validate=validate.OneOf(SCENARIOS))
    provider_id = Id(required=True)
    kinds = fields.List(fields.String(validate=validate.OneOf(SUBJECT_KINDS)), required=True,
                        validate=validate.Length(min=1))
    valid_from = Day(load_default=today)


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
    venue_id = Id(allow_none=True, load_default=None)
    department_id = Id(allow_none=True, load_default=None)


class DateRangeSchema(Schema):
    """Beijing calendar days, both included, at most a year; the last 30 days by default."""

    start = Day(metadata={"description": "起始日（含），默认为结束日前 29 天"})
    end = Day(metadata={"description": "结束日（含），默认为今天"})

    @post_load
    def with_defaults(self, data, **_):
        end = data.get("end") or today()
        start = data.get("start") or end - dt.timedelta(days=DEFAULT_RANGE_DAYS - 1)
        if start > end or (end - start).days > MAX_RANGE_DAYS:
            raise DomainError("invalid_range", "起始日不能晚于结束日，且范围不超过一年", fields={"start": "范围无效"})
        return {"start": start, "end": end}


class AuditQuerySchema(KeysetQuerySchema):
    actor = fields.String(validate=validate.Length(max=80), metadata={"description": "操作人，如 admin:1"})
    action = fields.String(validate=validate.Length(max=60), metadata={"description": "动作前缀，如 entry."})
    start = Day(metadata={"description": "起始日（北京时间，含）"})
    end = Day(metadata={"description": "结束日（北京时间，含）"})

    @post_load
    def as_instants(self, data, **_):
        """The days as the instants they start and end at in Beijing."""
        start, end = data.pop("start", None), data.pop("end", None)
        data["since"] = dt.datetime.combine(start, dt.time(), tzinfo=LOCAL_TZ) if start else None
        data["until"] = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=LOCAL_TZ) if end else None
        return data


# ---- answers of the administration API ------------------------------------------------------------------------

class MeasureAdminSchema(MeasureSchema):
    withdrawn_on = fields.Date(allow_none=True)
    created_at = Instant()


class VenueAdminSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    scenario = fields.String()
    address = fields.String()
    active = fields.Boolean()


class AccountSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    role = fields.String(metadata={"enum": list(ROLES)})
    venue = fields.Nested(RefSchema, allow_none=True)
    department = fields.Nested(RefSchema, allow_none=True)
    active = fields.Boolean()
    created_at = Instant()
    locked_until = Instant(allow_none=True, metadata={
        "description": "多次密码错误后锁定到此时刻，之前不能用密码登录（已过去或为空即未锁定）"})


class SubjectSearchSchema(Schema):
    q = Text(1, 100, required=True, metadata={"description": "名称的一部分，或完整的证件号码（只用于比对，不回显）"})


class SubjectNameQuerySchema(Schema):
    q = Text(1, 100, required=True,
             metadata={"description": "名称的一部分；证件号码不能放在网址中，请用 POST /api/v1/admin/subjects/search"})


class ListedSubjectSchema(SubjectSchema):
    entries = fields.Function(lambda subject: len(subject.entries))


class EntryAdminSchema(Schema):
    id = fields.Integer()
    category = fields.Function(lambda view: {"code": view.category.code, "name": view.category.name})
    recognized_on = fields.Date()
    expires_on = fields.Date()
    status = fields.String(metadata={"description": "today's status: active, expired, suspended or revoked"})
    status_reason = fields.String(allow_none=True)
    suspended_by_record_id = fields.Integer(allow_none=True)


class RecordAdminSchema(DishonestyRecordSchema):
    repaired_on = fields.Date(allow_none=True)
    repair_reason = fields.String(allow_none=True)
    withdrawn_on = fields.Date(allow_none=True)
    withdrawn_by_objection_id = fields.Integer(allow_none=True)


class SubjectAttemptSchema(Schema):
    id = fields.Integer()
    action = fields.String()
    at = Instant()
    venue = fields.Nested(RefSchema)
    valid = fields.Boolean()
    reason = fields.String(allow_none=True)


class SubjectFileSchema(Schema):
    """A subject as the credit office sees it: masked identity, entries with today's status, records, recent scans."""

    subject = fields.Nested(SubjectSchema)
    entries = fields.List(fields.Nested(EntryAdminSchema))
    records = fields.List(fields.Nested(RecordAdminSchema))
    attempts = fields.List(fields.Nested(SubjectAttemptSchema))


class ImportUploadSchema(ImportKindSchema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary", "description": "CSV 或 XLSX"})


class ImportErrorSchema(Schema):
    row = fields.Integer()
    column = fields.String(allow_none=True)
    header = fields.String(allow_none=True, metadata={"description": "该列在文件中的表头"})
    code = fields.String()
    message = fields.String()


class ImportReportSchema(Schema):
    kind = fields.String()
    filename = fields.String()
    encoding = fields.String(allow_none=True)
    rows_total = fields.Integer()
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    refused = fields.Integer()
    batch_id = fields.Integer(allow_none=True)
    errors = fields.List(fields.Nested(ImportErrorSchema), metadata={"description": "按行号排在前面的至多 1000 个问题"})
    errors_not_listed = fields.Integer(metadata={"description": "errors 之外未列出的问题个数"})


class DayCountSchema(Schema):
    date = fields.Date()
    count = fields.Integer()


class ScenarioSeriesSchema(Schema):
    scenario = fields.String()
    scenario_name = fields.String()
    total = fields.Integer()
    days = fields.List(fields.Nested(DayCountSchema))


class ReasonCountSchema(Schema):
    reason = fields.String(allow_none=True)
    label = fields.String()
    count = fields.Integer()


class StatusCountSchema(Schema):
    status = fields.String()
    count = fields.Integer()
    overdue = fields.Integer()


class CaseCountsSchema(Schema):
    objections = fields.List(fields.Nested(StatusCountSchema))
    complaints = fields.List(fields.Nested(StatusCountSchema))


class StatsSchema(Schema):
    """What the dashboard shows, for the range asked."""

    start = fields.Date()
    end = fields.Date()
    redemptions = fields.List(fields.Nested(ScenarioSeriesSchema))
    refusals = fields.List(fields.Nested(ReasonCountSchema))
    cases = fields.Nested(CaseCountsSchema)


class AuditEventSchema(Schema):
    id = fields.Integer()
    at = Instant()
    actor = fields.String()
    action = fields.String()
    target_type = fields.String()
    target_id = fields.String(allow_none=True)
    details = fields.Dict()


AuditPageSchema = page_of(AuditEventSchema, keyset=True)
MeasureListAdminSchema = Schema.from_dict({"items": fields.List(fields.Nested(MeasureAdminSchema))},
                                          name="MeasureAdminList")
VenueListSchema = Schema.from_dict({"items": fields.List(fields.Nested(VenueAdminSchema))}, name="VenueList")
AccountListSchema = Schema.from_dict({"items": fields.List(fields.Nested(AccountSchema))}, name="AccountList")
SubjectListSchema = Schema.from_dict({"items": fields.List(fields.Nested(ListedSubjectSchema))}, name="SubjectList")
