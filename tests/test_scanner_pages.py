"""The staff web scanner over HTTP: sign-in and session, the same-origin verify and redeem (same answers as the staff
API), the venue's history with measure titles, staff names and Beijing times, and the installable app's manifest."""
import datetime as dt
import re

import pytest
from flask import g

from app.domain.dates import LOCAL_TZ, today, utcnow
from app.services import accounts, citizens
from tests.helpers import identity, list_identity

PASSWORD = "counter-pass"


@pytest.fixture
def counter(catalogue):
    return accounts.create_account("web_bus", PASSWORD, "staff", "test", venue_id=catalogue["BUS"].id,
                                   display_name="公交一号窗口")


def _csrf(client, path="/scan/login") -> str:
    g.pop("csrf_token", None)
    return re.search(r'name="csrf-token" content="([^"]+)"|name="csrf_token" value="([^"]+)"',
                     client.get(path).get_data(as_text=True)).group(0).split('"')[-2]


def _sign_in(client, username="web_bus", password=PASSWORD):
    return client.post("/scan/login", data={"csrf_token": _csrf(client), "username": username, "password": password})


def test_sign_in_with_the_named_fields_and_a_session_cookie(client, counter):
    page = client.get("/scan/login").get_data(as_text=True)
    assert 'name="username"' in page and 'name="password"' in page and 'name="viewport"' in page
    assert _sign_in(client).headers["Location"] == "/scan/"
    assert client.get_cookie("session").http_only
    scanner = client.get("/scan/").get_data(as_text=True)
    assert "阳江市公共汽车有限公司" in scanner and "公交一号窗口" in scanner


def test_wrong_passwords_and_other_roles_are_refused(client, counter):
    refused = _sign_in(client, password="wrong-pass")
    assert refused.status_code == 401 and "用户名或密码错误" in refused.get_data(as_text=True)
    accounts.create_account("reviewer9", PASSWORD, "reviewer", "test")
    assert _sign_in(client, "reviewer9").status_code == 401
    assert client.get("/scan/").status_code == 302


def test_verify_and_redeem_answer_as_the_staff_api_does(client, counter, measure_id):
    who = list_identity(identity(121, name="吴同源"), today())
    token = citizens.issue_code(who.subject().id, today(), utcnow()).token
    _sign_in(client)
    headers = {"X-CSRFToken": _csrf(client, "/scan/")}
    verdict = client.post("/scan/verify", json={"token": token, "device": "网页扫码-AB12CD"}, headers=headers)
    assert verdict.status_code == 200 and verdict.get_json()["valid"] is True
    assert [offer["id"] for offer in verdict.get_json()["measures"]] == [measure_id]
    body = {"token": token, "measure_id": measure_id, "idempotency_key": "web-key-0001", "device": "网页扫码-AB12CD"}
    first = client.post("/scan/redeem", json=body, headers=headers)
    again = client.post("/scan/redeem", json=body, headers=headers)
    assert first.status_code == again.status_code == 201 and first.get_json() == again.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    used = client.post("/scan/verify", json={"token": token}, headers=headers).get_json()
    assert used["valid"] is False and used["reason"] == "token_used"


def test_the_same_origin_endpoints_need_the_csrf_token_and_answer_errors_as_json(client, counter):
    _sign_in(client)
    forged = client.post("/scan/verify", json={"token": "X"})
    assert forged.status_code == 400
    bad = client.post("/scan/redeem", json={"token": "X"}, headers={"X-CSRFToken": _csrf(client, "/scan/")})
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "invalid_request"


def test_history_shows_titles_staff_devices_and_beijing_time(client, counter, measure_id):
    who = list_identity(identity(122, name="何历史"), today())
    token = citizens.issue_code(who.subject().id, today(), utcnow()).token
    _sign_in(client)
    headers = {"X-CSRFToken": _csrf(client, "/scan/")}
    client.post("/scan/verify", json={"token": token, "device": "网页扫码-HIST01"}, headers=headers)
    client.post("/scan/redeem", headers=headers, json={"token": token, "measure_id": measure_id,
                                                       "idempotency_key": "web-key-0002", "device": "网页扫码-HIST01"})
    page = client.get("/scan/history").get_data(as_text=True)
    assert "守信个人乘坐市内公交车5折优惠" in page and "公交一号窗口" in page and "网页扫码-HIST01" in page
    assert "何*史" in page and "✓ 已核销" in page
    beijing = [(utcnow() - dt.timedelta(minutes=back)).astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
               for back in (0, 1)]
    assert any(moment in page for moment in beijing), beijing


def test_the_staff_api_history_names_measures_and_staff(client, counter, measure_id):
    who = list_identity(identity(123, name="钱接口"), today())
    token = citizens.issue_code(who.subject().id, today(), utcnow()).token
    login = client.post("/api/v1/staff/login", json={"username": "web_bus", "password": PASSWORD}).get_json()
    headers = {"Authorization": f"Bearer {login['access_token']}"}
    client.post("/api/v1/scan/redeem", headers=headers, json={"token": token, "measure_id": measure_id,
                                                               "idempotency_key": "api-key-0001", "device": "柜台PC-1"})
    item = client.get("/api/v1/scan/history", headers=headers).get_json()["items"][0]
    assert item["measure"] == {"id": measure_id, "title": "守信个人乘坐市内公交车5折优惠"}
    assert item["staff"]["display_name"] == "公交一号窗口" and item["device"] == "柜台PC-1"


def test_the_app_is_installable(client):
    manifest = client.get("/scan/static/manifest.webmanifest")
    assert manifest.status_code == 200 and manifest.get_json()["start_url"] == "/scan/"
    for icon in manifest.get_json()["icons"]:
        assert client.get(icon["src"]).mimetype == "image/png"
    wasm = client.get("/scan/static/vendor/zxing-wasm/reader/zxing_reader.wasm")
    assert wasm.mimetype == "application/wasm" and wasm.data[:4] == b"\0asm"
