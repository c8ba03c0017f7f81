"""Incentive measures (激励措施): scenarios, the benefit a grade earns, and which measures a listed subject may use."""
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from app.domain.benefits import benefit_for, check_stored
from app.domain.dates import add_years
from app.domain.grades import GRADES, meets
from app.errors import DomainError

SCENARIOS = {
    "travel": "信易行", "reading": "信易阅", "medical": "信易医", "tourism": "信易游", "shopping": "信易购",
    "rental": "信易租", "loan": "信易贷", "approval": "信易批", "parking": "信易停", "online": "信易网",
    "insurance": "信易保", "regulation": "信易管", "benefit": "信易惠", "hiring": "信易聘",
}
_SCENARIO_BY_NAME = {name: code for code, name in SCENARIOS.items()} | {"信易读": "reading"}
SCENARIO_NAMES = tuple(_SCENARIO_BY_NAME)
PENDING, PUBLISHED, WITHDRAWN = "pending", "published", "withdrawn"
MEASURE_STATES = (PENDING, PUBLISHED, WITHDRAWN)
MEASURE_STATUS_NAMES = {PENDING: "待审核", PUBLISHED: "已发布", WITHDRAWN: "已停止"}
MEASURE_MIN_VALIDITY_YEARS = 2
# A partner unit's request to change a published measure.
CHANGE_REQUESTED, CHANGE_APPROVED, CHANGE_REJECTED = "pending", "approved", "rejected"
CHANGE_STATUS_NAMES = {CHANGE_REQUESTED: "待审核", CHANGE_APPROVED: "已批准", CHANGE_REJECTED: "已退回"}

class MeasureFacts(Protocol):
    """What the rules read of a measure: an ORM row or a row of a prepared read alike."""

    id: int
    kinds: list[str]
    category_codes: list[str]
    min_grade: str | None
    benefit: dict[str, Any]
    status: str
    valid_from: dt.date
    valid_to: dt.date | None


@dataclass(frozen=True)
class Offer:
    """A measure as it applies to one subject: the same fields, with the benefit worked out for their grade."""

    measure: MeasureFacts
    benefit: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.measure, name)


def parse_scenario(raw: str) -> str:
    """Accept a scenario code (`travel`) or its Chinese name (`信易行`)."""
    code = raw if raw in SCENARIOS else _SCENARIO_BY_NAME.get(raw)
    if code is None:
        raise DomainError("invalid_scenario", f"未知的场景：{raw}", status=400,
                          fields={"scenario": f"可选：{', '.join(SCENARIOS)}"})
    return code


def is_current(measure: MeasureFacts, today: dt.date) -> bool:
    """Published and inside its validity window today."""
    return (measure.status == PUBLISHED and measure.valid_from <= today
            and (measure.valid_to is None or today <= measure.valid_to))


def validate_terms(benefit: dict[str, Any], min_grade: str | None, valid_from: dt.date,
                   valid_to: dt.date | None) -> None:
    """What every measure must satisfy, on creation and on every edit."""
    if min_grade is not None and min_grade not in GRADES:
        raise DomainError("invalid_grade", "最低信用等级无效", status=400, fields={"min_grade": "/".join(GRADES)})
    if valid_to is not None and valid_to < add_years(valid_from, MEASURE_MIN_VALIDITY_YEARS):
        raise DomainError("validity_too_short", "激励措施有效期原则上不少于两年", fields={"valid_to": "至少两年"})
    check_stored(benefit)


def offers_for(kind: str, grade: str | None, active_categories: set[str],
               measures: Iterable[MeasureFacts]) -> list[Offer]:
    """Of `measures`, those a listed subject of this kind, grade and active list categories may use."""
    return [Offer(measure, benefit_for(measure.benefit, grade)) for measure in measures
            if kind in measure.kinds and meets(grade, measure.min_grade)
            and (not measure.category_codes or active_categories & set(measure.category_codes))]


def no_offer_reason(kind: str, grade: str | None, measures: Iterable[MeasureFacts]) -> str:
    """Why none of `measures` applies: grade_too_low when one would but for the grade, else no_applicable_measure."""
    if any(kind in measure.kinds and not meets(grade, measure.min_grade) for measure in measures):
        return "grade_too_low"
    return "no_applicable_measure"
