"""SQLite connection settings for the embedded default: foreign keys on, WAL for concurrent readers, and the files
readable by the service's own user only."""
import os
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine


def configure_sqlite(engine: Engine, busy_timeout_seconds: float) -> None:
    """Enable foreign keys and WAL, and wait up to `busy_timeout_seconds` when another writer holds the lock."""
    if engine.url.database and engine.url.database != ":memory:":
        keep_private(engine.url.database)

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_seconds * 1000)}")
        cursor.close()


def keep_private(path: str) -> None:
    """Make the database file 0600 before SQLite opens it — SQLite creates its -wal, -shm and -journal files with the
    database file's mode — and bring any of them left from before to 0600 too."""
    os.close(os.open(path, os.O_CREAT | os.O_RDONLY, 0o600))
    for name in (path, path + "-wal", path + "-shm", path + "-journal"):
        if os.path.exists(name):
            os.chmod(name, 0o600)
