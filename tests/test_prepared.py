"""Prepared statements (app.db.prepared): the same values and errors SQLAlchemy would give, on SQLite and PostgreSQL."""
import datetime as dt

import pytest
import sqlalchemy as sa

from app.db.prepared import Prepared, raw_connection
from app.extensions import db
from app.models import AuditEvent, Redemption, ScanAttempt

AT = dt.datetime(2026, 11, 20, 8, 30, 15, 250000, tzinfo=dt.UTC)
_INSERT_EVENT = Prepared(sa.insert(AuditEvent).returning(AuditEvent.id, AuditEvent.at, AuditEvent.details),
                         column_keys=["at", "actor", "action", "target_type", "target_id", "details"])
_EVENTS_SINCE = Prepared(sa.select(AuditEvent.id, AuditEvent.at.label("logged_at"), AuditEvent.details)
                         .where(AuditEvent.at >= sa.bindparam("since"), AuditEvent.action == "test.prepared")
                         .order_by(AuditEvent.id))


def _event(connection, at=AT, **details):
    return _INSERT_EVENT.one(connection, at=at, actor="test", action="test.prepared", target_type="test",
                             target_id=None, details=details)


def test_values_round_trip_with_their_types(app):
    with raw_connection() as connection:
        stored = _event(connection, seats=2, note="半价")
        connection.commit()
    assert stored.at == AT and stored.at.tzinfo is not None
    assert stored.details == {"seats": 2, "note": "半价"}
    with raw_connection() as connection:
        rows = _EVENTS_SINCE.run(connection, since=AT - dt.timedelta(seconds=1))
    assert [(row.id, row.logged_at, row.details) for row in rows] == [(stored.id, AT, {"seats": 2, "note": "半价"})]
    orm_event = db.session.get(AuditEvent, stored.id)
    assert (orm_event.at, orm_event.details) == (AT, {"seats": 2, "note": "半价"})


def test_bound_datetimes_compare_as_instants(app):
    with raw_connection() as connection:
        _event(connection)
        connection.commit()
        assert _EVENTS_SINCE.run(connection, since=AT + dt.timedelta(microseconds=1)) == []
        assert len(_EVENTS_SINCE.run(connection, since=AT)) == 1


def test_closing_without_commit_keeps_nothing(app):
    with raw_connection() as connection:
        _event(connection)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "test.prepared")) == 0


def test_constraint_violations_surface_as_sqlalchemy_errors(app):
    with raw_connection() as connection, pytest.raises(sa.exc.IntegrityError):
        Prepared(sa.insert(Redemption), column_keys=[
            "token_key", "idempotency_key", "attempt_id", "subject_id", "measure_id", "venue_id", "staff_id",
            "benefit", "redeemed_at"]).run(connection, token_key="K", idempotency_key="k", attempt_id=999,
                                           subject_id=999, measure_id=999, venue_id=999, staff_id=999,
                                           benefit={}, redeemed_at=AT)


def test_an_insert_must_name_every_column_with_a_python_default(app):
    with raw_connection() as connection, pytest.raises(ValueError, match="at"):
        Prepared(sa.insert(ScanAttempt), column_keys=["action", "venue_id", "staff_id", "device", "valid"]).run(
            connection, action="verify", venue_id=1, staff_id=1, device="", valid=False)


def test_the_bearer_check_stays_prepared_on_postgresql(app, catalogue):
    """Reads end in COMMIT, so psycopg keeps the statements it prepared (a ROLLBACK would make it forget them)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("server-side prepared statements are PostgreSQL's")
    from app.domain.dates import utcnow
    from app.services import accounts, sessions

    account = accounts.create_account("prepared_desk", "desk-pass-1", "staff", "test", venue_id=catalogue["BUS"].id)
    token, _ = sessions.issue("staff", utcnow(), account_id=account.id)
    db.session.commit()
    db.session.close()  # the ORM's own connection back to the pool, so the reads below reuse one connection
    for _ in range(4):
        sessions.authenticate(token, "staff", utcnow())
    with raw_connection() as connection:
        cursor = connection.dbapi.cursor()
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
        connection.commit()
    assert any("token_hash" in statement for statement in prepared), prepared
