"""Reading an import file (名单信息标准) and its report: CSV decoded as it is parsed, XLSX read-only, a file of more
rows than the cap refused before any row is checked, and only the first thousand refusals listed, the rest counted."""
import codecs
import csv
import datetime as dt
import heapq
import io
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from openpyxl import load_workbook

from app.errors import DomainError

COLUMN_LABELS = {"kind": "主体类型", "name": "名称", "id_number": "证件号码", "category": "名单类别",
                 "recognized_on": "认定日期", "grade": "信用等级", "recorded_on": "认定日期",
                 "authority": "认定机关", "summary": "失信行为"}
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")
# The refusals a report lists (by row); the rest are only counted, so a file of bad rows answers with a small report.
ERRORS_LISTED = 1000
_DECODE_CHUNK = 64 * 1024


@dataclass
class ImportReport:
    """What an import did: counts, and the first refusals by row as {row, column, header, code, message}."""

    kind: str
    filename: str
    encoding: str | None = None
    rows_total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    batch_id: int | None = None
    headers: dict[str, str] = field(default_factory=dict)  # column key → the header as the file wrote it
    error_count: int = 0  # every refusal recorded, listed or not
    _listed: list[tuple[int, int, dict[str, Any]]] = field(default_factory=list, repr=False)  # heap by -row, -order
    _refused_rows: set[int] = field(default_factory=set, repr=False)

    @property
    def refused(self) -> int:
        return len(self._refused_rows)

    @property
    def errors(self) -> list[dict[str, Any]]:
        """The listed refusals in row order (a row's own in the order they were found)."""
        return [error for _, _, error in sorted(self._listed, reverse=True)]

    @property
    def errors_not_listed(self) -> int:
        return self.error_count - len(self._listed)

    def refuse(self, row: int, column: str | None, code: str, message: str) -> None:
        """Record a refused row; `header` names the column as the file did (a report is read next to the file).
        Only the ERRORS_LISTED refusals of the lowest rows are kept whatever order they come in."""
        header = self.headers.get(column) or COLUMN_LABELS.get(column, column) if column else None
        self.error_count += 1
        self._refused_rows.add(row)
        error = {"row": row, "column": column, "header": header, "code": code, "message": message}
        heapq.heappush(self._listed, (-row, -self.error_count, error))
        if len(self._listed) > ERRORS_LISTED:
            heapq.heappop(self._listed)

    def refuse_whole(self, code: str, message: str, column: str | None) -> None:
        """The file refused as a whole: its one problem (at the header, row 1) replaces whatever its rows had."""
        self.rows_total = self.error_count = 0
        self._listed.clear()
        self._refused_rows.clear()
        self.refuse(1, column, code, message)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "filename": self.filename, "encoding": self.encoding,
                "rows_total": self.rows_total, "created": self.created, "updated": self.updated,
                "unchanged": self.unchanged, "refused": self.refused, "batch_id": self.batch_id,
                "errors": self.errors, "errors_not_listed": self.errors_not_listed}


class FileRefused(DomainError):
    """The file as a whole cannot be read (empty, wrong encoding, missing column, too long); nothing is imported."""

    def __init__(self, report: ImportReport, code: str, message: str, column: str | None = None) -> None:
        super().__init__(code, message)
        report.refuse_whole(code, message, column)
        self.report = report


def _too_long(report: ImportReport, limit: int) -> FileRefused:
    return FileRefused(report, "import_too_many_rows", f"文件超过 {limit:,} 行数据的上限，请拆分成几个文件分别导入")


def _encoding(data: bytes, report: ImportReport) -> str:
    """UTF-8 (BOM or not), else GB18030 (Chinese Excel's CSV): checked a chunk at a time, never held decoded whole."""
    view = memoryview(data)
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for start in range(0, len(view), _DECODE_CHUNK):
                decoder.decode(view[start:start + _DECODE_CHUNK])
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        report.encoding = "utf-8" if encoding == "utf-8-sig" else encoding
        return encoding
    raise FileRefused(report, "bad_encoding", "文件编码无法识别，请另存为 UTF-8 编码的 CSV 或 XLSX")


def _csv_rows(data: bytes, report: ImportReport, limit: int) -> Iterator[tuple[Any, ...]]:
    """The CSV's rows, decoded as they are parsed; a file longer than the cap is refused by a first pass that only
    counts (the header and `limit` filled rows at most), before any row is checked."""
    encoding = _encoding(data, report)

    def rows() -> Iterator[list[str]]:
        return csv.reader(io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline=""))

    try:
        filled = (row for row in rows() if any(cell.strip() for cell in row))
        if sum(1 for _ in itertools.islice(filled, limit + 2)) > limit + 1:
            raise _too_long(report, limit)
        yield from (tuple(row) for row in rows())
    except csv.Error:
        raise FileRefused(report, "bad_file", "无法按 CSV 读取该文件，请检查引号和分隔符，或另存为 XLSX") from None


def _xlsx_rows(data: bytes, report: ImportReport, limit: int) -> Iterator[tuple[Any, ...]]:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many unrelated types for a damaged workbook
        raise FileRefused(report, "bad_file", "无法读取 XLSX 文件，文件可能已损坏") from None
    report.encoding = "xlsx"
    try:
        sheet = workbook.worksheets[0]
        # The sheet's declared size refuses a long file at once; _records still counts, for a sheet without one.
        if (sheet.max_row or 0) > limit + 1:
            raise _too_long(report, limit)
        yield from sheet.iter_rows(values_only=True)
    finally:
        workbook.close()


def _table_rows(filename: str, data: bytes, report: ImportReport, limit: int) -> Iterator[tuple[Any, ...]]:
    if not data or data.isspace():  # strip() would copy the whole file
        raise FileRefused(report, "empty_file", "文件为空")
    if data[:4] == b"PK\x03\x04":
        return _xlsx_rows(data, report, limit)
    if filename.lower().endswith((".xlsx", ".xls")):
        raise FileRefused(report, "bad_file", "文件扩展名为 Excel，但内容不是 XLSX 表格")
    return _csv_rows(data, report, limit)


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else value


def _header_index(header: Iterable[Any], columns: dict[str, tuple[str, ...]], required: tuple[str, ...],
                  report: ImportReport) -> dict[str, int]:
    header = list(header)
    names = [str(_cell(value)).lower().replace(" ", "") for value in header]
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


def records(filename: str, data: bytes, columns: dict[str, tuple[str, ...]], required: tuple[str, ...],
            report: ImportReport) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (spreadsheet row number, {column: value}) for each non-blank data row, at most IMPORT_MAX_ROWS."""
    limit = current_app.config["IMPORT_MAX_ROWS"]
    rows = _table_rows(filename, data, report, limit)
    header = next(rows, None)
    if header is None or not any(_cell(value) for value in header):
        raise FileRefused(report, "empty_file", "文件为空或缺少表头")
    index = _header_index(header, columns, required, report)
    data_rows = 0
    for row_number, row in enumerate(rows, start=2):
        values = {key: _cell(row[position]) if position < len(row) else "" for key, position in index.items()}
        if any(values.values()):
            data_rows += 1
            if data_rows > limit:
                raise _too_long(report, limit)
            yield row_number, values
    if data_rows == 0:
        raise FileRefused(report, "empty_file", "文件只有表头，没有数据行")


def parse_date(value: Any) -> dt.date:
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
