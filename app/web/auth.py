"""Sign-in for pages: a server-side access token kept in the signed session cookie, one cookie key per front end,
checked on every request like a bearer token (revocable, idle and absolute lifetimes)."""
from collections.abc import Callable
from functools import wraps

from flask import g, redirect, request, session, url_for

from app.domain.dates import utcnow
from app.services import sessions


def page_sign_in(key: str, token: str) -> None:
    """Start a page session: a fresh cookie (no fixation) holding the token under this front end's key."""
    session.clear()
    session[key] = token


def page_sign_out(key: str) -> None:
    sessions.revoke(g.session, utcnow())
    session.pop(key, None)


def current_session(key: str, audience: str) -> sessions.Session | None:
    """The live session of a page that also serves visitors who are not signed in (None for them)."""
    try:
        g.session = sessions.authenticate(session.get(key), audience, utcnow())
    except sessions.Unauthenticated:
        return None
    return g.session


def signed_in(key: str, audience: str, login_endpoint: str) -> Callable[..., Callable]:
    """A decorator factory for one front end: `@requires(*roles)` lets in those roles (any account of the audience
    when none are named), sends visitors without a live session to `login_endpoint`, and refuses other roles (403).
    The roles are kept on the view (`view.roles`) so navigation shows only what the signed-in role may open."""
    def requires(*roles: str) -> Callable:
        def decorator(view: Callable) -> Callable:
            @wraps(view)
            def wrapper(*args, **kwargs):
                try:
                    g.session = sessions.authenticate(session.get(key), audience, utcnow())
                except sessions.Unauthenticated:
                    session.pop(key, None)
                    return redirect(url_for(login_endpoint, next=request.full_path))
                g.account = sessions.account_of(g.session)
                sessions.require_role(g.account, roles)
                return view(*args, **kwargs)

            wrapper.roles = roles
            return wrapper
        return decorator
    return requires
