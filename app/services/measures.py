"""The measure catalogue (激励措施清单) and its management: applications, approval, edits, withdrawal."""
import datetime as dt
from typing import Any

import sqlalchemy as sa

from app.domain.measures import PENDING, PUBLISHED, WITHDRAWN, parse_scenario, validate_terms
from app.errors import Conflict, NotFound
from app.extensions import db
from app.models import Measure, Venue
from app.services import audit


def catalogue(today: dt.date, scenario: str | None = None, kind: str | None = None) -> list[Measure]:
    """The measures the public may see today, optionally filtered by scenario and subject kind."""
    query = (sa.select(Measure).where(Measure.status == PUBLISHED, Measure.valid_from <= today,
                                      sa.or_(Measure.valid_to.is_(None), Measure.valid_to >= today))
             .order_by(Measure.scenario, Measure.code))
    if scenario:
        query = query.where(Measure.scenario == parse_scenario(scenario))
    measures = list(db.session.scalars(query))
    return [measure for measure in measures if kind in measure.kinds] if kind else measures


def public_measure(measure_id: int) -> Measure:
    """A published or withdrawn measure; one still awaiting approval is not public."""
    measure = db.session.get(Measure, measure_id)
    if measure is None or measure.status == PENDING:
        raise NotFound("measure_not_found", "激励措施不存在")
    return measure


def create_measure(*, code: str, title: str, scenario: str, provider: Venue, kinds: list[str],
                   benefit: dict[str, Any], valid_from: dt.date, actor: str, valid_to: dt.date | None = None,
                   category_codes: list[str] | None = None, min_grade: str | None = None, description: str = "",
                   lead_department_id: int | None = None, publish: bool = False) -> Measure:
    """A provider's application (published at once when the credit office enters it); joins the caller's transaction."""
    if db.session.scalar(sa.select(Measure.id).where(Measure.code == code)):
        raise Conflict("code_taken", "编码不能与已有激励措施重复", fields={"code": "已被使用"})
    validate_terms(benefit, min_grade, valid_from, valid_to)
    measure = Measure(code=code, title=title, scenario=parse_scenario(scenario), provider=provider, kinds=kinds,
                      category_codes=category_codes or [], min_grade=min_grade, benefit=benefit,
                      description=description, valid_from=valid_from, valid_to=valid_to,
                      lead_department_id=lead_department_id, status=PUBLISHED if publish else PENDING)
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
    return list(db.session.scalars(sa.select(Measure).order_by(Measure.status, Measure.scenario, Measure.code)))


def apply(actor: str, **fields: Any) -> Measure:
    """A provider's application, entered by the credit office; it waits for approval."""
    measure = create_measure(actor=actor, publish=False, **fields)
    db.session.commit()
    return measure


def approve(measure_id: int, actor: str) -> Measure:
    """The credit office approves and publishes an application."""
    measure = get_measure(measure_id)
    if measure.status != PENDING:
        raise Conflict("measure_not_pending", "只能批准待审核的激励措施")
    measure.status = PUBLISHED
    audit.record(actor, "measure.approve", "measure", measure.id, code=measure.code)
    db.session.commit()
    return measure


def withdraw(measure_id: int, reason: str, actor: str, today: dt.date) -> Measure:
    """The provider withdraws a measure: from now on nobody can redeem it."""
    measure = get_measure(measure_id)
    if measure.status == WITHDRAWN:
        raise Conflict("measure_withdrawn", "该激励措施已停止")
    measure.status, measure.withdrawn_on = WITHDRAWN, today
    audit.record(actor, "measure.withdraw", "measure", measure.id, code=measure.code, reason=reason)
    db.session.commit()
    return measure


def update(measure_id: int, actor: str, **fields: Any) -> Measure:
    """Edit title, description, benefit or validity; every change is audited with the old values."""
    measure = get_measure(measure_id)
    change_terms(measure, actor, **fields)
    db.session.commit()
    return measure


def change_terms(measure: Measure, actor: str, **fields: Any) -> None:
    """Set new terms after the same checks as on creation, auditing the old values; joins the caller's transaction."""
    check_terms(measure, **fields)
    changed = {name: str(getattr(measure, name)) for name, value in fields.items() if getattr(measure, name) != value}
    for name, value in fields.items():
        setattr(measure, name, value)
    if changed:
        audit.record(actor, "measure.update", "measure", measure.id, code=measure.code, old=changed)


def check_terms(measure: Measure, **fields: Any) -> None:
    validate_terms(fields.get("benefit", measure.benefit), fields.get("min_grade", measure.min_grade),
                   fields.get("valid_from", measure.valid_from), fields.get("valid_to", measure.valid_to))


def measures_of_venue(venue_id: int) -> list[Measure]:
    """A partner unit's own measures, as its manager sees them."""
    return list(db.session.scalars(sa.select(Measure).where(Measure.provider_id == venue_id)
                              .order_by(Measure.status, Measure.code)))


def measure_of_venue(measure_id: int, venue_id: int | None) -> Measure:
    """A measure within a manager's reach (any measure when `venue_id` is None); others are not found."""
    measure = get_measure(measure_id)
    if venue_id is not None and measure.provider_id != venue_id:
        raise NotFound("measure_not_found", "激励措施不存在")
    return measure
