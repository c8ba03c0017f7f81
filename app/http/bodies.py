"""Request bodies through their schema at the edge — JSON, form or multipart alike — and evidence downloads."""
from typing import Any

from flask import request, send_file
from marshmallow import Schema, ValidationError, fields

from app.errors import DomainError
from app.http.auth import no_store
from app.services import evidence

Uploads = list[tuple[str, bytes]]


def invalid(error: ValidationError) -> DomainError:
    """A schema's refusal as API.md's 400, one message per field."""
    messages = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
    fields = {name: "；".join(map(str, problem)) if isinstance(problem, list) else problem
              for name, problem in messages.items()}
    return DomainError("invalid_request", "请求参数不正确", status=400, fields=fields)


def load(schema: Schema, data: dict[str, Any]) -> dict[str, Any]:
    try:
        return schema.load(data)
    except ValidationError as error:
        raise invalid(error) from None


def load_form(schema: Schema) -> dict[str, Any]:
    """A submitted HTML form through its schema; blank optional fields count as absent."""
    return load(schema, _filled(request.form, schema))


def load_with_uploads(schema: Schema, files_field: str = "evidence") -> tuple[dict[str, Any], Uploads]:
    """A JSON body, or multipart fields plus the files under `files_field`, through the schema; anything else 415."""
    if request.mimetype == "multipart/form-data":
        return load(schema, _filled(request.form, schema)), _picked_files(files_field)
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise DomainError("invalid_request", "请求体应为 JSON 对象", status=400)
        return load(schema, body), []
    raise DomainError("unsupported_media_type", "请以 JSON 或 multipart/form-data 提交", status=415)


def _picked_files(files_field: str) -> Uploads:
    """The files under `files_field`; a part without a name or content is a file field left empty, not a file."""
    uploads = []
    for upload in request.files.getlist(files_field):
        data = upload.read()
        if upload.filename or data:
            uploads.append((upload.filename or "", data))
    return uploads


def _filled(form, schema: Schema) -> dict[str, Any]:
    """Form fields as the schema reads them: its list fields as lists (possibly empty), blank values left out."""
    data: dict[str, Any] = {}
    for name, field in schema.load_fields.items():
        key = field.data_key or name
        values = [value for value in form.getlist(key) if value != ""]
        if isinstance(field, fields.List):
            if key in form:
                data[key] = values
        elif values and not (isinstance(field, fields.Number) and values[0] == "null"):
            data[key] = values[0]  # a form has no null: "null" for a number is the field left out
    return data


def evidence_file(case_type: str, case_id: int, evidence_id: int, inline_image: bool = False):
    """Send a stored evidence file with its own content type, never sniffed as anything else nor kept by a cache.
    Only an image may be shown inline; a PDF is always a download (a browser's PDF viewer would run what it holds)."""
    row, path = evidence.load(case_type, case_id, evidence_id)
    inline = inline_image and row.content_type.startswith("image/")
    response = send_file(path, mimetype=row.content_type, as_attachment=not inline, download_name=row.original_name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return no_store(response)
