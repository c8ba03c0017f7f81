"""A measure's benefit (优惠内容): the kinds there are, the sentence each grade reads, and the rows a clerk edits.

Stored as {key: value, "tiers": [{"min_grade": …, key: value}], "caps": {key: max}}; clerks never see that shape."""
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from app.domain.grades import GRADES, meets
from app.errors import DomainError

FLAG, NUMBER, TEXT = "flag", "number", "text"
NOTE_MAX_LENGTH = 100


@dataclass(frozen=True)
class BenefitType:
    """One kind of benefit: how the editor asks for it and how citizens and staff read it."""

    key: str
    label: str
    form: str = FLAG
    unit: str = ""
    scale: int = 1  # stored = typed × scale: 8.8 折 is stored as 88 (percent paid)
    low: Decimal = Decimal(0)
    high: Decimal = Decimal(0)
    sentence: Callable[[Any], str] = str


BENEFIT_TYPES = {kind.key: kind for kind in (
    BenefitType("pay_percent", "打折收费", NUMBER, "折", 10, Decimal("0.1"), Decimal("9.9"),
                lambda v: f"按{v / 10:g}折收费"),
    BenefitType("free", "免费（免票、免收费用）", sentence=lambda v: "免费"),
    BenefitType("deposit_waived", "免押金", sentence=lambda v: "免押金"),
    BenefitType("priority", "优先办理（绿色通道）", sentence=lambda v: "优先办理"),
    BenefitType("books", "可借数量（额外额度）", NUMBER, "本", 1, Decimal(1), Decimal(100), lambda v: f"可借{v}本"),
    BenefitType("extra_loan_days", "借期延长", NUMBER, "天", 1, Decimal(1), Decimal(365),
                lambda v: f"借期延长{v}天"),
    BenefitType("family_pay_percent", "随行直系亲属打折", NUMBER, "折", 10, Decimal("0.1"), Decimal("9.9"),
                lambda v: f"随行直系亲属{v / 10:g}折"),
    BenefitType("paperwork_tolerance", "容缺受理", sentence=lambda v: "容缺受理"),
    BenefitType("time_cut_percent", "办理时限压缩", NUMBER, "%", 1, Decimal(1), Decimal(90),
                lambda v: f"办理时限压缩{v}%"),
    BenefitType("rate_cut_bp", "贷款利率下浮", NUMBER, "个百分点", 100, Decimal("0.01"), Decimal(5),
                lambda v: f"贷款利率下浮{v / 100:g}个百分点"),
    BenefitType("free_checkup", "免费健康体检", sentence=lambda v: "免费健康体检"),
    BenefitType("note", "其他优惠（文字说明）", TEXT),
)}
CAPPABLE = tuple(key for key, kind in BENEFIT_TYPES.items() if kind.form == NUMBER)


@dataclass(frozen=True)
class BenefitRow:
    """One line of the editor: from which grade (None: everyone), which benefit, and the number or text as typed."""

    grade: str | None
    key: str
    value: str = ""


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
    concrete["summary"] = "，".join(BENEFIT_TYPES[key].sentence(value) for key, value in concrete.items()
                                   if key in BENEFIT_TYPES and value not in (False, ""))
    return concrete


def sentences(benefit: dict[str, Any]) -> list[tuple[str, str]]:
    """What each grade reads — (who, sentence) for everyone listed and for each grade a tier or cap changes."""
    graded = {tier["min_grade"] for tier in benefit.get("tiers", [])}
    grades = [None, *(grade for grade in GRADES if grade in graded)]
    return [("所有可享受者" if grade is None else f"信用等级 {grade} 及以上",
             benefit_for(benefit, grade)["summary"] or "（未填写优惠内容）") for grade in grades]


def benefit_from_rows(rows: Iterable[BenefitRow], caps: Iterable[BenefitRow]) -> dict[str, Any]:
    """The stored benefit of the editor's rows; a row left blank is skipped, a wrong one refused with its line."""
    base: dict[str, Any] = {}
    tiers: dict[str, dict[str, Any]] = {}
    problems: dict[str, str] = {}
    for number, row in enumerate(rows, 1):
        if not row.key:
            continue
        target = base if row.grade is None else tiers.setdefault(row.grade, {})
        try:
            if row.grade is not None and row.grade not in GRADES:
                raise ValueError("信用等级无效")
            if row.key in target:
                raise ValueError("同一等级的同一项优惠只能填一次")
            target[row.key] = parse_value(row.key, row.value)
        except ValueError as problem:
            problems[f"第{number}行"] = str(problem)
    limits = _limits(caps, problems)
    if problems:
        raise DomainError("invalid_benefit", "优惠内容有误，请按提示修改", fields=problems)
    benefit = dict(base)
    if tiers:
        benefit["tiers"] = [{"min_grade": grade, **tiers[grade]} for grade in GRADES if grade in tiers]
    if limits:
        benefit["caps"] = limits
    return benefit


def _limits(caps: Iterable[BenefitRow], problems: dict[str, str]) -> dict[str, Any]:
    limits: dict[str, Any] = {}
    for number, cap in enumerate(caps, 1):
        if not cap.key:
            continue
        try:
            if cap.key not in CAPPABLE:
                raise ValueError("只有数值类优惠可以设上限")
            limits[cap.key] = parse_value(cap.key, cap.value)
        except ValueError as problem:
            problems[f"上限第{number}行"] = str(problem)
    return limits


def parse_value(key: str, typed: str) -> Any:
    """A typed value as stored: True for a yes/no benefit, the scaled whole number, or the text."""
    kind = BENEFIT_TYPES.get(key)
    if kind is None:
        raise ValueError(f"未知的优惠类型：{key}")
    if kind.form == FLAG:
        return True
    if kind.form == TEXT:
        if not typed.strip() or len(typed) > NOTE_MAX_LENGTH:
            raise ValueError(f"请填写 1–{NOTE_MAX_LENGTH} 个字的说明")
        return typed
    try:
        number = Decimal(typed.strip())
        if not number.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        raise ValueError(f"{kind.label}须填数字（单位：{kind.unit}）") from None
    stored = number * kind.scale
    if not kind.low <= number <= kind.high or stored != stored.to_integral_value():
        raise ValueError(f"{kind.label}须在 {kind.low}–{kind.high} {kind.unit}之间"
                         + (f"，最多 {len(str(kind.scale)) - 1} 位小数" if kind.scale > 1 else "，须为整数"))
    return int(stored)


def rows_of(benefit: dict[str, Any]) -> tuple[list[BenefitRow], list[BenefitRow]]:
    """The editor's rows and cap rows for a stored benefit."""
    def typed(key: str, value: Any) -> str:
        kind = BENEFIT_TYPES.get(key)
        if kind is None or kind.form == FLAG:
            return ""
        if kind.form == TEXT:
            return str(value)
        text = f"{Decimal(value) / kind.scale:f}"
        return text.rstrip("0").rstrip(".") if "." in text else text

    rows = [BenefitRow(None, key, typed(key, value)) for key, value in benefit.items() if key not in ("tiers", "caps")]
    for tier in benefit.get("tiers", []):
        rows += [BenefitRow(tier["min_grade"], key, typed(key, value)) for key, value in tier.items()
                 if key != "min_grade"]
    caps = [BenefitRow(None, key, typed(key, value)) for key, value in benefit.get("caps", {}).items()]
    return rows, caps


def check_stored(benefit: dict[str, Any]) -> None:
    """A benefit sent as data (the admin API) obeys the same rules as one typed in the editor."""
    try:
        rows, caps = rows_of(benefit)
        if any(set(tier) - set(BENEFIT_TYPES) - {"min_grade"} for tier in benefit.get("tiers", [])) \
                or set(benefit) - set(BENEFIT_TYPES) - {"tiers", "caps"}:
            raise DomainError("invalid_benefit", "优惠内容含未知的优惠类型",
                              fields={"benefit": "可用：" + "、".join(BENEFIT_TYPES)})
        if benefit_from_rows(rows, caps) != _normalised(benefit):
            raise DomainError("invalid_benefit", "优惠内容的取值不符合要求")
    except (KeyError, TypeError, AttributeError, InvalidOperation, ValueError):
        raise DomainError("invalid_benefit", "优惠内容格式有误") from None


def _normalised(benefit: dict[str, Any]) -> dict[str, Any]:
    """Flags as True, tiers in grade order — the shape benefit_from_rows writes."""
    def flags(items: dict[str, Any]) -> dict[str, Any]:
        return {key: True if BENEFIT_TYPES[key].form == FLAG else value for key, value in items.items()}

    normal = flags({key: value for key, value in benefit.items() if key not in ("tiers", "caps")})
    if benefit.get("tiers"):
        tiers = sorted(benefit["tiers"], key=lambda tier: GRADES.index(tier["min_grade"]))
        normal["tiers"] = [{"min_grade": tier["min_grade"],
                            **flags({k: v for k, v in tier.items() if k != "min_grade"})} for tier in tiers]
    if benefit.get("caps"):
        normal["caps"] = dict(benefit["caps"])
    return normal
