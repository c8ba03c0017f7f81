"""Checking import rows: each row on its own (identity, date, category, grade), then against the database (names on
record, dishonesty exclusions), and the subjects and batches an import writes."""
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa

from app.domain.grades import parse_grade
from app.domain.identity import ENTERPRISE, normalize_id_number, normalize_name, parse_kind
from app.domain.lists import exclusion_start, listing_expiry
from app.errors import DomainError
from app.extensions import db
from app.models import DishonestyRecord, ImportBatch, ListCategory, Subject
from app.services import audit
from app.services.dishonesty import blocking_conditions
from app.services.import_files import COLUMN_LABELS, ImportReport, parse_date
from app.services.subjects import new_subject, subject_hash

LOOKUP_CHUNK = 500
T = TypeVar("T")

Progress = Callable[[int], None] | None


# ---- validation of one row, without the database ---------------------------------------------------------

@dataclass
class Row:
    number: int
    kind: str
    name: str
    id_hash: str
    id_number: str
    day: dt.date
    category: ListCategory | None = None
    grade: str | None = None
    authority: str = ""
    summary: str = ""


def validate_common(row_number: int, values: dict[str, Any], date_column: str, today: dt.date,
                     report: ImportReport) -> Row | None:
    """Kind, name, ID number and date; records every problem of the row and returns None if any."""
    problems = report.error_count
    kind = number = day = None
    try:
        kind = parse_kind(str(values["kind"]))
    except DomainError as exc:
        report.refuse(row_number, "kind", exc.code, exc.message)
    name = str(values["name"])
    if not name:
        report.refuse(row_number, "name", "missing_value", "名称不能为空")
    elif kind:
        try:
            name = normalize_name(kind, name)
        except DomainError as exc:
            report.refuse(row_number, "name", exc.code, exc.message)
    if kind:
        try:
            number = normalize_id_number(kind, str(values["id_number"]), today)
        except DomainError as exc:
            report.refuse(row_number, "id_number", exc.code, exc.message)
    try:
        day = parse_date(values[date_column])
        if day > today:
            report.refuse(row_number, date_column, "future_date", f"{COLUMN_LABELS[date_column]}不能晚于今天")
    except DomainError as exc:
        report.refuse(row_number, date_column, exc.code, exc.message)
    if report.error_count > problems or kind is None or number is None or day is None:  # each None was refused
        return None
    return Row(row_number, kind, name, subject_hash(kind, number), number, day)


def validate_list_row(row_number: int, values: dict[str, Any], categories: dict[str, ListCategory],
                       today: dt.date, report: ImportReport) -> Row | None:
    problems = report.error_count
    row = validate_common(row_number, values, "recognized_on", today, report)
    category = categories.get(str(values["category"]))
    if category is None:
        report.refuse(row_number, "category", "unknown_category", f"未知的名单类别：{values['category']!r}")
    elif row and category.kind != row.kind:
        report.refuse(row_number, "category", "category_kind_mismatch",
                      f"名单类别“{category.name}”只接受{'个人' if category.kind == 'person' else '企业'}")
    grade = None
    if values.get("grade"):
        try:
            grade = parse_grade(str(values["grade"]))
        except DomainError as exc:
            report.refuse(row_number, "grade", exc.code, exc.message)
    if row and listing_expiry(row.day) < today:
        report.refuse(row_number, "recognized_on", "recognition_expired", "认定日期距今已超过两年，名单已过有效期")
    if row is None or report.error_count > problems:
        return None
    row.category, row.grade = category, grade
    return row


# ---- shared database steps -------------------------------------------------------------------------------

def subjects_by_hash(hashes: set[str]) -> dict[str, Subject]:
    found: dict[str, Subject] = {}
    for chunk in chunked(sorted(hashes)):
        found.update((subject.id_hash, subject) for subject in db.session.scalars(
            sa.select(Subject).where(Subject.id_hash.in_(chunk))))
    return found


def chunked(items: list[T]) -> Iterator[list[T]]:
    """`items` in lists of at most LOOKUP_CHUNK, for IN (...) lookups of bounded size."""
    for start in range(0, len(items), LOOKUP_CHUNK):
        yield items[start:start + LOOKUP_CHUNK]


def blocked_subject_ids(subject_ids: list[int], today: dt.date) -> set[int]:
    blocked: set[int] = set()
    for chunk in chunked(subject_ids):
        blocked.update(db.session.scalars(sa.select(DishonestyRecord.subject_id).where(
            DishonestyRecord.subject_id.in_(chunk), *blocking_conditions(exclusion_start(today), today))))
    return blocked


def names_agree(rows: list[Row], subjects: dict[str, Subject], report: ImportReport) -> list[Row]:
    """Rows whose name matches the one on record, or the first one the file gives for a new ID number."""
    names = {id_hash: subject.name for id_hash, subject in subjects.items()}
    agreeing = []
    for row in rows:
        if names.setdefault(row.id_hash, row.name) == row.name:
            agreeing.append(row)
        else:
            report.refuse(row.number, "name", "name_mismatch",
                          "名称与该证件号码已登记（或本文件前面行）的名称不一致，请核实后联系市信用办更正")
    return agreeing


def create_subjects(rows: list[Row], subjects: dict[str, Subject]) -> None:
    """Insert the subjects the file introduces and add them to `subjects`."""
    new = {}
    for row in rows:
        if row.id_hash not in subjects and row.id_hash not in new:
            new[row.id_hash] = new_subject(row.kind, row.id_number, row.name)
        elif row.kind == ENTERPRISE and row.id_hash in subjects and subjects[row.id_hash].credit_code is None:
            subjects[row.id_hash].credit_code = row.id_number  # listed before the code was kept
    if not new:
        return
    db.session.execute(sa.insert(Subject), [
        {"kind": s.kind, "name": s.name, "id_hash": s.id_hash, "id_masked": s.id_masked,
         "credit_code": s.credit_code, "grade": None} for s in new.values()])
    subjects.update(subjects_by_hash(set(new)))


def open_batch(kind: str, filename: str, sha256: str, actor: str) -> ImportBatch:
    batch = ImportBatch(kind=kind, filename=filename[:255], sha256=sha256, actor=actor)
    db.session.add(batch)
    db.session.flush()
    return batch


def close_batch(batch: ImportBatch, report: ImportReport, actor: str) -> None:
    batch.rows_total, batch.rows_created, batch.rows_updated = report.rows_total, report.created, report.updated
    batch.rows_unchanged, batch.rows_refused, batch.errors = report.unchanged, report.refused, report.errors
    report.batch_id = batch.id
    audit.record(actor, f"import.{report.kind}", "import_batch", batch.id, filename=report.filename,
                 created=report.created, updated=report.updated, refused=report.refused)


def each(records: Iterator[tuple[int, dict[str, Any]]], progress: Progress) -> Iterator[tuple[int, dict[str, Any]]]:
    """Pass the records through, telling `progress` every thousand rows and once more at the end."""
    count = 0
    for count, record in enumerate(records, start=1):
        yield record
        if progress and count % 1000 == 0:
            progress(1000)
    if progress and count % 1000:
        progress(count % 1000)
