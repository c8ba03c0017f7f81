"""守信激励对象公示: what the public may see of the list — enterprises by name and credit code, persons as counts per
category and, where the category is an honour, by masked name — filtered and paged in the database."""
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

import sqlalchemy as sa

from app.db.paging import AnySelect, Key, Page
from app.domain.cases import OPEN_OBJECTION
from app.domain.identity import ENTERPRISE, PERSON, mask_name
from app.domain.lists import ACTIVE, HONOUR_CATEGORIES, exclusion_start
from app.extensions import db
from app.models import Department, ListCategory, ListEntry, Objection, Subject
from app.services.dishonesty import blocking_exists
from app.services.spreadsheets import csv_lines

PAGE_SIZE = 20
CSV_BATCH = 2000
ENTERPRISE_HEADER = ["企业名称", "统一社会信用代码", "名单类别", "报送单位", "认定日期", "有效期至"]
PERSON_HEADER = ["名单类别", "报送单位", "荣誉称号", "姓名（部分隐去）", "人数", "认定日期", "有效期至"]


@dataclass(frozen=True)
class Filters:
    """What the reader asked for: one subject kind, a category code of it, and for enterprises a part of the name."""

    kind: str = ENTERPRISE
    category: str | None = None
    name: str = ""


@dataclass(frozen=True)
class CategoryCount:
    code: str
    name: str
    honour: bool
    count: int


@dataclass(frozen=True)
class PersonRow:
    """Persons of one category recognised on one day: one named holder of an honour, or a count of the others."""

    category: str
    department: str
    honour: bool
    name: str | None
    count: int
    recognized_on: dt.date
    expires_on: dt.date


def _published(today: dt.date) -> tuple[sa.ColumnElement[bool], ...]:
    """The entries the public sees: those with which refusal_of lets the subject use incentives today — stored active
    and not yet expired (entry_status), the subject not excluded by a dishonesty record (blocking_exists) — and not
    named by an open objection (what entries_under_objection reads)."""
    return (ListEntry.status == ACTIVE, ListEntry.expires_on >= today,
            ~blocking_exists(ListEntry.subject_id, exclusion_start(today), today),
            ~sa.exists().where(Objection.entry_id == ListEntry.id, Objection.status.in_(OPEN_OBJECTION)))


def category_counts(kind: str, today: dt.date) -> list[CategoryCount]:
    """Every category of the kind with how many subjects it publishes today (none too), in code order."""
    rows = db.session.execute(
        sa.select(ListCategory.code, ListCategory.name, sa.func.count(sa.distinct(ListEntry.subject_id)))
        .select_from(ListCategory)
        .outerjoin(ListEntry, sa.and_(ListEntry.category_id == ListCategory.id, *_published(today)))
        .where(ListCategory.kind == kind)
        .group_by(ListCategory.id, ListCategory.code, ListCategory.name).order_by(ListCategory.code))
    return [CategoryCount(code, name, code in HONOUR_CATEGORIES, count) for code, name, count in rows]


def _entries(kind: str, filters: Filters, today: dt.date, *columns: Key) -> AnySelect:
    """`columns` of the entries of the kind published today (in the category asked for), each joined to its subject,
    its category and the category's department."""
    query = (sa.select(*columns).select_from(ListEntry).join(Subject, Subject.id == ListEntry.subject_id)
             .join(ListCategory, ListCategory.id == ListEntry.category_id)
             .join(Department, Department.id == ListCategory.department_id)
             .where(Subject.kind == kind, *_published(today)))
    return query.where(ListCategory.code == filters.category) if filters.category else query


def _enterprises(filters: Filters, today: dt.date) -> AnySelect:
    # In full where it is kept (every enterprise listed or imported since); masked for one not re-imported since.
    code = sa.func.coalesce(Subject.credit_code, Subject.id_masked).label("code")
    query = _entries(ENTERPRISE, filters, today, Subject.name, code, ListCategory.name.label("category"),
                     Department.name.label("department"), ListEntry.recognized_on, ListEntry.expires_on)
    if filters.name:
        query = query.where(Subject.name.contains(filters.name, autoescape=True))
    return query.order_by(ListEntry.recognized_on.desc(), Subject.name, ListEntry.id)  # the newly listed first


def _persons(filters: Filters, today: dt.date) -> AnySelect:
    """Grouped by category and dates; each holder of an honour in a group of their own, with their name (no other
    person's name leaves the database)."""
    honour = ListCategory.code.in_(sorted(HONOUR_CATEGORIES))
    name = sa.func.min(sa.case((honour, Subject.name))).label("name")
    query = _entries(PERSON, filters, today, ListCategory.code, ListCategory.name.label("category"),
                     Department.name.label("department"), name,
                     sa.func.count(sa.distinct(ListEntry.subject_id)).label("count"), ListEntry.recognized_on,
                     ListEntry.expires_on)
    return (query.group_by(ListCategory.code, ListCategory.name, Department.name, ListEntry.recognized_on,
                           ListEntry.expires_on, sa.case((honour, Subject.id)))
            .order_by(ListEntry.recognized_on.desc(), ListCategory.code, name, ListEntry.expires_on))


def _person_row(row: sa.Row[*tuple[Any, ...]]) -> PersonRow:
    return PersonRow(row.category, row.department, row.code in HONOUR_CATEGORIES,
                     None if row.name is None else mask_name(PERSON, row.name),
                     row._mapping["count"], row.recognized_on, row.expires_on)  # row.count would be tuple.count


def _query(filters: Filters, today: dt.date) -> AnySelect:
    return _enterprises(filters, today) if filters.kind == ENTERPRISE else _persons(filters, today)


def listing(filters: Filters, today: dt.date, page: int, size: int = PAGE_SIZE) -> Page[Any]:
    """Page `page` (from 1) of the published enterprises (rows with name and code) or persons (PersonRow)."""
    query = _query(filters, today)
    # app.db.paging.page_of for rows of several columns: one row more than the page tells whether another follows.
    rows = db.session.execute(query.offset((page - 1) * size).limit(size + 1)).all()
    items: list[Any] = list(rows[:size]) if filters.kind == ENTERPRISE else [_person_row(row) for row in rows[:size]]
    return Page(items, page + 1 if len(rows) > size else None)


def csv_text(filters: Filters, today: dt.date) -> Iterator[str]:
    """The open-data CSV of the same list (UTF-8 with BOM, no cell a formula), in chunks as it is read."""
    rows = db.session.connection().execution_options(yield_per=CSV_BATCH).execute(_query(filters, today))
    if filters.kind == ENTERPRISE:
        lines = csv_lines(ENTERPRISE_HEADER, ([row.name, row.code, row.category, row.department,
                                               row.recognized_on.isoformat(), row.expires_on.isoformat()]
                                              for row in rows))
    else:
        lines = csv_lines(PERSON_HEADER, ([item.category, item.department, "是" if item.honour else "否",
                                           item.name or "", item.count, item.recognized_on.isoformat(),
                                           item.expires_on.isoformat()] for item in map(_person_row, rows)))
    return iter(lambda: "".join(islice(lines, CSV_BATCH)), "")
