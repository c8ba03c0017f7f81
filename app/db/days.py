"""The Beijing day of a stored UTC instant, computed by the database so statistics group without loading rows."""
import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class beijing_day(FunctionElement[dt.date]):  # noqa: N801 - used like a SQL function
    """`beijing_day(column)`: the Asia/Shanghai date (UTC+8 all year) of a UTC timestamp column."""

    type = sa.Date()
    inherit_cache = True
    name = "beijing_day"


@compiles(beijing_day, "sqlite")
def _sqlite(element: beijing_day, compiler: SQLCompiler, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)}, '+8 hours')"


@compiles(beijing_day, "postgresql")
def _postgresql(element: beijing_day, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(({compiler.process(element.clauses, **kw)} AT TIME ZONE 'Asia/Shanghai') AS DATE)"


class beijing_seconds(FunctionElement[str]):  # noqa: N801 - used like a SQL function
    """`beijing_seconds(column)`: a UTC timestamp as Beijing ISO 8601 text to the second, `2026-11-10T23:59:59+08:00`,
    formatted by the database for exports that write hundreds of thousands of rows."""

    type = sa.String()
    inherit_cache = True
    name = "beijing_seconds"


@compiles(beijing_seconds, "sqlite")
def _sqlite_seconds(element: beijing_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    return f"strftime('%Y-%m-%dT%H:%M:%S+08:00', {compiler.process(element.clauses, **kw)}, '+8 hours')"


@compiles(beijing_seconds, "postgresql")
def _postgresql_seconds(element: beijing_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"""to_char(({column} AT TIME ZONE 'Asia/Shanghai'), 'YYYY-MM-DD"T"HH24:MI:SS"+08:00"')"""
