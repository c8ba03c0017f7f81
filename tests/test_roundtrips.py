"""Round trips of the counters' hot path on PostgreSQL, read from libpq's own trace of what the client sent.

A round trip is a message that makes the client wait for the server: a simple `Query` (BEGIN, COMMIT) or the `Sync`
that ends an extended-protocol statement. A `Parse` means a statement was parsed and planned again: in the steady
state every statement is a prepared one, so none is sent.
"""
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.services import accounts
from tests.conftest import POSTGRES_URL
from tests.helpers import identity, list_identity, login

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="PostgreSQL only: round trips to a server")
PASSWORD = "counter-pass"
WARM_UP = 5  # past psycopg's prepare_threshold (2), so every statement is prepared on the server


class Trace:
    """libpq's trace of every pooled connection checked out while `on`: the messages the client sent."""

    def __init__(self, engine: sa.Engine, path: Path) -> None:
        self.file = path.open("w+")
        self.on = False
        sa.event.listen(engine, "checkout", self._checkout)
        sa.event.listen(engine, "checkin", self._checkin)

    def _checkout(self, dbapi_connection, _record, _proxy):
        if self.on:
            from psycopg import pq
            dbapi_connection.pgconn.trace(self.file.fileno())
            dbapi_connection.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)

    def _checkin(self, dbapi_connection, _record):
        if dbapi_connection is not None and self.on:
            dbapi_connection.pgconn.untrace()

    def sent(self, request) -> tuple[Counter, list[str]]:
        """Run `request()` traced; the messages sent by kind, and the simple queries' text."""
        self.file.seek(0)
        self.file.truncate()
        self.on = True
        try:
            request()
        finally:
            self.on = False
        self.file.seek(0)
        lines = [line.split("\t") for line in self.file.read().splitlines() if line.startswith("F\t")]
        return Counter(fields[2] for fields in lines), [fields[3].strip() for fields in lines if fields[2] == "Query"]


@pytest.fixture
def counter(client, catalogue, measure_id, today, tmp_path):
    """A bus-company staff member's headers, a listed citizen's headers, and a traced engine."""
    accounts.create_account("s_bus", PASSWORD, "staff", "test", venue_id=catalogue["BUS"].id)
    response = client.post("/api/v1/staff/login", json={"username": "s_bus", "password": PASSWORD})
    staff = {"Authorization": f"Bearer {response.get_json()['access_token']}"}
    citizen = login(client, list_identity(identity(7), today))
    db.session.commit()
    trace = Trace(db.engine, tmp_path / "libpq.trace")
    yield staff, citizen, trace
    trace.file.close()


def _code(client, citizen) -> str:
    return client.get("/api/v1/me/qrcode", headers=citizen).get_json()["token"]


def _round_trips(sent: Counter) -> int:
    return sent["Query"] + sent["Sync"]


def test_a_verify_is_one_transaction_of_prepared_statements(client, counter):
    staff, citizen, trace = counter
    token = _code(client, citizen)
    for _ in range(WARM_UP):
        assert client.post("/api/v1/scan/verify", json={"token": token}, headers=staff).status_code == 200

    def verify():
        response = client.post("/api/v1/scan/verify", json={"token": token}, headers=staff)
        assert response.status_code == 200 and response.get_json()["valid"] is True

    sent, queries = trace.sent(verify)
    # BEGIN; the bearer check; the scan's read; the attempt's insert; COMMIT.
    assert queries == ['"BEGIN"', '"COMMIT"']
    assert _round_trips(sent) == 5
    assert sent["Parse"] == 0


def test_a_redeem_is_one_transaction_with_one_insert_statement(client, counter, measure_id):
    staff, citizen, trace = counter

    def redeem(number):
        body = {"token": _code(client, citizen), "measure_id": measure_id, "idempotency_key": f"key-{number:08d}"}
        response = client.post("/api/v1/scan/redeem", json=body, headers=staff)
        assert response.status_code == 201, response.get_json()

    for number in range(WARM_UP):
        redeem(number)
    token = _code(client, citizen)

    def traced():
        body = {"token": token, "measure_id": measure_id, "idempotency_key": "key-traced1"}
        assert client.post("/api/v1/scan/redeem", json=body, headers=staff).status_code == 201

    sent, queries = trace.sent(traced)
    # BEGIN; the bearer check; the scan's read; attempt, redemption and audit event in one statement; COMMIT.
    assert queries == ['"BEGIN"', '"COMMIT"']
    assert _round_trips(sent) == 5
    assert sent["Parse"] == 0
