"""What a logged-in citizen sees: their list standing (身份核对), the measures open to them, their code and history."""
import datetime as dt
from dataclasses import dataclass
from itertools import groupby
from typing import Any

import sqlalchemy as sa

from app.db.paging import Page, keyset_page
from app.domain.dates import local_date, local_day_bounds
from app.domain.lists import ACTIVE, EXPIRED, SUSPENDED, UNDER_OBJECTION, entry_status
from app.domain.measures import Offer, measure_refusal, offers_for
from app.domain.refusals import REFUSALS, CitizenReason, citizen_reason, measure_reason
from app.errors import Forbidden
from app.extensions import db
from app.models import ListCategory, ListEntry, Measure, Redemption, ScanAttempt, Subject
from app.models.codes import OFFLINE, ONLINE
from app.services import dishonesty, lists, objections, qrcodes, quotas, scanning
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


def reason(position: Standing, today: dt.date) -> CitizenReason | None:
    """Why the subject may not use incentives and what to do next — the dishonesty record a suspension rests on, the
    date an entry expired and its reporting department — for 首页, 亮码 and 措施 alike; None when they may."""
    code = position.refusal
    if code is None:
        return None
    views = position.entries
    facts: dict[str, Any]  # the keyword arguments of citizen_reason that the reason names
    if code in ("listing_suspended", "excluded_dishonest"):
        blocking = dishonesty.blocking_records(position.subject.id, today)
        entry = next((view.entry for view in views if view.status == SUSPENDED), None) or next(
            (view.entry for view in views if view.status == ACTIVE), None)
        record = next((found for found in blocking if entry and found.id == entry.suspended_by_record_id),
                      blocking[0] if blocking else None)
        facts = {"record_on": record.recorded_on, "record_by": record.authority,
                 "record_summary": record.summary} if record else {}
    elif code == "listing_expired":
        entry = max((view.entry for view in views if view.status == EXPIRED), key=lambda found: found.expires_on)
        facts = {"category": entry.category.name, "department": entry.category.department.name,
                 "expired_on": entry.expires_on}
    else:
        entry, facts = None, {}
    disputed = entry is not None and entry.id in objections.entries_under_objection(position.subject.id)
    return citizen_reason(code, entry_id=entry.id if entry else None, objection_open=disputed, **facts)


def _code_standing(subject_id: int, today: dt.date, covered_until: dt.datetime) -> lists.CodeStanding:
    """The subject's standing for issuing codes; refused (403) with the listing reason when they may not use
    incentives today."""
    position = lists.code_standing(subject_id, today, covered_until)
    if isinstance(position, str):
        raise Forbidden(position, REFUSALS[position].citizen)
    return position


def issue_code(subject_id: int, today: dt.date, now: dt.datetime) -> qrcodes.IssuedCode:
    """One fresh code from the subject's online batch: the live one that outlasts this code, else a new one valid to
    the end of the Beijing day the code ends in (never past the entries it names, the code cut short to match)."""
    life = qrcodes.ttl()
    ends = now + dt.timedelta(seconds=life)
    position = _code_standing(subject_id, today, ends)
    valid_until = min(local_day_bounds(ends)[1], position.entries_end)
    tag = position.online_tag or qrcodes.open_batch(subject_id, ONLINE, now, valid_until)
    return qrcodes.mint(tag, position.sealed, now, min(life, int(valid_until.timestamp()) - int(now.timestamp())))


def _instant(timestamp: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC)


def issue_codes(subject_id: int, hours: int, today: dt.date, now: dt.datetime) -> tuple[list[qrcodes.IssuedCode],
                                                                                          dt.datetime]:
    """Codes for a phone to show offline: one per consecutive window for `hours` from now (never past the entries they
    name), and when the last ends. A new batch per Beijing day, so no tag links a citizen's codes across days."""
    position = _code_standing(subject_id, today, now)
    quotas.check_code_batches(subject_id, now)
    valid_until = min(now.replace(microsecond=0) + dt.timedelta(hours=hours), position.entries_end)
    life, last = qrcodes.ttl(), int(valid_until.timestamp())
    issued: list[qrcodes.IssuedCode] = []
    # A window belongs to the day it starts in: the one across midnight stays whole, in the evening's batch.
    for _, day in groupby(range(int(now.timestamp()), last, life), key=lambda at: local_date(_instant(at))):
        starts = list(day)
        end = _instant(min(starts[-1] + life, last))
        tag = qrcodes.open_batch(subject_id, OFFLINE, now, end)
        issued += qrcodes.mint_windows(tag, position.sealed, _instant(starts[0]), end)
    return issued, valid_until


def redemption_of_code(subject_id: int, token: str) -> Redemption | None:
    """The redemption made with one of the subject's own codes, if staff have confirmed it (else None)."""
    claimed = qrcodes.claim(token)
    if claimed is None:
        return None
    return db.session.scalar(sa.select(Redemption).where(Redemption.token_key == claimed.token_key,
                                                         Redemption.subject_id == subject_id))


@dataclass(frozen=True)
class CatalogueItem:
    """A measure of the catalogue, and how it applies to the reader: their offer, or why it is not open to them (both
    None when not signed in)."""

    measure: Measure
    offer: Offer | None
    why_not: str | None = None


@dataclass(frozen=True)
class Catalogue:
    """The catalogue as a reader sees it, and why a signed-in reader may not use incentives at all (else None)."""

    items: list[CatalogueItem]
    reason: CitizenReason | None = None


def catalogue_for(subject_id: int | None, today: dt.date, scenario: str | None = None) -> Catalogue:
    """The catalogue as a reader sees it: the measures open to them first, each with their benefit worked out, and
    for each of the others why not, in words."""
    measures = catalogue(today, scenario=scenario)
    if subject_id is None:
        return Catalogue([CatalogueItem(measure, None) for measure in measures])
    position = standing(get_subject(subject_id), today)
    subject, refused = position.subject, reason(position, today)
    active = {view.category.code for view in position.entries if view.status == ACTIVE}
    names = {code: name for code, name in db.session.execute(sa.select(ListCategory.code, ListCategory.name))}
    open_to_them = {offer.id: offer for offer in offers_for(subject.kind, subject.grade, active, measures)}
    items = []
    for measure in measures:
        if refused is None and measure.id in open_to_them:
            items.append(CatalogueItem(measure, open_to_them[measure.id]))
            continue
        rule = measure_refusal(subject.kind, subject.grade, active, measure)
        # The listing comes first, but a measure of the other kind or above their grade is closed to them anyway.
        words = (refused.title if refused and rule not in ("kind_not_served", "grade_too_low") else
                 measure_reason(rule or "", kinds=measure.kinds, min_grade=measure.min_grade, grade=subject.grade,
                                categories=[names.get(code, code) for code in measure.category_codes]))
        items.append(CatalogueItem(measure, None, words))
    return Catalogue(sorted(items, key=lambda item: item.offer is None), refused)


def refused_attempts(subject_id: int) -> list[ScanAttempt]:
    """The subject's recent refused scans, the ones an objection may be about."""
    return [attempt for attempt in scanning.subject_attempts(subject_id) if not attempt.valid]


def redemptions(subject_id: int, page: int, after: str | None = None) -> Page[Redemption]:
    """The subject's redemptions, newest first: page `page`, or the page below `after`."""
    return keyset_page(sa.select(Redemption).where(Redemption.subject_id == subject_id), Redemption.redeemed_at,
                       Redemption.id, PAGE_SIZE, page, after, lambda item: (item.redeemed_at, item.id))
