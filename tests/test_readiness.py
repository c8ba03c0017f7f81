"""GET /readyz: ready only with a database that answers at the migrations' head and rate limits counted somewhere."""
import shutil

from alembic.script import ScriptDirectory
from flask_migrate import stamp

from app.http.readiness import MIGRATIONS_DIR
from wsgi import create_app


def head() -> str:
    return ScriptDirectory(MIGRATIONS_DIR).get_current_head()


def test_ready_on_a_migrated_database(client):
    answer = client.get("/readyz")
    assert answer.status_code == 200
    assert answer.get_json() == {"status": "ready", "database": "ok", "schema": head(), "rate_limit_store": "up"}
    assert answer.headers["Cache-Control"] == "no-store"


def test_not_ready_while_the_schema_is_behind(client):
    older = ScriptDirectory(MIGRATIONS_DIR).get_revision(head()).down_revision
    stamp(directory=MIGRATIONS_DIR, revision=older)
    try:
        answer = client.get("/readyz")
    finally:  # PostgreSQL's test database is shared by the tests, and its alembic_version is not emptied between them
        stamp(directory=MIGRATIONS_DIR, revision="head")
    assert answer.status_code == 503
    assert answer.get_json() == {"status": "not_ready", "database": "ok", "schema": older, "schema_head": head(),
                                 "rate_limit_store": "up", "failed": ["schema"]}
    assert client.get("/healthz").status_code == 200  # liveness does not depend on it


def test_not_ready_without_a_database(tmp_path):
    (tmp_path / "gone").mkdir()
    app = create_app("test", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/gone/xinyi.sqlite3")
    shutil.rmtree(tmp_path / "gone")  # its directory gone: SQLite cannot open the file
    client = app.test_client()
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.get_json() == {"status": "not_ready", "database": "unreachable", "schema": None,
                                 "rate_limit_store": "up", "failed": ["database", "schema"]}
    assert client.get("/healthz").status_code == 200


def test_ready_on_the_rate_limit_fallback_not_on_an_unanswering_store(app, database_url):
    down = create_app("test", SQLALCHEMY_DATABASE_URI=database_url, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")
    client = down.test_client()
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.get_json()["failed"] == ["rate_limit_store"]
    client.post("/api/v1/staff/login", json={"username": "nobody", "password": "wrong-password"})  # a limited route
    answer = client.get("/readyz")
    assert answer.status_code == 200
    assert answer.get_json()["rate_limit_store"] == "fallback"
