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
# What each scenario is in everyday words, shown next to its 信易+ name on the citizen's pages.
SCENARIO_PLAIN_NAMES = {
    "travel": "乘车出行", "reading": "图书借阅", "medical": "看病就医", "tourism": "旅游住宿", "shopping": "购物消费",
    "rental": "租赁租房", "loan": "贷款", "approval": "政务办事", "parking": "停车", "online": "网上服务",
    "insurance": "保险", "regulation": "减少检查", "benefit": "惠民优惠", "hiring": "求职招聘",
}
# Words a citizen may not know, explained in one line where a citizen page uses them.
PLAIN_WORDS = {
    "信用等级": "信用等级：市公共信用信息平台对信用状况的评价，从高到低为 AAA、AA、A、B、C、D",
    "容缺": "容缺受理：主要材料齐全、次要材料暂时缺少时先受理，缺的材料以后补交",
    "核销": "核销：工作人员扫码确认您已使用了这项优惠",
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


def measure_refusal(kind: str, grade: str | None, active_categories: set[str], measure: MeasureFacts) -> str | None:
    """Why a listed subject of this kind, grade and active list categories may not use a measure, or None: the one
    place this is decided (kind_not_served, grade_too_low, category_not_covered)."""
    if kind not in measure.kinds:
        return "kind_not_served"
    if not meets(grade, measure.min_grade):
        return "grade_too_low"
    if measure.category_codes and not active_categories & set(measure.category_codes):
        return "category_not_covered"
    return None


def offers_for(kind: str, grade: str | None, active_categories: set[str],
               measures: Iterable[MeasureFacts]) -> list[Offer]:
    """Of `measures`, those a listed subject of this kind, grade and active list categories may use."""
    return [Offer(measure, benefit_for(measure.benefit, grade)) for measure in measures
            if measure_refusal(kind, grade, active_categories, measure) is None]


def plain_words(*texts: str) -> list[str]:
    """The one-line explanations of the words in PLAIN_WORDS that these texts use."""
    return [line for word, line in PLAIN_WORDS.items() if any(word in text for text in texts if text)]


def no_offer_reason(kind: str, grade: str | None, measures: Iterable[MeasureFacts]) -> str:
    """Why none of `measures` applies: grade_too_low when one would but for the grade, else no_applicable_measure."""
    if any(kind in measure.kinds and not meets(grade, measure.min_grade) for measure in measures):
        return "grade_too_low"
    return "no_applicable_measure"
