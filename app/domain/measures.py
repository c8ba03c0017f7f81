"""Incentive measures (激励措施): scenarios, the benefit a grade earns, and which measures a listed subject may use."""
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

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

_SUMMARY: dict[str, Callable[[Any], str]] = {
    "pay_percent": lambda v: f"按{v / 10:g}折收费",
    "free": lambda v: "免费" if v else "",
    "deposit_waived": lambda v: "免押金" if v else "",
    "books": lambda v: f"可借{v}本",
    "extra_loan_days": lambda v: f"借期延长{v}天",
    "family_pay_percent": lambda v: f"随行直系亲属{v / 10:g}折",
    "priority": lambda v: "优先办理" if v else "",
    "paperwork_tolerance": lambda v: "容缺受理" if v else "",
    "time_cut_percent": lambda v: f"办理时限压缩{v}%",
    "rate_cut_bp": lambda v: f"贷款利率下浮{v / 100:g}个百分点",
    "free_checkup": lambda v: "免费健康体检" if v else "",
    "note": str,
}


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


def benefit_for(benefit: dict[str, Any], grade: str | None) -> dict[str, Any]:
    """The concrete benefit for a grade: base fields, overridden by every tier reached, clipped by the caps."""
    concrete = {key: value for key, value in benefit.items() if key not in ("tiers", "caps")}
    tiers = sorted(benefit.get("tiers", []), key=lambda tier: GRADES.index(tier["min_grade"]))
    for tier in tiers:
        if meets(grade, tier["min_grade"]):
            concrete.update({key: value for key, value in tier.items() if key != "min_grade"})
    for key, cap in benefit.get("caps", {}).items():
        if key in concrete:
            concrete[key] = min(concrete[key], cap)
    concrete["summary"] = "，".join(text for key, value in concrete.items()
                                   if key in _SUMMARY and (text := _SUMMARY[key](value)))
    return concrete


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
    for tier in benefit.get("tiers", []):
        if tier.get("min_grade") not in GRADES:
            raise DomainError("invalid_benefit", "分级优惠的每一档都需要有效的 min_grade")


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
