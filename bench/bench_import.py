"""Time import_list on a generated 100,000-row list file against a plain read-and-parse, to check the < 60 s target."""
import argparse
import csv
import datetime as dt
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as `python bench/bench_import.py` rather than `python -m bench.bench_import`
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from flask_migrate import downgrade, upgrade  # noqa: E402
from openpyxl import Workbook, load_workbook  # noqa: E402

from app import demo  # noqa: E402
from app.extensions import db  # noqa: E402
from app.services.imports import ImportReport, import_list  # noqa: E402
from wsgi import create_app  # noqa: E402

TODAY = dt.date(2026, 11, 20)
RECOGNIZED_WITHIN_DAYS = 600
TARGET_ROWS, TARGET_SECONDS = 100_000, 60.0
SEED = 20261120
ACTOR = "bench-import"
HEADER = ("kind", "name", "id_number", "category", "recognized_on", "grade")
CODES = {kind: [code for code, _, category_kind, _ in demo.CATEGORIES if category_kind == kind]
         for kind in ("person", "enterprise")}


@dataclass
class Result:
    """The seconds one file took: plain read-and-parse, first import, re-import."""

    file_format: str
    baseline_label: str
    baseline: float
    first: float
    again: float


def positive(text: str) -> int:
    if not text.isdigit() or int(text) == 0:
        raise argparse.ArgumentTypeError(f"a positive whole number, not {text!r}")
    return int(text)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=positive, default=TARGET_ROWS, help="rows to generate (default 100000)")
    parser.add_argument("--xlsx", action="store_true", help="also time an XLSX file of the same rows")
    parser.add_argument("--database-url", help="an EMPTY database to use instead of a temporary SQLite file; "
                                               "it is migrated, filled, and downgraded to empty again")
    return parser.parse_args(argv)


# ---- the list file ---------------------------------------------------------------------------------------

def unique(draw: Callable[[random.Random], str], rng: random.Random, seen: set[str]) -> str:
    while (value := draw(rng)) in seen:
        continue
    seen.add(value)
    return value


def generate_rows(count: int) -> list[tuple]:
    """`count` distinct subjects, every tenth an enterprise, each in one category of its kind."""
    rng, seen = random.Random(SEED), set()
    grades, weights = zip(*demo.GRADE_WEIGHTS, strict=True)
    rows = []
    for index in range(count):
        if index % 10 == 9:
            kind, number = "enterprise", unique(demo.enterprise_code, rng, seen)
            name = f"阳江市{rng.choice(demo.COMPANY_WORDS)}{rng.choice(demo.COMPANY_TRADES)}有限公司{index}"
        else:
            kind, number = "person", unique(demo.person_id, rng, seen)
            name = rng.choice(demo.SURNAMES) + "".join(rng.choice(demo.GIVEN) for _ in range(rng.choice((1, 2))))
        recognized = TODAY - dt.timedelta(days=rng.randrange(RECOGNIZED_WITHIN_DAYS))
        rows.append((kind, name, number, rng.choice(CODES[kind]), recognized, rng.choices(grades, weights)[0]))
    return rows


def write_csv(rows: list[tuple], path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def write_xlsx(rows: list[tuple], path: Path) -> Path:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def read_csv(path: Path) -> int:
    with path.open(encoding="utf-8", newline="") as file:
        return sum(1 for _ in csv.reader(file)) - 1


def read_xlsx(path: Path) -> int:
    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        return sum(1 for _ in workbook.worksheets[0].iter_rows(values_only=True)) - 1
    finally:
        workbook.close()


WRITERS = {"csv": write_csv, "xlsx": write_xlsx}
BASELINES = {"csv": ("read + parse (stdlib csv)", read_csv),
             "xlsx": ("read + parse (openpyxl read-only)", read_xlsx)}


# ---- the database ----------------------------------------------------------------------------------------

def require_empty_database() -> None:
    tables = sa.inspect(db.engine).get_table_names()
    if tables:
        sys.exit(f"the database must be empty, but it has tables: {', '.join(sorted(tables))}")


@contextmanager
def catalogue() -> Iterator[None]:
    """Migrate and seed the annex categories; drop everything again afterwards."""
    upgrade()
    demo.seed_catalogue()
    try:
        yield
    finally:
        db.session.remove()
        downgrade(revision="base")


def import_file(path: Path) -> tuple[float, ImportReport]:
    """Time one import as a request would run it: read the upload, import, fresh session afterwards."""
    start = time.perf_counter()
    report = import_list(path.name, path.read_bytes(), ACTOR, TODAY)
    seconds = time.perf_counter() - start
    db.session.remove()
    return seconds, report


# ---- measuring -------------------------------------------------------------------------------------------

def measure(file_format: str, path: Path, rows: int) -> Result:
    """Baseline, first import and re-import of one file, the imports on a freshly migrated database."""
    label, read = BASELINES[file_format]
    start = time.perf_counter()
    rows_read = read(path)
    baseline = time.perf_counter() - start
    assert rows_read == rows, rows_read
    with catalogue():
        first, report = import_file(path)
        assert (report.created, report.refused) == (rows, 0), report.as_dict() | {"errors": report.errors[:3]}
        again, report = import_file(path)
        assert report.created == 0 and report.updated == 0 and report.unchanged == rows, report.as_dict()
    return Result(file_format, label, baseline, first, again)


def print_table(results: list[Result], rows: int, database: str) -> None:
    print(f"\n{rows:,} rows ({rows - rows // 10:,} persons, {rows // 10:,} enterprises), {database}, today {TODAY}")
    print(f"{'step':<46}{'seconds':>9}{'rows/s':>11}{'× baseline':>12}")
    for result in results:
        for label, seconds in ((result.baseline_label, result.baseline), ("import_list", result.first),
                               ("import_list again (changes nothing)", result.again)):
            print(f"{result.file_format + ': ' + label:<46}{seconds:>9.2f}{rows / seconds:>11,.0f}"
                  f"{seconds / result.baseline:>12,.0f}")
    for result in results:
        projected = result.first * TARGET_ROWS / rows
        how = "measured" if rows == TARGET_ROWS else "projected linearly"
        verdict = "met" if projected < TARGET_SECONDS else "NOT met"
        print(f"{result.file_format} import of {TARGET_ROWS:,} rows: {projected:.1f} s ({how}), "
              f"target < {TARGET_SECONDS:.0f} s {verdict}")


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    file_formats = ["csv", "xlsx"] if args.xlsx else ["csv"]
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        rows = generate_rows(args.rows)
        files = {fmt: WRITERS[fmt](rows, Path(tmp) / f"list-{len(rows)}.{fmt}") for fmt in file_formats}
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        app = create_app("test", SQLALCHEMY_DATABASE_URI=url)
        with app.app_context():
            require_empty_database()
            database = (db.engine.url.render_as_string(hide_password=True) if args.database_url
                        else "SQLite (temporary file)")
            results = [measure(fmt, path, len(rows)) for fmt, path in files.items()]
            db.engine.dispose()
    print_table(results, len(rows), database)


if __name__ == "__main__":
    main()
