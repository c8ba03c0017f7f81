"""Objections and complaints over HTTP: bodies as JSON or multipart with `evidence` files, and evidence downloads."""
from typing import Any

from flask import request, send_file

from app.errors import DomainError
from app.services import evidence


def body_and_uploads() -> tuple[dict[str, Any], list[tuple[str, bytes]]]:
    """The fields and the uploaded files, whichever way the client sent them; anything else is 415."""
    if request.mimetype == "multipart/form-data":
        uploads = [(upload.filename or "", upload.read()) for upload in request.files.getlist("evidence")]
        return request.form.to_dict(), uploads
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise DomainError("invalid_request", "请求体应为 JSON 对象", status=400)
        return body, []
    raise DomainError("unsupported_media_type", "请以 JSON 或 multipart/form-data 提交", status=415)


def optional_id(body: dict[str, Any], field: str) -> int | None:
    """An optional object id: an integer, or a numeric form field."""
    value = body.get(field)
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value.isdigit())):
        raise DomainError("invalid_request", "请求参数不正确", status=400, fields={field: "应为整数编号"})
    return int(value)


def evidence_file(case_type: str, case_id: int, evidence_id: int):
    """Send a stored evidence file as an attachment with its own content type."""
    row, path = evidence.load(case_type, case_id, evidence_id)
    response = send_file(path, mimetype=row.content_type, as_attachment=True, download_name=row.original_name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
