"""Pages of a query: one row more than the page is read to know whether another page follows.

Lists that can grow without end (a venue's scans, a citizen's redemptions, the audit log) are paged by key as well:
each page hands back the position of its last row (`after`), and the next page starts below it through the list's
index, so page 5,000 costs what page 1 does. Page numbers keep working (by offset) for clients that send them.
"""
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import QueryableAttribute

from app.errors import DomainError
from app.extensions import db

T = TypeVar("T")
CURSOR = re.compile(r"(\d{1,16})\.(\d{1,18})")
CURSOR_PATTERN = CURSOR.pattern
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MICROSECOND = dt.timedelta(microseconds=1)
MAX_ID = 2**31 - 1  # ids are INTEGER (int4 on PostgreSQL): a larger one in a cursor is read as this
AnySelect = sa.Select[*tuple[Any, ...]]
Key = sa.ColumnElement[Any] | QueryableAttribute[Any]


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of items, the number of the next page and the key position to continue after (None on the last)."""

    items: list[T]
    next: int | None
    after: str | None = None


def page_of(query: AnySelect, page: int, size: int) -> Page[Any]:
    """Page `page` (from 1) of an ordered query of one entity."""
    rows = list(db.session.scalars(query.offset((page - 1) * size).limit(size + 1)))
    return Page(rows[:size], page + 1 if len(rows) > size else None)


def cursor(at: dt.datetime, row_id: int) -> str:
    """The opaque position of a row in a newest-first list: its time in microseconds and its id."""
    return f"{(at - EPOCH) // MICROSECOND}.{row_id}"


def _position(after: str) -> tuple[dt.datetime, int]:
    match = CURSOR.fullmatch(after)
    if match is None:
        raise DomainError("invalid_cursor", "翻页位置无效", fields={"after": "请使用上一页返回的 after"})
    micros, row_id = int(match.group(1)), int(match.group(2))
    return EPOCH + micros * MICROSECOND, min(row_id, MAX_ID)


def keyset_page(query: AnySelect, time: Key, row_id: Key, size: int, page: int = 1, after: str | None = None,
                position: Callable[[Any], tuple[dt.datetime, int]] | None = None) -> Page[Any]:
    """A page of a query ordered newest first by (time, id): below `after` when given, else page `page` by offset.

    `position` reads (time, id) off an item (default: its `at` and `id`).
    """
    query = query.order_by(time.desc(), row_id.desc())
    if after is None:
        found = page_of(query, page, size)
    else:
        at, last_id = _position(after)
        # `time <= at` is the index range; the OR only drops the rows of that instant already shown.
        rows = list(db.session.scalars(query.where(time <= at, sa.or_(time < at, row_id < last_id)).limit(size + 1)))
        found = Page(rows[:size], page + 1 if len(rows) > size else None)
    if found.next is None:
        return found
    position = position or (lambda item: (item.at, item.id))
    return Page(found.items, found.next, cursor(*position(found.items[-1])))
