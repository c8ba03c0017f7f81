"""The Beijing day of a stored UTC instant, computed by the database so statistics group without loading rows."""
import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class beijing_day(FunctionElement):  # noqa: N801 - used like a SQL function
    """`beijing_day(column)`: the Asia/Shanghai date (UTC+8 all year) of a UTC timestamp column."""

    type = sa.Date()
    inherit_cache = True
    name = "beijing_day"


@compiles(beijing_day, "sqlite")
def _sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)}, '+8 hours')"


@compiles(beijing_day, "postgresql")
def _postgresql(element, compiler, **kw):
    return f"CAST(({compiler.process(element.clauses, **kw)} AT TIME ZONE 'Asia/Shanghai') AS DATE)"
