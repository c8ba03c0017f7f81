"""The public measure catalogue (激励措施清单) and the benefit a subject's grade earns."""
import datetime as dt
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import current_app

from app.errors import Conflict, DomainError, NotFound
from app.extensions import db
from app.models import SUBJECT_KINDS, Measure, Venue
from app.services import audit
from app.services.dates import add_years
from app.services.grades import GRADES, meets

SCENARIOS = {
    "travel": "信易行", "reading": "信易阅", "medical": "信易医", "tourism": "信易游", "shopping": "信易购",
    "rental": "信易租", "loan": "信易贷", "approval": "信易批", "parking": "信易停", "online": "信易网",
    "insurance": "信易保", "regulation": "信易管", "benefit": "信易惠", "hiring": "信易聘",
}
_SCENARIO_BY_NAME = {name: code for code, name in SCENARIOS.items()} | {"信易读": "reading"}

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


def is_current(measure: Measure, today: dt.date) -> bool:
    """Published and inside its validity window today."""
    return (measure.status == "published" and measure.valid_from <= today
            and (measure.valid_to is None or today <= measure.valid_to))


def catalogue(today: dt.date, scenario: str | None = None, kind: str | None = None) -> list[Measure]:
    """The measures the public may see today, optionally filtered by scenario and subject kind."""
    query = (sa.select(Measure).where(Measure.status == "published", Measure.valid_from <= today,
                                      sa.or_(Measure.valid_to.is_(None), Measure.valid_to >= today))
             .order_by(Measure.scenario, Measure.code))
    if scenario:
        query = query.where(Measure.scenario == parse_scenario(scenario))
    measures = db.session.scalars(query).all()
    if kind:
        if kind not in SUBJECT_KINDS:
            raise DomainError("invalid_kind", "kind 应为 person 或 enterprise", status=400,
                              fields={"kind": "person 或 enterprise"})
        measures = [measure for measure in measures if kind in measure.kinds]
    return measures


def public_measure(measure_id: int) -> Measure:
    """A published or withdrawn measure; one still awaiting approval is not public."""
    measure = db.session.get(Measure, measure_id)
    if measure is None or measure.status == "pending":
        raise NotFound("measure_not_found", "激励措施不存在")
    return measure


def _validate_terms(benefit: dict[str, Any], min_grade: str | None, valid_from: dt.date,
                    valid_to: dt.date | None) -> None:
    """What every measure must satisfy, on creation and on every edit."""
    if min_grade is not None and min_grade not in GRADES:
        raise DomainError("invalid_grade", "最低信用等级无效", status=400, fields={"min_grade": "/".join(GRADES)})
    if valid_to is not None and valid_to < add_years(valid_from, current_app.config["MEASURE_MIN_VALIDITY_YEARS"]):
        raise DomainError("validity_too_short", "激励措施有效期原则上不少于两年", fields={"valid_to": "至少两年"})
    for tier in benefit.get("tiers", []):
        if tier.get("min_grade") not in GRADES:
            raise DomainError("invalid_benefit", "分级优惠的每一档都需要有效的 min_grade")


def create_measure(*, code: str, title: str, scenario: str, provider: Venue, kinds: list[str],
                   benefit: dict[str, Any], valid_from: dt.date, actor: str, valid_to: dt.date | None = None,
                   category_codes: list[str] | None = None, min_grade: str | None = None, description: str = "",
                   lead_department_id: int | None = None, publish: bool = False) -> Measure:
    """A provider's measure application (published at once when the credit office enters it); joins the caller's transaction."""
    if not kinds or set(kinds) - set(SUBJECT_KINDS):
        raise DomainError("invalid_kind", "适用主体类型应为 person 和/或 enterprise")
    code = code.strip()
    if not code or db.session.scalar(sa.select(Measure.id).where(Measure.code == code)):
        raise Conflict("code_taken", "编码必填且不能与已有激励措施重复", fields={"code": "必填且唯一"})
    _validate_terms(benefit, min_grade, valid_from, valid_to)
    measure = Measure(code=code, title=title, scenario=parse_scenario(scenario), provider=provider, kinds=kinds,
                      category_codes=category_codes or [], min_grade=min_grade, benefit=benefit,
                      description=description, valid_from=valid_from, valid_to=valid_to,
                      lead_department_id=lead_department_id, status="published" if publish else "pending")
    db.session.add(measure)
    db.session.flush()
    audit.record(actor, "measure.publish" if publish else "measure.apply", "measure", measure.id, code=code)
    return measure


def get_measure(measure_id: int) -> Measure:
    measure = db.session.get(Measure, measure_id)
    if measure is None:
        raise NotFound("measure_not_found", "激励措施不存在")
    return measure


def all_measures() -> list[Measure]:
    return db.session.scalars(sa.select(Measure).order_by(Measure.status, Measure.scenario, Measure.code)).all()


def apply(actor: str, **fields: Any) -> Measure:
    """A provider's application, entered by the credit office; it waits for approval."""
    measure = create_measure(actor=actor, publish=False, **fields)
    db.session.commit()
    return measure


def approve(measure_id: int, actor: str) -> Measure:
    """The credit office approves and publishes an application."""
    measure = get_measure(measure_id)
    if measure.status != "pending":
        raise Conflict("measure_not_pending", "只能批准待审核的激励措施")
    measure.status = "published"
    audit.record(actor, "measure.approve", "measure", measure.id, code=measure.code)
    db.session.commit()
    return measure


def withdraw(measure_id: int, reason: str, actor: str, today: dt.date) -> Measure:
    """The provider withdraws a measure: from now on nobody can redeem it."""
    measure = get_measure(measure_id)
    if measure.status == "withdrawn":
        raise Conflict("measure_withdrawn", "该激励措施已停止")
    if not reason.strip():
        raise DomainError("reason_required", "请填写理由", status=400, fields={"reason": "必填"})
    measure.status, measure.withdrawn_on = "withdrawn", today
    audit.record(actor, "measure.withdraw", "measure", measure.id, code=measure.code, reason=reason.strip())
    db.session.commit()
    return measure


def update(measure_id: int, actor: str, **fields: Any) -> Measure:
    """Edit title, description, benefit or validity; every change is audited with the old values."""
    measure = get_measure(measure_id)
    terms = {"benefit": measure.benefit, "min_grade": measure.min_grade, "valid_from": measure.valid_from,
             "valid_to": measure.valid_to}
    _validate_terms(**{name: fields.get(name, value) for name, value in terms.items()})
    changed = {name: str(getattr(measure, name)) for name, value in fields.items() if getattr(measure, name) != value}
    for name, value in fields.items():
        setattr(measure, name, value)
    if changed:
        audit.record(actor, "measure.update", "measure", measure.id, old=changed)
    db.session.commit()
    return measure


def get_venue(venue_id: int | None) -> Venue:
    venue = db.session.get(Venue, venue_id) if venue_id else None
    if venue is None:
        raise NotFound("venue_not_found", "实施单位不存在")
    return venue


def venues() -> list[Venue]:
    return db.session.scalars(sa.select(Venue).order_by(Venue.code)).all()


def save_venue(actor: str, code: str, name: str, scenario: str, address: str = "",
               venue_id: int | None = None) -> Venue:
    """Create a venue (实施单位) or edit one."""
    code, name = code.strip(), name.strip()
    if not code or not name:
        raise DomainError("invalid_request", "编码和名称必填", status=400, fields={"code": "必填", "name": "必填"})
    venue = db.session.get(Venue, venue_id) if venue_id else Venue()
    if venue is None:
        raise NotFound("venue_not_found", "实施单位不存在")
    clash = db.session.scalar(sa.select(Venue.id).where(Venue.code == code, Venue.id != (venue_id or 0)))
    if clash:
        raise Conflict("code_taken", "编码已被使用")
    venue.code, venue.name, venue.scenario, venue.address = code, name, parse_scenario(scenario), address.strip()
    db.session.add(venue)
    db.session.flush()
    audit.record(actor, "venue.update" if venue_id else "venue.create", "venue", venue.id, code=code, name=name)
    db.session.commit()
    return venue
