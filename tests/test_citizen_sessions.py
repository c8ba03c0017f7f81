"""Staying signed in, honestly: a month's idle limit on the citizen's own phone, the devices on 首页 and
"退出其他设备", the credit office ending a subject's sessions (audited), and a login page that says why and goes
back."""
import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import sqlalchemy as sa
from flask import g

from app.domain.dates import today, utcnow
from app.domain.signins import describe
from app.extensions import db
from app.models import AccessToken, Account, AuditEvent
from app.services import accounts, sessions
from app.web.helpers import local_moment
from tests.browser import PHONE, axe_violations, requires_chromium, snap
from tests.gov_standin import GovStandIn
from tests.helpers import console_csrf, console_login, identity, list_identity
from tests.live_server import LiveServer

ANDROID = PHONE["user_agent"]
WECHAT_IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                 "Mobile/15E148 MicroMessenger/8.0.50(0x1800322c) NetType/WIFI Language/zh_CN")
DAY = dt.timedelta(days=1)
SHOTS = "SAVE_H5_SCREENSHOTS"


@pytest.fixture
def who(catalogue):
    return list_identity(identity(401, name="刘长青"), today())


def _csrf(client, path="/m/login") -> str:
    g.pop("csrf_token", None)
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def _sign_in(client, who, url="/m/login"):
    return client.post(url, data={"csrf_token": _csrf(client), "kind": who.kind, "name": who.name,
                                  "id_number": who.number})


def _phone(app, who, user_agent=ANDROID):
    """A test client standing for one phone, signed in."""
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = user_agent
    assert _sign_in(client, who).headers["Location"] == "/m/"
    return client


def _age_sessions(by: dt.timedelta) -> None:
    db.session.execute(sa.update(AccessToken).values(last_used_at=utcnow() - by))
    db.session.commit()


def _why(response) -> str | None:
    assert response.status_code == 302 and response.headers["Location"].startswith("/m/login?")
    return parse_qs(urlsplit(response.headers["Location"]).query).get("why", [None])[0]


def test_a_month_idle_holds_at_29_days_and_ends_at_31_and_a_quarter_ends_it_however_used(app, who):
    start = utcnow()
    token, lifetime = sessions.login_subject(who.subject(), start)
    assert lifetime == 90 * 24 * 3600
    assert sessions.authenticate(token, "citizen", start + 29 * DAY).subject_id == who.subject().id
    with pytest.raises(sessions.Unauthenticated) as idle:
        sessions.authenticate(token, "citizen", start + 29 * DAY + 31 * DAY)
    assert (idle.value.code, idle.value.why) == ("token_expired", "expired")
    assert idle.value.message == "登录已过期，请重新登录"

    token, _ = sessions.login_subject(who.subject(), start)
    for day in (29, 58, 87):
        sessions.authenticate(token, "citizen", start + day * DAY)
    with pytest.raises(sessions.Unauthenticated):
        sessions.authenticate(token, "citizen", start + 90 * DAY)


def test_the_page_cookie_outlives_the_browser_for_citizens_only(app, client, who, catalogue):
    cookie = _sign_in(client, who).headers["Set-Cookie"]
    expires = client.get_cookie("session").expires
    assert "HttpOnly" in cookie and expires is not None
    assert dt.timedelta(days=89) < expires - dt.datetime.now(dt.UTC) <= dt.timedelta(days=90)
    for _ in range(2):  # the first page adds its form token to the session; after that nothing changes it
        g.pop("csrf_token", None)
        answer = client.get("/m/")
    assert answer.status_code == 200 and not answer.headers.getlist("Set-Cookie")  # not re-sent with every answer

    accounts.create_account("office", "console-pass", "admin", "test")
    console = app.test_client()
    assert "Expires" not in console_login(console, "office", "console-pass").headers["Set-Cookie"]


def test_idle_29_days_stays_signed_in_and_31_days_says_expired_and_goes_back(app, who):
    phone = _phone(app, who)
    _age_sessions(29 * DAY)
    assert phone.get("/m/").status_code == 200
    _age_sessions(31 * DAY)
    ended = phone.get("/m/redemptions?page=1")
    assert _why(ended) == "expired"
    login = ended.headers["Location"]
    assert "登录已过期，请重新登录" in phone.get(login).get_data(as_text=True)
    assert _sign_in(phone, who, login).headers["Location"] == "/m/redemptions?page=1"


def test_logout_ends_the_session_without_a_reason_to_show(app, who):
    phone = _phone(app, who)
    phone.post("/m/logout", data={"csrf_token": _csrf(phone, "/m/")})
    assert _why(phone.get("/m/")) is None
    assert db.session.scalar(sa.select(AccessToken.ended_by)) == "logout"


def test_home_lists_the_devices_and_signing_out_the_others_keeps_this_one(app, who):
    android, iphone = _phone(app, who), _phone(app, who, WECHAT_IPHONE)
    stored = db.session.scalars(sa.select(AccessToken).order_by(AccessToken.id)).all()
    assert [row.device for row in stored] == ["安卓手机 · Chrome", "iPhone · 微信"]
    assert not any("Mozilla" in str(value) for row in stored for value in vars(row).values())

    page = android.get("/m/").get_data(as_text=True)
    devices = page[page.index("已登录的设备"):]
    assert "安卓手机 · Chrome" in devices and "iPhone · 微信" in devices and devices.count("本机") == 1
    assert devices.index("本机") < devices.index("iPhone · 微信")  # this phone first
    assert local_moment(stored[0].created_at) in devices

    ended = android.post("/m/logout/others", data={"csrf_token": _csrf(android, "/m/")})
    assert ended.headers["Location"] == "/m/#devices"
    page = android.get("/m/").get_data(as_text=True)
    assert "已退出其他 1 台设备" in page and "iPhone · 微信" not in page and "退出其他设备</button>" not in page
    refused = iphone.get("/m/code")
    assert _why(refused) == "device"
    assert "您已在其他设备上被退出，请重新登录" in iphone.get(refused.headers["Location"]).get_data(as_text=True)


def test_signing_out_others_needs_the_form_token(app, who):
    android, iphone = _phone(app, who), _phone(app, who, WECHAT_IPHONE)
    assert android.post("/m/logout/others").status_code == 400
    assert iphone.get("/m/").status_code == 200


def test_a_form_posted_after_the_session_ended_returns_to_its_page(app, who):
    phone = _phone(app, who)
    csrf = _csrf(phone, "/m/")
    _age_sessions(31 * DAY)
    refused = phone.post("/m/logout/others", data={"csrf_token": csrf},
                         headers={"Referer": "http://localhost/m/cases"})
    assert _why(refused) == "expired" and parse_qs(urlsplit(refused.headers["Location"]).query)["next"] == ["/m/cases"]
    elsewhere = phone.post("/m/logout/others", data={"csrf_token": csrf},
                           headers={"Referer": "https://evil.example/m/cases"})
    assert "next=" not in elsewhere.headers["Location"]


def test_the_administrator_ends_a_subjects_sessions_by_api_audited(app, client, who):
    phone = _phone(app, who)
    api = client.post("/api/v1/auth/login", json=who.login_body()).get_json()["access_token"]
    tokens = {}
    for role in ("admin", "reviewer"):
        accounts.create_account(f"api_{role}", "admin-api-pass", role, "test")
        answer = client.post("/api/v1/admin/login", json={"username": f"api_{role}", "password": "admin-api-pass"})
        tokens[role] = {"Authorization": f"Bearer {answer.get_json()['access_token']}"}
    path = f"/api/v1/admin/subjects/{who.subject().id}/sessions/revoke"
    assert client.post(path, headers=tokens["reviewer"]).status_code == 403
    assert client.post("/api/v1/admin/subjects/999999/sessions/revoke", headers=tokens["admin"]).status_code == 404

    answer = client.post(path, headers=tokens["admin"])
    assert answer.status_code == 200 and answer.get_json() == {"ended": 2}
    assert client.post(path, headers=tokens["admin"]).get_json() == {"ended": 0}
    refused = client.get("/api/v1/me", headers={"Authorization": f"Bearer {api}"}).get_json()["error"]
    assert refused == {"code": "invalid_token", "message": "您的登录已由工作人员结束，请重新登录"}
    login = phone.get("/m/").headers["Location"]
    assert "why=admin" in login and "您的登录已由工作人员结束" in phone.get(login).get_data(as_text=True)

    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "subject.end_sessions")
                                .order_by(AuditEvent.id)).all()
    admin = db.session.scalar(sa.select(Account.id).where(Account.username == "api_admin"))
    assert [(event.actor, event.target_id, event.details["ended"]) for event in events] == [
        (f"admin:{admin}", str(who.subject().id), 2), (f"admin:{admin}", str(who.subject().id), 0)]


def test_the_console_shows_the_devices_and_ends_them(app, client, who):
    phone = _phone(app, who, WECHAT_IPHONE)
    accounts.create_account("office", "console-pass", "admin", "test")
    console_login(client, "office", "console-pass")
    subject_page = f"/admin/subjects/{who.subject().id}"
    page = client.get(subject_page).get_data(as_text=True)
    assert "iPhone · 微信" in page and "结束该主体的全部登录" in page
    ended = client.post(f"{subject_page}/sessions/end", data={"csrf_token": console_csrf(client, subject_page)},
                        follow_redirects=True).get_data(as_text=True)
    assert "已结束该主体的 1 个登录" in ended and "iPhone · 微信" not in ended
    assert _why(phone.get("/m/")) == "admin"
    assert "结束了该主体的全部登录（1 个）" in client.get("/admin/audit").get_data(as_text=True)


def test_the_login_page_says_why_only_in_its_own_words(client):
    assert "您已在其他设备上被退出，请重新登录" in client.get("/m/login?why=device").get_data(as_text=True)
    for why in ("", "bogus", "<b>hi</b>"):
        page = client.get("/m/login", query_string={"why": why}).get_data(as_text=True)
        assert 'class="flash error"' not in page and "<b>hi</b>" not in page


@pytest.mark.parametrize("target, landing", [("/m/cases", "/m/cases"), ("https://evil.example/m/", "/m/"),
                                             ("//evil.example/m/", "/m/"), ("/admin/", "/m/")])
def test_signing_in_returns_to_next_only_on_our_pages(client, who, target, landing):
    assert _sign_in(client, who, f"/m/login?next={requests.utils.quote(target, safe='')}").headers["Location"] \
        == landing


@pytest.mark.parametrize("target, landing", [("/m/cases", "/m/cases"), ("https://evil.example/", "/m/")])
def test_the_platforms_sign_in_carries_next_through_its_round_trip(app, client, catalogue, target, landing):
    stand_in = GovStandIn()
    app.config.update(stand_in.settings, DEV_LOGIN=False, GOV_IDP_TIMEOUT_SECONDS=2)
    try:
        to_platform = client.get("/m/login/gov", query_string={"next": target}).headers["Location"]
        assert "next" not in to_platform and "cases" not in to_platform
        back = requests.get(to_platform, allow_redirects=False, timeout=5).headers["Location"]
        assert client.get(back.removeprefix("http://localhost")).headers["Location"] == landing
    finally:
        stand_in.stop()


@pytest.mark.parametrize("user_agent, words", [
    (ANDROID, "安卓手机 · Chrome"), (WECHAT_IPHONE, "iPhone · 微信"),
    ("Mozilla/5.0 (Linux; Android 12; HarmonyOS; NOH-AN00) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/99.0 HuaweiBrowser/14.0 Mobile Safari/537.36", "鸿蒙手机 · 华为浏览器"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.5 Mobile/15E148 Safari/604.1", "iPhone · Safari"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36 "
     "Edg/131.0", "Windows 电脑 · Edge"),
    ("", "未知设备 · 浏览器")])
def test_a_device_in_plain_words(user_agent, words):
    assert describe(user_agent) == words


@pytest.fixture
def live(app, database_url, who, tmp_path):
    server = LiveServer(database_url, tmp_path / "server.log")
    server.start()
    yield server
    server.kill()


@requires_chromium
def test_signing_out_the_other_phone_in_chromium(browser, live, who):
    phones = [browser.new_context(base_url=live.url, locale="zh-CN", **(PHONE | {"user_agent": agent}))
              for agent in (ANDROID, WECHAT_IPHONE)]
    mine, other = (context.new_page() for context in phones)
    try:
        for page in (mine, other):
            page.set_default_timeout(15_000)
            page.goto("/m/login")
            page.get_by_label("姓名 / 企业名称").fill(who.name)
            page.get_by_label("证件号码").fill(who.number)
            with page.expect_navigation():
                page.get_by_role("button", name="登录").click()
        other.goto("/m/redemptions")
        mine.goto("/m/")
        assert mine.locator("article.device").count() == 2
        mine.locator("#devices").scroll_into_view_if_needed()
        snap(mine, SHOTS, "home-devices")
        assert axe_violations(mine) == []
        mine.get_by_role("button", name="退出其他设备").click()
        mine.get_by_text("已退出其他 1 台设备，本机仍保持登录").wait_for()
        assert mine.locator("article.device").count() == 1

        other.reload()
        assert "/m/login" in other.url
        assert other.get_by_role("alert").inner_text() == "您已在其他设备上被退出，请重新登录"
        snap(other, SHOTS, "login-signed-out")
        assert axe_violations(other) == []
        other.get_by_label("证件号码").fill(who.number)
        other.get_by_label("姓名 / 企业名称").fill(who.name)
        with other.expect_navigation():
            other.get_by_role("button", name="登录").click()
        assert urlsplit(other.url).path == "/m/redemptions"
    finally:
        for context in phones:
            context.close()


def test_the_citizen_api_lists_the_devices_and_signs_out_the_others(app, client, who):
    phone = _phone(app, who)
    token = client.post("/api/v1/auth/login", json=who.login_body(),
                        headers={"User-Agent": WECHAT_IPHONE + " miniProgram"}).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    items = client.get("/api/v1/me/sessions", headers=headers).get_json()["items"]
    assert [(item["device"], item["this_device"]) for item in items] == [("iPhone · 微信小程序", True),
                                                                         ("安卓手机 · Chrome", False)]
    assert items[0]["signed_in_at"].endswith("+08:00")
    assert client.delete("/api/v1/me/sessions/others", headers=headers).get_json() == {"ended": 1}
    assert _why(phone.get("/m/")) == "device"
    assert len(client.get("/api/v1/me/sessions", headers=headers).get_json()["items"]) == 1


def test_signing_in_again_on_the_same_phone_is_still_one_device(app, who):
    phone = _phone(app, who)
    assert _sign_in(phone, who).headers["Location"] == "/m/"  # the session this phone had is replaced, not kept
    page = phone.get("/m/").get_data(as_text=True)
    assert page[page.index("已登录的设备"):].count("安卓手机 · Chrome") == 1
    assert db.session.scalar(sa.select(sa.func.count()).where(AccessToken.revoked_at.is_(None))) == 1
