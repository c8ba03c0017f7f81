"""Core statements compiled once per dialect and run straight on a pooled DBAPI connection.

The counters' hot path (the bearer-token check, the scan read, the attempt and redemption inserts) runs a few fixed
statements for every scan, and SQLAlchemy's per-call execution machinery costs several times the database's own work
there. The statements stay written in SQLAlchemy Core against the models, so they remain portable between SQLite and
PostgreSQL, and the conversions SQLAlchemy would apply (dates on SQLite, JSON, UTC datetimes) come from the same type
objects. Everything else in the application goes through the ORM session as usual.
"""
from collections import namedtuple
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from flask import g, has_request_context
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.pool import PoolProxiedConnection

from app.db.unavailable import database_unavailable
from app.extensions import db


class _Compiled:
    """A statement compiled for one dialect, with its parameter order and type conversions."""

    def __init__(self, statement: sa.Executable, dialect: Dialect, column_keys: list[str] | None) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=column_keys)
        if getattr(compiled, "insert_prefetch", None):
            # Python-side defaults run in SQLAlchemy's execution context, which this path skips.
            missing = ", ".join(column.name for column in compiled.insert_prefetch)
            raise ValueError(f"give every column of a prepared insert; missing: {missing}")
        self.sql = compiled.string
        self.writes = isinstance(statement, sa.sql.dml.UpdateBase)  # INSERT, UPDATE, DELETE
        self.dbapi_error = dialect.loaded_dbapi.Error
        self._defaults = {name: bind.effective_value for bind, name in compiled.bind_names.items() if not bind.required}
        self._order = compiled.positiontup if compiled.positional else None
        self._bind_processors = {name: processor for bind, name in compiled.bind_names.items()
                                 if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect))}
        columns = list(getattr(statement, "selected_columns", None) or getattr(statement, "exported_columns", []))
        self.row = namedtuple("Row", [column.key for column in columns]) if columns else None
        self._result_processors = [(index, processor) for index, column in enumerate(columns)
                                   if (processor := column.type.dialect_impl(dialect).result_processor(dialect, None))]

    def parameters(self, values: dict[str, Any]) -> dict[str, Any] | list[Any]:
        bound = self._defaults | values
        for name, process in self._bind_processors.items():
            bound[name] = process(bound[name])
        return bound if self._order is None else [bound[name] for name in self._order]

    def rows(self, raw_rows: list[tuple]) -> list[tuple]:
        if not self._result_processors:
            return [self.row._make(raw) for raw in raw_rows]
        rows = []
        for raw in raw_rows:
            values = list(raw)
            for index, process in self._result_processors:
                values[index] = process(values[index])
            rows.append(self.row._make(values))
        return rows


class Prepared:
    """One Core statement; `run(connection, **values)` executes it and returns its rows as named tuples."""

    def __init__(self, statement: sa.Executable, column_keys: list[str] | None = None) -> None:
        self._statement = statement
        self._column_keys = column_keys
        self._by_dialect: dict[str, _Compiled] = {}

    def _for(self, dialect: Dialect) -> _Compiled:
        compiled = self._by_dialect.get(dialect.name)
        if compiled is None:
            compiled = self._by_dialect[dialect.name] = _Compiled(self._statement, dialect, self._column_keys)
        return compiled

    def run(self, connection: "RawConnection", **values: Any) -> list[tuple]:
        """Execute on the connection's transaction; DBAPI errors surface as SQLAlchemy's (IntegrityError and so on)."""
        compiled = self._for(connection.dialect)
        parameters = compiled.parameters(values)
        try:
            cursor = connection.dbapi.cursor()
        except compiled.dbapi_error as error:
            raise connection.translated(error, compiled.sql, parameters) from error
        connection.unsettled |= compiled.writes
        try:
            cursor.execute(compiled.sql, parameters)
            return compiled.rows(cursor.fetchall()) if compiled.row else []
        except compiled.dbapi_error as error:
            connection.unsettled = True
            raise connection.translated(error, compiled.sql, parameters) from error
        finally:
            cursor.close()

    def one(self, connection: "RawConnection", **values: Any) -> tuple:
        (row,) = self.run(connection, **values)
        return row


class RawConnection:
    """A pooled DBAPI connection and its dialect; the caller commits its writes, and release() ends what is left.

    Reads need no commit: release() commits a transaction that only read, because psycopg discards its server-side
    prepared statements at every ROLLBACK, and a read left to the pool's rollback would be parsed and planned again
    on every request. A write not committed, or a failed statement, is rolled back."""

    def __init__(self, dbapi_connection: PoolProxiedConnection, engine: Engine) -> None:
        self.dbapi = dbapi_connection
        self.dialect = engine.dialect
        self._pool = engine.pool
        self.unsettled = False  # a write not yet committed, or a statement that failed

    def commit(self) -> None:
        try:
            self.dbapi.commit()
        except self.dialect.loaded_dbapi.Error as error:
            raise self.translated(error, "COMMIT") from error
        self.unsettled = False

    def rollback(self) -> None:
        try:
            self.dbapi.rollback()
        except self.dialect.loaded_dbapi.Error as error:
            raise self.translated(error, "ROLLBACK") from error
        self.unsettled = False

    def release(self) -> None:
        """End the transaction (COMMIT if it only read, else ROLLBACK) and return the connection to the pool."""
        try:
            if not self.dbapi.is_valid:  # invalidated when its connection was lost: nothing left to end
                pass
            elif self.unsettled:
                self.rollback()
            else:
                self.commit()
        except sa.exc.DBAPIError as error:  # the answer is made; a connection lost by now is invalidated, let go
            if not database_unavailable(error):
                raise
        finally:
            self.dbapi.close()

    def translated(self, error: Exception, statement: str, parameters: Any = None) -> sa.exc.DBAPIError:
        """SQLAlchemy's exception for a DBAPI error (IntegrityError and so on). A lost connection is invalidated, with
        every pooled connection opened before it (a server restart ends them all), as SQLAlchemy's own Connection
        does: the pool opens new ones instead of handing the dead ones out again."""
        lost = self.dialect.is_disconnect(error, self.dbapi.dbapi_connection, None)
        if lost:
            self._pool._invalidate(self.dbapi, error)
        return sa.exc.DBAPIError.instance(statement, parameters, error, self.dialect.loaded_dbapi.Error,
                                          connection_invalidated=lost, dialect=self.dialect)


@contextmanager
def raw_connection() -> Iterator[RawConnection]:
    """A connection from the application's engine pool. Within a request it is the request's one connection, kept
    until the request ends (release_request_connection): the bearer check and the scan after it run in one
    transaction. Outside a request it is released on exit."""
    if has_request_context():
        connection = g.get("raw_connection")
        if connection is None:
            connection = g.raw_connection = RawConnection(db.engine.raw_connection(), db.engine)
        yield connection
        return
    connection = RawConnection(db.engine.raw_connection(), db.engine)
    try:
        yield connection
    finally:
        connection.release()


def release_request_connection(_error: BaseException | None = None) -> None:
    """At the end of a request, release the connection its services shared, if they used one."""
    connection = g.pop("raw_connection", None)
    if connection is not None:
        connection.release()

