"""Who may open which console page, what the navigation shows them, and how a form's refusal reaches the page."""
from collections.abc import Callable
from typing import Any

from flask import current_app, flash, g

from app.domain.roles import actor
from app.errors import DomainError
from app.web.auth import signed_in

SESSION_KEY = "console_token"
requires = signed_in(SESSION_KEY, "admin", "console.login")

# The navigation, in order; who sees an item is whoever its view lets in.
NAV = (("console.dashboard", "概览"), ("console.objections", "名单异议"), ("console.complaints", "投诉建议"),
       ("console.subjects", "名单查询"), ("console.import_page", "名单导入"), ("console.measure_list", "激励措施"),
       ("console.venue_list", "实施单位"), ("console.account_list", "账号管理"), ("console.audit_log", "审计日志"))


def allowed(endpoint: str, role: str) -> bool:
    return role in getattr(current_app.view_functions[endpoint], "roles", ())


def console_nav(role: str) -> list[tuple[str, str]]:
    return [(endpoint, label) for endpoint, label in NAV if allowed(endpoint, role)]


def home_endpoint(role: str) -> str:
    """The first page of the navigation this role may open."""
    return console_nav(role)[0][0]


def current_actor() -> str:
    return actor("admin", g.account.id)


def attempt(action: Callable[[], Any], success: str) -> bool:
    """Run a service call for a form; its refusal becomes a message on the page instead of an error page."""
    try:
        action()
    except DomainError as refused:
        flash(refused.message + "".join(f"（{name}：{problem}）" for name, problem in (refused.fields or {}).items()),
              "error")
        return False
    flash(success, "ok")
    return True
