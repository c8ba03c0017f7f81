"""Nothing a client can send gets a 500 (issue 22, point 7): JSON nested past any need, days outside the years a request
may name, ids out of range, NUL in a scanned code, URLs and headers too large — each the API's JSON error (or the
error page on the front ends), through the test client and, for what gunicorn reads first, through gunicorn; an
export that fails after its first line ends with a line saying so; gunicorn believes forwarded headers only from the
proxies TRUSTED_PROXIES names."""
import datetime as dt
import json
import os
import re
import runpy

import pytest
import requests
import sqlalchemy as sa
from flask import g

from app.domain.dates import today
from app.extensions import db
from app.http.guards import MAX_HEADER_FIELD_BYTES, MAX_HEADER_FIELDS, MAX_JSON_BYTES, MAX_JSON_DEPTH, MAX_URL_LENGTH
from app.models import Account, AuditEvent, Measure, Redemption, ScanAttempt, Subject, Venue
from app.services import accounts
from app.services.stats import INCOMPLETE_LINE
from tests.conftest import POSTGRES_URL
from tests.helpers import console_csrf, console_login, identity, list_identity, login
from tests.live_server import ROOT, LiveServer

PASSWORD = "hostile-pass"


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def ascii_json(body: dict) -> dict:
    """A JSON body with every character escaped, lone surrogates included (the test client's encoder cannot)."""
    return {"data": json.dumps(body), "content_type": "application/json"}


@pytest.fixture
def people(client, catalogue):
    """Bearer headers of an administrator, the bus company's counter and a listed citizen."""
    accounts.create_account("h_admin", PASSWORD, "admin", "test")
    accounts.create_account("h_staff", PASSWORD, "staff", "test", venue_id=catalogue["BUS"].id)
    headers = {"citizen": login(client, list_identity(identity(221, name="韩守正"), today()))}
    for audience, username in (("admin", "h_admin"), ("staff", "h_staff")):
        answer = client.post(f"/api/v1/{audience}/login", json={"username": username, "password": PASSWORD})
        headers[audience] = {"Authorization": f"Bearer {answer.get_json()['access_token']}"}
    return headers


def _scanner(client) -> dict:
    """The web scanner signed in as the bus counter; the header its page's fetches carry."""
    g.pop("csrf_token", None)
    login_token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/scan/login").get_data(as_text=True))
    client.post("/scan/login", data={"csrf_token": login_token.group(1), "username": "h_staff", "password": PASSWORD})
    g.pop("csrf_token", None)
    return {"X-CSRFToken": re.search(r'name="csrf-token" content="([^"]+)"',
                                     client.get("/scan/").get_data(as_text=True)).group(1)}


@pytest.mark.parametrize("path, audience", [
    ("/api/v1/auth/login", None), ("/api/v1/staff/login", None), ("/api/v1/admin/login", None),
    ("/api/v1/scan/verify", "staff"), ("/api/v1/objections", "citizen"), ("/api/v1/complaints", "citizen"),
    ("/api/v1/admin/measures", "admin")])
def test_json_nested_too_deep_is_refused_as_malformed(client, people, path, audience):
    for depth in (MAX_JSON_DEPTH + 1, 50_000):
        answer = client.post(path, data='{"a": ' + nested(depth) + "}", content_type="application/json",
                             headers=people[audience] if audience else {})
        assert answer.status_code == 400, (depth, answer.get_data(as_text=True)[:200])
        error = answer.get_json()["error"]
        assert error["code"] == "invalid_request" and "JSON 嵌套层数过深" in error["message"]


def test_depth_counts_structure_not_brackets_in_text(client, people):
    within = client.post("/api/v1/scan/verify", headers=people["staff"], content_type="application/json",
                         data='{"token": ' + nested(MAX_JSON_DEPTH - 1) + "}")
    assert within.status_code == 400 and "token" in within.get_json()["error"]["fields"]  # the schema's, not depth
    text = client.post("/api/v1/scan/verify", headers=people["staff"], json={"token": "[{" * 200})
    assert text.status_code == 200 and text.get_json()["reason"] == "token_malformed"


def test_the_web_scanners_fetches_are_bounded_alike(client, people):
    headers = _scanner(client)
    deep = client.post("/scan/verify", data='{"token": ' + nested(5000) + "}", content_type="application/json",
                       headers=headers)
    assert deep.status_code == 400 and "JSON 嵌套层数过深" in deep.get_json()["error"]["message"]
    for token in ("\x00", "AB\x00CD", "\ud800"):
        verdict = client.post("/scan/verify", **ascii_json({"token": token}), headers=headers)
        assert verdict.status_code == 200 and verdict.get_json()["reason"] == "token_malformed", token


@pytest.mark.parametrize("token", ["\x00", "ABCDEFGHIJKLMNOP.ABC\x00EFG.ABCDEFGHIJKLMNOP", "\ud800", "\x00" * 512])
def test_verify_answers_token_malformed_for_any_string_nul_included(client, people, token):
    verdict = client.post("/api/v1/scan/verify", **ascii_json({"token": token, "device": "柜台一"}),
                          headers=people["staff"])
    assert verdict.status_code == 200, verdict.get_data(as_text=True)
    assert verdict.get_json()["reason"] == "token_malformed" and isinstance(verdict.get_json()["attempt_id"], int)
    stored = client.post("/api/v1/scan/verify", json={"token": "x", "device": "柜\x00台"}, headers=people["staff"])
    assert stored.status_code == 400 and "device" in stored.get_json()["error"]["fields"]  # stored text stays clean


@pytest.mark.parametrize("path", ["/api/v1/admin/stats", "/api/v1/admin/audit", "/api/v1/admin/export/redemptions.csv"])
@pytest.mark.parametrize("query, field", [("start=1999-12-31&end=2000-01-02", "start"), ("start=0001-01-01", "start"),
                                          ("end=9999-12-31", "end"), ("start=2099-12-31&end=2100-01-01", "end"),
                                          ("end=0001-01-01", "end")])
def test_days_outside_the_programmes_years_are_refused_with_the_field(client, people, path, query, field):
    answer = client.get(f"{path}?{query}", headers=people["admin"])
    assert answer.status_code == 422, answer.get_data(as_text=True)[:300]
    error = answer.get_json()["error"]
    assert error["code"] == "date_out_of_range" and field in error["fields"]


def test_the_first_and_last_days_are_served(client, people):
    for start, end in (("2000-01-01", "2000-12-31"), ("2099-01-01", "2099-12-31")):
        for path in ("/api/v1/admin/stats", "/api/v1/admin/audit", "/api/v1/admin/export/redemptions.csv"):
            assert client.get(f"{path}?start={start}&end={end}", headers=people["admin"]).status_code == 200


def test_a_day_in_a_body_is_bounded_too(client, people, catalogue):
    body = {"code": "XY-TING-09", "title": "守信车主停车费8折", "scenario": "parking",
            "provider_id": catalogue["GOV"].id, "kinds": ["person"], "benefit": {"pay_percent": 80},
            "valid_from": "2026-12-01", "valid_to": "9999-12-31"}
    answer = client.post("/api/v1/admin/measures", json=body, headers=people["admin"])
    assert answer.status_code == 422 and "valid_to" in answer.get_json()["error"]["fields"]


def test_the_consoles_forms_refuse_such_days_on_a_page(client, people):
    console_login(client, "h_admin", PASSWORD)
    for path in ("/admin/dashboard?start=0001-01-01&end=0001-01-02", "/admin/audit?end=9999-12-31",
                 "/admin/export/redemptions.csv?start=2099-12-30&end=2100-01-01"):
        page = client.get(path, headers={"Accept": "text/html"})
        assert page.status_code == 422 and page.mimetype == "text/html", path


def _redemptions_at_the_bus(count: int) -> str:
    """`count` redemptions of one Beijing day at the bus company, written as the scan service would; their day."""
    day = today() - dt.timedelta(days=1)
    staff = db.session.scalar(sa.select(Account).where(Account.username == "h_staff"))
    measure = db.session.scalar(sa.select(Measure).where(Measure.code == "XY-XING-01"))
    subject = Subject(kind="person", name="赵导出", id_hash="e" * 64, id_masked="4417**********002X")
    db.session.add(subject)
    db.session.flush()
    at = dt.datetime.combine(day, dt.time(9), tzinfo=dt.timezone(dt.timedelta(hours=8)))
    attempt = ScanAttempt(action="redeem", venue_id=staff.venue_id, staff_id=staff.id, subject_id=subject.id,
                          measure_id=measure.id, valid=True, at=at)
    db.session.add(attempt)
    db.session.flush()
    db.session.execute(sa.insert(Redemption), [
        {"token_key": f"x{n:09d}", "idempotency_key": f"export-{n:09d}", "attempt_id": attempt.id,
         "subject_id": subject.id, "measure_id": measure.id, "venue_id": staff.venue_id, "staff_id": staff.id,
         "benefit": {"summary": "5折"}, "redeemed_at": at + dt.timedelta(seconds=n)} for n in range(count)])
    db.session.commit()
    return day.isoformat()


def _break_the_stream_after_its_first_chunk() -> None:
    """A fault while the rows are read: the export's PostgreSQL connection is ended under it; on SQLite the last
    row's benefit is no JSON at all, so the database fails while reading that row."""
    if POSTGRES_URL:
        engine = sa.create_engine(POSTGRES_URL)
        with engine.begin() as connection:
            ended = connection.scalar(sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                "AND datname = current_database() AND query ILIKE '%FETCH%'"))
        engine.dispose()
        assert ended >= 1


def test_an_export_failing_midway_ends_with_a_line_saying_so_and_is_logged(client, people, caplog):
    day = _redemptions_at_the_bus(2500)
    if not POSTGRES_URL:
        db.session.execute(sa.text("UPDATE redemptions SET benefit = '{' WHERE token_key = 'x000002499'"))
        db.session.commit()
    answer = client.get(f"/api/v1/admin/export/redemptions.csv?start={day}&end={day}", headers=people["admin"],
                        buffered=False)
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    chunks = iter(answer.response)
    first = next(chunks)
    _break_the_stream_after_its_first_chunk()
    lines = (first + b"".join(chunks)).decode("utf-8-sig").splitlines()
    answer.close()
    assert lines[-1] == INCOMPLETE_LINE.strip() and "导出未完成" in lines[-1]
    assert 2000 <= len(lines) - 2 < 2500  # the rows read before the fault, between the header and the last line
    logged = [record.getMessage() for record in caplog.records if "redemption export" in record.getMessage()]
    assert logged and "赵" not in logged[0]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "export.redemptions")) == 1


def test_a_whole_export_has_no_such_line(client, people):
    day = _redemptions_at_the_bus(3)
    lines = client.get(f"/api/v1/admin/export/redemptions.csv?start={day}&end={day}",
                       headers=people["admin"]).get_data(as_text=True).splitlines()
    assert len(lines) == 4 and not any("导出未完成" in line for line in lines)


def test_the_frameworks_own_errors_answer_as_the_api(client, catalogue):
    answers = [
        (client.get("/api/v1/no-such-thing"), 404, "not_found"),
        (client.delete("/api/v1/measures"), 405, "method_not_allowed"),
        (client.post("/api/v1/auth/login", data="{" + " " * MAX_JSON_BYTES + "}", content_type="application/json"),
         413, "payload_too_large"),
        (client.get("/api/v1/measures?q=" + "a" * MAX_URL_LENGTH), 414, "uri_too_long"),
        (client.get("/api/v1/measures", headers={"X-Big": "a" * MAX_HEADER_FIELD_BYTES}), 431, "headers_too_large"),
        (client.get("/api/v1/measures", headers={f"X-N{n}": "1" for n in range(MAX_HEADER_FIELDS)}), 431,
         "headers_too_large"),
    ]
    for answer, status, code in answers:
        assert answer.status_code == status and answer.get_json()["error"]["code"] == code, (status, code)
    assert answers[1][0].headers["Allow"]


def test_the_front_ends_answer_the_same_errors_with_a_page(client, catalogue):
    for path in ("/m/?q=" + "a" * MAX_URL_LENGTH, "/admin/login?q=" + "a" * MAX_URL_LENGTH, "/scan/nothing-here"):
        page = client.get(path, headers={"Accept": "text/html"})
        assert page.status_code in (404, 414) and page.mimetype == "text/html", path


def test_ids_out_of_range_are_404_everywhere(client, people):
    venues_before = db.session.scalar(sa.select(sa.func.count()).select_from(Venue))
    body = {"code": "ZERO", "name": "零号单位", "scenario": "bus"}
    for method, path in (("GET", "/api/v1/measures/0"), ("GET", "/api/v1/measures/2147483648"),
                         ("GET", "/api/v1/measures/" + "9" * 4000), ("GET", "/api/v1/admin/measures/0"),
                         ("PUT", "/api/v1/admin/venues/0"), ("PUT", "/api/v1/admin/measures/2147483648"),
                         ("GET", "/api/v1/objections/0")):
        audience = "admin" if "/admin/" in path else "citizen"
        answer = client.open(path, method=method, json=body if method == "PUT" else None, headers=people[audience])
        assert answer.status_code == 404 and answer.get_json()["error"]["code"] == "not_found", path
    console_login(client, "h_admin", PASSWORD)
    assert client.get("/admin/measures/0", headers={"Accept": "text/html"}).status_code == 404
    saved = client.post("/admin/venues/0", data={**body, "csrf_token": console_csrf(client, "/admin/venues")})
    assert saved.status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Venue)) == venues_before


# ---- through gunicorn ------------------------------------------------------------------------------------------

@pytest.fixture
def live(database_url, tmp_path):
    server = LiveServer(database_url, tmp_path / "server.log")
    server.env.update(TRUSTED_PROXIES="0")
    server.start()
    yield server
    server.kill()


def test_gunicorn_passes_what_the_app_answers_in_its_own_shape(live):
    url = live.url + "/api/v1/measures"
    answers = [
        (requests.get(url + "?q=" + "a" * 6000, timeout=5), 414, "uri_too_long"),
        (requests.get(url, headers={"X-Big": "a" * 12000}, timeout=5), 431, "headers_too_large"),
        (requests.get(url, headers={f"X-N{n}": "1" for n in range(150)}, timeout=5), 431, "headers_too_large"),
        (requests.post(live.url + "/api/v1/auth/login", data='{"a": ' + nested(100_000) + "}", timeout=5,
                       headers={"Content-Type": "application/json"}), 400, "invalid_request"),
        (requests.get(live.url + "/api/v1/measures/0", timeout=5), 404, "not_found"),
    ]
    for answer, status, code in answers:
        assert answer.status_code == status, (status, answer.text[:200])
        assert answer.headers["Content-Type"] == "application/json" and answer.json()["error"]["code"] == code
    # Past gunicorn's own ceiling (a request line over 8190 bytes) gunicorn refuses before any app could answer.
    assert requests.get(url + "?q=" + "a" * 9000, timeout=5).status_code == 414


def test_gunicorn_believes_no_forwarded_header_without_trusted_proxies(live):
    answer = requests.get(live.url + "/healthz", headers={"X-Forwarded-Proto": "https"}, timeout=5)
    assert answer.status_code == 200 and "Strict-Transport-Security" not in answer.headers


def test_behind_a_trusted_proxy_its_scheme_is_believed(database_url, tmp_path):
    server = LiveServer(database_url, tmp_path / "proxied.log")
    server.env.update(TRUSTED_PROXIES="1", PROXY_ADDRESSES="127.0.0.1")
    server.start()
    try:
        answer = requests.get(server.url + "/healthz", headers={"X-Forwarded-Proto": "https"}, timeout=5)
        assert answer.headers["Strict-Transport-Security"].startswith("max-age=")
    finally:
        server.kill()


@pytest.mark.nodb
@pytest.mark.parametrize("proxies, addresses, believed", [("0", "127.0.0.1", ""), ("1", None, "127.0.0.1"),
                                                          ("2", "10.0.0.7,10.0.0.8", "10.0.0.7,10.0.0.8")])
def test_gunicorns_forwarded_allow_ips_follows_trusted_proxies(monkeypatch, proxies, addresses, believed):
    monkeypatch.setenv("TRUSTED_PROXIES", proxies)
    if addresses is None:
        monkeypatch.delenv("PROXY_ADDRESSES", raising=False)
    else:
        monkeypatch.setenv("PROXY_ADDRESSES", addresses)
    # The settings file also sets up the metrics directory in os.environ: keep that inside this test.
    monkeypatch.setattr(os, "environ", os.environ.copy())
    assert runpy.run_path(str(ROOT / "gunicorn.conf.py"))["forwarded_allow_ips"] == believed
