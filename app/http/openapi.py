"""The OpenAPI description says every answer a client can get: each error status an operation can answer with,
in API.md's error shape, is added to it (an apispec plugin, so no view has to list them by hand)."""
from apispec import APISpec, BasePlugin

ERROR = {"$ref": "#/components/schemas/Error"}
# status → (component name, when)
ERRORS = {
    400: ("BadRequest", "请求格式或参数不正确（invalid_request 等），fields 说明每个字段的问题"),
    401: ("Unauthenticated", "未登录、凭证无效、已过期或账号已停用（unauthenticated、invalid_token、token_expired…）"),
    403: ("Forbidden", "当前角色无权执行此操作（forbidden_role），或不符合条件（如 not_listed）"),
    404: ("NotFound", "对象不存在，或属于他人（*_not_found）"),
    409: ("Conflict", "与当前状态冲突（如 token_used、case_state_changed、code_taken）"),
    413: ("PayloadTooLarge", "提交的内容过大（payload_too_large、evidence_too_large）"),
    414: ("UriTooLong", "网址过长（uri_too_long）"),
    415: ("UnsupportedMediaType", "不支持的内容类型（unsupported_media_type、evidence_type_not_allowed）"),
    422: ("Refused", "格式正确但按规则拒绝（带稳定的错误代码）"),
    429: ("TooManyRequests", "操作过于频繁（rate_limited）、账号因多次密码错误暂时锁定（account_locked），"
                             "或已达每日限额（quota_cases_per_day 等）"),
    431: ("HeadersTooLarge", "请求头过多或过大（headers_too_large）"),
    500: ("InternalError", "服务器内部错误（internal_error）"),
    503: ("Unavailable", "服务暂不可用：数据库正在重启或繁忙（service_unavailable，按 Retry-After 稍后重试；未作任何"
                         "改动），或实名认证服务暂不可用（identity_provider_unavailable）"),
}
WRITES = ("post", "put", "patch", "delete")
# A citizen's case filings count against daily quotas (app.services.quotas).
QUOTA_PATHS = ("/api/v1/objections", "/api/v1/complaints")


def _statuses(path: str, method: str, operation: dict) -> list[int]:
    statuses = [414, 431, 500, 503]  # any request: app.http.guards; the database unavailable (app.db.unavailable)
    if operation.get("requestBody") or operation.get("parameters"):
        statuses += [400, 413]
    if operation.get("security"):
        statuses += [401, 403]
    if "{" in path or operation.get("requestBody"):
        statuses.append(404)  # the object named in the path, or one the body refers to
    if method in WRITES:
        statuses += [409, 422]
    if "multipart/form-data" in operation.get("requestBody", {}).get("content", {}):
        statuses.append(415)
    if path.endswith("/login"):
        statuses += [401, 429]  # wrong credentials, too many tries
    if path in QUOTA_PATHS and method == "post":
        statuses.append(429)
    return statuses


class ErrorResponses(BasePlugin):
    """Adds the error answers of API.md to each operation and the reusable error responses to the components."""

    def init_spec(self, spec: APISpec) -> None:
        self.spec = spec
        for name, description in ERRORS.values():
            spec.components.response(name, {"description": description,
                                            "content": {"application/json": {"schema": ERROR}}})

    def operation_helper(self, path=None, operations=None, **kwargs) -> None:
        for method, operation in (operations or {}).items():
            responses = operation.setdefault("responses", {})
            responses.pop("default", None)
            for status in _statuses(path, method, operation):
                responses[str(status)] = {"$ref": f"#/components/responses/{ERRORS[status][0]}"}


def document_errors(spec: APISpec) -> None:
    """Install the plugin on the app's spec; call before any blueprint is registered."""
    plugin = ErrorResponses()
    plugin.init_spec(spec)
    spec.plugins.append(plugin)  # type: ignore[attr-defined]  # typed a Sequence; APISpec keeps a list
