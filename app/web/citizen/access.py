"""Who is signed in to the citizen pages, and what every citizen page shows around its content."""
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import current_app, g, request
from flask_wtf.csrf import CSRFError

from app.domain.signins import ENDED_WORDS, EXPIRED
from app.errors import DomainError
from app.http.errors import handle_domain_error, handle_http_exception
from app.services import case_log
from app.web.auth import current_session, signed_in

SESSION_KEY = "citizen_token"
requires = signed_in(SESSION_KEY, "citizen", "citizen.login")

# The bottom tab bar: every page is one tap from here, or two through a tab's page.
TABS = (("citizen.home", "首页", "home"), ("citizen.code", "亮码", "qr"), ("citizen.measures", "措施", "gift"),
        ("citizen.cases", "办事", "file"), ("citizen.messages", "消息", "bell"))


def page_context() -> dict[str, Any]:
    """The tabs and the inbox badge of a signed-in citizen."""
    session = getattr(g, "session", None)
    unread = case_log.unread_count(session.subject_id) if session is not None and session.subject_id else 0
    return {"tabs": TABS, "unread": unread}


def session_expired() -> DomainError:
    return DomainError("session_expired", ENDED_WORDS[EXPIRED], status=401)  # as the login page says it


def fetched(view: Callable) -> Callable:
    """A signed-in page's background fetch (JSON): a sign-in that has ended answers 401 `session_expired` for the page
    to say so in words, where a page would go to the login form (the dead token stays, for that form to explain)."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        if current_session(SESSION_KEY, "citizen") is None:
            raise session_expired()
        return view(*args, **kwargs)

    wrapper.fetched = True  # type: ignore[attr-defined]  # the mark csrf_refused reads off the view
    return wrapper


def csrf_refused(error: CSRFError):
    """A fetch whose sign-in has ended fails its CSRF check too (the session cookie was replaced or is gone): that
    ended sign-in is the answer, not "页面已过期"."""
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "fetched", False) and current_session(SESSION_KEY, "citizen") is None:
        return handle_domain_error(session_expired())
    return handle_http_exception(error)
