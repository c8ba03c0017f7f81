"""The schema: migrations match the models, and the audit log is append-only in the database itself."""
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db
from app.models import AuditEvent
from app.services import audit


def test_migrations_match_the_models(app):
    """What `flask db check` checks: autogenerate finds nothing to add."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_audit_events_cannot_be_updated_or_deleted(app):
    audit.record("test", "thing.do", "thing", 1, why="because")
    db.session.commit()
    for statement in (sa.update(AuditEvent).values(actor="someone else"), sa.delete(AuditEvent)):
        with pytest.raises(sa.exc.DatabaseError):
            db.session.execute(statement)
            db.session.flush()
        db.session.rollback()
    assert db.session.scalar(sa.select(AuditEvent.actor)) == "test"
