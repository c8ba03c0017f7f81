"""Quotas per account: cases and evidence bytes per citizen per Beijing day (429 saying when it resets, nothing
written), and imports capped in rows (refused before any row is checked) with the first thousand refusals listed and
the rest counted, read as a stream — in the report, the API, the console and the command line."""
import datetime as dt
import io
import json
import os
import time
import tracemalloc

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from app.config import load_config
from app.domain.dates import utcnow
from app.errors import DomainError
from app.extensions import db
from app.models import Complaint, Evidence, ImportBatch, ListEntry, Objection
from app.services import accounts, citizens, complaints, imports, objections
from tests.helpers import citizen_pages, console_login, identity, list_identity, login, page_csrf

PASSWORD = "quota-pass"
MEGABYTE = 1024 * 1024
HEADER = "kind,name,id_number,category,recognized_on\n"


@pytest.fixture
def citizen(client, catalogue, today):
    who = list_identity(identity(81, name="陶守时"), today)
    return who, login(client, who)


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _object(client, headers, files=()):
    body = {"type": "other", "statement": "请核实我的名单信息是否完整。"}
    if not files:
        return client.post("/api/v1/objections", json=body, headers=headers)
    return client.post("/api/v1/objections", headers=headers, content_type="multipart/form-data",
                       data={**body, "evidence": [(io.BytesIO(content), name) for name, content in files]})


def _complain(client, headers, files=()):
    return client.post("/api/v1/complaints", headers=headers, content_type="multipart/form-data",
                       data={"kind": "suggestion", "content": "建议公交车扫码设备装高一些。",
                             "evidence": [(io.BytesIO(content), name) for name, content in files]})


def _pdf(size: int) -> bytes:
    return b"%PDF-1.4\n" + b"0" * (size - 16) + b"\n%%EOF\n"


def test_the_defaults_are_those_of_the_issue(tmp_path):
    config = load_config(str(tmp_path), "test")
    assert (config.OBJECTIONS_PER_DAY, config.COMPLAINTS_PER_DAY, config.EVIDENCE_BYTES_PER_DAY,
            config.IMPORT_MAX_ROWS, config.EVIDENCE_MAX_PIXELS) == (10, 10, 50 * MEGABYTE, 200_000, 40_000_000)


# ---- cases per citizen per day ----------------------------------------------------------------------------

@pytest.mark.parametrize("file_case, model, what",
                         [(_object, Objection, "名单异议"), (_complain, Complaint, "投诉建议")])
def test_the_eleventh_case_of_a_day_is_refused_with_when_it_resets(client, citizen, today, file_case, model, what):
    who, headers = citizen
    for _ in range(10):
        assert file_case(client, headers).status_code == 201
    refused = file_case(client, headers, files=[("a.pdf", _pdf(1000))])
    assert refused.status_code == 429
    assert refused.get_json()["error"] == {"code": "quota_cases_per_day",
                                           "message": f"今日提交{what}的次数已达上限（10 次），请明天再试"}
    assert _count(model) == 10 and _count(Evidence) == 0
    other = login(client, list_identity(identity(82, name="邹守常"), today))
    assert file_case(client, other).status_code == 201  # a quota per account, not for everyone


def test_the_day_is_beijings_and_the_count_is_configured(app, citizen):
    app.config["OBJECTIONS_PER_DAY"] = 2
    subject_id = citizen[0].subject().id

    def file_at(moment: str):
        return objections.file_objection(subject_id, "other", "请核实我的名单信息。", None, None, [],
                                         dt.datetime.fromisoformat(moment))

    file_at("2026-11-20T00:30:00+08:00")
    file_at("2026-11-20T23:59:00+08:00")
    with pytest.raises(DomainError) as refused:
        file_at("2026-11-20T15:59:59+00:00")  # 23:59:59 in Beijing: still the same day
    assert refused.value.code == "quota_cases_per_day" and refused.value.status == 429
    assert file_at("2026-11-20T16:00:00+00:00").id  # 00:00 on the 21st in Beijing: a new day


def test_a_citizen_page_says_the_quota_in_words(app, client, citizen):
    app.config["COMPLAINTS_PER_DAY"] = 1
    complaints.file_complaint(citizen[0].subject().id, "suggestion", "建议延长图书馆开放时间。", None, None, None, [],
                              utcnow())
    pages = citizen_pages(app, citizen[0])
    form = {"csrf_token": page_csrf(pages, "/m/complaints/new"), "kind": "suggestion", "content": "建议装高一些。"}
    page = pages.post("/m/complaints/new", data=form, content_type="multipart/form-data", follow_redirects=True)
    assert "今日提交投诉建议的次数已达上限（1 次），请明天再试" in page.get_data(as_text=True)
    assert _count(Complaint) == 1


# ---- evidence bytes per citizen per day -------------------------------------------------------------------

def test_evidence_bytes_count_across_both_kinds_of_case_and_refuse_before_writing(app, client, citizen):
    app.config["EVIDENCE_BYTES_PER_DAY"] = 1 * MEGABYTE
    headers = citizen[1]
    assert _complain(client, headers, files=[("a.pdf", _pdf(600_000))]).status_code == 201
    refused = _object(client, headers, files=[("b.pdf", _pdf(300_000)), ("c.pdf", _pdf(300_000))])
    assert refused.status_code == 429
    error = refused.get_json()["error"]
    assert error["code"] == "quota_evidence_bytes"
    assert error["message"] == "每天上传的证据材料不能超过 1 MB，今日还可上传 0.4 MB，请减少文件或明天再试"
    assert error["fields"]["evidence"] == "本次文件共 0.6 MB，超过今日余量"
    assert (_count(Objection), _count(Evidence)) == (0, 1)
    assert len(os.listdir(app.config["EVIDENCE_DIR"])) == 1
    assert _object(client, headers, files=[("d.pdf", _pdf(400_000))]).status_code == 201
    assert _object(client, headers).status_code == 201  # a case without files is still welcome


def test_evidence_of_yesterday_or_of_another_citizen_leaves_today_whole(app, citizen, today):
    app.config["EVIDENCE_BYTES_PER_DAY"] = 1 * MEGABYTE
    mine = citizen[0].subject().id
    other = list_identity(identity(83, name="齐守约"), today).subject().id
    complaints.file_complaint(mine, "suggestion", "建议延长图书馆开放时间。", None, None, None,
                              [("a.pdf", _pdf(900_000))], utcnow() - dt.timedelta(days=1))
    objections.file_objection(other, "other", "请核实我的名单信息。", None, None, [("b.pdf", _pdf(900_000))], utcnow())
    filed = objections.file_objection(mine, "other", "请核实我的名单信息。", None, None,
                                      [("c.pdf", _pdf(MEGABYTE))], utcnow())
    assert filed.id and _count(Evidence) == 3


# ---- imports: rows capped, refusals listed up to a thousand -----------------------------------------------

@pytest.fixture
def admin(client, catalogue):
    accounts.create_account("quota_admin", PASSWORD, "admin", "test")
    answer = client.post("/api/v1/admin/login", json={"username": "quota_admin", "password": PASSWORD})
    return {"Authorization": f"Bearer {answer.get_json()['access_token']}"}


def _bad_rows(count: int, first: int = 0) -> str:
    """Rows whose ID number is no ID number (refused as invalid_id_number, one refusal each)."""
    return "".join(f"person,陶守时,{number},P02,2026-01-15\n" for number in range(first, first + count))


def _upload(client, headers, data: bytes, filename: str = "名单.csv"):
    return client.post("/api/v1/admin/imports", headers=headers, content_type="multipart/form-data",
                       data={"kind": "list", "file": (io.BytesIO(data), filename)})


def test_a_file_past_the_row_cap_is_refused_before_any_row_is_checked(client, admin, today):
    data = (HEADER + _bad_rows(250_000)).encode()
    started = time.perf_counter()
    answer = _upload(client, admin, data)
    elapsed = time.perf_counter() - started
    report = answer.get_json()
    assert answer.status_code == 200 and len(answer.data) < 2000
    assert [error["code"] for error in report["errors"]] == ["import_too_many_rows"]
    assert "200,000 行" in report["errors"][0]["message"]
    assert (report["rows_total"], report["refused"], report["errors_not_listed"], report["batch_id"]) == (0, 1, 0, None)
    assert elapsed < 5, f"{elapsed:.1f} s"
    tracemalloc.start()
    imports.import_file("list", "名单.csv", data, "test", today)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < len(data) / 10, f"{peak / MEGABYTE:.1f} MB traced for a {len(data) / MEGABYTE:.1f} MB file"


def test_the_row_cap_is_configured_and_counts_only_filled_rows(app, catalogue, today):
    app.config["IMPORT_MAX_ROWS"] = 3
    at_cap = (HEADER + _bad_rows(3) + ",,,,\n\n").encode()
    assert imports.import_list("at.csv", at_cap, "test", today).refused == 3
    with pytest.raises(imports.FileRefused) as refused:
        imports.import_list("past.csv", (HEADER + _bad_rows(4)).encode(), "test", today)
    assert refused.value.code == "import_too_many_rows" and "3 行" in refused.value.message


@pytest.mark.parametrize("write_only", [False, True])
def test_an_xlsx_past_the_cap_is_refused_with_or_without_its_declared_size(app, catalogue, today, write_only):
    app.config["IMPORT_MAX_ROWS"] = 3
    book = Workbook(write_only=write_only)
    sheet = book.create_sheet() if write_only else book.active
    sheet.append(HEADER.strip().split(","))
    for number in range(4):
        sheet.append(["person", "陶守时", str(number), "P02", "2026-01-15"])
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(imports.FileRefused) as refused:
        imports.import_list("past.xlsx", buffer.getvalue(), "test", today)
    report = refused.value.report
    assert [error["code"] for error in report.errors] == ["import_too_many_rows"] and report.refused == 1


def test_five_thousand_bad_rows_list_the_first_thousand_and_count_the_rest(app, client, admin, catalogue):
    answer = _upload(client, admin, (HEADER + _bad_rows(5000)).encode())
    report = answer.get_json()
    assert (report["rows_total"], report["refused"], report["errors_not_listed"]) == (5000, 5000, 4000)
    assert [error["row"] for error in report["errors"]] == list(range(2, 1002))
    assert len(answer.data) < 300_000
    assert _count(ImportBatch) == 0  # nothing went in

    console = app.test_client()
    console_login(console, "quota_admin", PASSWORD)
    page = console.post("/admin/import", content_type="multipart/form-data",
                        data={"csrf_token": page_csrf(console, "/admin/import"), "kind": "list",
                              "file": (io.BytesIO((HEADER + _bad_rows(5000)).encode()), "名单.csv")})
    html = page.get_data(as_text=True)
    assert "另有 <b>4000</b> 个问题未列出" in html and html.count("<td>第 ") == 1000


def test_the_first_thousand_are_the_lowest_rows_whichever_check_found_them(catalogue, today):
    known = list_identity(identity(83, name="王守一"), today)
    rows = f"person,李守二,{known.number},P02,2026-01-15\n" + _bad_rows(1001)  # row 2 is refused last: name_mismatch
    report = imports.import_list("名单.csv", (HEADER + rows).encode(), "test", today)
    assert report.errors[0]["row"] == 2 and report.errors[0]["code"] == "name_mismatch"
    assert [error["row"] for error in report.errors] == list(range(2, 1002))
    assert (report.refused, report.errors_not_listed, _count(ListEntry)) == (1002, 2, 1)


def test_a_batch_keeps_the_listed_refusals_and_the_whole_count(catalogue, today):
    good = list_identity(identity(84, name="范守真"), today)
    report = imports.import_list("名单.csv", (HEADER + _bad_rows(1500) + (
        f"person,{good.name},{good.number},P02,2026-01-15\n")).encode(), "test", today)
    batch = db.session.get(ImportBatch, report.batch_id)
    assert (batch.rows_refused, len(batch.errors), report.errors_not_listed) == (1500, 1000, 500)


def test_the_command_line_says_how_many_were_not_listed(app, catalogue, tmp_path):
    path = tmp_path / "名单.csv"
    path.write_bytes((HEADER + _bad_rows(1200)).encode())
    result = app.test_cli_runner().invoke(args=["import-list", str(path)])
    assert result.exit_code == 1
    assert "另有 200 个问题未列出（以上是行号在前的 1000 个）" in result.output
    as_json = json.loads(app.test_cli_runner().invoke(args=["import-list", str(path), "--json"]).stdout)
    assert (as_json["refused"], len(as_json["errors"]), as_json["errors_not_listed"]) == (1200, 1000, 200)


def test_a_csv_cell_too_long_to_parse_refuses_the_file_not_the_server(catalogue, today):
    data = (HEADER + "person,陶守时," + "1" * 200_000 + ",P02,2026-01-15\n").encode()
    with pytest.raises(imports.FileRefused) as refused:
        imports.import_list("long.csv", data, "test", today)
    assert refused.value.code == "bad_file"


def test_offline_code_batches_have_a_daily_count_and_the_next_day_is_new(app, client, citizen, today):
    who, headers = citizen
    app.config["CODE_BATCHES_PER_DAY"] = 3
    for _ in range(3):
        assert client.get("/api/v1/me/codes?hours=1", headers=headers).status_code == 200
    refused = client.get("/api/v1/me/codes?hours=1", headers=headers)
    assert refused.status_code == 429
    error = refused.get_json()["error"]
    assert error["code"] == "quota_code_batches" and "明天" in error["message"]
    page = citizen_pages(app, who)
    assert page.get("/m/code/batch").status_code == 429  # the code page's own count too; its phone keeps its codes
    tomorrow = utcnow() + dt.timedelta(days=1)
    issued, _ = citizens.issue_codes(who.subject().id, 1, today + dt.timedelta(days=1), tomorrow)
    assert issued
