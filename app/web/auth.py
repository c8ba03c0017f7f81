"""Sign-in for pages: a server-side access token kept in the signed session cookie, one cookie key per front end,
checked on every request like a bearer token (revocable, idle and absolute lifetimes)."""
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from flask import g, redirect, request, session, url_for

from app.domain.dates import utcnow
from app.services import sessions


def page_sign_in(key: str, token: str, persistent: bool = False) -> None:
    """Start a page session: a fresh cookie (no fixation) holding the token under this front end's key; a persistent
    one outlives the browser (PERMANENT_SESSION_LIFETIME), the others end with it."""
    session.clear()
    session.permanent = persistent
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


def return_path() -> str | None:
    """Where to come back to after signing in: this page, or for a form the page it was posted from (same host)."""
    if request.method == "GET":
        return request.full_path.removesuffix("?")
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc != request.host:
        return None
    return referrer.path + (f"?{referrer.query}" if referrer.query else "")


def to_sign_in(key: str, login_endpoint: str, refused: sessions.Unauthenticated):
    """Forget the dead token and send the visitor to sign in, saying why (`?why=`) when a session had existed."""
    had_session = session.pop(key, None) is not None
    return redirect(url_for(login_endpoint, next=return_path(), why=refused.why if had_session else None))


def signed_in(key: str, audience: str, login_endpoint: str) -> Callable[..., Callable]:
    """A decorator factory for one front end: `@requires(*roles)` lets in those roles (any account of the audience
    when none are named), sends visitors without a live session to `login_endpoint` (with why and where they were),
    and refuses other roles (403). The roles are kept on the view (`view.roles`) so navigation shows only what the
    signed-in role may open."""
    def requires(*roles: str) -> Callable:
        def decorator(view: Callable) -> Callable:
            @wraps(view)
            def wrapper(*args, **kwargs):
                try:
                    g.session = sessions.authenticate(session.get(key), audience, utcnow())
                except sessions.Unauthenticated as refused:
                    return to_sign_in(key, login_endpoint, refused)
                g.account = sessions.account_of(g.session)
                sessions.require_role(g.account, roles)
                return view(*args, **kwargs)

            wrapper.roles = roles  # type: ignore[attr-defined]  # kept on the view for the navigation (above)
            return wrapper
        return decorator
    return requires
