"""Column types shared by the models, and how Alembic writes them into migrations."""
import datetime as dt
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


class UTCDateTime(sa.TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every database (SQLite would otherwise hand back naive ones)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: sa.Dialect) -> dt.datetime | None:
        return value.astimezone(dt.UTC) if value is not None and value.tzinfo else value

    def process_result_value(self, value: dt.datetime | None, dialect: sa.Dialect) -> dt.datetime | None:
        return value.replace(tzinfo=dt.UTC) if value is not None and value.tzinfo is None else value


def render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Migrations store UTCDateTime as the plain column type it is, so they never import the app."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


Timestamp = UTCDateTime()
JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def one_of(column: str, values: Iterable[str], name: str) -> sa.CheckConstraint:
    """A CHECK that a text column holds one of the values of a domain enumeration."""
    return sa.CheckConstraint(f"{column} IN ({', '.join(repr(value) for value in values)})", name=name)
