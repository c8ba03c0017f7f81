"""GET /metrics: counted across gunicorn's workers, shown only to the allowed direct peers, labels without anyone's
identifiers."""
import re
import shutil

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from app.metrics import REGISTRY
from app.services import accounts
from tests.helpers import identity, list_identity
from tests.live_server import ROOT, STAFF_PASSWORD, LiveServer, citizen_headers


def samples(text: str) -> dict[str, list]:
    """Every sample of a scrape, by sample name."""
    found: dict[str, list] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append(sample)
    return found


def value(scrape: dict[str, list], name: str, **labels: str) -> float:
    """The sum of the samples of `name` whose labels include `labels`."""
    return sum(sample.value for sample in scrape.get(name, [])
               if all(sample.labels.get(key) == wanted for key, wanted in labels.items()))


@pytest.fixture
def gunicorn(app, database_url, catalogue, tmp_path):
    """gunicorn with three workers, its metrics files in a directory of this test's."""
    accounts.create_account("gate_bus", STAFF_PASSWORD, "staff", "test", venue_id=catalogue["BUS"].id)
    live = LiveServer(database_url, tmp_path / "server.log")
    live.env.update(WEB_CONCURRENCY="3", PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"))
    live.start()
    yield live
    live.kill()


def test_a_verify_a_redeem_and_a_refused_login_are_counted_across_workers(gunicorn, measure_id, today):
    who = list_identity(identity(2501, name="王度量"), today)
    close = {"Connection": "close"}  # a new connection each time, so the requests spread over the workers
    refused = requests.post(gunicorn.url + "/api/v1/staff/login", headers=close, timeout=10,
                            json={"username": "gate_bus", "password": "wrong-password"})
    assert refused.status_code == 401
    login = requests.post(gunicorn.url + "/api/v1/staff/login", headers=close, timeout=10,
                          json={"username": "gate_bus", "password": STAFF_PASSWORD}).json()
    staff = close | {"Authorization": f"Bearer {login['access_token']}"}
    citizen = citizen_headers(gunicorn, who)
    token = requests.get(gunicorn.url + "/api/v1/me/qrcode", headers=citizen | close, timeout=10).json()["token"]
    verified = requests.post(gunicorn.url + "/api/v1/scan/verify", headers=staff, json={"token": token}, timeout=10)
    assert verified.json()["valid"] is True
    redeemed = requests.post(gunicorn.url + "/api/v1/scan/redeem", headers=staff, timeout=10,
                             json={"token": token, "measure_id": measure_id, "idempotency_key": "metrics-0001"})
    assert redeemed.status_code == 201
    garbage = requests.post(gunicorn.url + "/api/v1/scan/verify", headers=staff, json={"token": "x"}, timeout=10)
    assert garbage.json()["valid"] is False
    for _ in range(6):
        requests.get(gunicorn.url + "/healthz", headers=close, timeout=10)

    answer = requests.get(gunicorn.url + "/metrics", timeout=10)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/plain")
    scrape = samples(answer.text)
    assert value(scrape, "xinyi_logins_total", kind="staff", outcome="refused") == 1
    assert value(scrape, "xinyi_logins_total", kind="staff", outcome="succeeded") == 1
    assert value(scrape, "xinyi_logins_total", kind="citizen", outcome="succeeded") == 1
    assert value(scrape, "xinyi_scan_verifications_total", reason="ok", scenario="travel") == 1
    assert value(scrape, "xinyi_scan_verifications_total") == 2
    assert value(scrape, "xinyi_scan_redemptions_total", outcome="redeemed", scenario="travel") == 1
    assert value(scrape, "xinyi_http_requests_total", endpoint="/healthz", method="GET", status="200") >= 7
    assert value(scrape, "xinyi_http_requests_total", endpoint="/api/v1/scan/verify", status="200") == 2
    assert value(scrape, "xinyi_http_request_duration_seconds_count", endpoint="/api/v1/scan/redeem") == 1
    assert value(scrape, "xinyi_rate_limit_store_state", state="up") == 1
    assert value(scrape, "xinyi_schema_info", at_head="true") == 1
    assert scrape["xinyi_build_info"][0].labels["commit"]
    assert "xinyi_db_pool_checked_out" in scrape

    labels = {str(label) for found in scrape.values() for sample in found for label in sample.labels.values()}
    secrets = [who.number, who.name, token, login["access_token"], citizen["Authorization"].split()[1], "gate_bus"]
    assert not [label for label in labels for secret in secrets if secret in label]


def test_a_raw_path_is_not_a_label(client):
    client.get("/api/v1/measures/12345")
    client.get("/no/such/page/420102199001011234")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'endpoint="/api/v1/measures/<id:measure_id>"' in text
    assert 'endpoint="unmatched"' in text
    assert "12345" not in text and "420102199001011234" not in text


def test_only_allowed_addresses_read_the_metrics(client):
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    refused = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert refused.status_code == 404
    assert refused.get_json()["error"]["code"] == "not_found"


def test_metrics_allow_takes_networks(database_url):
    from wsgi import create_app
    app = create_app("test", SQLALCHEMY_DATABASE_URI=database_url, METRICS_ALLOW=["10.20.0.0/16", " 192.0.2.7"])
    client = app.test_client()
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.20.3.4"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 404


def test_a_forwarded_address_does_not_open_the_metrics(database_url):
    from wsgi import create_app
    app = create_app("test", SQLALCHEMY_DATABASE_URI=database_url, TRUSTED_PROXIES=1, PROXY_ADDRESSES=["10.9.9.9"])
    answer = app.test_client().get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"},
                                   environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert answer.status_code == 404


def test_the_example_alert_rules_use_the_metrics_served(client):
    yaml = pytest.importorskip("yaml")  # PyYAML: a development dependency (through schemathesis), not the app's
    rules = yaml.safe_load((ROOT / "deploy/prometheus/alerts.yml").read_text())["groups"][0]["rules"]
    assert len(rules) >= 8 and all(rule["alert"] and rule["expr"] and rule["annotations"]["summary"] for rule in rules)
    served = set(re.findall(r"^# TYPE (\S+) ", client.get("/metrics").get_data(as_text=True), re.MULTILINE))
    used = {re.sub(r"_(bucket|count|sum)$", "", name)
            for rule in rules for name in re.findall(r"xinyi_\w+", rule["expr"])}
    assert used and used <= served


def test_logins_are_counted_refused_then_locked(app, client, catalogue):
    app.config["ACCOUNT_LOCK_FAILURES"] = 2
    accounts.create_account("gate_lock", STAFF_PASSWORD, "staff", "test", venue_id=catalogue["BUS"].id)

    def count(outcome: str) -> float:
        return REGISTRY.get_sample_value("xinyi_logins_total", {"kind": "staff", "outcome": outcome}) or 0

    before = {outcome: count(outcome) for outcome in ("refused", "locked", "succeeded")}
    for password in ("wrong-1", "wrong-2", STAFF_PASSWORD):
        client.post("/api/v1/staff/login", json={"username": "gate_lock", "password": password})
    assert {outcome: count(outcome) - before[outcome] for outcome in before} == {"refused": 1, "locked": 2,
                                                                                 "succeeded": 0}


def test_a_request_refused_before_its_view_is_timed_too(client):
    """A refusal by an earlier hook (here the form token check) is counted and timed like any answer."""
    def timed() -> float:
        return REGISTRY.get_sample_value("xinyi_http_request_duration_seconds_count",
                                         {"endpoint": "/admin/login", "method": "POST"}) or 0

    before = timed()
    assert client.post("/admin/login", data={"username": "nobody", "password": "x"}).status_code == 400
    assert timed() - before == 1


def test_a_scrape_answers_while_the_database_does_not(tmp_path):
    """The alerts need the metrics most when the database is gone: the scrape still answers, its schema unreachable."""
    from wsgi import create_app
    (tmp_path / "gone").mkdir()
    app = create_app("test", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/gone/xinyi.sqlite3")
    shutil.rmtree(tmp_path / "gone")  # its directory gone: SQLite cannot open the file
    answer = app.test_client().get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert answer.status_code == 200
    scrape = samples(answer.get_data(as_text=True))
    assert value(scrape, "xinyi_schema_info", revision="unreachable", at_head="false") == 1
    assert value(scrape, "xinyi_build_info") == 1
