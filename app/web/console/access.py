"""Who may open which console page, what the navigation shows them, and how a form's refusal reaches the page."""
from collections.abc import Callable
from typing import Any

from flask import current_app, flash, g, request, session

from app.domain.roles import actor
from app.errors import DomainError
from app.web.auth import signed_in

SESSION_KEY = "console_token"
KEPT_KEY = "console_kept_form"
# Never carried over to the next page: secrets, and personal numbers (the session cookie is signed, not encrypted).
NOT_KEPT = ("password", "csrf_token", "id_number", "uscc", "phone", "q")
KEPT_LENGTH = 500
# Form fields as the page labels them, for refusal messages (the API keeps the field keys).
FIELD_LABELS = {
    "code": "编码", "title": "名称", "name": "名称", "scenario": "场景", "provider_id": "实施单位", "kinds": "适用主体",
    "valid_from": "生效日期", "valid_to": "有效期至", "min_grade": "最低信用等级", "categories": "名单类别",
    "description": "说明", "benefit": "优惠内容", "change_note": "变更说明", "reason": "理由", "username": "用户名",
    "password": "密码", "display_name": "名称", "role": "角色", "venue_id": "实施单位", "department_id": "部门",
    "address": "地址", "expires_on": "延至", "recorded_on": "认定日期", "authority": "认定机关", "summary": "失信行为",
    "outcome": "结论", "reply": "答复", "assignee_id": "转办给", "correction": "补录或更正",
    "correction_category": "名单类别", "correction_recognized_on": "认定日期", "file": "文件", "kind": "文件类型",
    "withdraw_record_ids": "失信记录", "start": "开始日期", "end": "结束日期"}
requires = signed_in(SESSION_KEY, "admin", "console.login")

# The navigation, in order; who sees an item is whoever its view lets in.
NAV = (("console.dashboard", "概览"), ("console.objections", "名单异议"), ("console.complaints", "投诉建议"),
       ("console.subjects", "名单查询"), ("console.import_page", "名单导入"), ("console.measure_list", "激励措施"),
       ("console.venue_list", "实施单位"), ("console.account_list", "账号管理"), ("console.scan_log", "扫码记录"),
       ("console.audit_log", "审计日志"))


def allowed(endpoint: str, role: str) -> bool:
    return role in getattr(current_app.view_functions[endpoint], "roles", ())


def console_nav(role: str) -> list[tuple[str, str]]:
    return [(endpoint, label) for endpoint, label in NAV if allowed(endpoint, role)]


def home_endpoint(role: str) -> str:
    """The first page of the navigation this role may open."""
    return console_nav(role)[0][0]


def unit_of(account) -> int | None:
    """The partner unit a manager's pages are confined to; None for the credit office, who sees every unit."""
    return account.venue_id if account.role == "manager" else None


def current_actor() -> str:
    return actor("admin", g.account.id)


def attempt(action: Callable[[], Any], success: str) -> bool:
    """Run a service call for a form; its refusal becomes a message on the page instead of an error page."""
    try:
        action()
    except DomainError as refused:
        flash(refusal_text(refused), "error")
        session[KEPT_KEY] = {"action": request.path, "values": {
            name: value[:KEPT_LENGTH] for name, value in request.form.items() if name not in NOT_KEPT}}
        return False
    flash(success, "ok")
    return True


def refusal_text(refused: DomainError) -> str:
    """A refusal as the clerk reads it: the message, then each field by its label on the page."""
    return refused.message + "".join(f"（{FIELD_LABELS.get(name, name)}：{problem}）"
                                     for name, problem in (refused.fields or {}).items())


def kept_form() -> Callable[[str, str], str]:
    """What was typed into the refused form, for the page it returns to: `kept(name, action)` gives a field of the
    form posted to `action` (a page may hold several forms with the same field names); shown once, never a password."""
    form = session.pop(KEPT_KEY, {})
    return lambda name, action: form["values"].get(name, "") if form.get("action") == action else ""
