"""What a logged-in citizen sees: their list standing (身份核对), the measures open to them, their code and history."""
import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from app.db.paging import Page, keyset_page
from app.domain.lists import ACTIVE, UNDER_OBJECTION, entry_status
from app.domain.measures import Offer, offers_for
from app.domain.refusals import REFUSALS
from app.errors import Forbidden
from app.extensions import db
from app.models import ListEntry, Measure, Redemption, ScanAttempt, Subject
from app.services import lists, objections, qrcodes, scanning
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


def redemption_of_code(subject_id: int, token: str) -> Redemption | None:
    """The redemption made with one of the subject's own codes, if staff have confirmed it (else None)."""
    claimed = qrcodes.claim(token)
    if claimed is None:
        return None
    return db.session.scalar(sa.select(Redemption).where(Redemption.token_key == claimed.token_key,
                                                         Redemption.subject_id == subject_id))


@dataclass(frozen=True)
class CatalogueItem:
    """A measure of the catalogue, and how it applies to the reader (None: not open to them now, or not signed in)."""

    measure: Measure
    offer: Offer | None


def catalogue_for(subject_id: int | None, today: dt.date, scenario: str | None = None) -> list[CatalogueItem]:
    """The catalogue as a reader sees it: the measures open to them first, each with their benefit worked out."""
    measures = catalogue(today, scenario=scenario)
    open_to_them: dict[int, Offer] = {}
    if subject_id is not None:
        position = standing(get_subject(subject_id), today)
        if position.listed:
            active = {view.category.code for view in position.entries if view.status == ACTIVE}
            subject = position.subject
            open_to_them = {offer.id: offer for offer in offers_for(subject.kind, subject.grade, active, measures)}
    items = [CatalogueItem(measure, open_to_them.get(measure.id)) for measure in measures]
    return sorted(items, key=lambda item: item.offer is None)


def refused_attempts(subject_id: int) -> list[ScanAttempt]:
    """The subject's recent refused scans, the ones an objection may be about."""
    return [attempt for attempt in scanning.subject_attempts(subject_id) if not attempt.valid]


def redemptions(subject_id: int, page: int, after: str | None = None) -> Page[Redemption]:
    """The subject's redemptions, newest first: page `page`, or the page below `after`."""
    return keyset_page(sa.select(Redemption).where(Redemption.subject_id == subject_id), Redemption.redeemed_at,
                       Redemption.id, PAGE_SIZE, page, after, lambda item: (item.redeemed_at, item.id))
