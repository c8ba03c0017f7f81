"""Logs: JSON lines, one per request and per notable event, each with its request id, and no personal data."""
import datetime as dt
import http.client
import io
import json
import re

import pytest
import requests
import sqlalchemy as sa

from app.extensions import db
from app.services import accounts
from tests.helpers import identity, list_identity
from tests.live_server import STAFF_PASSWORD, LiveServer

ADMIN_PASSWORD = "console-pass-7"
WRONG_PASSWORD = "not-the-pass-9"
PROXY = "127.0.0.2"


@pytest.fixture
def logged_server(app, database_url, catalogue, tmp_path):
    """gunicorn with its default logging (no access log) believing one proxy at 127.0.0.2; its stdout and stderr in
    the returned server's log file."""
    accounts.create_account("gate_bus", STAFF_PASSWORD, "staff", "test", venue_id=catalogue["BUS"].id)
    accounts.create_account("log_admin", ADMIN_PASSWORD, "admin", "test")
    server = LiveServer(database_url, tmp_path / "server.log")
    server.env.update(ACCESS_LOG="", TRUSTED_PROXIES="1", PROXY_ADDRESSES=PROXY)
    server.env.pop("LOG_FORMAT", None)
    server.start()
    yield server
    server.kill()


def get_from(server: LiveServer, source: str, path: str, request_id: str) -> str:
    """GET `path` from the address `source` sending an X-Request-ID; the id the answer returns."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10, source_address=(source, 0))
    try:
        connection.request("GET", path, headers={"X-Request-ID": request_id})
        answer = connection.getresponse()
        answer.read()
        return answer.headers["X-Request-ID"]
    finally:
        connection.close()


def form_token(page: requests.Response) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def test_a_whole_journey_logs_json_lines_with_request_ids_and_no_personal_data(logged_server, measure_id, today):
    site = logged_server.url
    who = list_identity(identity(2501, name="洪日志"), today)
    login = requests.post(site + "/api/v1/auth/login", json=who.login_body(), timeout=10).json()
    citizen = {"Authorization": f"Bearer {login['access_token']}"}
    assert requests.get(site + "/api/v1/me", headers=citizen, timeout=10).status_code == 200
    code = requests.get(site + "/api/v1/me/qrcode", headers=citizen, timeout=10).json()["token"]

    staff_token = requests.post(site + "/api/v1/staff/login", timeout=10,
                                json={"username": "gate_bus", "password": STAFF_PASSWORD}).json()["access_token"]
    staff = {"Authorization": f"Bearer {staff_token}"}
    verified = requests.post(site + "/api/v1/scan/verify", json={"token": code}, headers=staff, timeout=10)
    assert verified.json()["valid"] is True
    redeemed = requests.post(site + "/api/v1/scan/redeem", headers=staff, timeout=10,
                             json={"token": code, "measure_id": measure_id, "idempotency_key": "log-journey-0001"})
    assert redeemed.status_code == 201, redeemed.text

    filed = requests.post(site + "/api/v1/objections", headers=citizen, timeout=10,
                          json={"type": "other", "statement": "请核实我的核销记录。"})
    assert filed.status_code == 201, filed.text
    objection_id = filed.json()["id"]

    console = requests.Session()
    page = console.get(site + "/admin/login", timeout=10)
    signed_in = console.post(site + "/admin/login", allow_redirects=False, timeout=10, data={
        "csrf_token": form_token(page), "username": "log_admin", "password": ADMIN_PASSWORD})
    assert signed_in.status_code == 302, signed_in.text[:300]
    case = console.get(f"{site}/admin/objections/{objection_id}", timeout=10)
    decided = console.post(f"{site}/admin/objections/{objection_id}/decision", allow_redirects=False, timeout=10,
                           data={"csrf_token": form_token(case), "outcome": "rejected", "reason": "记录无误"})
    assert decided.status_code == 302
    refused = requests.post(site + "/api/v1/staff/login", timeout=10,
                            json={"username": "gate_bus", "password": WRONG_PASSWORD})
    assert refused.status_code == 401 and re.fullmatch(r"[0-9a-f]{32}", refused.headers["X-Request-ID"])

    kept = get_from(logged_server, PROXY, "/healthz", "edge-4f2a.1")
    replaced = get_from(logged_server, "127.0.0.1", "/healthz", "spoofed-by-client")
    assert kept == "edge-4f2a.1" and replaced != "spoofed-by-client"
    assert get_from(logged_server, PROXY, "/healthz", "bad id;" + "x" * 80) != "bad id;" + "x" * 80

    logged_server.kill()  # every line written
    text = logged_server.log_path.read_text()
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert all(isinstance(line, dict) for line in lines)
    requests_logged = [line for line in lines if line.get("logger") == "app.request"]
    assert all(re.fullmatch(r"[A-Za-z0-9._-]{1,64}", line["request_id"]) for line in requests_logged)
    assert any(line["logger"] == "gunicorn.error" for line in lines)  # gunicorn's own lines are JSON too
    routes = {(line["method"], line["route"], line["status"], line["actor"]) for line in requests_logged}
    assert {("GET", "/api/v1/me", 200, "citizen"), ("POST", "/api/v1/scan/redeem", 201, "staff"),
            ("POST", "/admin/objections/<id:objection_id>/decision", 302, "admin"),
            ("POST", "/api/v1/staff/login", 401, "none")} <= routes
    assert {line["request_id"] for line in requests_logged} >= {kept, replaced}
    assert "spoofed-by-client" not in text and all(line["bytes"] is not None for line in requests_logged
                                                     if line["route"] == "/healthz")

    events = {line["event"]: line for line in lines if "event" in line}
    assert events["login_refused"]["request_id"] == refused.headers["X-Request-ID"]
    assert events["login_refused"]["code"] == "invalid_credentials"
    assert events["objection_decided"] | {"objection_id": objection_id, "outcome": "rejected"} == \
        events["objection_decided"]

    secrets = [who.number, who.name, login["access_token"], code, staff_token, STAFF_PASSWORD, ADMIN_PASSWORD,
               WRONG_PASSWORD, "gate_bus", "log_admin", console.cookies["session"]]
    assert [secret for secret in secrets if secret in text] == []


def test_a_services_line_during_a_request_carries_its_request_id(client, catalogue, capsys):
    accounts.create_account("log_staff", STAFF_PASSWORD, "staff", "test", venue_id=catalogue["BUS"].id)
    capsys.readouterr()
    for _ in range(2):
        refused = client.post("/api/v1/staff/login", json={"username": "log_staff", "password": WRONG_PASSWORD})
        assert refused.status_code == 401
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    events = [line for line in lines if line.get("event") == "login_refused"]
    request_line = [line for line in lines if line.get("logger") == "app.request"][-1]
    assert events[-1]["request_id"] == request_line["request_id"] == refused.headers["X-Request-ID"]
    assert events[0]["request_id"] != events[-1]["request_id"]
    assert "log_staff" not in json.dumps(lines, ensure_ascii=False)


def test_an_account_locked_is_one_event(client, catalogue, capsys, app):
    app.config["ACCOUNT_LOCK_FAILURES"] = 2
    account = accounts.create_account("lock_me", STAFF_PASSWORD, "staff", "test", venue_id=catalogue["BUS"].id)
    capsys.readouterr()
    answers = [client.post("/api/v1/staff/login", json={"username": "lock_me", "password": WRONG_PASSWORD})
               for _ in range(3)]
    assert [answer.status_code for answer in answers] == [401, 429, 429]
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    locked = [line for line in lines if line.get("event") == "account_locked"]
    assert [(line["account_id"], line["request_id"]) for line in locked] == \
        [(account.id, answers[1].headers["X-Request-ID"])]
    assert [line["code"] for line in lines if line.get("event") == "login_refused"] == ["invalid_credentials",
                                                                                        "account_locked",
                                                                                        "account_locked"]


def test_an_import_and_a_purge_are_events_without_the_files_contents(client, app, catalogue, capsys, today):
    accounts.create_account("log_importer", ADMIN_PASSWORD, "admin", "test")
    admin = client.post("/api/v1/admin/login", json={"username": "log_importer", "password": ADMIN_PASSWORD})
    who = identity(2502, name="石导入")
    data = ("kind,name,id_number,category,recognized_on\n"
            f"{who.kind},{who.name},{who.number},P02,{today - dt.timedelta(days=30)}\n"
            f"{who.kind},{who.name},not-a-number,P02,{today}\n")
    capsys.readouterr()
    bearer = {"Authorization": f"Bearer {admin.get_json()['access_token']}"}
    answer = client.post("/api/v1/admin/imports", headers=bearer,
                         data={"kind": "list", "file": (io.BytesIO(data.encode()), "名单.csv")})
    assert answer.status_code == 200, answer.get_json()
    purged = app.test_cli_runner().invoke(args=["purge", "--yes"])  # its stderr, the runner's while it runs
    assert purged.exit_code == 0, purged.output
    err = capsys.readouterr().err + purged.stderr
    events = {line["event"]: line for line in map(json.loads, err.splitlines()) if "event" in line}
    assert events["import"] | {"list_kind": "list", "rows": 2, "added": 1, "refused": 1,
                               "request_id": answer.headers["X-Request-ID"]} == events["import"]
    assert events["purge"]["days"] >= 0 and "request_id" not in events["purge"]
    assert [text for text in (who.number, who.name, "名单.csv", "not-a-number") if text in err] == []


def test_a_database_error_does_not_carry_its_parameters(app, catalogue):
    """An error's text goes into a log line with its traceback: the statement's values (a name, a hash) stay out."""
    name = "王守信的秘密名字"
    with pytest.raises(sa.exc.DBAPIError) as raised:
        db.session.execute(sa.text("INSERT INTO accounts (id, username) VALUES (:id, :username)"),
                           {"id": "not a number at all", "username": name})
    db.session.rollback()
    assert name not in str(raised.value) and "hidden" in str(raised.value)


def test_no_hook_reads_a_streamed_answer_before_it_is_sent(database_url, capsys):
    """The request log, the metrics and every other after-request hook leave a streamed answer (an export) unread:
    its rows are produced as they are sent, never gathered in memory first."""
    from flask import Response

    from wsgi import create_app
    app = create_app("test", SQLALCHEMY_DATABASE_URI=database_url)
    produced = []

    def rows():
        for number in range(3):
            produced.append(number)
            yield f"{number}\n"

    app.add_url_rule("/streamed", "streamed", lambda: Response(rows(), mimetype="text/csv"))
    answer = app.test_client().get("/streamed", buffered=False)
    # Every hook has run and the request's line is written: at most the first row was read (the test client starts
    # the answer as a server's first write would); a hook that measured or buffered the body would have read all.
    assert len(produced) <= 1
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["route"] == "/streamed" and line["status"] == 200 and line["bytes"] is None
    assert answer.get_data(as_text=True) == "0\n1\n2\n" and produced == [0, 1, 2]
    answer.close()


def test_a_number_typed_into_an_unknown_address_stays_out_of_the_log(client, capsys):
    """SPEC: no ID number in a log line — an address no route matches is logged as "unmatched", not as typed."""
    capsys.readouterr()
    assert client.get("/m/441702196503122132").status_code == 404
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    request_line = [line for line in lines if line.get("logger") == "app.request"][-1]
    assert request_line["route"] == "unmatched" and request_line["status"] == 404
    assert "441702196503122132" not in json.dumps(lines)
