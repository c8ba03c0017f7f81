"""A request rolls up the waiting days for a bounded time only; the statistics say which days are still being prepared.

The budget is set to zero here: every statistics call then rolls up exactly one day (at least one, so each call
makes progress), which makes "at most a slice per call" exact instead of timed.
"""
import datetime as dt

import pytest

from app.domain.dates import LOCAL_TZ, utcnow
from app.extensions import db
from app.services import accounts, rollups, stats
from tests.helpers import console_login
from tests.test_stats import Counter

WAITING = 12


@pytest.fixture
def history(catalogue, monkeypatch):
    """One refused scan a day for WAITING closed days, none rolled up (as after loading old data): (first, last)."""
    monkeypatch.setattr(rollups, "REQUEST_BUDGET", dt.timedelta(0))
    last = rollups.last_closed_day(utcnow())
    first = last - dt.timedelta(days=WAITING - 1)
    counter = Counter(catalogue)
    for offset in range(WAITING):
        noon = dt.datetime.combine(first + dt.timedelta(days=offset), dt.time(12), tzinfo=LOCAL_TZ)
        counter.attempt("BUS", noon.astimezone(dt.UTC), "token_expired")
    db.session.commit()
    return first, last


def test_a_request_rolls_up_within_its_budget_and_reports_the_rest(history):
    first, last = history
    totals = stats.totals(first, last)
    assert rollups.rolled_through() == first
    assert totals.attempts == 1  # the waiting days are left out, not counted from the rows
    assert stats.preparing(first, last) == (first + dt.timedelta(days=1), last)
    assert stats.preparing(first, first) is None

    for day in range(2, WAITING + 1):
        assert stats.totals(first, last).attempts == day
    assert stats.preparing(first, last) is None and rollups.rolled_through() == last


def test_without_a_budget_every_waiting_day_is_rolled_up(history):
    first, last = history
    assert rollups.roll_up(utcnow()) == last and stats.preparing(first, last) is None


def test_flask_rollup_does_every_waiting_day(app, history):
    first, last = history
    assert app.test_cli_runner().invoke(args=["rollup"]).exit_code == 0
    assert rollups.rolled_through() == last and stats.preparing(first, last) is None


def test_the_dashboard_says_which_days_are_being_prepared(client, history):
    first, last = history
    accounts.create_account("boss", "boss-password-1", "admin", "test")
    console_login(client, "boss", "boss-password-1")
    page = client.get(f"/admin/dashboard?start={first}&end={last}").get_data(as_text=True)
    waiting_from = first + dt.timedelta(days=5)  # a day each: totals, chart, measures, refusals, venues
    assert f"{waiting_from.year}年{waiting_from.month}月{waiting_from.day}日至" in page
    assert f"{last.year}年{last.month}月{last.day}日的统计正在准备中" in page


def test_the_statistics_api_asks_to_come_back_while_days_are_prepared(client, history):
    first, last = history
    accounts.create_account("boss", "boss-password-1", "admin", "test")
    token = client.post("/api/v1/admin/login", json={"username": "boss", "password": "boss-password-1"})
    headers = {"Authorization": f"Bearer {token.get_json()['access_token']}"}
    response = client.get(f"/api/v1/admin/stats?start={first}&end={last}", headers=headers)
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert response.get_json()["error"]["code"] == "service_unavailable"
    assert "正在准备中" in response.get_json()["error"]["message"]
    rollups.roll_up(utcnow())
    assert client.get(f"/api/v1/admin/stats?start={first}&end={last}", headers=headers).status_code == 200
