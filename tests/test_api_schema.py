"""Schemathesis against the served OpenAPI description, signed in as a citizen, counter staff and an administrator:
no server error, every answer as documented (status, content type, body), no schema-valid request refused as bad."""
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from app.domain.dates import today
from app.services import accounts
from tests.helpers import identity, list_identity, login

PASSWORD = "schema-pass"
# A few examples per operation and mode, the same every run (a deeper search: SCHEMATHESIS_EXAMPLES=200, random).
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "8"))
DERANDOMIZE = "SCHEMATHESIS_EXAMPLES" not in os.environ


@pytest.fixture
def tokens(client, catalogue):
    """A bearer token for each audience: a listed citizen, the bus company's counter, an administrator."""
    citizen = login(client, list_identity(identity(151, name="施守约"), today(), grade="AA"))
    accounts.create_account("schema_staff", PASSWORD, "staff", "test", venue_id=catalogue["BUS"].id)
    accounts.create_account("schema_admin", PASSWORD, "admin", "test")
    headers = {"citizen": citizen}
    for audience, username in (("staff", "schema_staff"), ("admin", "schema_admin")):
        answer = client.post(f"/api/v1/{audience}/login", json={"username": username, "password": PASSWORD})
        headers[audience] = {"Authorization": f"Bearer {answer.get_json()['access_token']}"}
    return headers


def _audience(path: str) -> str:
    if path.startswith("/api/v1/admin"):
        return "admin"
    if path.startswith(("/api/v1/scan", "/api/v1/staff")):
        return "staff"
    return "citizen"


# A request the description allows may still be refused by the rules: 422 is API.md's "well-formed but refused".
# What must never happen is 400 — the description saying yes and the server saying the request is malformed.
ACCEPTED = ["2xx", "401", "403", "404", "409", "422", "429"]
# Unknown query parameters are ignored (as a cache-busting one must be), so that negative check is left out.
# NUL cannot be stored in text (the description's string patterns say so), so it is not generated either.
CONFIG = {"checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED},
                     "negative_data_rejection": {"enabled": False}},
          "generation": {"allow-x00": False}}


def _operations(app):
    config = schemathesis.config.SchemathesisConfig.from_dict(CONFIG)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config)
    for result in schema.get_all_operations():
        operation = result.ok()
        # Each would end the very sessions the run signs in with (disabling an account ends its tokens for good).
        if not operation.path.endswith(("/logout", "/sessions/revoke", "/disable")):
            yield operation


def _fuzz(operation, mode: GenerationMode, headers: dict) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=DERANDOMIZE,
              suppress_health_check=list(HealthCheck))
    def call(case):
        case.call_and_validate(headers=headers)

    call()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_answers_as_it_is_described(app, tokens, mode):
    app.config["LOGIN_RATE_LIMIT"] = "100000 per minute"
    failures = []
    for operation in _operations(app):
        try:
            _fuzz(operation, mode, tokens[_audience(operation.path)])
        except Unsatisfiable:
            continue  # no request can break the description of an operation that takes none
        except Exception as failure:  # every operation is tried; all failures are reported together
            failures.append(f"{operation.label}: {failure}")
    assert failures == [], "\n\n".join(failures)
