"""The PostgreSQL pool: no ping per checkout, yet a connection that died while idle is replaced, not handed out."""
import pytest
import sqlalchemy as sa

from app.db.postgres import engine_options
from app.extensions import db
from tests.conftest import POSTGRES_URL
from wsgi import create_app

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="PostgreSQL only")


def test_the_pool_does_not_ping_on_checkout_and_psycopg_prepares_within_a_transaction(app):
    assert db.engine.pool._pre_ping is False and db.engine.pool._recycle == 1800
    assert engine_options({"DB_PREPARE_THRESHOLD": "off"})["connect_args"]["prepare_threshold"] is None
    with db.engine.connect() as connection:
        for _ in range(3):
            connection.execute(sa.text("SELECT count(*) FROM venues WHERE id > :id"), {"id": 0})
        prepared = connection.exec_driver_sql("SELECT count(*) FROM pg_prepared_statements").scalar()
    assert prepared >= 1


def test_a_connection_killed_while_idle_is_replaced_before_use(database_url):
    app = create_app("test", SQLALCHEMY_DATABASE_URI=database_url, DB_IDLE_CHECK_SECONDS=0)
    with app.app_context():
        with db.engine.connect() as connection:
            victim = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with sa.create_engine(database_url).connect() as killer:
            killer.exec_driver_sql(f"SELECT pg_terminate_backend({victim})")
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT pg_backend_pid()").scalar() != victim
        db.engine.dispose()
