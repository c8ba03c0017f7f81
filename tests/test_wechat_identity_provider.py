"""The `wechat` identity provider (the mini-program's one-tap sign-in), against a real HTTP stand-in for WeChat's
code2session on loopback: binding once after a real-name proof, one tap after, WeChat's refusals, unbinding."""
import datetime as dt
import logging
import subprocess
import sys

import pytest
import requests
import sqlalchemy as sa
from flask import current_app

from app.config import ConfigError, ProductionConfig
from app.domain.dates import utcnow
from app.extensions import db
from app.models import AuditEvent, WechatBinding
from app.services import accounts, wechat
from tests.helpers import citizen_pages, identity, list_identity, login, page_csrf, race
from tests.test_production_config import GOOD
from tests.wechat_standin import APPID, SECRET, WechatStandIn, openid_of

PERSON = identity(2701, name="黄小微")


@pytest.fixture
def production_environment(monkeypatch):
    """An environment production accepts, without any WeChat setting of this process's own."""
    for name in ("APP_ENV", "DEV_LOGIN", "PUBLIC_BASE_URL", "GOV_IDP_AUTHORIZE_URL", "GOV_IDP_TOKEN_URL",
                 "WECHAT_APPID", "WECHAT_SECRET", "WECHAT_CODE2SESSION_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in GOOD.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def stand_in(app):
    stand_in = WechatStandIn()
    app.config.update(stand_in.settings, WECHAT_TIMEOUT_SECONDS=1)
    yield stand_in
    stand_in.stop()


def _login(client, code, proof=None):
    body = {"provider": "wechat", "code": code} | ({"proof": proof} if proof else {})
    return client.post("/api/v1/auth/login", json=body)


def _me(client, answer):
    token = answer.get_json()["access_token"]
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).get_json()


def _error(answer):
    return answer.status_code, answer.get_json()["error"]["code"]


def _bindings():
    db.session.expire_all()
    return db.session.scalars(sa.select(WechatBinding)).all()


def _audit(action):
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()


def test_first_sign_in_needs_proof_then_binds_and_the_next_is_one_tap(client, catalogue, today, stand_in):
    who = list_identity(PERSON, today)
    refused = _login(client, "huang:1")
    assert _error(refused) == (401, "wechat_not_bound")
    assert refused.get_json()["error"]["fields"] == {"proof": "请先完成一次实名核验"}  # words, no provider's name
    assert _bindings() == []

    bound = _login(client, "huang:2", proof=who.login_body())
    assert bound.status_code == 200, bound.get_json()
    assert _me(client, bound)["listed"] is True and bound.get_json()["subject"]["name_masked"] == "黄*微"
    [binding] = _bindings()
    assert binding.subject_id == who.subject().id
    [event] = _audit("wechat.bind")
    assert event.actor == f"citizen:{who.subject().id}" and event.details == {"binding": binding.id}

    again = _login(client, "huang:3")
    assert again.status_code == 200 and _me(client, again)["subject"]["id"] == who.subject().id
    assert _bindings()[0].last_used_at >= binding.bound_at
    assert len(_audit("wechat.bind")) == 1


def test_a_first_sign_in_of_an_unlisted_person_binds_too(client, stand_in):
    answer = _login(client, "newcomer:1", proof=identity(2702, name="李新").login_body())
    assert answer.status_code == 200 and _me(client, answer)["listed"] is False
    assert _login(client, "newcomer:2").status_code == 200


def test_a_wrong_proof_binds_nothing(client, catalogue, today, stand_in):
    who = list_identity(identity(2703, name="王正"), today)
    answer = _login(client, "wang:1", proof=who.login_body() | {"name": "王反"})
    assert _error(answer) == (401, "identity_mismatch")
    assert _bindings() == []


def test_binding_a_wechat_account_to_a_second_subject_is_refused(client, catalogue, today, stand_in):
    first, second = identity(2704, name="赵一"), identity(2705, name="钱二")
    assert _login(client, "shared:1", proof=first.login_body()).status_code == 200
    assert _error(_login(client, "shared:2", proof=second.login_body())) == (409, "wechat_bound_to_other")
    signed_in = login(client, second)
    assert _error(client.post("/api/v1/me/wechat", json={"code": "shared:3"}, headers=signed_in)) == \
        (409, "wechat_bound_to_other")
    [binding] = _bindings()
    assert binding.subject_id == first.subject().id


def test_a_signed_in_citizen_binds_with_a_code_and_unbinds_through_the_api(client, stand_in):
    who = identity(2706, name="孙三")
    headers = login(client, who)
    assert client.get("/api/v1/me/wechat", headers=headers).get_json() == {"bound": False, "bindings": []}
    bound = client.post("/api/v1/me/wechat", json={"code": "sun:1"}, headers=headers)
    assert bound.status_code == 200 and bound.get_json()["bound"] is True
    assert bound.headers["Cache-Control"] == "no-store"
    assert set(bound.get_json()["bindings"][0]) == {"id", "bound_at", "last_used_at"}
    assert client.post("/api/v1/me/wechat", json={"code": "sun:2"}, headers=headers).status_code == 200  # again
    assert _login(client, "sun:3").status_code == 200

    unbound = client.delete("/api/v1/me/wechat", headers=headers)
    assert unbound.status_code == 200 and unbound.get_json() == {"unbound": 1}
    [event] = _audit("wechat.unbind")
    assert event.target_id == str(who.subject().id) and event.details == {"bindings": 1}
    assert _error(_login(client, "sun:4")) == (401, "wechat_not_bound")
    assert client.delete("/api/v1/me/wechat", headers=headers).get_json() == {"unbound": 0}
    assert len(_audit("wechat.unbind")) == 1


def test_the_home_page_shows_the_binding_and_unbinds_it(app, client, catalogue, today, stand_in):
    who = list_identity(identity(2707, name="周四"), today)
    browser = citizen_pages(app, who)
    assert "解除微信绑定" not in browser.get("/m/").get_data(as_text=True)
    assert _login(client, "zhou:1", proof=who.login_body()).status_code == 200
    page = browser.get("/m/").get_data(as_text=True)
    assert "已绑定 1 个微信" in page and "解除微信绑定" in page
    assert browser.post("/m/wechat/unbind", data={}).status_code == 400  # the form's token is required
    answer = browser.post("/m/wechat/unbind", data={"csrf_token": page_csrf(browser, "/m/")})
    assert answer.status_code == 302 and answer.headers["Location"] == "/m/#wechat"
    assert "已解除微信绑定" in browser.get("/m/").get_data(as_text=True)
    assert _bindings() == [] and len(_audit("wechat.unbind")) == 1


def test_a_double_tap_on_the_first_sign_in_binds_once(app, database_url, stand_in):
    """Two first sign-ins of one WeChat account at the same instant: one binding; the other signs in as well, or is
    asked to tap again (its code is spent), never a 500."""
    who = identity(2709, name="郑双")

    def first_sign_in(code):
        current_app.config.update(stand_in.settings, DEV_LOGIN=True)
        wechat.login({"provider": "wechat", "code": code, "proof": who.login_body()}, utcnow())
        return "signed_in"

    outcomes = race(database_url, first_sign_in, [("zheng:1",), ("zheng:2",)])
    assert "signed_in" in outcomes and set(outcomes) <= {"signed_in", "wechat_bind_conflict"}, outcomes
    [binding] = _bindings()
    assert binding.subject_id == who.subject().id and len(_audit("wechat.bind")) == 1


@pytest.mark.parametrize("code", ["invalid", "nobody:1"])
def test_an_invalid_or_spent_code_is_401(client, stand_in, code):
    if code == "nobody:1":
        _login(client, code)  # spends it
    answer = _login(client, code)
    assert _error(answer) == (401, "wechat_code_invalid")
    assert "重新" in answer.get_json()["error"]["message"]


@pytest.mark.parametrize("code, status, stable, retry_after", [
    ("busy", 503, "wechat_busy", "5"),
    ("limited", 429, "wechat_rate_limited", "60"),
    ("blocked", 403, "wechat_account_blocked", None),
])
def test_wechat_refusals_have_their_own_codes(client, stand_in, code, status, stable, retry_after):
    answer = _login(client, code)
    assert _error(answer) == (status, stable)
    assert answer.headers.get("Retry-After") == retry_after


@pytest.mark.parametrize("fault", ["slow", "garbage", "broken", "unreachable", "wrong_secret"])
def test_wechat_down_slow_or_misconfigured_is_503_never_500(app, client, stand_in, fault):
    if fault == "unreachable":
        app.config["WECHAT_CODE2SESSION_URL"] = "http://127.0.0.1:9/sns/jscode2session"
    if fault == "wrong_secret":
        app.config["WECHAT_SECRET"] = "not-the-secret"
    answer = _login(client, fault if fault in ("slow", "garbage", "broken") else "someone:1")
    assert _error(answer) == (503, "identity_provider_unavailable")
    assert answer.headers["Retry-After"] == "5"
    assert "微信" in answer.get_json()["error"]["message"]


@pytest.mark.parametrize("body", [{"provider": "wechat"}, {"provider": "wechat", "code": ""},
                                  {"provider": "wechat", "code": "x" * 513}, {"provider": "wechat", "code": 7},
                                  {"provider": "wechat", "code": "a:1", "proof": "dev"}])
def test_a_malformed_wechat_login_is_refused_before_asking_wechat(client, stand_in, body):
    assert client.post("/api/v1/auth/login", json=body).status_code in (400, 422)


def test_a_proof_through_wechat_itself_is_no_proof(client, stand_in):
    answer = _login(client, "loop:1", proof={"provider": "wechat", "code": "loop:2"})
    assert answer.status_code == 400 and "proof" in answer.get_json()["error"]["fields"]


def test_the_provider_is_off_without_configuration(client):
    assert _error(_login(client, "a:1")) == (422, "unknown_provider")
    assert client.get("/api/v1/auth/providers").get_json() == {"login": ["dev"], "proof": ["dev"]}


def test_providers_list_wechat_when_configured(client, stand_in):
    assert client.get("/api/v1/auth/providers").get_json() == {"login": ["dev", "wechat"], "proof": ["dev"]}


def test_the_openid_is_never_stored_in_plaintext_nor_logged(app, client, catalogue, today, stand_in, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    who = list_identity(identity(2708, name="吴五"), today)
    headers = login(client, who)
    assert _login(client, "wu:1", proof=who.login_body()).status_code == 200
    assert _login(client, "wu:2").status_code == 200
    client.get("/m/", headers=headers)
    client.delete("/api/v1/me/wechat", headers=headers)
    assert _login(client, "slow").status_code == 503  # a fault is logged, without the URL's secret
    openid = openid_of("wu")
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(sa.select(table)):
            assert openid not in repr(tuple(row)), table.name
    written = caplog.text + capsys.readouterr().err
    assert "wechat_unavailable" in written
    for secret in (openid, "wu:1", "wu:2", SECRET):
        assert secret not in written


def test_the_openapi_description_documents_the_flow(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    login_doc = spec["paths"]["/api/v1/auth/login"]["post"]
    for code in ("wechat_not_bound", "wechat_bound_to_other", "wechat_code_invalid", "wechat_rate_limited",
                 "wechat_busy", "identity_provider_unavailable"):
        assert code in login_doc["description"], code
    assert {"get", "post", "delete"} <= set(spec["paths"]["/api/v1/me/wechat"])
    assert {"401", "409", "429", "503"} <= set(spec["paths"]["/api/v1/me/wechat"]["post"]["responses"])
    assert "/api/v1/auth/providers" in spec["paths"]
    login_schema = spec["components"]["schemas"]["Login"]
    assert "wechat" in login_schema["properties"]["provider"]["enum"] and "proof" in login_schema["properties"]


@pytest.mark.nodb
@pytest.mark.parametrize("environment, message", [
    ({"WECHAT_APPID": APPID}, "WECHAT_APPID and WECHAT_SECRET"),
    ({"WECHAT_SECRET": SECRET}, "WECHAT_APPID and WECHAT_SECRET"),
    ({"WECHAT_APPID": APPID, "WECHAT_SECRET": SECRET, "WECHAT_CODE2SESSION_URL": "http://127.0.0.1:1/x"},
     "WECHAT_CODE2SESSION_URL"),
])
def test_production_refuses_a_half_configured_provider(monkeypatch, tmp_path, production_environment, environment,
                                                       message):
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        ProductionConfig(str(tmp_path))


@pytest.mark.nodb
def test_production_starts_with_the_provider_configured(monkeypatch, tmp_path, production_environment):
    monkeypatch.setenv("WECHAT_APPID", APPID)
    monkeypatch.setenv("WECHAT_SECRET", SECRET)
    config = ProductionConfig(str(tmp_path))
    assert config.WECHAT_CODE2SESSION_URL == "https://api.weixin.qq.com/sns/jscode2session"


@pytest.mark.nodb
def test_the_stand_in_runs_as_a_program_and_prints_its_address():
    with subprocess.Popen([sys.executable, "-m", "tests.wechat_standin"], stdout=subprocess.PIPE, text=True) as process:
        try:
            address = process.stdout.readline().strip()
            answer = requests.get(address + "/sns/jscode2session", timeout=5, params={
                "appid": APPID, "secret": SECRET, "js_code": "node:1", "grant_type": "authorization_code"}).json()
            assert answer["openid"] == openid_of("node")
        finally:
            process.terminate()
        assert process.wait(timeout=5) == 0


def test_one_tap_stops_a_quarter_after_the_last_proof_and_a_new_proof_restarts_it(client, catalogue, today, stand_in):
    who = list_identity(PERSON, today)
    assert _login(client, "huang:1", proof=who.login_body()).status_code == 200
    [binding] = _bindings()
    binding.proved_at -= dt.timedelta(seconds=current_app.config["CITIZEN_TOKEN_LIFETIME_SECONDS"] + 60)
    db.session.commit()

    lapsed = _login(client, "huang:2")
    assert _error(lapsed) == (401, "wechat_not_bound")  # the client shows its proof form, with these words
    assert "三个月" in lapsed.get_json()["error"]["message"]

    assert _login(client, "huang:3", proof=who.login_body()).status_code == 200
    assert _login(client, "huang:4").status_code == 200
    assert len(_bindings()) == 1 and len(_audit("wechat.bind")) == 1


def test_the_office_ending_a_subjects_sessions_ends_its_one_tap_too(client, catalogue, today, stand_in):
    who = list_identity(PERSON, today)
    assert _login(client, "huang:1", proof=who.login_body()).status_code == 200
    accounts.create_account("office", "office-api-pass", "admin", "test")
    token = client.post("/api/v1/admin/login", json={"username": "office", "password": "office-api-pass"})
    admin = {"Authorization": f"Bearer {token.get_json()['access_token']}"}
    ended = client.post(f"/api/v1/admin/subjects/{who.subject().id}/sessions/revoke", headers=admin)
    assert ended.status_code == 200 and ended.get_json()["ended"] == 1
    assert _bindings() == []
    assert _error(_login(client, "huang:2")) == (401, "wechat_not_bound")  # a lost phone cannot tap in again
    [event] = _audit("subject.end_sessions")
    assert event.details == {"ended": 1, "wechat_unbound": 1}
