"""Scan attempts as their lists read them: one venue's counters (staff, a partner unit's manager) or every venue
(the credit office), newest first, optionally only the refusals, paged by key at any depth."""
import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.db.paging import Page, keyset_page
from app.models import ScanAttempt

PAGE_SIZE = 50


def attempts(venue_id: int | None, page: int = 1, after: str | None = None, refusals_only: bool = False,
             size: int = PAGE_SIZE) -> Page[ScanAttempt]:
    query = sa.select(ScanAttempt).options(selectinload(ScanAttempt.subject), selectinload(ScanAttempt.measure),
                                           selectinload(ScanAttempt.staff))
    if venue_id is not None:
        query = query.where(ScanAttempt.venue_id == venue_id)
    if refusals_only:
        query = query.where(ScanAttempt.valid.is_(False))
    return keyset_page(query, ScanAttempt.at, ScanAttempt.id, size, page, after)
