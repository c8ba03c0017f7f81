"""The one error handler: every error — domain, validation, the framework's own, unexpected — as API.md's JSON body,
or as an HTML page on the server-rendered front ends."""
from http import HTTPStatus
from typing import Any

from flask import Flask, current_app, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.db.unavailable import database_unavailable
from app.errors import DomainError
from app.extensions import db
from app.http.request_log import route

# Blueprints whose visitors are people with a browser: they get an error page instead of JSON.
HTML_BLUEPRINTS: set[str] = set()


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error}


def _error_page() -> str | None:
    """The error page for a person with a browser: their front end's, or the front door's for an address that is no
    page at all; None for API clients (and the pages' own scripts), who get JSON."""
    wants_page = request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"
    if request.blueprint in HTML_BLUEPRINTS:
        return f"{request.blueprint}/error.html" if wants_page and not request.is_json else None
    if request.blueprint is None and wants_page and not request.path.startswith("/api/"):
        return "home/error.html"
    return None


def error_response(status: int, code: str, message: str, fields: dict[str, Any] | None = None):
    """The API.md error body; the front ends' pages get the same error as an HTML page."""
    page = _error_page()
    if page is not None:
        advice = ADVICE.get(status, "请回到首页重新进入，或稍后再试。")
        return make_response(render_template(page, status=status, code=code, message=message, advice=advice), status)
    response = jsonify(error_body(code, message, fields))
    response.status_code = status
    return response


# What a person reads for the framework's own errors (werkzeug's and the rate limiter's texts are English).
MESSAGES = {400: "请求格式不正确", 401: "请先登录", 403: "无权访问", 404: "页面或资源不存在", 405: "不支持该请求方式",
            406: "无法提供所要求的格式", 408: "请求超时", 409: "与当前状态冲突", 410: "资源已不存在",
            413: "提交的内容过大", 414: "网址过长", 415: "不支持的内容类型", 422: "请求无法处理",
            429: "操作过于频繁，请稍后再试", 431: "请求头过大", 500: "服务器内部错误，请稍后重试",
            503: "服务暂不可用，请稍后重试"}
# What a person with a browser can do about it: the pages for citizens show this instead of the code.
ADVICE = {400: "请检查填写的内容后再试一次。", 401: "请重新登录后再试。", 403: "这个页面需要用有权限的账号登录后查看。",
          404: "链接可能有误，或者记录已经删除。请回到首页重新进入。", 409: "情况已有变化，请刷新页面后再试。",
          413: "文件太大了，请换小一些的照片或文件再试。", 422: "请按提示修改后再试一次。", 429: "请稍等一分钟再试。",
          500: "请稍后再试；如果一直这样，可拨打 12345 政务服务便民热线。",
          503: "请稍后再试；如果一直这样，可拨打 12345 政务服务便民热线。"}
# How long a client should wait before retrying a request the database could not serve (a restart takes seconds).
DATABASE_RETRY_AFTER_SECONDS = 2
# Framework errors get a snake_case code derived from the HTTP phrase ("Method Not Allowed" → method_not_allowed).
_CODE_OVERRIDES = {400: "bad_request", 413: "payload_too_large", 414: "uri_too_long", 415: "unsupported_media_type",
                   422: "validation_failed", 429: "rate_limited", 431: "headers_too_large"}


def _http_code(status: int) -> str:
    return _CODE_OVERRIDES.get(status) or HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")


def _validation_fields(exc: HTTPException) -> dict[str, Any] | None:
    """Flatten webargs' {location: {field: [messages]}} into {field: message}."""
    messages = (getattr(exc, "data", None) or {}).get("messages")
    if not messages:
        return None
    fields: dict[str, Any] = {}
    for location_messages in messages.values():
        if isinstance(location_messages, dict):
            fields.update((name, _as_text(problem)) for name, problem in location_messages.items())
    return fields or None


def _as_text(problem: Any) -> Any:
    return "；".join(map(str, problem)) if isinstance(problem, list) else problem


def handle_domain_error(exc: DomainError):
    db.session.rollback()
    return error_response(exc.status, exc.code, exc.message, exc.fields)


def handle_http_exception(exc: HTTPException):
    status = exc.code or 500
    fields = _validation_fields(exc)
    if fields is not None:
        # A body that does not match the schema is a malformed request (400), not a refusal (422).
        return error_response(400, "invalid_request", "请求参数不正确", fields)
    message = "页面已过期，请刷新后重试" if isinstance(exc, CSRFError) else MESSAGES.get(status, "请求无法处理")
    response = error_response(status, _http_code(status), message)
    if status == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


def handle_database_unavailable(exc: Exception):
    """A database restart, failover or lock: nothing was acknowledged, so the client may retry after a pause."""
    try:
        db.session.rollback()
    except Exception as again:
        if not database_unavailable(again):
            raise
    cause = getattr(exc, "orig", None) or exc  # the driver's error class only: SQL text could carry personal data
    current_app.logger.warning("database unavailable on %s %s: %s", request.method, route(),
                               type(cause).__name__)
    response = error_response(503, "service_unavailable", MESSAGES[503])
    response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    return response


def handle_unexpected(exc: Exception):
    if database_unavailable(exc):
        return handle_database_unavailable(exc)
    db.session.rollback()
    if isinstance(exc, HTTPException):
        return handle_http_exception(exc)
    current_app.logger.exception("unhandled error on %s %s", request.method, route())
    return error_response(500, "internal_error", "服务器内部错误，请稍后重试")


def register_error_handlers(app: Flask) -> None:
    """Every error, the framework's included, leaves as the API.md JSON shape."""
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
