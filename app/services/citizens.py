"""What a logged-in citizen sees: their list standing (身份核对), the measures open to them, their code and history."""
import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from app.errors import Forbidden
from app.extensions import db
from app.models import ListEntry, Measure, Redemption, Subject
from app.services import cases, lists, qrcodes
from app.services.grades import meets
from app.services.measures import benefit_for, catalogue

REFUSAL_MESSAGES = {
    "not_listed": "您尚未列入守信激励对象名单",
    "listing_expired": "您的守信激励名单已过有效期",
    "listing_suspended": "您的守信激励资格已暂停",
    "excluded_dishonest": "您近三年内有严重失信记录，暂不能享受守信激励",
}
PAGE_SIZE = 20


@dataclass(frozen=True)
class Offer:
    """A measure as it applies to one subject: the same fields, with the benefit worked out for their grade."""

    measure: Measure
    benefit: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.measure, name)


@dataclass(frozen=True)
class EntryView:
    """An entry with today's status; while an objection is open the citizen sees under_objection."""

    entry: ListEntry
    status: str
    status_before_objection: str | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.entry, name)


@dataclass(frozen=True)
class Standing:
    """A subject's list standing today; `refusal` is None when they may use incentives."""

    subject: Subject
    entries: list[EntryView]
    refusal: str | None

    @property
    def listed(self) -> bool:
        return self.refusal is None


def standing(subject: Subject, today: dt.date) -> Standing:
    entries = subject.entries
    return Standing(subject, [EntryView(entry, lists.entry_status(entry, today)) for entry in entries],
                    lists.listing_refusal(subject, entries, today))


def offers(position: Standing, today: dt.date, measures: list[Measure] | None = None) -> list[Offer]:
    """The measures a listed subject may use today (of `measures`, default the whole catalogue)."""
    if not position.listed:
        return []
    subject = position.subject
    active_categories = {view.category.code for view in position.entries if view.status == lists.ACTIVE}
    candidates = measures if measures is not None else catalogue(today, kind=subject.kind)
    return offers_for(subject.kind, subject.grade, active_categories, candidates)


def offers_for(kind: str, grade: str | None, active_categories: set[str], measures) -> list[Offer]:
    """Of `measures`, those a listed subject of this kind, grade and active list categories may use."""
    return [Offer(measure, benefit_for(measure.benefit, grade)) for measure in measures
            if kind in measure.kinds and meets(grade, measure.min_grade)
            and (not measure.category_codes or active_categories & set(measure.category_codes))]


def profile(subject_id: int, today: dt.date) -> tuple[Standing, list[EntryView], list[Offer]]:
    """身份核对: the subject, every entry as the citizen should see it today, and the measures open to them now.

    An entry under objection is shown so, but eligibility still follows its status before the objection.
    """
    position = standing(lists.get_subject(subject_id), today)
    disputed = cases.entries_under_objection(subject_id)
    shown = [EntryView(view.entry, "under_objection", view.status) if view.entry.id in disputed else view
             for view in position.entries]
    return position, shown, offers(position, today)


def issue_code(subject_id: int, today: dt.date, now: dt.datetime) -> qrcodes.IssuedCode:
    """A fresh identity code for a subject who may use incentives today; refused with the listing reason."""
    qr_ref = lists.eligible_qr_ref(subject_id, today)
    if qr_ref is None:
        refusal = standing(lists.get_subject(subject_id), today).refusal or "not_listed"
        raise Forbidden(refusal, REFUSAL_MESSAGES[refusal])
    return qrcodes.issue(qr_ref, now)


def redemptions(subject_id: int, page: int) -> tuple[list[Redemption], int | None]:
    """The subject's redemptions, newest first, a page at a time; returns (items, next page or None)."""
    rows = db.session.scalars(
        sa.select(Redemption).where(Redemption.subject_id == subject_id)
        .order_by(Redemption.redeemed_at.desc(), Redemption.id.desc())
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    return rows[:PAGE_SIZE], page + 1 if len(rows) > PAGE_SIZE else None
