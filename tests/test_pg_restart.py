"""The database briefly unavailable: a PostgreSQL restart under load answers 503 (JSON, Retry-After) to what it cut
short, never 500; the pool recovers by itself within seconds; nothing acknowledged is lost, and confirmations retried
with the same idempotency key redeem once. SQLite's lock held past the busy timeout answers 503 too."""
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from flask_migrate import upgrade

from app import demo
from app.db.prepared import Prepared, raw_connection
from app.db.unavailable import database_unavailable
from app.domain.dates import utcnow
from app.extensions import db
from app.models import Measure, Redemption, ScanAttempt
from app.services import accounts, citizens
from tests.conftest import POSTGRES_URL
from tests.helpers import console_csrf, identity, list_identity
from tests.live_server import STAFF_PASSWORD, LiveServer
from tests.pg_server import PostgresServer, postgres_pass_only
from wsgi import create_app

CODES = 600
PROBES = 4
THREADS = 4
RECOVERY_SECONDS = 5
ANSWERS = {200, 201, 409, 422, 503}
_BACKEND = Prepared(sa.select(sa.func.pg_backend_pid().label("pid")))


@dataclass
class Answer:
    kind: str
    index: int
    started: float
    status: int | None
    body: Any
    retry_after: str | None


@pytest.fixture
def restartable(tmp_path):
    """A PostgreSQL server of this test's own, migrated, with the catalogue and the counter account `gate_bus`; the
    test runs in an app context on it."""
    server = PostgresServer()
    try:
        server.start()
        app = create_app("test", SQLALCHEMY_DATABASE_URI=server.url, EVIDENCE_DIR=str(tmp_path / "evidence"))
        with app.app_context():
            upgrade()
            catalogue = demo.seed_catalogue()
            accounts.create_account("gate_bus", STAFF_PASSWORD, "staff", "test", venue_id=catalogue["BUS"].id)
            yield server
            db.session.remove()
            db.engine.dispose()
    finally:
        server.stop()


class Counter:
    """Verifies and confirmations in threads, each code verified then redeemed with its own idempotency key, the
    redeem retried with that key while it answers 503 — as the scanner's outbox does."""

    def __init__(self, url: str, tokens: list[str], measure_id: int) -> None:
        self.url, self.tokens, self.measure_id = url, tokens, measure_id
        self.answers: list[Answer] = []
        self.next_index = iter(range(len(tokens)))
        self.lock = threading.Lock()
        self.stop_at = float("inf")
        self.staff = {"Connection": "close", "Authorization": "Bearer " + requests.post(
            url + "/api/v1/staff/login", json={"username": "gate_bus", "password": STAFF_PASSWORD},
            timeout=10).json()["access_token"]}

    def _post(self, kind: str, index: int, body: dict) -> Answer:
        started = time.monotonic()
        try:
            response = requests.post(f"{self.url}/api/v1/scan/{kind}", json=body, headers=self.staff, timeout=30)
        except requests.RequestException as error:
            answer = Answer(kind, index, started, None, repr(error), None)
        else:
            json = response.json() if response.headers.get("Content-Type", "").startswith("application/json") \
                else response.text[:200]
            answer = Answer(kind, index, started, response.status_code, json, response.headers.get("Retry-After"))
        with self.lock:
            self.answers.append(answer)
        return answer

    def run(self) -> None:
        for index in self.next_index:
            if time.monotonic() > self.stop_at:
                return
            token = self.tokens[index]
            self._post("verify", index, {"token": token})
            body = {"token": token, "measure_id": self.measure_id, "idempotency_key": f"restart-{index:04d}"}
            while self._post("redeem", index, body).status == 503:
                time.sleep(0.2)

    def acknowledged(self, kind: str, status: int) -> list[Answer]:
        return [answer for answer in self.answers if answer.kind == kind and answer.status == status]


@postgres_pass_only
def test_a_postgresql_restart_under_load_answers_503_not_500_and_loses_nothing_acknowledged(restartable, tmp_path,
                                                                                            today):
    measure_id = db.session.scalar(sa.select(Measure.id).where(Measure.code == "XY-XING-01"))
    who = list_identity(identity(2203, name="郑重启"), today).subject()
    tokens = [citizens.issue_code(who.id, today, utcnow()).token for _ in range(CODES)]
    server = LiveServer(restartable.url, tmp_path / "server.log")
    server.env.update(QR_TTL_SECONDS="600")
    server.start()
    db.session.remove()
    db.engine.dispose()  # this process holds no connection across the restart; the server's pool is what is tested
    probes = tokens[-PROBES:]
    try:
        counter = Counter(server.url, tokens[:-PROBES], measure_id)
        with ThreadPoolExecutor(THREADS) as pool:
            running = [pool.submit(counter.run) for _ in range(THREADS)]
            while len(counter.acknowledged("redeem", 201)) < 30:
                time.sleep(0.05)
            restart_began = time.monotonic()
            restartable.restart()
            recovered_by = time.monotonic() + RECOVERY_SECONDS
            counter.stop_at = recovered_by + 3
            for future in running:
                future.result()
        time.sleep(max(0.0, recovered_by - time.monotonic()))
        for index, token in enumerate(probes, start=len(tokens)):  # whatever the load did, the pool has recovered
            counter._post("verify", index, {"token": token})
    finally:
        server.kill()
    log = server.log_path.read_text()
    assert {answer.status for answer in counter.answers} <= ANSWERS, log[-3000:]
    refused = [answer for answer in counter.answers if answer.status == 503]
    assert refused, "the restart should land mid-load"
    for answer in refused:
        assert answer.body["error"]["code"] == "service_unavailable" and answer.retry_after == "2"
    assert all(answer.started >= restart_began - 1 for answer in refused)
    after_recovery = [answer for answer in counter.answers if answer.started >= recovered_by]
    assert after_recovery and all(answer.status in (200, 201) for answer in after_recovery)
    assert "Traceback" not in log

    db.session().invalidate()  # this process's own connections did not survive the restart either
    db.engine.dispose()
    verified = {answer.body["attempt_id"] for answer in counter.acknowledged("verify", 200)}
    assert set(db.session.scalars(sa.select(ScanAttempt.id).where(ScanAttempt.id.in_(verified)))) == verified
    redeemed = {answer.index: answer.body["redemption"]["id"] for answer in counter.acknowledged("redeem", 201)}
    for answer in counter.acknowledged("redeem", 201):  # a replay answers with the first redemption
        assert answer.body["redemption"]["id"] == redeemed[answer.index]
    stored = dict(db.session.execute(sa.select(Redemption.idempotency_key, Redemption.id)).all())
    assert stored == {f"restart-{index:04d}": redemption for index, redemption in redeemed.items()}


@postgres_pass_only
def test_a_connection_lost_on_the_prepared_path_is_not_handed_out_again(restartable):
    app = create_app("test", SQLALCHEMY_DATABASE_URI=restartable.url, DB_IDLE_CHECK_SECONDS=3600)
    with app.app_context():
        with raw_connection() as first, raw_connection() as second:  # two connections into the pool
            before = {_BACKEND.one(first).pid, _BACKEND.one(second).pid}
        restartable.restart()
        with pytest.raises(sa.exc.OperationalError) as lost, raw_connection() as connection:
            _BACKEND.one(connection)
        assert lost.value.connection_invalidated and database_unavailable(lost.value)
        with raw_connection() as first, raw_connection() as second:  # neither is one the restart ended
            after = {_BACKEND.one(first).pid, _BACKEND.one(second).pid}
        db.engine.dispose()
    assert len(after) == 2 and not after & before


@postgres_pass_only
def test_a_request_whose_connection_died_after_its_last_statement_still_ends_cleanly(database_url):
    """The teardown every request runs: the session's rollback meets a dropped connection, and nothing is raised."""
    app = create_app("test", SQLALCHEMY_DATABASE_URI=database_url)
    context = app.app_context()
    context.push()
    backend = db.session.scalar(sa.select(sa.func.pg_backend_pid()))  # a read: the transaction stays open
    killer = sa.create_engine(database_url)
    with killer.connect() as connection:
        connection.execute(sa.select(sa.func.pg_terminate_backend(backend)))
    killer.dispose()
    context.pop()
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.pg_backend_pid())) != backend
        db.engine.dispose()


@pytest.mark.skipif(bool(POSTGRES_URL), reason="SQLite's own lock")
def test_a_sqlite_write_locked_past_the_busy_timeout_answers_503(database_url, catalogue):
    accounts.create_account("gate_bus", STAFF_PASSWORD, "staff", "test", venue_id=catalogue["BUS"].id)
    app = create_app("test", SQLALCHEMY_DATABASE_URI=database_url, DB_BUSY_TIMEOUT_SECONDS=0.2)
    page = app.test_client()
    with app.app_context():
        csrf = console_csrf(page, "/scan/login")
    holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the write lock
    try:
        with app.app_context():
            locked = app.test_client().post("/api/v1/staff/login",
                                            json={"username": "gate_bus", "password": STAFF_PASSWORD})
            locked_page = page.post("/scan/login", headers={"Accept": "text/html"},
                                    data={"csrf_token": csrf, "username": "gate_bus", "password": STAFF_PASSWORD})
    finally:
        holder.rollback()
        holder.close()
    assert locked.status_code == 503 and locked.headers["Retry-After"] == "2"
    assert locked.get_json()["error"]["code"] == "service_unavailable"
    assert locked_page.status_code == 503 and locked_page.headers["Retry-After"] == "2"
    assert locked_page.mimetype == "text/html" and "服务暂不可用" in locked_page.get_data(as_text=True)
    with app.app_context():
        signed_in = app.test_client().post("/api/v1/staff/login",
                                           json={"username": "gate_bus", "password": STAFF_PASSWORD})
    assert signed_in.status_code == 200


def test_the_openapi_description_says_any_operation_may_answer_503(client):
    """API.md: the description must match what the app does, and any request the database cannot serve answers 503."""
    spec = client.get("/api/v1/openapi.json").get_json()
    missing = sorted(f"{method.upper()} {path}" for path, operations in spec["paths"].items()
                     for method, operation in operations.items()
                     if isinstance(operation, dict) and "503" not in operation.get("responses", {"503": None}))
    assert missing == []
    assert "service_unavailable" in spec["components"]["responses"]["Unavailable"]["description"]
