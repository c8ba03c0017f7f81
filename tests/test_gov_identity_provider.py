"""The government identity provider, against a real HTTP stand-in on loopback."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.helpers import identity

KNOWN = identity(31, name="粤省事")


class _StandIn(BaseHTTPRequestHandler):
    """Exchanges a one-time code for a verified identity, like the real platform's token endpoint."""

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if body.get("client_secret") != "s3cret":
            return self._answer(401, {"error": "invalid_client"})
        answers = {"good": (200, {"kind": "person", "name": KNOWN.name, "id_number": KNOWN.number}),
                   "garbage": (200, {"unexpected": True}),
                   "broken": (500, {"error": "down"})}
        self._answer(*answers.get(body.get("code"), (400, {"error": "invalid_grant"})))

    def _answer(self, status, payload):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def provider_url(app):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _StandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/oauth/token"
    app.config.update(GOV_IDP_TOKEN_URL=url, GOV_IDP_CLIENT_ID="xinyi", GOV_IDP_CLIENT_SECRET="s3cret",
                      GOV_IDP_TIMEOUT_SECONDS=2)
    yield url
    server.shutdown()
    server.server_close()


def _login(client, code):
    return client.post("/api/v1/auth/login", json={"provider": "gov", "code": code})


def test_code_exchange_logs_the_person_in(client, provider_url):
    response = _login(client, "good")
    assert response.status_code == 200
    assert response.get_json()["subject"]["name_masked"] == "粤*事"
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {response.get_json()['access_token']}"})
    assert me.get_json()["subject"]["id_number_masked"].endswith(KNOWN.number[-4:])


def test_a_rejected_code_is_401(client, provider_url):
    response = _login(client, "expired-code")
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "identity_rejected"


@pytest.mark.parametrize("code", ["garbage", "broken"])
def test_a_provider_fault_is_503(client, provider_url, code):
    response = _login(client, code)
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "identity_provider_unavailable"


def test_an_unreachable_provider_is_503(app, client, provider_url):
    app.config["GOV_IDP_TOKEN_URL"] = "http://127.0.0.1:9/unreachable"
    response = _login(client, "good")
    assert response.status_code == 503


def test_missing_code_is_400(client, provider_url):
    response = client.post("/api/v1/auth/login", json={"provider": "gov"})
    assert response.status_code == 400 and "code" in response.get_json()["error"]["fields"]


def test_gov_provider_is_off_without_configuration(client):
    response = _login(client, "good")
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "unknown_provider"
