"""List and dishonesty imports (API.md "List import format", SPEC §2): every refused row reported, nothing half-done."""
import csv
import datetime as dt
import io
import json
import random

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from app import cli as cli_module
from app import demo
from app.extensions import db
from app.models import AuditEvent, Department, DishonestyRecord, ImportBatch, ListEntry, Subject
from app.services import dishonesty, imports, subjects

ACTOR = "test-importer"
TODAY = dt.date(2026, 11, 20)  # the conftest `today`; used only to build module-level data
RECENT = TODAY - dt.timedelta(days=100)  # 2026-08-12
RECENT_EXPIRY = dt.date(2028, 8, 11)  # RECENT + 2 years - 1 day

LIST_HEADER = ("kind", "name", "id_number", "category", "recognized_on", "grade")
LIST_HEADER_ZH = ("主体类型", "名称", "证件号码", "名单类别", "认定日期", "信用等级")
DISHONESTY_HEADER = ("kind", "id_number", "name", "recorded_on", "authority", "summary")

_rng = random.Random(20261120)
PERSONS = [demo.person_id(_rng) for _ in range(6)]
COMPANIES = [demo.enterprise_code(_rng) for _ in range(3)]
PERSON_NAMES = ["王守信", "李诚", "陈路平", "赵明", "钱芳", "孙伟"]
COMPANY_NAMES = ["阳江市海陵五金制品有限公司", "阳江市漠阳水产有限公司", "阳江市江城物流有限公司"]
assert len(set(PERSONS)) == len(PERSONS) and len(set(COMPANIES)) == len(COMPANIES)


# ---- helpers ---------------------------------------------------------------------------------------------

def csv_bytes(rows, header=LIST_HEADER, encoding="utf-8", bom=False) -> bytes:
    """A CSV file: the header, then one line per row (values written with str())."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([[("" if value is None else str(value)) for value in row] for row in rows])
    data = buffer.getvalue().encode(encoding)
    return b"\xef\xbb\xbf" + data if bom else data


def person(index=0, *, name=None, category="P02", on=RECENT, grade="A", kind="person", id_number=None):
    return (kind, PERSON_NAMES[index] if name is None else name, id_number or PERSONS[index], category, on, grade)


def company(index=0, *, name=None, category="E02", on=RECENT, grade="AA", kind="enterprise", id_number=None):
    return (kind, COMPANY_NAMES[index] if name is None else name, id_number or COMPANIES[index], category, on, grade)


def dishonest(index=0, *, on=RECENT, authority="市人民法院", summary="拒不履行生效判决"):
    return ("person", PERSONS[index], PERSON_NAMES[index], on, authority, summary)


def import_rows(rows, today, **csv_options):
    return imports.import_list("list.csv", csv_bytes(rows, **csv_options), ACTOR, today)


def import_dishonesty_rows(rows, today):
    return imports.import_dishonesty("dishonesty.csv", csv_bytes(rows, header=DISHONESTY_HEADER), ACTOR, today)


def problems(report):
    """The refused rows as (row, column, code), in report order."""
    return [(error["row"], error["column"], error["code"]) for error in report.errors]


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def counts() -> dict[str, int]:
    return {model.__name__: count(model) for model in (Subject, ListEntry, ImportBatch, DishonestyRecord, AuditEvent)}


def entries() -> list[ListEntry]:
    db.session.expire_all()
    return db.session.scalars(sa.select(ListEntry).order_by(ListEntry.id)).all()


def subject_of(id_number: str, kind: str = "person") -> Subject:
    db.session.expire_all()
    return subjects.find_subject(kind, id_number)


def bad_check_digit(number: str) -> str:
    return number[:-1] + ("1" if number[-1] == "0" else "0")


def assert_nothing_written(before):
    """Nothing imported: no subject, entry, record or batch, and no audit event beyond the catalogue's own."""
    assert counts() == before
    assert (before["Subject"], before["ListEntry"], before["ImportBatch"], before["DishonestyRecord"]) == (0, 0, 0, 0)


def assert_good_pair_imported(report, names=(PERSON_NAMES[0], COMPANY_NAMES[0])):
    """The person+company pair used by the good-file tests was stored whole, valid two years."""
    assert (report.created, report.updated, report.unchanged, report.refused, report.errors) == (2, 0, 0, 0, [])
    assert (count(Subject), count(ListEntry), count(ImportBatch)) == (2, 2, 1)
    stored = entries()
    assert [(e.subject.name, e.subject.kind, e.category.code) for e in stored] == [
        (names[0], "person", "P02"), (names[1], "enterprise", "E02")]
    assert [(e.recognized_on, e.expires_on, e.status, e.batch_id) for e in stored] == [
        (RECENT, RECENT_EXPIRY, "active", report.batch_id)] * 2
    assert [e.subject.grade for e in stored] == ["A", "AA"]


# ---- good files ------------------------------------------------------------------------------------------

def test_english_headers_create_entries_valid_two_years(catalogue, today):
    """A clean CSV with English headers: one subject and one entry per row, expiring recognition + 2 years - 1 day."""
    report = import_rows([person(0), company(0)], today)
    assert report.encoding == "utf-8"
    assert_good_pair_imported(report)
    batch = db.session.get(ImportBatch, report.batch_id)
    assert (batch.kind, batch.rows_total, batch.rows_created, batch.rows_refused, batch.actor) == (
        "list", 2, 2, 0, ACTOR)
    assert subject_of(PERSONS[0]).id_masked == PERSONS[0][:3] + "*" * 11 + PERSONS[0][-4:]


def test_chinese_headers_and_kind_words(catalogue, today):
    """Chinese headers (主体类型…信用等级) and the kind words 个人/企业 are read like the English ones."""
    rows = [person(0, kind="个人"), company(0, kind="企业")]
    report = import_rows(rows, today, header=LIST_HEADER_ZH)
    assert_good_pair_imported(report)


def test_utf8_bom_is_accepted(catalogue, today):
    """A UTF-8 CSV saved with a BOM (as Excel does) keeps its first column name `kind`."""
    report = import_rows([person(0), company(0)], today, bom=True)
    assert report.encoding == "utf-8"
    assert_good_pair_imported(report)


def test_gbk_csv_with_chinese_names_is_decoded(catalogue, today):
    """A GBK-encoded CSV with Chinese headers is decoded as GB18030: names stored exactly, not mojibake."""
    rows = [person(0, kind="个人"), company(0, kind="企业")]
    data = csv_bytes(rows, header=LIST_HEADER_ZH, encoding="gbk")
    report = imports.import_list("名单.csv", data, ACTOR, today)
    assert report.encoding == "gb18030"
    assert_good_pair_imported(report)
    assert subject_of(PERSONS[0]).name == "王守信"


def test_xlsx_with_date_cell_and_grade(catalogue, today):
    """An XLSX sheet with a real date cell and a grade imports like the CSV."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(LIST_HEADER_ZH))
    sheet.append(["个人", PERSON_NAMES[0], PERSONS[0], "P02", RECENT, "A"])
    sheet.append(["enterprise", COMPANY_NAMES[0], COMPANIES[0], "E02", dt.datetime(2026, 8, 12), "aa"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = imports.import_list("list.xlsx", buffer.getvalue(), ACTOR, today)
    assert report.encoding == "xlsx"
    assert_good_pair_imported(report)


# ---- refused rows ----------------------------------------------------------------------------------------

def test_bad_resident_id_check_digit(catalogue, today):
    """A resident ID whose check digit is wrong is refused as invalid_id_number; the good row still goes in."""
    report = import_rows([person(0), person(1, id_number=bad_check_digit(PERSONS[1]))], today)
    assert problems(report) == [(3, "id_number", "invalid_id_number")]
    assert (report.created, report.refused) == (1, 1)
    assert (count(Subject), count(ListEntry), count(ImportBatch)) == (1, 1, 1)
    assert subject_of(PERSONS[1]) is None


def test_bad_uscc_check_character(catalogue, today):
    """A unified social credit code whose check character is wrong is refused as invalid_id_number."""
    report = import_rows([company(0, id_number=bad_check_digit(COMPANIES[0])), company(1)], today)
    assert problems(report) == [(2, "id_number", "invalid_id_number")]
    assert (report.created, report.refused) == (1, 1)
    assert (count(Subject), count(ListEntry)) == (1, 1)
    assert subject_of(COMPANIES[0], "enterprise") is None


def test_unknown_category(catalogue, today):
    """A category code not in the catalogue is refused as unknown_category."""
    report = import_rows([person(0, category="P99")], today)
    assert problems(report) == [(2, "category", "unknown_category")]
    assert (report.created, report.refused, report.batch_id) == (0, 1, None)
    assert (count(Subject), count(ListEntry), count(ImportBatch)) == (0, 0, 0)


@pytest.mark.parametrize("row", [person(0, category="E02"), company(0, category="P02")],
                         ids=["person-in-E02", "company-in-P02"])
def test_category_kind_mismatch(catalogue, today, row):
    """A person in an enterprise category, or an enterprise in a person one, is refused as category_kind_mismatch."""
    report = import_rows([row], today)
    assert problems(report) == [(2, "category", "category_kind_mismatch")]
    assert (count(Subject), count(ListEntry), count(ImportBatch)) == (0, 0, 0)


@pytest.mark.parametrize("value", ["2026-02-30", "20/11/2026", "去年", ""])
def test_malformed_date(catalogue, today, value):
    """A recognition date that is not a calendar date in a known format is refused as invalid_date."""
    report = import_rows([person(0), person(1, on=value)], today)
    assert problems(report) == [(3, "recognized_on", "invalid_date")]
    assert (report.created, count(ListEntry), count(Subject)) == (1, 1, 1)


def test_future_date(catalogue, today):
    """A recognition date after today is refused as future_date; today itself is accepted."""
    report = import_rows([person(0, on=today), person(1, on=today + dt.timedelta(days=1))], today)
    assert problems(report) == [(3, "recognized_on", "future_date")]
    assert [(e.recognized_on, e.expires_on) for e in entries()] == [(today, dt.date(2028, 11, 19))]
    assert count(Subject) == 1


def test_recognition_older_than_two_years(catalogue, today):
    """A recognition whose two years already ended is refused as recognition_expired; the last valid day passes."""
    last_valid = dt.date(2024, 11, 21)  # expires 2026-11-20 == today
    report = import_rows([person(0, on=last_valid), person(1, on=dt.date(2024, 11, 20))], today)
    assert problems(report) == [(3, "recognized_on", "recognition_expired")]
    assert [(e.recognized_on, e.expires_on) for e in entries()] == [(last_valid, today)]
    assert count(Subject) == 1


def test_invalid_grade(catalogue, today):
    """A grade outside AAA/AA/A/B/C/D is refused as invalid_grade."""
    report = import_rows([person(0, grade="A+")], today)
    assert problems(report) == [(2, "grade", "invalid_grade")]
    assert (count(Subject), count(ListEntry), count(ImportBatch)) == (0, 0, 0)


def test_invalid_kind(catalogue, today):
    """A kind other than person/个人/enterprise/企业 is refused as invalid_kind."""
    report = import_rows([person(0, kind="citizen")], today)
    assert problems(report) == [(2, "kind", "invalid_kind")]
    assert (count(Subject), count(ListEntry), count(ImportBatch)) == (0, 0, 0)


def test_empty_name(catalogue, today):
    """A row without a name is refused as missing_value."""
    report = import_rows([person(0, name="")], today)
    assert problems(report) == [(2, "name", "missing_value")]
    assert (count(Subject), count(ListEntry), count(ImportBatch)) == (0, 0, 0)


def test_duplicate_row_in_file(catalogue, today):
    """The same subject and category twice in a file: the first row goes in, the second is refused as duplicate_row."""
    report = import_rows([person(0), person(1), person(0, on=RECENT - dt.timedelta(days=5))], today)
    assert problems(report) == [(4, "id_number", "duplicate_row")]
    assert (report.created, report.refused) == (2, 1)
    assert [(e.subject.name, e.recognized_on) for e in entries()] == [(PERSON_NAMES[0], RECENT),
                                                                       (PERSON_NAMES[1], RECENT)]


def test_same_id_with_other_name_is_name_mismatch(catalogue, today):
    """An ID number already registered under another name is refused as name_mismatch and the name is kept."""
    import_rows([person(0)], today)
    before = counts()
    report = import_rows([person(0, name="王守义", category="P03")], today)
    assert problems(report) == [(2, "name", "name_mismatch")]
    assert (report.created, report.batch_id) == (0, None)
    assert counts() == before
    assert subject_of(PERSONS[0]).name == PERSON_NAMES[0]


def test_same_id_with_two_names_in_one_file_is_name_mismatch(catalogue, today):
    """Two rows giving one ID number two different names: the second row is refused as name_mismatch."""
    report = import_rows([person(0), person(0, name="王守义", category="P03")], today)
    assert problems(report) == [(3, "name", "name_mismatch")]
    assert (count(Subject), count(ListEntry)) == (1, 1)


# ---- whole-file refusals ---------------------------------------------------------------------------------

def test_missing_column_refuses_file(catalogue, today):
    """A file without a required column is refused whole (missing_column) and nothing is written."""
    data = csv_bytes([row[:4] + row[5:] for row in [person(0), person(1)]],
                     header=tuple(h for h in LIST_HEADER if h != "recognized_on"))
    before = counts()
    with pytest.raises(imports.FileRefused) as refused:
        imports.import_list("list.csv", data, ACTOR, today)
    assert refused.value.code == "missing_column"
    assert problems(refused.value.report) == [(1, "recognized_on", "missing_column")]
    assert_nothing_written(before)


@pytest.mark.parametrize("data", [b"", b"\n\n  \r\n"], ids=["zero-bytes", "blank-lines"])
def test_empty_file_refused(catalogue, today, data):
    """A file with no content at all is refused whole as empty_file."""
    before = counts()
    with pytest.raises(imports.FileRefused) as refused:
        imports.import_list("list.csv", data, ACTOR, today)
    assert refused.value.code == "empty_file"
    assert problems(refused.value.report) == [(1, None, "empty_file")]
    assert_nothing_written(before)


def test_header_only_file_refused(catalogue, today):
    """A file with a header and no data rows is refused whole as empty_file."""
    before = counts()
    with pytest.raises(imports.FileRefused) as refused:
        import_rows([], today)
    assert refused.value.code == "empty_file"
    assert_nothing_written(before)


# ---- dishonesty exclusion --------------------------------------------------------------------------------

def test_recent_dishonesty_excludes_subject(catalogue, today):
    """A subject with an unrepaired serious dishonesty record in the last 3 years is refused as excluded_dishonest."""
    import_dishonesty_rows([dishonest(0, on=dt.date(2023, 11, 20))], today)  # exactly three years ago
    before = counts()
    report = import_rows([person(0), person(1)], today)
    assert problems(report) == [(2, "id_number", "excluded_dishonest")]
    assert (report.created, report.refused) == (1, 1)
    assert counts()["ListEntry"] == 1 and counts()["Subject"] == before["Subject"] + 1
    assert [e.subject.name for e in entries()] == [PERSON_NAMES[1]]


def test_dishonesty_older_than_three_years_does_not_exclude(catalogue, today):
    """A dishonesty record from more than 3 years ago no longer blocks listing."""
    import_dishonesty_rows([dishonest(0, on=dt.date(2023, 11, 19))], today)
    report = import_rows([person(0)], today)
    assert (problems(report), report.created) == ([], 1)
    assert [(e.subject.name, e.status) for e in entries()] == [(PERSON_NAMES[0], "active")]
    assert count(Subject) == 1


def test_repaired_dishonesty_does_not_exclude(catalogue, today):
    """After credit repair (信用修复) the subject may be listed again."""
    import_dishonesty_rows([dishonest(0)], today)
    record_id = db.session.scalar(sa.select(DishonestyRecord.id))
    dishonesty.repair_credit(record_id, "已履行判决义务", ACTOR, today)
    report = import_rows([person(0)], today)
    assert (problems(report), report.created) == ([], 1)
    assert [(e.subject.name, e.status) for e in entries()] == [(PERSON_NAMES[0], "active")]


# ---- mixed files and re-imports --------------------------------------------------------------------------

def test_mixed_file_imports_good_rows_and_reports_bad(catalogue, today):
    """Good rows are imported and every bad row reported in one call; blank lines keep the spreadsheet row numbers."""
    rows = [person(0), person(1, category="X1"), (), company(0), person(2, grade="Z"),
            company(1, on="2026/13/01"), person(3, kind="")]
    report = import_rows(rows, today)
    assert problems(report) == [(3, "category", "unknown_category"), (6, "grade", "invalid_grade"),
                                (7, "recognized_on", "invalid_date"), (8, "kind", "invalid_kind")]
    assert (report.rows_total, report.created, report.updated, report.unchanged, report.refused) == (6, 2, 0, 0, 4)
    assert report.created + report.refused == report.rows_total
    assert (count(Subject), count(ListEntry), count(ImportBatch)) == (2, 2, 1)
    assert db.session.get(ImportBatch, report.batch_id).rows_refused == 4


def test_reimport_same_file_changes_nothing(catalogue, today):
    """Importing the same file a second time creates nothing, opens no batch and writes no audit event."""
    data = csv_bytes([person(0), person(1), company(0)])
    first = imports.import_list("list.csv", data, ACTOR, today)
    assert first.created == 3
    before = counts()
    second = imports.import_list("list.csv", data, ACTOR, today)
    assert (second.created, second.updated, second.unchanged, second.refused, second.batch_id) == (0, 0, 3, 0, None)
    assert counts() == before


def test_changed_grade_on_reimport_is_an_update(catalogue, today):
    """A re-imported row whose grade changed counts as updated and changes the subject's grade."""
    import_rows([person(0, grade="A"), person(1, grade="B")], today)
    report = import_rows([person(0, grade="AAA"), person(1, grade="B")], today)
    assert (report.created, report.updated, report.unchanged, report.refused) == (0, 1, 1, 0)
    assert report.batch_id is not None
    assert (subject_of(PERSONS[0]).grade, subject_of(PERSONS[1]).grade) == ("AAA", "B")
    assert (count(ListEntry), count(ImportBatch)) == (2, 2)


def test_progress_increments_sum_to_data_rows(catalogue, today):
    """The progress callback receives increments that add up to the number of data rows."""
    rng = random.Random(5)
    numbers = list(dict.fromkeys(demo.person_id(rng) for _ in range(2600)))[:2500]
    rows = [("person", "测试", number, "P01", RECENT, "") for number in numbers]
    seen: list[int] = []
    report = imports.import_list("big.csv", csv_bytes(rows), ACTOR, today, progress=seen.append)
    assert sum(seen) == 2500
    assert seen == [1000, 1000, 500]
    assert (report.rows_total, report.created, count(ListEntry)) == (2500, 2500, 2500)


def test_real_peoples_numbers_go_in(catalogue, today):
    """Born before their district's code existed, or holding a Hong Kong/Macao/Taiwan residence permit."""
    rows = [person(name="冯海生", id_number=demo.resident_id("441702", dt.date(1965, 3, 12), 213)),
            person(name="梁老深", id_number=demo.resident_id("440303", dt.date(1958, 8, 8), 51)),
            person(name="陈家明", id_number=demo.resident_id("810000", dt.date(1983, 7, 1), 35)),
            person(name="何澳生", id_number=demo.resident_id("820000", dt.date(1990, 2, 28), 72)),
            person(name="林台生", id_number=demo.resident_id("830000", dt.date(1975, 10, 10), 9))]
    report = import_rows(rows, today)
    assert (report.created, report.errors) == (5, [])


def test_hostile_names_and_impossible_numbers_are_refused_by_row(catalogue, today):
    before = counts()
    rows = [person(0, name='=HYPERLINK("http://evil.example/","点我")'),
            person(1, name="@SUM(1+1)"),
            person(2, name="王\x07五"),
            company(0, name="+86阳江公司"),
            person(3, id_number=demo.resident_id("441702", today + dt.timedelta(days=1), 5)),
            person(4, id_number=demo.resident_id("441799", dt.date(1990, 1, 1), 5))]
    report = import_rows(rows, today)
    assert problems(report) == [(2, "name", "invalid_name"), (3, "name", "invalid_name"), (4, "name", "invalid_name"),
                                (5, "name", "invalid_name"), (6, "id_number", "invalid_id_number"),
                                (7, "id_number", "invalid_id_number")]
    assert counts() == before


def test_dishonesty_rows_follow_the_same_identity_rules(catalogue, today):
    rows = [("person", PERSONS[0], "=1+1", RECENT, "市人民法院", ""),
            ("person", demo.resident_id("441702", today + dt.timedelta(days=3), 8), "钱未来", RECENT, "市人民法院", "")]
    report = import_dishonesty_rows(rows, today)
    assert problems(report) == [(2, "name", "invalid_name"), (3, "id_number", "invalid_id_number")]
    assert count(DishonestyRecord) == 0


# ---- dishonesty import -----------------------------------------------------------------------------------

def test_dishonesty_import_creates_records(catalogue, today):
    """A dishonesty file creates one record per row (and the subjects it names) in one batch."""
    report = import_dishonesty_rows([dishonest(0), dishonest(1, on=dt.date(2020, 1, 2), authority="市税务局")], today)
    assert (report.created, report.unchanged, report.refused) == (2, 0, 0)
    assert (count(DishonestyRecord), count(Subject), count(ImportBatch), count(ListEntry)) == (2, 2, 1, 0)
    records = db.session.scalars(sa.select(DishonestyRecord).order_by(DishonestyRecord.id)).all()
    assert [(r.subject.name, r.recorded_on, r.authority, r.summary, r.batch_id) for r in records] == [
        (PERSON_NAMES[0], RECENT, "市人民法院", "拒不履行生效判决", report.batch_id),
        (PERSON_NAMES[1], dt.date(2020, 1, 2), "市税务局", "拒不履行生效判决", report.batch_id)]


def test_blocking_dishonesty_suspends_entries_in_same_call(catalogue, today):
    """A blocking record suspends its subject's active entries in the import call; an old record suspends nothing."""
    import_rows([person(0), person(0, category="P03"), person(1)], today)
    import_dishonesty_rows([dishonest(0), dishonest(1, on=dt.date(2022, 5, 1))], today)
    assert [(e.subject.name, e.category.code, e.status) for e in entries()] == [
        (PERSON_NAMES[0], "P02", "suspended"), (PERSON_NAMES[0], "P03", "suspended"),
        (PERSON_NAMES[1], "P02", "active")]
    assert entries()[0].status_reason.startswith("严重失信记录")


def test_dishonesty_reimport_changes_nothing(catalogue, today):
    """Importing the same dishonesty file again creates nothing and opens no batch."""
    rows = [dishonest(0), dishonest(1)]
    import_dishonesty_rows(rows, today)
    before = counts()
    report = import_dishonesty_rows(rows, today)
    assert (report.created, report.unchanged, report.refused, report.batch_id) == (0, 2, 0, None)
    assert counts() == before


def test_dishonesty_missing_authority_column(catalogue, today):
    """A dishonesty file without the authority column is refused whole as missing_column."""
    data = csv_bytes([row[:4] for row in [dishonest(0)]], header=DISHONESTY_HEADER[:4])
    before = counts()
    with pytest.raises(imports.FileRefused) as refused:
        imports.import_dishonesty("dishonesty.csv", data, ACTOR, today)
    assert refused.value.code == "missing_column"
    assert problems(refused.value.report) == [(1, "authority", "missing_column")]
    assert_nothing_written(before)


def test_dishonesty_progress_increments_sum_to_data_rows(catalogue, today):
    """The dishonesty import's progress callback also adds up to the number of data rows."""
    seen: list[int] = []
    data = csv_bytes([dishonest(0), dishonest(1), dishonest(2)], header=DISHONESTY_HEADER)
    imports.import_dishonesty("dishonesty.csv", data, ACTOR, today, progress=seen.append)
    assert sum(seen) == 3


# ---- command line ----------------------------------------------------------------------------------------

@pytest.fixture
def run_cli(app, today, monkeypatch, tmp_path):
    """Write rows to a CSV and run a CLI import on it, with the command's `today` pinned to the test date."""
    monkeypatch.setattr(cli_module, "today", lambda: today)

    def run(rows, *options, command="import-list", header=LIST_HEADER):
        path = tmp_path / "名单.csv"
        path.write_bytes(csv_bytes(rows, header=header))
        return app.test_cli_runner().invoke(args=[command, str(path), *options])
    return run


def test_cli_clean_file_exits_zero(catalogue, run_cli):
    """`flask import-list` exits 0 for a clean file and prints the counts."""
    result = run_cli([person(0), company(0)])
    assert result.exit_code == 0, result.output
    assert "新增 2" in result.output and "拒绝 0" in result.output
    assert (count(ListEntry), count(ImportBatch)) == (2, 1)


def test_cli_refused_row_exits_one(catalogue, run_cli):
    """`flask import-list` exits 1 when a row is refused and names the row and its code."""
    result = run_cli([person(0), person(1, id_number=bad_check_digit(PERSONS[1]))])
    assert result.exit_code == 1
    assert "第 3 行 [id_number] invalid_id_number" in result.output
    assert count(ListEntry) == 1


def test_cli_json_output(catalogue, run_cli):
    """`--json` prints the report as parseable JSON, refused rows included."""
    result = run_cli([person(0), person(1, category="P99")], "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert (report["created"], report["refused"], report["rows_total"], report["encoding"]) == (1, 1, 2, "utf-8")
    assert [(e["row"], e["column"], e["code"]) for e in report["errors"]] == [(3, "category", "unknown_category")]


def test_cli_dishonesty_import(catalogue, run_cli):
    """`flask import-dishonesty` imports a clean file and exits 0."""
    result = run_cli([dishonest(0)], "--json", command="import-dishonesty", header=DISHONESTY_HEADER)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["created"] == 1
    assert count(DishonestyRecord) == 1


def test_a_department_reporter_imports_only_their_own_categories(app, catalogue, today):
    """市税务局 may report A级纳税人 (E02) but not 道德模范 (P02)."""
    tax = db.session.scalar(sa.select(Department).where(Department.code == "SWJ"))
    rng = random.Random(99)
    data = (f"kind,name,id_number,category,recognized_on\n"
            f"enterprise,某纳税企业,{demo.enterprise_code(rng)},E02,{today}\n"
            f"person,某人,{demo.person_id(rng)},P02,{today}\n").encode()
    report = imports.import_list("t.csv", data, "reporter:1", today, department_id=tax.id)
    assert report.created == 1
    assert [(error["row"], error["code"]) for error in report.errors] == [(3, "category_not_allowed")]
