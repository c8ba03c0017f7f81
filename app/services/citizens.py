"""What a logged-in citizen sees: their list standing (身份核对), the measures open to them, their code and history."""
import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from app.db.paging import Page, page_of
from app.domain.lists import ACTIVE, UNDER_OBJECTION, entry_status
from app.domain.measures import Offer, offers_for
from app.domain.refusals import REFUSALS
from app.errors import Forbidden
from app.models import ListEntry, Redemption, Subject
from app.services import lists, objections, qrcodes
from app.services.measures import catalogue
from app.services.subjects import get_subject

PAGE_SIZE = 20


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
    return Standing(subject, [EntryView(entry, entry_status(entry, today)) for entry in entries],
                    lists.listing_refusal(subject, entries, today))


def offers(position: Standing, today: dt.date) -> list[Offer]:
    """The catalogue's measures a listed subject may use today."""
    if not position.listed:
        return []
    subject = position.subject
    active_categories = {view.category.code for view in position.entries if view.status == ACTIVE}
    return offers_for(subject.kind, subject.grade, active_categories, catalogue(today, kind=subject.kind))


def profile(subject_id: int, today: dt.date) -> tuple[Standing, list[EntryView], list[Offer]]:
    """身份核对: the subject, every entry as the citizen should see it today, and the measures open to them now.

    An entry under objection is shown so, but eligibility still follows its status before the objection.
    """
    position = standing(get_subject(subject_id), today)
    disputed = objections.entries_under_objection(subject_id)
    shown = [EntryView(view.entry, UNDER_OBJECTION, view.status) if view.entry.id in disputed else view
             for view in position.entries]
    return position, shown, offers(position, today)


def issue_code(subject_id: int, today: dt.date, now: dt.datetime) -> qrcodes.IssuedCode:
    """A fresh identity code for a subject who may use incentives today; refused with the listing reason."""
    position = lists.code_standing(subject_id, today)
    if position.refusal:
        raise Forbidden(position.refusal, REFUSALS[position.refusal].citizen)
    return qrcodes.issue(position.qr_ref, now)


def redemptions(subject_id: int, page: int) -> Page[Redemption]:
    """The subject's redemptions, newest first."""
    return page_of(sa.select(Redemption).where(Redemption.subject_id == subject_id)
                   .order_by(Redemption.redeemed_at.desc(), Redemption.id.desc()), page, PAGE_SIZE)
