"""One contract: the answers built by hand on the hot paths are exactly what their schemas would dump, and the
scanner client's own copy of the refusal texts says what the server's table says."""
import json

import pytest
import sqlalchemy as sa

from app.api.staff import redeem_answer, verify_answer
from app.api.staff.schemas import RedeemResultSchema, VerifyResultSchema
from app.domain.dates import today, utcnow
from app.domain.refusals import REFUSALS
from app.extensions import db
from app.models import Objection
from app.services import accounts, citizens, objections, scanning
from miniprogram_api.me import code_answer, codes_answer
from miniprogram_api.schemas import CodesSchema, QrCodeSchema
from scanner_client import messages
from tests.helpers import identity, list_identity


def _same(hand_built: dict, dumped: dict) -> None:
    assert json.loads(json.dumps(hand_built)) == json.loads(json.dumps(dumped))


def _as_schema_reads(verification: scanning.Verification) -> dict:
    attempt = verification.attempt
    return {"valid": attempt.valid, "reason": attempt.reason, "attempt_id": attempt.id,
            "subject": verification.subject if attempt.token_key else None, "measures": verification.offers,
            "token_expires_at": verification.token_expires_at}


@pytest.fixture
def counter(catalogue):
    return accounts.create_account("contract_bus", "counter-pass", "staff", "test", venue_id=catalogue["BUS"].id)


@pytest.mark.parametrize("shown", ["a code", "not a code at all"])
def test_verify_answer_is_what_its_schema_dumps(counter, shown):
    who = list_identity(identity(91, name="王契约"), today())
    token = citizens.issue_code(who.subject().id, today(), utcnow()).token if shown == "a code" else shown
    verification = scanning.verify(token, counter.id, "desk-1", utcnow(), today())
    assert verification.attempt.valid is (shown == "a code")
    _same(verify_answer(verification), VerifyResultSchema().dump(_as_schema_reads(verification)))


def test_redeem_answer_is_what_its_schema_dumps(counter, measure_id):
    who = list_identity(identity(92, name="李契约"), today())
    token = citizens.issue_code(who.subject().id, today(), utcnow()).token
    redemption, _ = scanning.redeem(token, measure_id, "contract-key-1", counter.id, "desk-1", utcnow(), today())
    _same(redeem_answer(redemption), RedeemResultSchema().dump({"redemption": redemption}))


def test_code_answer_is_what_its_schema_dumps(catalogue):
    who = list_identity(identity(93, name="张契约"), today())
    code = citizens.issue_code(who.subject().id, today(), utcnow())
    _same(code_answer(code), QrCodeSchema().dump(code))


def test_codes_answer_is_what_its_schema_dumps(catalogue):
    who = list_identity(identity(94, name="赵契约"), today())
    issued, valid_until = citizens.issue_codes(who.subject().id, 1, today(), utcnow())
    _same(codes_answer(issued, valid_until), CodesSchema().dump({"codes": issued, "valid_until": valid_until}))


def test_the_scanner_clients_refusal_texts_are_the_servers():
    """The client imports nothing from the server; this holds its copy to the one table."""
    assert set(REFUSALS) <= set(messages.REASONS)
    for code, refusal in REFUSALS.items():
        client = messages.REASONS[code]
        assert (client["title"], client["tell"], client["hint"]) == (refusal.title, refusal.tell, refusal.hint), code


def _statements_for(client, url, headers) -> int:
    """How many SQL statements one request runs."""
    seen = []

    def count(*_):
        seen.append(1)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(url, headers=headers).status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def test_a_page_of_cases_costs_the_same_queries_for_two_items_or_ten(client, catalogue):
    """Histories, evidence and subjects come with the page, not one query per item."""
    accounts.create_account("queue_reviewer", "review-pass", "reviewer", "test")
    token = client.post("/api/v1/admin/login", json={"username": "queue_reviewer", "password": "review-pass"})
    headers = {"Authorization": f"Bearer {token.get_json()['access_token']}"}
    costs = []
    for count in (2, 10):
        while db.session.scalar(sa.select(sa.func.count()).select_from(Objection)) < count:
            seed = 200 + db.session.scalar(sa.select(sa.func.count()).select_from(Objection))
            who = list_identity(identity(seed, name="排队者"), today())
            objections.file_objection(who.subject().id, "other", "请核实我的名单信息。", None, None, [], utcnow())
        costs.append(_statements_for(client, "/api/v1/admin/objections", headers))
    assert costs[0] == costs[1]
