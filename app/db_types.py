"""Column types shared by the models, and how Alembic writes them into migrations."""
import datetime as dt

import sqlalchemy as sa


class UTCDateTime(sa.TypeDecorator):
    """Timezone-aware UTC datetimes on every database (SQLite would otherwise hand back naive ones)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return value.astimezone(dt.timezone.utc) if value is not None and value.tzinfo else value

    def process_result_value(self, value, dialect):
        return value.replace(tzinfo=dt.timezone.utc) if value is not None and value.tzinfo is None else value


def render_item(type_: str, obj, autogen_context):
    """Migrations store UTCDateTime as the plain column type it is, so they never import the app."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False
