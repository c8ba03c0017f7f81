"""Imports of list and dishonesty files (名单信息标准): CSV or XLSX, every refused row reported, the good rows in one
transaction."""
import csv
import datetime as dt
import hashlib
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from openpyxl import load_workbook

from app.domain.grades import parse_grade
from app.domain.identity import ENTERPRISE, normalize_id_number, normalize_name, parse_kind
from app.domain.lists import ACTIVE, exclusion_start, listing_expiry
from app.errors import DomainError, Forbidden
from app.extensions import db
from app.models import DishonestyRecord, ImportBatch, ListCategory, ListEntry, Subject
from app.services import audit
from app.services.dishonesty import blocking_conditions, suspend_for
from app.services.spreadsheets import CSV_MIMETYPE, XLSX_MIMETYPE, csv_lines, xlsx_bytes
from app.services.subjects import new_subject, subject_hash

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

COLUMN_LABELS = {"kind": "主体类型", "name": "名称", "id_number": "证件号码", "category": "名单类别",
                 "recognized_on": "认定日期", "grade": "信用等级", "recorded_on": "认定日期",
                 "authority": "认定机关", "summary": "失信行为"}
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")
LOOKUP_CHUNK = 500

Progress = Callable[[int], None] | None


@dataclass
class ImportReport:
    """What an import did: counts and every refused row as {row, column, code, message}."""

    kind: str
    filename: str
    encoding: str | None = None
    rows_total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    batch_id: int | None = None
    headers: dict[str, str] = field(default_factory=dict)  # column key → the header as the file wrote it

    @property
    def refused(self) -> int:
        return len({error["row"] for error in self.errors})

    def refuse(self, row: int, column: str | None, code: str, message: str) -> None:
        """Record a refused row; `header` names the column as the file did (a report is read next to the file)."""
        header = self.headers.get(column) or COLUMN_LABELS.get(column, column) if column else None
        self.errors.append({"row": row, "column": column, "header": header, "code": code, "message": message})

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "filename": self.filename, "encoding": self.encoding,
                "rows_total": self.rows_total, "created": self.created, "updated": self.updated,
                "unchanged": self.unchanged, "refused": self.refused, "batch_id": self.batch_id,
                "errors": self.errors}


class FileRefused(DomainError):
    """The file as a whole cannot be read (empty, wrong encoding, missing column); nothing is imported."""

    def __init__(self, report: ImportReport, code: str, message: str, column: str | None = None) -> None:
        super().__init__(code, message)
        report.refuse(1, column, code, message)
        self.report = report


# ---- reading --------------------------------------------------------------------------------------------

def _decode(data: bytes, report: ImportReport) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        report.encoding = "utf-8" if encoding == "utf-8-sig" else encoding
        return text
    raise FileRefused(report, "bad_encoding", "文件编码无法识别，请另存为 UTF-8 编码的 CSV 或 XLSX")


def _xlsx_rows(data: bytes, report: ImportReport) -> Iterator[tuple[Any, ...]]:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many unrelated types for a damaged workbook
        raise FileRefused(report, "bad_file", "无法读取 XLSX 文件，文件可能已损坏") from None
    report.encoding = "xlsx"
    try:
        yield from workbook.worksheets[0].iter_rows(values_only=True)
    finally:
        workbook.close()


def _table_rows(filename: str, data: bytes, report: ImportReport) -> Iterator[tuple[Any, ...]]:
    if not data.strip():
        raise FileRefused(report, "empty_file", "文件为空")
    if data[:4] == b"PK\x03\x04":
        return _xlsx_rows(data, report)
    if filename.lower().endswith((".xlsx", ".xls")):
        raise FileRefused(report, "bad_file", "文件扩展名为 Excel，但内容不是 XLSX 表格")
    return (tuple(row) for row in csv.reader(io.StringIO(_decode(data, report), newline="")))


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else value


def _header_index(header: Iterable[Any], columns: dict[str, tuple[str, ...]], required: tuple[str, ...],
                  report: ImportReport) -> dict[str, int]:
    header = list(header)
    names = [str(_cell(cell)).lower().replace(" ", "") for cell in header]
    index: dict[str, int] = {}
    for key, aliases in columns.items():
        for position, name in enumerate(names):
            if name in aliases:
                index[key] = position
                report.headers[key] = str(_cell(header[position]))
                break
    for key in required:
        if key not in index:
            raise FileRefused(report, "missing_column",
                              f"缺少必需的列：{COLUMN_LABELS[key]}", column=key)
    return index


def _records(filename: str, data: bytes, columns: dict[str, tuple[str, ...]], required: tuple[str, ...],
             report: ImportReport) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (spreadsheet row number, {column: value}) for each non-blank data row."""
    rows = _table_rows(filename, data, report)
    header = next(rows, None)
    if header is None or not any(_cell(cell) for cell in header):
        raise FileRefused(report, "empty_file", "文件为空或缺少表头")
    index = _header_index(header, columns, required, report)
    data_rows = 0
    for row_number, row in enumerate(rows, start=2):
        values = {key: _cell(row[position]) if position < len(row) else "" for key, position in index.items()}
        if any(values.values()):
            data_rows += 1
            yield row_number, values
    if data_rows == 0:
        raise FileRefused(report, "empty_file", "文件只有表头，没有数据行")


def _parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(str(value), fmt).date()
        except ValueError:
            continue
    raise DomainError("invalid_date", f"日期格式不正确：{value!r}，应为 YYYY-MM-DD")


# ---- validation of one row, without the database ---------------------------------------------------------

@dataclass
class _Row:
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


def _validate_common(row_number: int, values: dict[str, Any], date_column: str, today: dt.date,
                     report: ImportReport) -> _Row | None:
    """Kind, name, ID number and date; records every problem of the row and returns None if any."""
    problems = len(report.errors)
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
        day = _parse_date(values[date_column])
        if day > today:
            report.refuse(row_number, date_column, "future_date", f"{COLUMN_LABELS[date_column]}不能晚于今天")
    except DomainError as exc:
        report.refuse(row_number, date_column, exc.code, exc.message)
    if len(report.errors) > problems:
        return None
    return _Row(row_number, kind, name, subject_hash(kind, number), number, day)


def _validate_list_row(row_number: int, values: dict[str, Any], categories: dict[str, ListCategory],
                       today: dt.date, report: ImportReport) -> _Row | None:
    problems = len(report.errors)
    row = _validate_common(row_number, values, "recognized_on", today, report)
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
    if row is None or len(report.errors) > problems:
        return None
    row.category, row.grade = category, grade
    return row


# ---- shared database steps -------------------------------------------------------------------------------

def _subjects_by_hash(hashes: set[str]) -> dict[str, Subject]:
    found: dict[str, Subject] = {}
    ordered = sorted(hashes)
    for start in range(0, len(ordered), LOOKUP_CHUNK):
        chunk = ordered[start:start + LOOKUP_CHUNK]
        found.update((subject.id_hash, subject) for subject in db.session.scalars(
            sa.select(Subject).where(Subject.id_hash.in_(chunk))))
    return found


def _chunked_ids(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), LOOKUP_CHUNK):
        yield ids[start:start + LOOKUP_CHUNK]


def _blocked_subject_ids(subject_ids: list[int], today: dt.date) -> set[int]:
    blocked: set[int] = set()
    for chunk in _chunked_ids(subject_ids):
        blocked.update(db.session.scalars(sa.select(DishonestyRecord.subject_id).where(
            DishonestyRecord.subject_id.in_(chunk), *blocking_conditions(exclusion_start(today), today))))
    return blocked


def _names_agree(rows: list[_Row], subjects: dict[str, Subject], report: ImportReport) -> list[_Row]:
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


def _create_subjects(rows: list[_Row], subjects: dict[str, Subject]) -> None:
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
         "credit_code": s.credit_code, "qr_ref": s.qr_ref, "grade": None} for s in new.values()])
    subjects.update(_subjects_by_hash(set(new)))


def _open_batch(kind: str, filename: str, sha256: str, actor: str) -> ImportBatch:
    batch = ImportBatch(kind=kind, filename=filename[:255], sha256=sha256, actor=actor)
    db.session.add(batch)
    db.session.flush()
    return batch


def _close_batch(batch: ImportBatch, report: ImportReport, actor: str) -> None:
    batch.rows_total, batch.rows_created, batch.rows_updated = report.rows_total, report.created, report.updated
    batch.rows_unchanged, batch.rows_refused, batch.errors = report.unchanged, report.refused, report.errors
    report.batch_id = batch.id
    audit.record(actor, f"import.{report.kind}", "import_batch", batch.id, filename=report.filename,
                 created=report.created, updated=report.updated, refused=report.refused)


def _each(records: Iterator[tuple[int, dict[str, Any]]], progress: Progress) -> Iterator[tuple[int, dict[str, Any]]]:
    """Pass the records through, telling `progress` every thousand rows and once more at the end."""
    count = 0
    for count, record in enumerate(records, start=1):
        yield record
        if progress and count % 1000 == 0:
            progress(1000)
    if progress and count % 1000:
        progress(count % 1000)


# ---- list import -----------------------------------------------------------------------------------------

def import_list(filename: str, data: bytes, actor: str, today: dt.date, progress: Progress = None,
                department_id: int | None = None) -> ImportReport:
    """Import a list file; refused rows are reported, the rest go in one transaction, a re-import changes nothing.

    A department reporter (`department_id`) may import only their own department's categories.
    """
    report = ImportReport(kind="list", filename=filename)
    rows = _valid_list_rows(filename, data, today, department_id, progress, report)
    subjects = _subjects_by_hash({row.id_hash for row in rows})
    accepted = _listable(rows, subjects, today, report)
    report.errors.sort(key=lambda error: error["row"])
    _create_subjects(accepted, subjects)
    new_entries, grade_changes = _changes(accepted, subjects, report)
    if not new_entries and not grade_changes:
        db.session.rollback()
        return report
    batch = _open_batch("list", filename, hashlib.sha256(data).hexdigest(), actor)
    for entry in new_entries:
        entry["batch_id"] = batch.id
    if new_entries:
        db.session.execute(sa.insert(ListEntry), new_entries)
    if grade_changes:
        db.session.execute(sa.update(Subject), [{"id": sid, "grade": grade} for sid, grade in grade_changes.items()])
    _close_batch(batch, report, actor)
    db.session.commit()
    return report


def _valid_list_rows(filename: str, data: bytes, today: dt.date, department_id: int | None, progress: Progress,
                     report: ImportReport) -> list[_Row]:
    """The rows that pass every check a row can pass on its own, the first of any duplicates."""
    categories: dict[str, ListCategory] = {}
    for category in db.session.scalars(sa.select(ListCategory)):
        categories[category.name] = categories[category.code] = category
    rows: list[_Row] = []
    first_seen: dict[tuple[str, int], int] = {}
    for row_number, values in _each(_records(filename, data, LIST_COLUMNS, LIST_REQUIRED, report), progress):
        report.rows_total += 1
        row = _validate_list_row(row_number, values, categories, today, report)
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


def _listable(rows: list[_Row], subjects: dict[str, Subject], today: dt.date, report: ImportReport) -> list[_Row]:
    """Rows whose name agrees with the record and whose subject no dishonesty record keeps off the list."""
    blocked = _blocked_subject_ids([subject.id for subject in subjects.values()], today)
    accepted: list[_Row] = []
    for row in _names_agree(rows, subjects, report):
        subject = subjects.get(row.id_hash)
        if subject is not None and subject.id in blocked:
            report.refuse(row.number, "id_number", "excluded_dishonest",
                          "该主体近三年内有严重失信记录，不得列入守信激励对象名单")
        else:
            accepted.append(row)
    return accepted


def _changes(accepted: list[_Row], subjects: dict[str, Subject],
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
    for chunk in _chunked_ids(sorted(set(subject_ids))):
        found.update(tuple(row) for row in db.session.execute(
            sa.select(ListEntry.subject_id, ListEntry.category_id, ListEntry.recognized_on)
            .where(ListEntry.subject_id.in_(chunk))))
    return found


# ---- dishonesty import -----------------------------------------------------------------------------------

def import_dishonesty(filename: str, data: bytes, actor: str, today: dt.date,
                      progress: Progress = None) -> ImportReport:
    """Import serious dishonesty records; a blocking record suspends its subject's entries in the same transaction."""
    report = ImportReport(kind="dishonesty", filename=filename)
    rows: list[_Row] = []
    first_seen: dict[tuple[str, dt.date, str], int] = {}
    for row_number, values in _each(_records(filename, data, DISHONESTY_COLUMNS, DISHONESTY_REQUIRED, report),
                                    progress):
        report.rows_total += 1
        problems = len(report.errors)
        row = _validate_common(row_number, values, "recorded_on", today, report)
        authority = str(values["authority"])
        if not authority:
            report.refuse(row_number, "authority", "missing_value", "认定机关不能为空")
        if row is None or len(report.errors) > problems:
            continue
        row.authority, row.summary = authority[:200], str(values.get("summary", ""))
        key = (row.id_hash, row.day, row.authority)
        if key in first_seen:
            report.refuse(row_number, "id_number", "duplicate_row", f"与第 {first_seen[key]} 行重复")
            continue
        first_seen[key] = row_number
        rows.append(row)

    subjects = _subjects_by_hash({row.id_hash for row in rows})
    accepted = _names_agree(rows, subjects, report)
    report.errors.sort(key=lambda error: error["row"])
    _create_subjects(accepted, subjects)
    existing = {tuple(key) for chunk in _chunked_ids(sorted({s.id for s in subjects.values()}))
                for key in db.session.execute(sa.select(
                    DishonestyRecord.subject_id, DishonestyRecord.recorded_on, DishonestyRecord.authority)
                    .where(DishonestyRecord.subject_id.in_(chunk)))}
    fresh = [row for row in accepted if (subjects[row.id_hash].id, row.day, row.authority) not in existing]
    report.unchanged = len(accepted) - len(fresh)
    report.created = len(fresh)
    if not fresh:
        db.session.rollback()
        return report

    batch = _open_batch("dishonesty", filename, hashlib.sha256(data).hexdigest(), actor)
    for row in fresh:
        record = DishonestyRecord(subject_id=subjects[row.id_hash].id, recorded_on=row.day,
                                  authority=row.authority, summary=row.summary, batch_id=batch.id)
        db.session.add(record)
        db.session.flush()
        suspend_for(record, actor, today)
    _close_batch(batch, report, actor)
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
            return import_dishonesty(filename, data, actor, today)
        return import_list(filename, data, actor, today, department_id=department_id)
    except FileRefused as refused:
        return refused.report


def template(fmt: str) -> tuple[bytes, str]:
    """A blank list file in the standard format (Chinese headers, one example row) as CSV or XLSX."""
    header = [COLUMN_LABELS[key] for key in LIST_COLUMNS]
    example = [["个人", "张三", "11010519491231002X", "P02", "2026-01-15", "AA"]]
    if fmt == "csv":
        return "".join(csv_lines(header, example)).encode(), CSV_MIMETYPE
    return xlsx_bytes(header, example), XLSX_MIMETYPE
