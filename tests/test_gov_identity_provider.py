"""The government identity provider, against a real HTTP stand-in on loopback."""
import pytest

from tests.gov_standin import KNOWN, GovStandIn


@pytest.fixture
def provider_url(app):
    stand_in = GovStandIn()
    app.config.update(stand_in.settings, GOV_IDP_TIMEOUT_SECONDS=2)
    yield stand_in.settings["GOV_IDP_TOKEN_URL"]
    stand_in.stop()


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


def test_missing_code_is_refused(client, provider_url):
    response = client.post("/api/v1/auth/login", json={"provider": "gov"})
    assert response.status_code == 422 and "code" in response.get_json()["error"]["fields"]


def test_gov_provider_is_off_without_configuration(client):
    response = _login(client, "good")
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "unknown_provider"
