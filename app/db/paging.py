"""Pages of a query: one row more than the page is read to know whether another page follows."""
from dataclasses import dataclass
from typing import Generic, TypeVar

import sqlalchemy as sa

from app.extensions import db

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of items and the number of the next page (None on the last)."""

    items: list[T]
    next: int | None


def page_of(query: sa.Select, page: int, size: int) -> Page:
    """Page `page` (from 1) of an ordered query of one entity."""
    rows = db.session.scalars(query.offset((page - 1) * size).limit(size + 1)).all()
    return Page(rows[:size], page + 1 if len(rows) > size else None)
