"""Scan attempts as the console reads them: one partner unit's counters (its manager) or every unit (the credit
office), newest first, optionally only the refusals."""
import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.db.paging import Page, page_of
from app.extensions import db
from app.models import ScanAttempt

PAGE_SIZE = 50


def attempts(venue_id: int | None, page: int, refusals_only: bool = False) -> Page[ScanAttempt]:
    query = (sa.select(ScanAttempt)
             .options(selectinload(ScanAttempt.subject), selectinload(ScanAttempt.measure),
                      selectinload(ScanAttempt.staff))
             .order_by(ScanAttempt.at.desc(), ScanAttempt.id.desc()))
    if venue_id is not None:
        query = query.where(ScanAttempt.venue_id == venue_id)
    if refusals_only:
        query = query.where(ScanAttempt.valid.is_(False))
    return page_of(query, page, PAGE_SIZE)


def count_refusals(venue_id: int | None) -> int:
    query = sa.select(sa.func.count()).select_from(ScanAttempt).where(ScanAttempt.valid.is_(False))
    if venue_id is not None:
        query = query.where(ScanAttempt.venue_id == venue_id)
    return db.session.scalar(query)
