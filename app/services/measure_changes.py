"""A partner unit's own measures: its manager applies for new ones and asks for changes, the credit office decides.

A change to a published measure waits as a request (one at a time per measure) until approved or rejected; a measure
still awaiting approval is simply edited, since it is reviewed as a whole anyway."""
import datetime as dt
from typing import Any

import sqlalchemy as sa

from app.domain.measures import CHANGE_APPROVED, CHANGE_REJECTED, CHANGE_REQUESTED, PENDING, PUBLISHED
from app.errors import Conflict, NotFound
from app.extensions import db
from app.models import Measure, MeasureChange, Venue
from app.services import audit, measures


def apply_for(actor: str, venue_id: int, **fields: Any) -> Measure:
    """A manager's application for a new measure of their own unit; it waits for the credit office's approval."""
    fields["provider"] = db.session.get(Venue, venue_id)
    return measures.apply(actor, **fields)


def request_change(measure_id: int, venue_id: int, actor: str, account_id: int, note: str,
                   **terms: Any) -> MeasureChange | None:
    """A manager's change to one of their measures: applied at once while it awaits approval, else a request."""
    measure = measures.measure_of_venue(measure_id, venue_id)
    if measure.status == PENDING:
        measures.change_terms(measure, actor, **terms)
        db.session.commit()
        return None
    if measure.status != PUBLISHED:
        raise Conflict("measure_withdrawn", "该激励措施已停止，不能再变更")
    if pending_change(measure.id):
        raise Conflict("change_pending", "该措施已有一项变更在等待审核，请等审核后再提交")
    measures.check_terms(measure, **terms)
    change = MeasureChange(measure=measure, terms=_as_data(terms), note=note, requested_by=account_id,
                           status=CHANGE_REQUESTED)
    db.session.add(change)
    db.session.flush()
    audit.record(actor, "measure.change_request", "measure", measure.id, code=measure.code, change_id=change.id)
    db.session.commit()
    return change


def pending_change(measure_id: int) -> MeasureChange | None:
    return db.session.scalar(sa.select(MeasureChange).where(MeasureChange.measure_id == measure_id,
                                                            MeasureChange.status == CHANGE_REQUESTED))


def changes(venue_id: int | None = None, limit: int = 50) -> list[MeasureChange]:
    """Requests awaiting a decision first, then the latest decided; with `venue_id`, only that unit's."""
    query = (sa.select(MeasureChange).join(Measure)
             .order_by((MeasureChange.status == CHANGE_REQUESTED).desc(), MeasureChange.requested_at.desc())
             .limit(limit))
    if venue_id is not None:
        query = query.where(Measure.provider_id == venue_id)
    return list(db.session.scalars(query))


def approve(change_id: int, actor: str, account_id: int, now: dt.datetime) -> MeasureChange:
    """The credit office accepts a requested change: the measure takes the new terms, in one transaction."""
    change = _undecided(change_id)
    measures.change_terms(change.measure, actor, **_from_data(change.terms))
    _decide(change, CHANGE_APPROVED, account_id, now, None)
    audit.record(actor, "measure.change_approve", "measure", change.measure_id, code=change.measure.code,
                 change_id=change.id)
    db.session.commit()
    return change


def reject(change_id: int, reason: str, actor: str, account_id: int, now: dt.datetime) -> MeasureChange:
    change = _undecided(change_id)
    _decide(change, CHANGE_REJECTED, account_id, now, reason)
    audit.record(actor, "measure.change_reject", "measure", change.measure_id, code=change.measure.code,
                 change_id=change.id, reason=reason)
    db.session.commit()
    return change


def _undecided(change_id: int) -> MeasureChange:
    change = db.session.get(MeasureChange, change_id)
    if change is None:
        raise NotFound("change_not_found", "变更申请不存在")
    if change.status != CHANGE_REQUESTED:
        raise Conflict("change_decided", "该变更申请已处理")
    return change


def _decide(change: MeasureChange, status: str, account_id: int, now: dt.datetime, reason: str | None) -> None:
    change.status, change.decided_by, change.decided_at, change.decision_reason = status, account_id, now, reason


def _as_data(terms: dict[str, Any]) -> dict[str, Any]:
    """Terms as JSON can hold them (the end date as text)."""
    data = dict(terms)
    if data.get("valid_to"):
        data["valid_to"] = data["valid_to"].isoformat()
    return data


def _from_data(terms: dict[str, Any]) -> dict[str, Any]:
    data = dict(terms)
    if data.get("valid_to"):
        data["valid_to"] = dt.date.fromisoformat(data["valid_to"])
    return data
