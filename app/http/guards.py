"""What any request may be before a view reads it: the length of its URL, the number and size of its headers, and a
JSON body's size and nesting depth. Each refusal is the API's JSON error (or the error page on the front ends); a
JSON body nested deeper than any request needs would otherwise end in a RecursionError inside the parser.

The limits sit below gunicorn's (gunicorn.conf.py), so gunicorn passes such requests on and the app answers them in its
own shape; only what gunicorn itself cannot read (a request line over 8190 bytes and the like) gets its own page.
"""
import re

from flask import Flask, request
from werkzeug.exceptions import RequestHeaderFieldsTooLarge, RequestURITooLarge

from app.errors import DomainError

MAX_URL_LENGTH = 4096  # path and query string
MAX_HEADER_FIELDS = 100
MAX_HEADER_FIELD_BYTES = 8190  # one header line, name and value
MAX_JSON_BYTES = 1024 * 1024  # a JSON body: the largest any endpoint takes is a few kilobytes
MAX_JSON_DEPTH = 32

_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))
_OPENING = frozenset(b"[{")


def json_depth_exceeds(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether a JSON text nests arrays and objects deeper than `limit`: brackets counted outside strings, before any
    parser recurses into them."""
    depth = 0
    for byte in _JSON_STRING.sub(b"", body).translate(None, _NOT_BRACKETS):
        if byte in _OPENING:
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def check_request() -> None:
    """Refuse a request whose URL, headers or JSON body exceed the limits above."""
    if len(request.full_path) > MAX_URL_LENGTH:
        raise RequestURITooLarge()
    headers = request.headers
    if len(headers) > MAX_HEADER_FIELDS or any(len(name) + len(value) + 2 > MAX_HEADER_FIELD_BYTES
                                               for name, value in headers.items()):
        raise RequestHeaderFieldsTooLarge()
    if request.is_json:
        _check_json_body()


def _check_json_body() -> None:
    # The declared length first, so an oversized body is never read; the cached copy is what Flask's and webargs'
    # parsers read later.
    if (request.content_length or 0) > MAX_JSON_BYTES or len(body := request.get_data(cache=True)) > MAX_JSON_BYTES:
        raise DomainError("payload_too_large", f"JSON 请求体不能超过 {MAX_JSON_BYTES // 1024 // 1024} MB", status=413)
    if json_depth_exceeds(body):
        raise DomainError("invalid_request", f"JSON 嵌套层数过深（至多 {MAX_JSON_DEPTH} 层）", status=400)


def register_request_guards(app: Flask) -> None:
    """Check every request before its view, the framework's parsers and the views' own included."""
    app.before_request(check_request)
