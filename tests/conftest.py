"""Test fixtures: each test gets a freshly migrated database (SQLite, or PostgreSQL when TEST_DATABASE_URL is set)."""
import datetime as dt
import os
import shutil

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from app import demo
from app.extensions import db
from app.models import Measure
from app.services import accounts
from tests.live_server import STAFF_PASSWORD, LiveServer
from wsgi import create_app

# The citizen pages' `live` and `phone`, for the modules that bring a `citizen`; other modules define their own.
pytest_plugins = ["tests.citizen_fixtures"]


def _worker_database(url: str | None) -> str | None:
    """Under pytest-xdist each worker gets its own PostgreSQL database (made once), as it gets its own SQLite files."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    name = f"{sa.make_url(url).database}_{worker}"
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        if not connection.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}):
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    url = sa.make_url(url).set(database=name).render_as_string(hide_password=False)
    os.environ["TEST_DATABASE_URL"] = url
    return url


POSTGRES_URL = _worker_database(os.environ.get("TEST_DATABASE_URL"))
TODAY = dt.date(2026, 11, 20)


@pytest.hookimpl(tryfirst=True)  # before `-m "not nodb"` deselects
def pytest_collection_modifyitems(items):
    """A test that asks for no database (pure rules, formats, parsers) runs in the SQLite pass only, as if marked
    nodb; one with a skipif of its own (the PostgreSQL-only tests) is left to decide for itself."""
    for item in items:
        if "database_url" not in item.fixturenames and item.get_closest_marker("skipif") is None:
            item.add_marker(pytest.mark.nodb)


def pytest_report_header(config):
    return f"database: {'PostgreSQL ' + POSTGRES_URL if POSTGRES_URL else 'SQLite (a migrated copy per test)'}"


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory):
    """Apply the migrations once: into a template SQLite file, or into the PostgreSQL test database."""
    if POSTGRES_URL:
        engine = sa.create_engine(POSTGRES_URL)
        with engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
        url = POSTGRES_URL
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('template') / 'template.sqlite3'}"
    app = create_app("test", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade()
        tables = [table.name for table in reversed(db.metadata.sorted_tables)]
        db.engine.dispose()
    return url, tables


@pytest.fixture
def database_url(migrated_database, tmp_path):
    url, tables = migrated_database
    if not POSTGRES_URL:
        path = tmp_path / "test.sqlite3"
        shutil.copyfile(url.removeprefix("sqlite:///"), path)
        return f"sqlite:///{path}"
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app("test", SQLALCHEMY_DATABASE_URI=database_url, DEV_LOGIN=True,
                     EVIDENCE_DIR=str(tmp_path / "evidence"))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def today():
    return TODAY


@pytest.fixture
def catalogue(app):
    """Departments, the 18 annex categories, the demo venues and measures."""
    return demo.seed_catalogue()


@pytest.fixture
def server(app, database_url, catalogue, tmp_path):
    """gunicorn on loopback over this test's database, with a bus-company counter account `gate_bus`."""
    accounts.create_account("gate_bus", STAFF_PASSWORD, "staff", "test", venue_id=catalogue["BUS"].id)
    live = LiveServer(database_url, tmp_path / "server.log")
    live.start()
    yield live
    live.kill()


@pytest.fixture
def measure_id(catalogue):
    """The bus company's 5折 measure, which every listed person may use."""
    return db.session.scalar(sa.select(Measure.id).where(Measure.code == "XY-XING-01"))


@pytest.fixture(scope="module")
def browser():
    """The system Chromium under Playwright, shared by a module's browser tests."""
    from playwright.sync_api import sync_playwright

    from tests.browser import launch
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()
