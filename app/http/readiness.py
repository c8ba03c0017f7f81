"""Readiness (GET /readyz): the database answers, its schema is at the migrations' head, and rate limits are counted
somewhere — in the shared store while it answers, or in the process's own memory while its fallback is active."""
import functools
import os

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import Blueprint, jsonify
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db, limiter, rate_limit_store_state

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                              "migrations")
blp = Blueprint("readiness", __name__)


@functools.cache
def head_revision() -> str:
    """The migrations directory's head revision (one head: the migrations never branch)."""
    return ScriptDirectory(MIGRATIONS_DIR).get_current_head() or ""


def database_revision() -> str:
    """The revision the database is stamped at ("" when unstamped); raises SQLAlchemyError when it does not answer."""
    try:
        db.session.execute(sa.text("SELECT 1"))
        try:
            return db.session.scalar(sa.text("SELECT version_num FROM alembic_version")) or ""
        except (sa.exc.OperationalError, sa.exc.ProgrammingError):  # no alembic_version: never migrated
            return ""
    finally:
        db.session.rollback()


def _store() -> str:
    state = rate_limit_store_state()
    if state == "fallback":
        return state
    try:
        return "up" if limiter.storage.check() else "unreachable"
    except Exception:  # noqa: BLE001  any client error of any store means it does not answer
        return "unreachable"


@blp.route("/readyz")
def readyz():
    """200 when this process can serve (database, schema, rate-limit store); else 503 listing what failed."""
    body = {"status": "ready", "database": "ok", "schema": None, "rate_limit_store": _store()}
    failed = ["rate_limit_store"] if body["rate_limit_store"] == "unreachable" else []
    try:
        body["schema"] = database_revision() or None
    except SQLAlchemyError:
        body["database"] = "unreachable"
        failed[:0] = ["database", "schema"]
    else:
        if body["schema"] != head_revision():
            body["schema_head"] = head_revision()
            failed.insert(0, "schema")
    if failed:
        body["status"], body["failed"] = "not_ready", failed
    response = jsonify(body)
    response.status_code = 503 if failed else 200
    response.headers["Cache-Control"] = "no-store"
    return response
