"""信易+ 守信激励: the application factory."""
from app.http import messages, text_policy  # noqa: F401,I001  (before any schema is defined)
import os
from collections.abc import Callable, Iterable

from flask import Flask

from app import cli, cli_backup, cli_retention, metrics, web
from app.api import admin, public, staff
from app.config import load_config
from app.db.postgres import configure_postgres, engine_options
from app.db.prepared import release_request_connection
from app.db.sqlite import configure_sqlite
from app.db.unavailable import end_session
from app.extensions import api, csrf, db, limiter, migrate
from app.logs import configure_logging
from app.http.errors import register_error_handlers
from app.http.guards import register_request_guards
from app.http.proxies import TrustedProxyFix
from app.http import request_log
from app.http import readiness
from app.http.converters import IdConverter
from app.http.openapi import document_errors
from app.http.schemas import ErrorSchema
from app.http.text_policy import text_pattern
from app.http.security import register_security_headers

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")
Part = Callable[[Flask], None]


def create_app(env_name: str | None = None, *, parts: Iterable[Part] = (), **overrides) -> Flask:
    """Build the app for APP_ENV (or `env_name`); `parts` register what depends on the core (the citizen API), and
    `overrides` are config values for tests."""
    app = Flask(__name__, instance_relative_config=True, static_folder="web/static", template_folder="web/templates")
    app.url_map.converters["id"] = IdConverter
    register_config(app, env_name, overrides)
    configure_logging(app.config["LOG_FORMAT"])
    request_log.register(app)  # first: its request id is set before any other hook and its line written after all
    register_extensions(app)
    metrics.register(app)
    app.register_blueprint(readiness.blp)
    register_apis(app)
    web.register(app)
    for part in parts:
        part(app)
    register_error_handlers(app)
    register_request_guards(app)
    register_security_headers(app)
    cli.register(app)
    cli_retention.register(app)
    cli_backup.register(app)
    return app


def register_config(app: Flask, env_name: str | None, overrides: dict) -> None:
    app.config.from_object(load_config(app.instance_path, env_name))
    app.config.update(overrides)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options(os.environ))
    # A database error's message must not carry its statement's parameters (names, hashes) into a log line.
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {}).setdefault("hide_parameters", True)
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:  # the client's address (rate limits) and scheme (HSTS, secure cookies) as the proxy saw them
        # Flask's documented way to wrap its WSGI app (a method to the type checker).
        app.wsgi_app = TrustedProxyFix(app.wsgi_app, proxies, app.config["PROXY_ADDRESSES"])  # type: ignore[method-assign]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # the default provider's setting; typed as the base
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        os.makedirs(app.instance_path, exist_ok=True)


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    app.teardown_appcontext(end_session)  # runs before Flask-SQLAlchemy's own: last registered, first run
    app.teardown_request(release_request_connection)  # the hot path's connection, shared by a request's services
    migrate.init_app(app, db, directory=MIGRATIONS_DIR)
    limiter.init_app(app)
    csrf.init_app(app)
    api.ERROR_SCHEMA = ErrorSchema
    api.init_app(app)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    api.register_converter(IdConverter, IdConverter.parameter_schema)
    api.ma_plugin.converter.add_attribute_function(text_pattern)
    api.ma_plugin.converter.add_parameter_attribute_function(text_pattern)
    document_errors(api.spec)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            configure_sqlite(db.engine, app.config["DB_BUSY_TIMEOUT_SECONDS"])
    elif app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        with app.app_context():
            configure_postgres(db.engine, app.config["DB_IDLE_CHECK_SECONDS"])


def register_apis(app: Flask) -> None:
    for blueprint in (*public.BLUEPRINTS, *staff.BLUEPRINTS, *admin.BLUEPRINTS):
        api.register_blueprint(blueprint)
        csrf.exempt(blueprint)  # bearer-token APIs: no cookies, so no cross-site request forgery
