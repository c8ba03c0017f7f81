"""Schema pieces every API shares: the error body, pages, masked subjects, trimmed text, days and instants."""
import datetime as dt

from marshmallow import Schema, fields, validate

from app.db.paging import CURSOR_PATTERN
from app.domain.identity import mask_name
from app.errors import DomainError
from app.http.times import local_iso


class ErrorDetailSchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    fields = fields.Dict(keys=fields.String())  # type: ignore[assignment]  # API.md names the member "fields"


class ErrorSchema(Schema):
    """The one error body of every endpoint (API.md)."""

    error = fields.Nested(ErrorDetailSchema, required=True)


class Text(fields.String):
    """A string trimmed on load; a blank optional one loads as None. The length is the request's shape (400 outside
    it); one that falls short only once trimmed is well-formed but refused (422, `text_too_short`)."""

    def __init__(self, minimum: int = 0, maximum: int | None = None, **kwargs) -> None:
        self.minimum = max(minimum, 1) if kwargs.get("required") else minimum
        super().__init__(validate=validate.Length(min=self.minimum, max=maximum), allow_none=not kwargs.get("required"),
                         **kwargs)

    def deserialize(self, value, attr=None, data=None, **kwargs):
        if not self.required and (value is None or (isinstance(value, str) and not value.strip())):
            return self.load_default if isinstance(self.load_default, str) else None  # blank: the default, or none
        loaded = super().deserialize(value, attr, data, **kwargs)
        if isinstance(loaded, str) and len(loaded.strip()) < self.minimum:
            raise DomainError("text_too_short", "内容过短（不计首尾空白）",
                              fields={self.data_key or attr: f"至少 {self.minimum} 个字符（不计首尾空白）"})
        return loaded.strip() if isinstance(loaded, str) else loaded


# The days a request may name: the programme's lists, records, measures and statistics all fall between these. A day
# outside them is well-formed but refused (422), before it reaches date arithmetic that would overflow.
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2099, 12, 31)


class Day(fields.Date):
    """A calendar day in a request (YYYY-MM-DD) from FIRST_DAY to LAST_DAY: every schema that takes a day uses it."""

    def _deserialize(self, value, attr, data, **kwargs):
        day = super()._deserialize(value, attr, data, **kwargs)
        if not FIRST_DAY <= day <= LAST_DAY:
            raise DomainError("date_out_of_range", "日期超出范围",
                              fields={self.data_key or self.name or attr: f"应在 {FIRST_DAY} 至 {LAST_DAY} 之间"})
        return day


class Instant(fields.DateTime):
    """An instant as answers give it: ISO 8601 with the Beijing offset (the configured zone); stored as UTC."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else local_iso(value)


class PageQuerySchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))


class KeysetQuerySchema(PageQuerySchema):
    """A list that can be deep: `after` (the previous page's) continues below its last item at any depth."""

    after = fields.String(load_default=None, validate=validate.Regexp(f"^{CURSOR_PATTERN}$"),
                          metadata={"description": "上一页返回的 after：从其最后一条之后继续（任意深度同样快）"})


def page_of(item_schema: type[Schema], keyset: bool = False, **extra: fields.Field) -> type[Schema]:
    """The schema of a page of items: `items` and the number of the `next` page (null on the last); a list paged by
    key (KeysetQuerySchema) also gives the `after` to send for the next page."""
    if keyset:
        extra["after"] = fields.String(allow_none=True)
    return Schema.from_dict({"items": fields.List(fields.Nested(item_schema)),
                             "next": fields.Integer(allow_none=True), **extra},
                            name=item_schema.__name__.removesuffix("Schema") + "Page")


class RefSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class SubjectSchema(Schema):
    """A subject as its owner or a reviewer may see it: masked name and ID number."""

    id = fields.Integer()
    kind = fields.String()
    name_masked = fields.Function(lambda subject: mask_name(subject.kind, subject.name))
    id_number_masked = fields.String(attribute="id_masked")
    grade = fields.String(allow_none=True)


class TokenSchema(Schema):
    """What every login answers: a bearer token for one audience and its absolute lifetime in seconds."""

    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()


class SessionsEndedSchema(Schema):
    """What ending sessions answers: how many were still live and ended (each such device must sign in again)."""

    ended = fields.Integer()


class CredentialsSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=80))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))


class DevLoginSchema(Schema):
    """The development identity provider's form: kind, name, and the resident ID or the credit code."""

    kind = fields.String(required=True, validate=validate.OneOf(("person", "enterprise")))
    name = fields.String(validate=validate.Length(max=200))
    id_number = fields.String(validate=validate.Length(max=40))
    uscc = fields.String(validate=validate.Length(max=40))


MAX_ID = 2**31 - 1  # an object id as the databases store it; a larger number names nothing


class Id(fields.Integer):
    """An object id in a request: a positive integer the database can hold."""

    def __init__(self, **kwargs) -> None:
        super().__init__(validate=validate.Range(min=1, max=MAX_ID), **kwargs)
