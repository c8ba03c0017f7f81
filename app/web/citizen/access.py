"""Who is signed in to the citizen pages, and what every citizen page shows around its content."""
from typing import Any

from flask import g, request

from app.services import case_log
from app.web.auth import signed_in

SESSION_KEY = "citizen_token"
TEXT_COOKIE = "text_size"
LARGE = "large"
requires = signed_in(SESSION_KEY, "citizen", "citizen.login")

# The bottom tab bar: every page is one tap from here, or two through a tab's page.
TABS = (("citizen.home", "首页", "home"), ("citizen.code", "亮码", "qr"), ("citizen.measures", "措施", "gift"),
        ("citizen.cases", "办事", "file"), ("citizen.messages", "消息", "bell"))


def large_text() -> bool:
    return request.cookies.get(TEXT_COOKIE) == LARGE


def page_context() -> dict[str, Any]:
    """The large-text preference, the tabs, and the inbox badge of a signed-in citizen."""
    session = getattr(g, "session", None)
    unread = case_log.unread_count(session.subject_id) if session is not None and session.subject_id else 0
    return {"large_text": large_text(), "tabs": TABS, "unread": unread}
