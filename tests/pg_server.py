"""A throwaway PostgreSQL server that a test may restart or stop: initdb in a temporary directory, loopback on a
free port, as the unprivileged `postgres` user when the tests run as root (as scripts/test.sh starts the suite's)."""
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

# Set by scripts/test.sh for its second pass; the fault tests run only there.
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
postgres_pass_only = pytest.mark.skipif(
    not POSTGRES_URL, reason="fault test: runs in the PostgreSQL pass of scripts/test.sh (TEST_DATABASE_URL)")


def _bin_dir() -> Path | None:
    """The newest installed server's binaries (Debian keeps each major version apart)."""
    found = glob.glob("/usr/lib/postgresql/*/bin")
    if not found:
        return None
    return Path(max(found, key=lambda path: int(Path(path).parent.name)))


class PostgresServer:
    """initdb, start, restart and stop one server; `url` is a database created in it for the application."""

    def __init__(self, database: str = "xinyi") -> None:
        self.bin = _bin_dir()
        if self.bin is None:
            pytest.skip("PostgreSQL server binaries are not installed (scripts/bootstrap.sh installs them)")
        # Under /tmp, not pytest's tmp_path: the postgres user must reach it, and root's pytest directories are 0700.
        self.dir = Path(tempfile.mkdtemp(prefix="xinyi-pg-"))
        self.as_pg = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
        if self.as_pg:
            shutil.chown(self.dir, "postgres")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.database = database
        self.url = f"postgresql+psycopg://xinyi@127.0.0.1:{self.port}/{database}"

    def _pg(self, program: str, *args: str) -> None:
        subprocess.run([*self.as_pg, str(self.bin / program), *args], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=60)

    def _ctl(self, *args: str) -> None:
        options = f"-h 127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off -c full_page_writes=off"
        self._pg("pg_ctl", "-D", str(self.dir / "data"), "-l", str(self.dir / "server.log"), "-w", "-o", options,
                 *args)

    def start(self) -> "PostgresServer":
        """A new cluster with trust authentication on loopback, and the application's empty database."""
        self._pg("initdb", "-D", str(self.dir / "data"), "-U", "xinyi", "--auth=trust", "-E", "UTF8",
                 "--locale=C.UTF-8")
        self._ctl("start")
        self._pg("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "xinyi", self.database)
        return self

    def restart(self) -> None:
        """Fast restart: every session is ended (in-flight statements fail), then the server accepts again."""
        self._ctl("-m", "fast", "restart")

    def stop(self) -> None:
        """Stop the server if it runs, and remove its files."""
        if (self.dir / "data" / "postmaster.pid").exists():
            self._pg("pg_ctl", "-D", str(self.dir / "data"), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)

    def log(self) -> str:
        path = self.dir / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""
