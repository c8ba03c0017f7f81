"""Bearer-token authentication for the API blueprints; each blueprint names the one audience it accepts."""
from collections.abc import Callable
from functools import wraps

from flask import g, request
from flask_smorest import Blueprint

from app.errors import Forbidden
from app.models import utcnow
from app.services import accounts, sessions

BEARER_SECURITY = [{"bearerAuth": []}]


def bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def login_required(audience: str) -> Callable:
    """Require a live token of `audience`; the session is in `g.session` (documented as bearerAuth)."""
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            g.session = sessions.authenticate(bearer_token(), audience, utcnow())
            return view(*args, **kwargs)

        return Blueprint.doc(security=BEARER_SECURITY)(wrapper)
    return decorator


def roles_required(*roles: str) -> Callable:
    """Require an admin-audience token whose account has one of `roles` (checked on every request)."""
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            g.account = accounts.get_account(g.session.account_id)
            if g.account.role not in roles:
                raise Forbidden("forbidden_role", "当前角色无权执行此操作")
            return view(*args, **kwargs)

        return login_required("admin")(wrapper)
    return decorator


def no_store(response):
    """Personal data must not be kept by browsers or proxies."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response
