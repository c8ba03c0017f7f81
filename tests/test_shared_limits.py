"""Rate limits hold across every gunicorn worker: counted in a real Redis, not in each worker's memory."""
import requests

from app.services import accounts
from tests.live_server import LiveServer
from tests.redis_server import redis_url  # noqa: F401 (fixture)

LIMIT = 5
WORKERS = 4


def _wrong_logins(url: str, count: int) -> list[int]:
    """Staff logins with a wrong password, each on a new connection, so gunicorn hands them to any worker."""
    return [requests.post(url + "/api/v1/staff/login", json={"username": "gate_bus", "password": "wrong-pass"},
                          headers={"Connection": "close"}, timeout=10).status_code for _ in range(count)]


def test_a_login_limit_holds_across_workers(app, database_url, catalogue, tmp_path, redis_url):  # noqa: F811
    accounts.create_account("gate_bus", "counter-pass", "staff", "test", venue_id=catalogue["BUS"].id)
    server = LiveServer(database_url, tmp_path / "server.log")
    server.env.update(WEB_CONCURRENCY=str(WORKERS), RATELIMIT_STORAGE_URI=redis_url,
                      LOGIN_RATE_LIMIT=f"{LIMIT} per minute")
    server.start()
    try:
        statuses = _wrong_logins(server.url, 3 * LIMIT)
    finally:
        server.kill()
    assert statuses == [401] * LIMIT + [429] * (2 * LIMIT)
