"""The web scanner's offline endpoints over HTTP: the bundle and the upload answer as the staff API's, only to a
signed-in counter; the service worker at a fixed address names every file the page needs, by the names asked for."""
import datetime as dt
import re

import pytest

from app.domain.dates import today, utcnow
from app.services import accounts, citizens
from tests.helpers import identity, list_identity
from tests.test_scanner_pages import _csrf, _sign_in

PASSWORD = "counter-pass"


@pytest.fixture
def counter(catalogue):
    return accounts.create_account("web_bus", PASSWORD, "staff", "test", venue_id=catalogue["BUS"].id)


def test_the_bundle_is_the_staff_apis_for_a_signed_in_counter_only(client, counter):
    signed_out = client.get("/scan/bundle")
    assert signed_out.status_code == 401 and signed_out.get_json()["error"]["code"] == "session_expired"
    _sign_in(client)
    page = client.get("/scan/bundle")
    api = client.get("/api/v1/scan/bundle", headers={"Authorization": "Bearer " + client.post(
        "/api/v1/staff/login", json={"username": "web_bus", "password": PASSWORD}).get_json()["access_token"]})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    mine, theirs = page.get_json(), api.get_json()
    assert {key: value for key, value in mine.items() if key not in ("version", "server_time")} == {
        key: value for key, value in theirs.items() if key not in ("version", "server_time")}
    assert mine["venue"]["name"] == "阳江市公共汽车有限公司" and mine["signing_keys"] and len(mine["seal_keys"]) == 3
    delta = client.get(f"/scan/bundle?since={mine['version']}").get_json()
    assert delta["full"] is False
    assert client.get("/scan/bundle?since=soon").status_code == 400


def test_an_offline_upload_is_reconciled_once(client, counter, measure_id):
    who = list_identity(identity(151, name="吴离线"), today())
    token = citizens.issue_code(who.subject().id, today(), utcnow()).token
    _sign_in(client)
    headers = {"X-CSRFToken": _csrf(client, "/scan/")}
    decided = (utcnow() + dt.timedelta(seconds=1)).isoformat()
    item = {"idempotency_key": "page-offline-0001", "token": token, "action": "redeem", "measure_id": measure_id,
            "decided_at": decided, "device": "网页扫码-AB12CD", "valid": True}
    first = client.post("/scan/offline", json={"items": [item]}, headers=headers)
    again = client.post("/scan/offline", json={"items": [item]}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert first.get_json() == again.get_json() == {"items": [{"idempotency_key": "page-offline-0001",
                                                              "outcome": "recorded"}]}
    incomplete = client.post("/scan/offline", json={"items": [item | {"measure_id": None}]}, headers=headers)
    assert incomplete.status_code == 422 and incomplete.get_json()["error"]["code"] == "offline_item_incomplete"
    assert client.post("/scan/offline", json=[], headers=headers).status_code == 400
    assert client.post("/scan/offline", json={"items": [item]}).status_code == 400  # no form token


def test_the_service_worker_keeps_the_shell_scripts_and_decoder(client):
    worker = client.get("/scan/sw.js")
    assert worker.status_code == 200 and worker.mimetype == "text/javascript"
    assert worker.headers["Cache-Control"] == "no-cache"  # revalidated: a deployment reaches it at once
    text = worker.get_data(as_text=True)
    kept = set(re.search(r"const PRECACHE = (\[.*?\]);", text).group(1)[1:-1].replace('"', "").split(", "))
    assert {"/scan/", "/scan/static/js/card.js", "/scan/static/js/offline-codes.js",
            "/scan/static/vendor/zxing-wasm/es/share.js",
            "/scan/static/vendor/noble-ed25519/index.js"} <= kept  # the names the modules' imports ask for
    digest = re.compile(r"\.[0-9a-f]{8}\.")
    hashed = {digest.sub(".", url) for url in kept if digest.search(url)}  # kept under their hashed names
    assert {"/scan/static/js/main.js", "/scan/static/scanner.css",
            "/scan/static/vendor/zxing-wasm/reader/zxing_reader.wasm", "/static/base.css"} <= hashed
    page = client.get("/scan/login").get_data(as_text=True)
    assert re.search(r'href="(/static/base\.[0-9a-f]{8}\.css)"', page).group(1) in kept
    assert "/scan/static/js/offline-sw.js" not in kept
