"""信易+ 守信激励: the application factory."""
import os

from flask import Flask

import miniprogram_api
import miniprogram_api.cases
from app import cli
from app.api import admin, public, staff
from app.config import load_config
from app.errors import register_error_handlers
from app.schemas import ErrorSchema
from app.console import bp as console
from app.extensions import api, csrf, db, limiter, migrate
from app.sqlite import configure_sqlite

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")


def create_app(env_name: str | None = None, **overrides) -> Flask:
    """Build the app for APP_ENV (or `env_name`), with optional config overrides for tests."""
    app = Flask(__name__, instance_relative_config=True)
    register_config(app, env_name, overrides)
    register_extensions(app)
    register_blueprints(app)
    register_error_handlers(app)
    cli.register(app)
    return app


def register_config(app: Flask, env_name: str | None, overrides: dict) -> None:
    app.config.from_object(load_config(app.instance_path, env_name))
    app.config.update(overrides)
    app.json.ensure_ascii = False
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        os.makedirs(app.instance_path, exist_ok=True)


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR)
    limiter.init_app(app)
    csrf.init_app(app)
    api.ERROR_SCHEMA = ErrorSchema
    api.init_app(app)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            configure_sqlite(db.engine)


def register_blueprints(app: Flask) -> None:
    api.register_blueprint(public.health)
    api.register_blueprint(public.blp)
    api.register_blueprint(miniprogram_api.blp)
    api.register_blueprint(miniprogram_api.cases.blp)
    api.register_blueprint(staff.blp)
    api.register_blueprint(admin.blp)
    for blueprint in (public.health, public.blp, miniprogram_api.blp, miniprogram_api.cases.blp, staff.blp, admin.blp):
        csrf.exempt(blueprint)  # bearer-token APIs: no cookies, so no cross-site request forgery
    app.register_blueprint(console)
