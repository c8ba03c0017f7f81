"""Bearer-token authentication for the JSON APIs; each blueprint names the one audience it accepts."""
from collections.abc import Callable
from functools import wraps

from flask import g, request
from flask_smorest import Blueprint

from app.domain.dates import utcnow
from app.domain.roles import actor
from app.services import sessions

BEARER_SECURITY: list[dict[str, list[str]]] = [{"bearerAuth": []}]


def bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def login_required(audience: str, roles: tuple[str, ...] = ()) -> Callable:
    """Require a live token of `audience` (and, for accounts, one of `roles` when named); the session is in
    `g.session`, the account in `g.account`. Documented as bearerAuth."""
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            g.session = sessions.authenticate(bearer_token(), audience, utcnow())
            if roles:
                g.account = sessions.account_of(g.session)
                sessions.require_role(g.account, roles)
            return view(*args, **kwargs)

        return Blueprint.doc(security=BEARER_SECURITY)(wrapper)
    return decorator


def current_actor() -> str:
    """The signed-in principal as the audit log names it."""
    return actor(g.session.audience, g.session.subject_id or g.session.account_id)


def no_store(response):
    """Personal data must not be kept by browsers or proxies."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response
