"""One log line per request: method, route template, status, duration, size, client address, actor kind and the
request id, which every line written during the request carries (app.logs) and the answer returns in X-Request-ID.

The id a trusted reverse proxy sends (X-Request-ID from an address in PROXY_ADDRESSES, TRUSTED_PROXIES > 0) is kept
when it is a sane token, so the proxy's log and ours name the same request; any other request gets a fresh one.
"""
import logging
import re
import time
import uuid

from flask import Flask, Response, g, request

from app.logs import request_id

HEADER = "X-Request-ID"
SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
logger = logging.getLogger("app.request")


def incoming_id() -> str:
    """The proxy's id when the request came through a trusted proxy and the id is sane, else a fresh uuid4."""
    through_proxy = "werkzeug.proxy_fix.orig" in request.environ  # set only by TrustedProxyFix's ProxyFix
    sent = request.headers.get(HEADER, "")
    return sent if through_proxy and SANE_ID.fullmatch(sent) else uuid.uuid4().hex


def _start() -> None:
    g.request_started = time.perf_counter()
    g.request_id = incoming_id()
    request_id.set(g.request_id)


def route() -> str:
    """The request's route template for a log line: never the raw path, which a client may have typed a number into."""
    return request.url_rule.rule if request.url_rule is not None else "unmatched"


def _log(response: Response) -> Response:
    response.headers[HEADER] = g.request_id
    session = g.get("session")
    logger.info("request", extra={
        "method": request.method,
        "route": route(),
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - g.request_started) * 1000, 1),
        # The header, never calculate_content_length(): that reads a streamed answer (an export) whole into memory.
        "bytes": response.content_length,
        "client": request.remote_addr,
        "actor": session.audience if session is not None else "none",
    })
    return response


def _end(_error: BaseException | None) -> None:
    request_id.set(None)


def register(app: Flask) -> None:
    """Registered before every other hook: its before_request runs first, its after_request and teardown last."""
    app.before_request(_start)
    app.after_request(_log)
    app.teardown_request(_end)
