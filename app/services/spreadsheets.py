"""Every CSV and XLSX the system writes goes through here, so no cell can run as a formula in Excel or WPS."""
import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from openpyxl import Workbook

# A cell starting with one of these is a formula (or becomes one) when a spreadsheet opens the file (CSV injection).
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r", "\n")
CSV_MIMETYPE = "text/csv"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell(value: Any) -> Any:
    """Text that a spreadsheet would run is kept as text (a leading apostrophe); numbers and dates stay as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_LEADS):
        return "'" + value
    return value


class _Line:
    """A file-like object csv.writer writes one row to, handed back as a string."""

    def write(self, text: str) -> str:
        return text


_LEADS = frozenset(FORMULA_LEADS)  # every lead is one character


def csv_lines(header: list[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """A CSV for Excel (UTF-8 with BOM) line by line, as the rows are read: a download starts at once and an export
    of any size takes bounded memory."""
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        # safe_cell inlined: an export calls it for every cell of hundreds of thousands of rows.
        yield writer.writerow(["'" + cell if cell.__class__ is str and cell[:1] in _LEADS else cell for cell in row])


def xlsx_bytes(header: list[str], rows: Iterable[Iterable[Any]]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append([safe_cell(cell) for cell in header])
    for row in rows:
        sheet.append([safe_cell(cell) for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
