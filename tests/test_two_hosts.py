"""Two hosts on one PostgreSQL and one Redis: two gunicorn instances standing for two machines behind a proxy.

A code redeemed at both at once is redeemed once; rate limits and sessions hold whichever host a request reaches; a
host killed mid-load loses nothing it acknowledged, and the scanner's retries of what it did not acknowledge, sent to
the other host with the same idempotency keys, complete the work exactly once.
"""
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import sqlalchemy as sa

from app.domain.dates import utcnow
from app.extensions import db
from app.models import Redemption, ScanAttempt
from app.services import accounts, citizens
from tests.conftest import POSTGRES_URL
from tests.helpers import identity, list_identity
from tests.live_server import STAFF_PASSWORD, LiveServer, citizen_headers
from tests.redis_server import redis_url  # noqa: F401 (fixture)

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="hosts share a PostgreSQL server")
CODES = 48


@pytest.fixture
def start_hosts(app, database_url, catalogue, tmp_path, redis_url):  # noqa: F811
    """start_hosts(**env) -> two gunicorn instances on the test database and one Redis."""
    accounts.create_account("gate_bus", STAFF_PASSWORD, "staff", "test", venue_id=catalogue["BUS"].id)
    started = []

    def start(**env: str) -> list[LiveServer]:
        for name in ("a", "b"):
            host = LiveServer(database_url, tmp_path / f"host-{name}.log")
            host.env.update(RATELIMIT_STORAGE_URI=redis_url, QR_TTL_SECONDS="600", **env)
            host.start()
            started.append(host)
        return started

    yield start
    for host in started:
        host.kill()


def staff_login(host: LiveServer) -> dict[str, str]:
    answer = requests.post(host.url + "/api/v1/staff/login", timeout=10,
                           json={"username": "gate_bus", "password": STAFF_PASSWORD})
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def redeem(host: LiveServer, staff: dict, token: str, measure_id: int, key: str) -> tuple[int, dict]:
    answer = requests.post(host.url + "/api/v1/scan/redeem", headers=staff | {"Connection": "close"}, timeout=20,
                           json={"token": token, "measure_id": measure_id, "idempotency_key": key})
    return answer.status_code, answer.json()


def codes(today, count: int) -> list[str]:
    who = list_identity(identity(1601, name="林双机"), today).subject()
    return [citizens.issue_code(who.id, today, utcnow()).token for _ in range(count)]


def test_one_code_redeemed_at_both_hosts_at_once_is_redeemed_once(start_hosts, measure_id, today):
    hosts = start_hosts()
    staff = staff_login(hosts[0])  # logged in on one host, used on both
    token = codes(today, 1)[0]
    barrier = threading.Barrier(8)

    def attempt(index: int) -> int:
        barrier.wait()
        return redeem(hosts[index % 2], staff, token, measure_id, f"both-hosts-{index:04d}")[0]

    with ThreadPoolExecutor(8) as pool:
        statuses = sorted(pool.map(attempt, range(8)))
    assert statuses == [201] + [409] * 7
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Redemption)) == 1


def test_rate_limits_and_sessions_hold_across_hosts(start_hosts, catalogue, today):
    a, b = start_hosts(LOGIN_RATE_LIMIT="4 per minute")
    statuses = [requests.post(host.url + "/api/v1/staff/login", timeout=10,
                              json={"username": "gate_bus", "password": "wrong-pass"}).status_code
                for host in (a, b, a, b, a, b)]
    assert statuses == [401] * 4 + [429] * 2
    who = list_identity(identity(1602, name="周两地"), today)
    citizen = citizen_headers(a, who)
    assert requests.get(b.url + "/api/v1/me", headers=citizen, timeout=10).status_code == 200
    assert requests.post(b.url + "/api/v1/auth/logout", headers=citizen, timeout=10).status_code in (200, 204)
    assert requests.get(a.url + "/api/v1/me", headers=citizen, timeout=10).status_code == 401
    page = requests.Session()  # the web scanner's cookie session, signed in on one host, served by the other
    form = page.get(a.url + "/scan/login", timeout=10).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    accounts.create_account("gate_web", STAFF_PASSWORD, "staff", "test", venue_id=catalogue["BUS"].id)
    signed_in = page.post(a.url + "/scan/login", timeout=10, allow_redirects=False,
                          data={"csrf_token": csrf, "username": "gate_web", "password": STAFF_PASSWORD})
    assert signed_in.status_code == 302
    assert requests.get(b.url + "/scan/", timeout=10, allow_redirects=False).status_code == 302  # no cookie
    assert page.get(b.url + "/scan/", timeout=10, allow_redirects=False).status_code == 200


def test_a_host_killed_mid_load_loses_nothing_it_acknowledged(start_hosts, measure_id, today):
    a, b = start_hosts(WEB_CONCURRENCY="2")
    staff = staff_login(a)
    tokens = codes(today, CODES)
    acknowledged, unanswered, verified = {}, [], []
    started = threading.Semaphore(0)

    def work(index: int) -> None:
        host = (a, b)[index % 2]
        started.release()
        try:
            seen = requests.post(host.url + "/api/v1/scan/verify", headers=staff | {"Connection": "close"},
                                 timeout=20, json={"token": tokens[index]})
            verified.append(seen.json()["attempt_id"])
            status, answer = redeem(host, staff, tokens[index], measure_id, f"killed-host-{index:04d}")
            assert status == 201, answer
            acknowledged[index] = answer["redemption"]["id"]
        except (requests.RequestException, ValueError):
            unanswered.append(index)

    with ThreadPoolExecutor(6) as pool:
        futures = [pool.submit(work, index) for index in range(CODES)]
        for _ in range(CODES // 3):
            started.acquire()
        a.kill()
        for future in futures:
            future.result()
    assert acknowledged and unanswered, "the kill should land mid-load"
    db.session.expire_all()
    stored = dict(db.session.execute(sa.select(Redemption.id, Redemption.token_key)).all())
    assert set(acknowledged.values()) <= set(stored)
    logged = set(db.session.scalars(sa.select(ScanAttempt.id).where(ScanAttempt.id.in_(verified))))
    assert logged == set(verified)
    for index in unanswered:  # the scanner's outbox, retried at the host still up
        status, _ = redeem(b, staff, tokens[index], measure_id, f"killed-host-{index:04d}")
        assert status == 201
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Redemption)) == CODES
