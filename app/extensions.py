"""Extensions created unbound; the application factory binds them."""
from typing import TYPE_CHECKING

from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from app.db.types import render_item
from app.http.limits import FallbackLimiter, StoreState

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base whose constraint names are stable across SQLite and PostgreSQL."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
if TYPE_CHECKING:
    Model = Base  # a type checker sees the typed declarative base; db.Model is built at run time from it
else:
    Model = db.Model
migrate = Migrate(render_as_batch=True, compare_type=True, render_item=render_item)
limiter = FallbackLimiter(key_func=get_remote_address, default_limits=[])
api = Api()
csrf = CSRFProtect()


def rate_limit_store_state() -> StoreState:
    """"up" while this process counts rate limits in the shared store, "fallback" while in its own memory."""
    return limiter.store_state()
