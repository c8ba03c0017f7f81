"""Schema pieces every API shares: the error body, pages, masked subjects, trimmed text and instants."""
from marshmallow import Schema, fields, validate

from app.domain.identity import mask_name


class ErrorDetailSchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    fields = fields.Dict(keys=fields.String())


class ErrorSchema(Schema):
    """The one error body of every endpoint (API.md)."""

    error = fields.Nested(ErrorDetailSchema, required=True)


class Text(fields.String):
    """A string trimmed on load and its length checked after trimming; a blank optional one loads as None."""

    def __init__(self, minimum: int = 0, maximum: int | None = None, **kwargs) -> None:
        minimum = max(minimum, 1) if kwargs.get("required") else minimum
        super().__init__(validate=validate.Length(min=minimum, max=maximum), allow_none=not kwargs.get("required"),
                         **kwargs)

    def deserialize(self, value, attr=None, data=None, **kwargs):
        if isinstance(value, str) and not value.strip() and not self.required:
            return None
        return super().deserialize(value, attr, data, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


Instant = fields.DateTime


class PageQuerySchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))


def page_of(item_schema: type[Schema], **extra: fields.Field) -> type[Schema]:
    """The schema of a page of items: `items` and the number of the `next` page (null on the last)."""
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


class CredentialsSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=80))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))


class DevLoginSchema(Schema):
    """The development identity provider's form: kind, name, and the resident ID or the credit code."""

    kind = fields.String(required=True, validate=validate.OneOf(("person", "enterprise")))
    name = fields.String(validate=validate.Length(max=200))
    id_number = fields.String(validate=validate.Length(max=40))
    uscc = fields.String(validate=validate.Length(max=40))
