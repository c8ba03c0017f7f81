"""Schemas of the public catalogue; the citizen API shows measures the same way."""
from marshmallow import Schema, fields, validate

from app.domain.identity import SUBJECT_KINDS
from app.domain.measures import SCENARIO_NAMES, SCENARIOS
from app.http.schemas import RefSchema


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
    scenario = fields.String(validate=validate.OneOf([*SCENARIOS, *SCENARIO_NAMES]),
                             metadata={"description": "场景代码（travel…）或中文名（信易行…）"})
    kind = fields.String(validate=validate.OneOf(SUBJECT_KINDS))


class CategorySchema(Schema):
    code = fields.String()
    name = fields.String()
    kind = fields.String()
    department = fields.Function(lambda category: category.department.name)
    department_code = fields.Function(lambda category: category.department.code)


class CategoryListSchema(Schema):
    items = fields.List(fields.Nested(CategorySchema))


class HealthSchema(Schema):
    status = fields.String()
