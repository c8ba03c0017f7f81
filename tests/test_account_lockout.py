"""Issue 22 point 5: disabling an account ends every session and token for good; wrong passwords count per account
(from any address or sign-in page) and lock its password logins for a while, shown in words, audited, and
liftable by an administrator."""
import datetime as dt
import re

import pytest
import sqlalchemy as sa
from flask import g

from app.domain.dates import utcnow
from app.extensions import db
from app.models import AccessToken, Account, AuditEvent
from app.services import accounts, sessions
from tests.helpers import console_csrf, console_login, race

PASSWORD = "right-pass-1"
LOCKED = "账号因多次密码错误已暂时锁定，请 15 分钟后再试或联系管理员解锁"


@pytest.fixture
def people(catalogue):
    """An administrator, a reviewer, and a counter of the library with the library's manager."""
    made = {"admin": accounts.create_account("chief", PASSWORD, "admin", "test"),
            "reviewer": accounts.create_account("checker", PASSWORD, "reviewer", "test"),
            "staff": accounts.create_account("desk", PASSWORD, "staff", "test", venue_id=catalogue["LIB"].id),
            "manager": accounts.create_account("lib_boss", PASSWORD, "manager", "test",
                                               venue_id=catalogue["LIB"].id)}
    return {role: account.id for role, account in made.items()}


def _bearer(client, path, username, password=PASSWORD):
    response = client.post(path, json={"username": username, "password": password})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def _scanner_csrf(client):
    g.pop("csrf_token", None)
    page = client.get("/scan/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _scanner_sign_in(client, username, password=PASSWORD):
    return client.post("/scan/login", data={"csrf_token": _scanner_csrf(client), "username": username,
                                            "password": password})


def _console_sign_in(client, username, password=PASSWORD):
    return client.post("/admin/login", data={"csrf_token": console_csrf(client), "username": username,
                                             "password": password})


def _refusal(username, password, audience="staff", now=None):
    with pytest.raises(Exception) as refused:
        sessions.login_account(username, password, audience, now or utcnow())
    return refused.value.code, refused.value.message, getattr(refused.value, "status", None)


def _fail(username, times, audience="staff", now=None):
    return [_refusal(username, "wrong-pass", audience, now)[0] for _ in range(times)]


def _events(action):
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()


def _cookie(page):
    with page.session_transaction() as kept:
        return dict(kept)


def _put_back(page, cookie):
    with page.session_transaction() as kept:
        kept.update(cookie)


def test_disabling_ends_every_token_and_page_session_and_enabling_brings_none_back(app, client, people):
    admin = _bearer(client, "/api/v1/admin/login", "chief")
    staff_api = _bearer(client, "/api/v1/staff/login", "desk")
    reviewer_api = _bearer(client, "/api/v1/admin/login", "checker")
    scanner_page, console_page = app.test_client(), app.test_client()
    assert _scanner_sign_in(scanner_page, "desk").status_code == 302
    console_login(console_page, "checker", PASSWORD)
    assert scanner_page.get("/scan/").status_code == 200
    assert console_page.get("/admin/objections").status_code == 200
    cookies = _cookie(scanner_page), _cookie(console_page)

    def all_refused():
        for headers, path in ((staff_api, "/api/v1/scan/history"), (reviewer_api, "/api/v1/admin/objections")):
            answer = client.get(path, headers=headers)
            assert answer.status_code == 401 and answer.get_json()["error"]["code"] == "account_disabled"
        _put_back(scanner_page, cookies[0])
        _put_back(console_page, cookies[1])
        assert scanner_page.get("/scan/").headers["Location"].startswith("/scan/login")
        assert console_page.get("/admin/objections").headers["Location"].startswith("/admin/login")

    for role in ("staff", "reviewer"):
        answer = client.post(f"/api/v1/admin/accounts/{people[role]}/disable", headers=admin)
        assert answer.status_code == 200 and answer.get_json()["active"] is False
    all_refused()
    ended = db.session.scalars(sa.select(AccessToken.ended_by).where(
        AccessToken.account_id.in_([people["staff"], people["reviewer"]]))).all()
    assert ended == ["disabled"] * 4
    assert [event.details["ended"] for event in _events("account.disable")] == [2, 2]

    for role in ("staff", "reviewer"):
        assert client.post(f"/api/v1/admin/accounts/{people[role]}/enable", headers=admin).status_code == 200
    all_refused()

    fresh = _bearer(client, "/api/v1/staff/login", "desk")
    assert client.get("/api/v1/scan/history", headers=fresh).status_code == 200
    assert client.get("/api/v1/admin/objections", headers=_bearer(client, "/api/v1/admin/login", "checker")
                      ).status_code == 200
    assert _scanner_sign_in(scanner_page, "desk").status_code == 302
    assert scanner_page.get("/scan/").status_code == 200


def test_a_console_disabling_ends_the_sessions_too(app, client, people):
    staff_api = _bearer(client, "/api/v1/staff/login", "desk")
    console_login(client, "chief", PASSWORD)
    client.post(f"/admin/accounts/{people['staff']}/disable",
                data={"csrf_token": console_csrf(client, "/admin/accounts")})
    client.post(f"/admin/accounts/{people['staff']}/enable",
                data={"csrf_token": console_csrf(client, "/admin/accounts")})
    assert db.session.get(Account, people["staff"]).active
    assert client.get("/api/v1/scan/history", headers=staff_api).status_code == 401


def test_ten_wrong_passwords_lock_the_account_even_for_the_right_one(people):
    now = utcnow()
    assert _fail("desk", 9, now=now) == ["invalid_credentials"] * 9
    assert _refusal("desk", "wrong-pass", now=now) == ("account_locked", LOCKED, 429)
    assert _refusal("desk", PASSWORD, now=now) == ("account_locked", LOCKED, 429)
    assert _refusal("desk", "wrong-pass", now=now + dt.timedelta(minutes=5)) == (
        "account_locked", LOCKED.replace("15 分钟", "10 分钟"), 429)
    assert _refusal("desk", PASSWORD, now=now + dt.timedelta(minutes=14, seconds=59))[0] == "account_locked"
    [event] = _events("account.locked")
    assert (event.actor, event.target_id, event.details) == (
        f"staff:{people['staff']}", str(people["staff"]), {"failures": 10, "minutes": 15})

    account, _, _ = sessions.login_account("desk", PASSWORD, "staff", now + dt.timedelta(minutes=15))
    assert (account.failed_logins, account.locked_until) == (0, None)
    assert len(_events("account.locked")) == 1  # guesses while locked neither count nor lock again


def test_a_right_password_starts_the_count_again(people):
    assert _fail("desk", 9) == ["invalid_credentials"] * 9
    sessions.login_account("desk", PASSWORD, "staff", utcnow())
    assert _fail("desk", 9) == ["invalid_credentials"] * 9
    assert _fail("desk", 1) == ["account_locked"]


def test_failures_count_per_account_across_addresses_and_sign_in_pages(app, client, people):
    """The service knows no address: guesses through every sign-in page and API add up on the account."""
    for _ in range(3):
        refused = client.post("/api/v1/admin/login", json={"username": "checker", "password": "wrong-pass"})
        assert refused.get_json()["error"]["code"] == "invalid_credentials"
    for _ in range(3):
        assert _console_sign_in(app.test_client(), "checker", "wrong-pass").status_code == 401
    assert _fail("checker", 3, audience="admin") == ["invalid_credentials"] * 3
    locked = client.post("/api/v1/admin/login", json={"username": "checker", "password": "wrong-pass"})
    assert locked.status_code == 429
    assert locked.get_json() == {"error": {"code": "account_locked", "message": LOCKED}}
    right = client.post("/api/v1/admin/login", json={"username": "checker", "password": PASSWORD})
    assert (right.status_code, right.get_json()) == (429, locked.get_json())


def test_the_sign_in_pages_say_so_and_what_the_limit_is(app, people):
    _fail("desk", 10)
    _fail("checker", 10, audience="admin")
    scanner = app.test_client()
    page = scanner.get("/scan/login").get_data(as_text=True)
    assert "同一账号连续 10 次密码错误将锁定 15 分钟" in page
    refused = _scanner_sign_in(scanner, "desk")
    assert refused.status_code == 429 and LOCKED in refused.get_data(as_text=True)
    console = app.test_client()
    assert "同一账号连续 10 次密码错误将锁定 15 分钟" in console.get("/admin/login").get_data(as_text=True)
    refused = _console_sign_in(console, "checker")
    assert refused.status_code == 429 and LOCKED in refused.get_data(as_text=True)


def test_wrong_guesses_at_once_all_count_and_lock_once(database_url, people):
    def guess():
        try:
            sessions.login_account("desk", "wrong-pass", "staff", utcnow())
        except sessions.Unauthenticated as refused:
            return refused.code
        return "logged in"

    outcomes = race(database_url, guess, [()] * 12)
    assert outcomes.count("invalid_credentials") == 9 and outcomes.count("account_locked") == 3
    db.session.expire_all()
    assert len(_events("account.locked")) == 1


def test_unknown_usernames_never_lock(people):
    assert _fail("nobody", 15) == ["invalid_credentials"] * 15
    assert _refusal("nobody", "wrong-pass") == _refusal("desk", "wrong-pass")[:2] + (401,)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Account).where(Account.username == "nobody")) == 0
    assert _events("account.locked") == []


def test_an_administrator_unlocks_over_the_api_audited(client, people):
    admin = _bearer(client, "/api/v1/admin/login", "chief")
    _fail("desk", 10)
    listed = {item["id"]: item for item in client.get("/api/v1/admin/accounts", headers=admin).get_json()["items"]}
    assert listed[people["staff"]]["locked_until"] is not None
    assert listed[people["reviewer"]]["locked_until"] is None

    answer = client.post(f"/api/v1/admin/accounts/{people['staff']}/unlock", headers=admin)
    assert answer.status_code == 200 and answer.get_json()["locked_until"] is None
    [event] = _events("account.unlocked")
    assert (event.actor, event.target_id) == (f"admin:{people['admin']}", str(people["staff"]))
    assert client.post("/api/v1/staff/login", json={"username": "desk", "password": PASSWORD}).status_code == 200

    again = client.post(f"/api/v1/admin/accounts/{people['staff']}/unlock", headers=admin)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "account_not_locked"
    reviewer = _bearer(client, "/api/v1/admin/login", "checker")
    assert client.post(f"/api/v1/admin/accounts/{people['staff']}/unlock", headers=reviewer).status_code == 403


def test_the_console_shows_the_lock_and_lifts_it_audited(client, people):
    _fail("desk", 10)
    console_login(client, "chief", PASSWORD)
    page = client.get("/admin/accounts").get_data(as_text=True)
    assert page.count("解除锁定") >= 2 and "已锁定至" in page  # the button, and the note under the table
    assert f'/admin/accounts/{people["staff"]}/unlock' in page
    assert f'/admin/accounts/{people["reviewer"]}/unlock' not in page
    answer = client.post(f"/admin/accounts/{people['staff']}/unlock", data={"csrf_token": console_csrf(
        client, "/admin/accounts")}, follow_redirects=True)
    assert "已解除锁定" in answer.get_data(as_text=True) and "已锁定至" not in answer.get_data(as_text=True)
    assert len(_events("account.unlocked")) == 1
    audit = client.get("/admin/audit").get_data(as_text=True)
    assert "因账号连续 10 次密码错误被锁定 15 分钟" in audit and f"解除了账号 #{people['staff']} 的登录锁定" in audit
    sessions.login_account("desk", PASSWORD, "staff", utcnow())


def test_a_manager_unlocks_their_own_counter_staff_only(client, people):
    _fail("desk", 10)
    _fail("checker", 10, audience="admin")
    console_login(client, "lib_boss", PASSWORD)
    csrf = console_csrf(client, "/admin/accounts")
    client.post(f"/admin/accounts/{people['reviewer']}/unlock", data={"csrf_token": csrf})
    assert _refusal("checker", PASSWORD, audience="admin")[0] == "account_locked"
    client.post(f"/admin/accounts/{people['staff']}/unlock", data={"csrf_token": csrf})
    sessions.login_account("desk", PASSWORD, "staff", utcnow())


def test_a_new_password_lifts_the_lock_and_ends_the_sessions(client, people):
    old = _bearer(client, "/api/v1/staff/login", "desk")
    _fail("desk", 10)
    accounts.reset_password(people["staff"], "new-pass-22", "admin:1", utcnow())
    refused = client.get("/api/v1/scan/history", headers=old)
    assert refused.status_code == 401 and "密码已被重置" in refused.get_json()["error"]["message"]
    assert len(_events("account.unlocked")) == 1
    sessions.login_account("desk", "new-pass-22", "staff", utcnow())


def test_the_sign_in_pages_say_why_a_session_ended(app, client, people):
    """A counter whose password was reset, or a reviewer whose account was disabled, is told so on the page they are
    sent to, not only shown an empty sign-in form."""
    scanner_page, console_page = app.test_client(), app.test_client()
    assert _scanner_sign_in(scanner_page, "desk").status_code == 302
    console_login(console_page, "checker", PASSWORD)
    accounts.reset_password(people["staff"], "new-pass-22", "admin:1", utcnow())
    accounts.set_active(people["reviewer"], False, "admin:1", utcnow())
    for page, path, words in ((scanner_page, "/scan/", "账号密码已被重置，请用新密码重新登录"),
                              (console_page, "/admin/objections", "账号已被停用，此前的登录均已结束")):
        sent = page.get(path).headers["Location"]
        assert words in page.get(sent).get_data(as_text=True)
    assert "已被" not in app.test_client().get("/scan/login?why=nonsense").get_data(as_text=True)
