"""SQLite connection settings for the embedded default: foreign keys on, WAL for concurrent readers."""
import sqlalchemy as sa
from sqlalchemy.engine import Engine


def configure_sqlite(engine: Engine) -> None:
    """Enable foreign keys and WAL, and wait instead of failing when another writer holds the lock."""

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()
