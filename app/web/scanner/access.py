"""Who is signed in to the web scanner: counter staff, in a server-side session like the console's."""
from collections.abc import Callable
from functools import wraps

from flask import current_app, g

from app.domain.signins import ENDED_WORDS, EXPIRED
from app.errors import DomainError
from app.extensions import csrf
from app.services import sessions
from app.web.auth import current_session, signed_in

SESSION_KEY = "scan_token"
AUDIENCE = "staff"
requires = signed_in(SESSION_KEY, AUDIENCE, "scanner.login")


def fetched(view: Callable) -> Callable:
    """A JSON fetch of the scanner page: the sign-in is checked before the form token, so an ended sign-in (its
    cookie gone or its token ended) answers 401 `session_expired` for the page to offer 重新登录, where a page would
    redirect and a lost cookie would fail as CSRF; a bad form token with a live sign-in stays 400 "页面已过期"."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        if current_session(SESSION_KEY, AUDIENCE) is None:
            raise DomainError("session_expired", ENDED_WORDS[EXPIRED], status=401)  # as the login page says it
        if current_app.config["WTF_CSRF_ENABLED"]:
            csrf.protect()
        g.account = sessions.account_of(g.session)
        return view(*args, **kwargs)

    return csrf.exempt(wrapper)
