"""Imports of list and dishonesty files (名单信息标准): CSV or XLSX, every refused row reported (the first thousand
listed), the good rows in one transaction; reading is app.services.import_files, row checks app.services.import_rows."""
import datetime as dt
import hashlib
from typing import Any

import sqlalchemy as sa

from app.domain.lists import ACTIVE, listing_expiry
from app.errors import Forbidden
from app.extensions import db
from app.logs import log_event
from app.models import DishonestyRecord, ListCategory, ListEntry, Subject
from app.services.dishonesty import suspend_for
from app.services.import_files import COLUMN_LABELS, FileRefused, ImportReport, records
from app.services.import_rows import (
    Progress,
    Row,
    blocked_subject_ids,
    chunked,
    close_batch,
    create_subjects,
    each,
    names_agree,
    open_batch,
    subjects_by_hash,
    validate_common,
    validate_list_row,
)
from app.services.spreadsheets import CSV_MIMETYPE, XLSX_MIMETYPE, csv_lines, xlsx_bytes

LIST_COLUMNS = {
    "kind": ("kind", "主体类型"),
    "name": ("name", "名称", "姓名"),
    "id_number": ("id_number", "证件号码"),
    "category": ("category", "名单类别"),
    "recognized_on": ("recognized_on", "认定日期"),
    "grade": ("grade", "信用等级"),
}
LIST_REQUIRED = ("kind", "name", "id_number", "category", "recognized_on")

DISHONESTY_COLUMNS = {
    "kind": ("kind", "主体类型"),
    "id_number": ("id_number", "证件号码"),
    "name": ("name", "名称", "姓名"),
    "recorded_on": ("recorded_on", "认定日期", "记录日期"),
    "authority": ("authority", "认定机关", "认定部门"),
    "summary": ("summary", "失信行为", "摘要"),
}
DISHONESTY_REQUIRED = ("kind", "id_number", "name", "recorded_on", "authority")


# ---- list import -----------------------------------------------------------------------------------------

def import_list(filename: str, data: bytes, actor: str, today: dt.date, progress: Progress = None,
                department_id: int | None = None) -> ImportReport:
    """Import a list file; refused rows are reported, the rest go in one transaction, a re-import changes nothing.

    A department reporter (`department_id`) may import only their own department's categories.
    """
    report = ImportReport(kind="list", filename=filename)
    rows = _valid_list_rows(filename, data, today, department_id, progress, report)
    subjects = subjects_by_hash({row.id_hash for row in rows})
    accepted = _listable(rows, subjects, today, report)
    create_subjects(accepted, subjects)
    new_entries, grade_changes = _changes(accepted, subjects, report)
    if not new_entries and not grade_changes:
        db.session.commit()  # no batch: nothing the report counts, only credit codes create_subjects filled in
        return report
    batch = open_batch("list", filename, hashlib.sha256(data).hexdigest(), actor)
    for entry in new_entries:
        entry["batch_id"] = batch.id
    if new_entries:
        db.session.execute(sa.insert(ListEntry), new_entries)
    if grade_changes:
        db.session.execute(sa.update(Subject), [{"id": sid, "grade": grade} for sid, grade in grade_changes.items()])
    close_batch(batch, report, actor)
    db.session.commit()
    return report


def _valid_list_rows(filename: str, data: bytes, today: dt.date, department_id: int | None, progress: Progress,
                     report: ImportReport) -> list[Row]:
    """The rows that pass every check a row can pass on its own, the first of any duplicates."""
    categories: dict[str, ListCategory] = {}
    for category in db.session.scalars(sa.select(ListCategory)):
        categories[category.name] = categories[category.code] = category
    rows: list[Row] = []
    first_seen: dict[tuple[str, int], int] = {}
    for row_number, values in each(records(filename, data, LIST_COLUMNS, LIST_REQUIRED, report), progress):
        report.rows_total += 1
        row = validate_list_row(row_number, values, categories, today, report)
        if row is None:
            continue
        if department_id is not None and row.category.department_id != department_id:
            report.refuse(row_number, "category", "category_not_allowed",
                          f"名单类别“{row.category.name}”不由本单位报送")
            continue
        key = (row.id_hash, row.category.id)
        if key in first_seen:
            report.refuse(row_number, "id_number", "duplicate_row",
                          f"与第 {first_seen[key]} 行重复：同一主体在同一名单类别中只能出现一次")
            continue
        first_seen[key] = row_number
        rows.append(row)
    return rows


def _listable(rows: list[Row], subjects: dict[str, Subject], today: dt.date, report: ImportReport) -> list[Row]:
    """Rows whose name agrees with the record and whose subject no dishonesty record keeps off the list."""
    blocked = blocked_subject_ids([subject.id for subject in subjects.values()], today)
    accepted: list[Row] = []
    for row in names_agree(rows, subjects, report):
        subject = subjects.get(row.id_hash)
        if subject is not None and subject.id in blocked:
            report.refuse(row.number, "id_number", "excluded_dishonest",
                          "该主体近三年内有严重失信记录，不得列入守信激励对象名单")
        else:
            accepted.append(row)
    return accepted


def _changes(accepted: list[Row], subjects: dict[str, Subject],
             report: ImportReport) -> tuple[list[dict[str, Any]], dict[int, str]]:
    """The entries to insert and the grades to change; counts each row as created, updated or unchanged."""
    existing = _existing_entries([subjects[row.id_hash].id for row in accepted])
    new_entries, grade_changes = [], {}
    for row in accepted:
        subject = subjects[row.id_hash]
        is_new = (subject.id, row.category.id, row.day) not in existing
        grade_changed = row.grade is not None and grade_changes.get(subject.id, subject.grade) != row.grade
        if is_new:
            new_entries.append({"subject_id": subject.id, "category_id": row.category.id, "recognized_on": row.day,
                                "expires_on": listing_expiry(row.day), "status": ACTIVE})
            report.created += 1
        elif grade_changed:
            report.updated += 1
        else:
            report.unchanged += 1
        if grade_changed:
            grade_changes[subject.id] = row.grade
    return new_entries, grade_changes


def _existing_entries(subject_ids: list[int]) -> set[tuple[int, int, dt.date]]:
    found: set[tuple[int, int, dt.date]] = set()
    for chunk in chunked(sorted(set(subject_ids))):
        found.update(tuple(row) for row in db.session.execute(
            sa.select(ListEntry.subject_id, ListEntry.category_id, ListEntry.recognized_on)
            .where(ListEntry.subject_id.in_(chunk))))
    return found


# ---- dishonesty import -----------------------------------------------------------------------------------

def import_dishonesty(filename: str, data: bytes, actor: str, today: dt.date,
                      progress: Progress = None) -> ImportReport:
    """Import serious dishonesty records; a blocking record suspends its subject's entries in the same transaction."""
    report = ImportReport(kind="dishonesty", filename=filename)
    rows: list[Row] = []
    first_seen: dict[tuple[str, dt.date, str], int] = {}
    for row_number, values in each(records(filename, data, DISHONESTY_COLUMNS, DISHONESTY_REQUIRED, report),
                                    progress):
        report.rows_total += 1
        problems = report.error_count
        row = validate_common(row_number, values, "recorded_on", today, report)
        authority = str(values["authority"])
        if not authority:
            report.refuse(row_number, "authority", "missing_value", "认定机关不能为空")
        if row is None or report.error_count > problems:
            continue
        row.authority, row.summary = authority[:200], str(values.get("summary", ""))
        key = (row.id_hash, row.day, row.authority)
        if key in first_seen:
            report.refuse(row_number, "id_number", "duplicate_row", f"与第 {first_seen[key]} 行重复")
            continue
        first_seen[key] = row_number
        rows.append(row)

    subjects = subjects_by_hash({row.id_hash for row in rows})
    accepted = names_agree(rows, subjects, report)
    create_subjects(accepted, subjects)
    existing = {tuple(key) for chunk in chunked(sorted({s.id for s in subjects.values()}))
                for key in db.session.execute(sa.select(
                    DishonestyRecord.subject_id, DishonestyRecord.recorded_on, DishonestyRecord.authority)
                    .where(DishonestyRecord.subject_id.in_(chunk)))}
    fresh = [row for row in accepted if (subjects[row.id_hash].id, row.day, row.authority) not in existing]
    report.unchanged = len(accepted) - len(fresh)
    report.created = len(fresh)
    if not fresh:
        db.session.commit()  # as for a list: only the credit codes create_subjects filled in, if any
        return report

    batch = open_batch("dishonesty", filename, hashlib.sha256(data).hexdigest(), actor)
    for row in fresh:
        record = DishonestyRecord(subject_id=subjects[row.id_hash].id, recorded_on=row.day,
                                  authority=row.authority, summary=row.summary, batch_id=batch.id)
        db.session.add(record)
        db.session.flush()
        suspend_for(record, actor, today)
    close_batch(batch, report, actor)
    db.session.commit()
    return report


def import_file(kind: str, filename: str, data: bytes, actor: str, today: dt.date,
                department_id: int | None = None) -> ImportReport:
    """A list or dishonesty file from the console or the admin API; a file refused whole comes back as its report.

    A department reporter (`department_id`) imports lists of their own categories only, never dishonesty records.
    """
    if kind == "dishonesty" and department_id is not None:
        raise Forbidden("forbidden_role", "报送单位只能导入本单位的名单")
    try:
        if kind == "dishonesty":
            report = import_dishonesty(filename, data, actor, today)
        else:
            report = import_list(filename, data, actor, today, department_id=department_id)
    except FileRefused as refused:
        report = refused.report
    log_event("import", list_kind=kind, batch_id=report.batch_id, rows=report.rows_total, added=report.created,
              updated=report.updated, unchanged=report.unchanged, refused=report.refused, errors=report.error_count)
    return report


def template(fmt: str) -> tuple[bytes, str]:
    """A blank list file in the standard format (Chinese headers, one example row) as CSV or XLSX."""
    header = [COLUMN_LABELS[key] for key in LIST_COLUMNS]
    example = [["个人", "张三", "11010519491231002X", "P02", "2026-01-15", "AA"]]
    if fmt == "csv":
        return "".join(csv_lines(header, example)).encode(), CSV_MIMETYPE
    return xlsx_bytes(header, example), XLSX_MIMETYPE
