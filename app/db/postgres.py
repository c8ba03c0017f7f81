"""PostgreSQL connection pool settings: no round trip per checkout, yet no request handed a dead connection.

`pool_pre_ping` would cost a `SELECT 1` on every checkout — one more round trip than the request's own statements.
Instead a connection is checked only when it has sat idle in the pool longer than DB_IDLE_CHECK_SECONDS (after a
quiet night, a failover or a proxy's idle timeout), which under load is never; TCP keepalives find dead peers, and
connections are replaced after DB_POOL_RECYCLE_SECONDS.

psycopg prepares a statement on the server once a connection has run it DB_PREPARE_THRESHOLD times, but forgets every
prepared statement at each ROLLBACK: so the hot path's reads (app/db/prepared.py) end in COMMIT, and so does the idle
check below; a request that used the ORM session still ends in its ROLLBACK.
"""
import os
import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError


def engine_options(env: os._Environ[str] | dict[str, str]) -> dict[str, Any]:
    """SQLAlchemy engine options for a PostgreSQL server, from the environment."""
    threshold = env.get("DB_PREPARE_THRESHOLD", "2")
    return {
        "pool_pre_ping": False,
        "pool_size": int(env.get("DB_POOL_SIZE", "5")),
        "max_overflow": int(env.get("DB_MAX_OVERFLOW", "5")),
        "pool_recycle": int(env.get("DB_POOL_RECYCLE_SECONDS", "1800")),
        # The most recently used connection first: under light load the others idle out and get checked or recycled.
        "pool_use_lifo": True,
        # `off` for a pooler in transaction mode (PgBouncer), where a prepared statement may meet another session.
        "connect_args": {"prepare_threshold": None if threshold == "off" else int(threshold),
                         "connect_timeout": int(env.get("DB_CONNECT_TIMEOUT_SECONDS", "5")),
                         "keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 3},
    }


def configure_postgres(engine: Engine, idle_check_seconds: float) -> None:
    """Ping a pooled connection before use only when it has been idle longer than `idle_check_seconds`."""

    @sa.event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < idle_check_seconds:
            return
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            dbapi_connection.commit()
        except Exception as error:  # any failure means this connection is gone: the pool retries with a new one
            raise DisconnectionError() from error
