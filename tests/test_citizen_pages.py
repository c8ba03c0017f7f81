"""The citizen's pages over HTTP: the front door, sign-in (form and the platform's redirect), the session's rules,
every page, and nothing personal in a URL."""
import re

import pytest
import requests
from flask import g

from app.domain.dates import today
from app.extensions import db
from app.models import AccessToken
from tests.gov_standin import KNOWN, GovStandIn
from tests.helpers import identity, list_identity


def _csrf(client, path="/m/login") -> str:
    g.pop("csrf_token", None)
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def _sign_in(client, who) -> None:
    response = client.post("/m/login", data={"csrf_token": _csrf(client), "kind": who.kind, "name": who.name,
                                              "id_number": who.number})
    assert response.status_code == 302 and response.headers["Location"] == "/m/", response.get_data(as_text=True)


def _live_tokens() -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(AccessToken)
                             .where(AccessToken.revoked_at.is_(None)))


def test_the_front_door_is_a_page_in_chinese_with_every_way_in(client):
    response = client.get("/")
    page = response.get_data(as_text=True)
    assert response.mimetype == "text/html" and '<html lang="zh-CN">' in page
    for link in ('href="/m/"', 'href="/scan/"', 'href="/admin/"', 'href="/m/measures"', 'href="/api/v1/docs"'):
        assert link in page, link


def test_an_address_that_is_no_page_answers_a_page_and_the_api_json(client):
    page = client.get("/no-such-page", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "页面或资源不存在" in page.get_data(as_text=True)
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.get_json()["error"] == {"code": "not_found", "message": "页面或资源不存在"}


def test_pages_need_a_session_and_say_where_to_sign_in(client):
    for path in ("/m/", "/m/code", "/m/cases", "/m/messages", "/m/redemptions", "/m/objections/new"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/m/login?next="), path


def test_the_sign_in_form_has_the_named_fields(client):
    page = client.get("/m/login").get_data(as_text=True)
    for name in ("kind", "name", "id_number", "csrf_token"):
        assert f'name="{name}"' in page, name
    assert 'name="viewport"' in page


def test_sign_in_sets_a_server_side_session_cookie_and_logout_ends_it(client, catalogue):
    who = list_identity(identity(101, name="陈美华"), today())
    _sign_in(client, who)
    cookie = client.get_cookie("session")
    assert cookie.http_only and cookie.same_site == "Lax"
    assert who.number not in cookie.value
    assert _live_tokens() == 1
    page = client.get("/m/").get_data(as_text=True)
    assert "陈*华" in page and who.number not in page and who.number[:3] + "*" * 11 + who.number[-4:] in page
    client.post("/m/logout", data={"csrf_token": _csrf(client, "/m/")})
    assert client.get("/m/").status_code == 302
    assert _live_tokens() == 0


def test_a_refused_sign_in_keeps_the_name_never_the_number_and_the_number_never_travels_in_a_url(client, catalogue):
    who = identity(102, name="林守约")
    bad_number = who.number[:-1] + ("0" if who.number[-1] != "0" else "1")
    response = client.post("/m/login", data={"csrf_token": _csrf(client), "kind": "person", "name": who.name,
                                              "id_number": bad_number})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "校验位错误" in page and 'value="林守约"' in page
    assert bad_number not in page


def test_forms_without_the_csrf_token_are_refused(client, catalogue):
    who = list_identity(identity(103, name="王守时"), today())
    response = client.post("/m/login", data={"kind": "person", "name": who.name, "id_number": who.number})
    assert response.status_code == 400 and "页面已过期" in response.get_data(as_text=True)


def test_the_platforms_redirect_signs_the_person_in(app, client, catalogue):
    stand_in = GovStandIn()
    app.config.update(stand_in.settings, DEV_LOGIN=False, GOV_IDP_TIMEOUT_SECONDS=2)
    try:
        assert "粤省事 / 粤商通 实名登录" in client.get("/m/login").get_data(as_text=True)
        to_platform = client.get("/m/login/gov")
        assert to_platform.status_code == 302 and to_platform.headers["Location"].startswith(stand_in.base)
        back = requests.get(to_platform.headers["Location"], allow_redirects=False, timeout=5).headers["Location"]
        assert "code=good" in back and KNOWN.number not in back
        signed_in = client.get(back.removeprefix("http://localhost"))
        assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/m/"
        assert "粤*事" in client.get("/m/").get_data(as_text=True)
        forged = client.get("/m/login/gov/return?code=good&state=forged", follow_redirects=True)
        assert "登录已失效" in forged.get_data(as_text=True)
    finally:
        stand_in.stop()


@pytest.mark.parametrize("path", ["/m/", "/m/code", "/m/measures", "/m/redemptions", "/m/cases", "/m/objections/new",
                                  "/m/complaints/new", "/m/messages"])
def test_every_page_renders_for_a_listed_citizen_and_is_not_cached(client, catalogue, path):
    _sign_in(client, list_identity(identity(104, name="周诚"), today()))
    response = client.get(path)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"


def test_a_citizen_who_is_not_listed_sees_why_instead_of_a_code(client, catalogue):
    who = identity(105, name="未列者")
    _sign_in(client, who)
    page = client.get("/m/code").get_data(as_text=True)
    assert "您尚未列入守信激励对象名单" in page and 'id="qr"' not in page
    assert client.get("/m/code/fresh").status_code == 403


def test_elder_mode_is_remembered_and_offered_on_the_first_screens(client, catalogue):
    for path in ("/", "/m/login"):
        assert 'aria-pressed="false"' in client.get(path).get_data(as_text=True).split("</header>")[0]
    _sign_in(client, list_identity(identity(106, name="赵大字"), today()))
    assert ">长辈版</button>" in client.get("/m/").get_data(as_text=True).split("</header>")[0]
    switched = client.post("/m/elder", data={"elder": "on", "back": "/"})
    assert switched.status_code == 303 and switched.headers["Location"] == "/"
    for path in ("/", "/m/", "/m/measures"):
        assert '<html lang="zh-CN" class="elder">' in client.get(path).get_data(as_text=True)
    assert 'class="elder"' not in client.get("/admin/login").get_data(as_text=True)  # the console keeps its sizes
    away = client.post("/m/elder", data={"elder": "off", "back": "https://evil.example/"})
    assert away.headers["Location"] == "/m/"
    assert '<html lang="zh-CN">' in client.get("/m/").get_data(as_text=True)
