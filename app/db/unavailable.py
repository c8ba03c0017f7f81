"""Which database errors mean "the database is briefly unavailable" — a restart, a failover, a dropped connection, a
lock held past the busy timeout — so that the request answers 503 and may be retried, not 500 as for a fault."""
import sqlite3

import psycopg
from sqlalchemy import exc as sa_exc

from app.extensions import db

# SQLSTATE classes of a server that is going away, starting up, out of resources or failing underneath:
# 08 connection exception, 53 insufficient resources, 57 operator intervention (shutdown, cannot connect now,
# statement cancelled), 58 system error. A client-side connection failure has no SQLSTATE at all.
_UNAVAILABLE_CLASSES = {"08", "53", "57", "58"}
_SQLITE_BUSY = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}


def database_unavailable(error: BaseException | None) -> bool:
    """True for an error that says the database could not be reached or used just now, raw or as SQLAlchemy's."""
    if isinstance(error, sa_exc.TimeoutError):  # no pooled connection came free in time
        return True
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated:
            return True
        error = error.orig
    if isinstance(error, psycopg.OperationalError):
        return error.sqlstate is None or error.sqlstate[:2] in _UNAVAILABLE_CLASSES
    if isinstance(error, sqlite3.OperationalError):
        return (getattr(error, "sqlite_errorcode", 0) & 0xFF) in _SQLITE_BUSY
    return False


def end_session(_error: BaseException | None = None) -> None:
    """End the request's ORM session at teardown, before Flask-SQLAlchemy's own (which then finds nothing to do).

    The answer is already made; if the database dropped the session's connection since its last statement (a restart
    in between), the rollback fails — the connection is invalidated by then, so the session is simply let go instead
    of the error reaching gunicorn as a 500."""
    try:
        db.session.remove()
    except Exception as error:
        if not database_unavailable(error):
            raise
        db.session.remove()
