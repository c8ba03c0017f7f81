"""A real server for tests that need one: gunicorn on a loopback port against the test database."""
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
import sqlalchemy as sa

from app.extensions import db
from app.models import Redemption

ROOT = Path(__file__).resolve().parents[1]
STAFF_PASSWORD = "counter-pass"
PR_SET_PDEATHSIG = 1


def own_group_ended_with_parent() -> None:
    """In the child: its own process group (so kill() takes the workers too), and SIGTERM if the tests die first."""
    os.setsid()
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class LiveServer:
    """gunicorn serving the test database on a loopback port, in its own process group so it can be killed whole."""

    def __init__(self, database_url: str, log_path: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = os.environ | {"APP_ENV": "test", "DEV_LOGIN": "1", "DATABASE_URL": database_url,
                                 "BIND": f"127.0.0.1:{self.port}", "WEB_CONCURRENCY": "2", "ACCESS_LOG": "/dev/null"}
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log_path, "ab") as log:
            command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:create_app()"]
            self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=log,
                                            preexec_fn=own_group_ended_with_parent)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("server did not start: " + self.log_path.read_text()[-2000:])

    def kill(self) -> None:
        """SIGKILL the whole group: no graceful shutdown, in-flight requests die with it."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def citizen_headers(server: LiveServer, who) -> dict[str, str]:
    """Log an identity in through the dev provider on the live server."""
    token = requests.post(server.url + "/api/v1/auth/login", json=who.login_body(), timeout=5).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def redemption_count() -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Redemption))
