"""Logging as JSON lines (LOG_FORMAT=json) or plain text (LOG_FORMAT=text, for development), each line written during a
request carrying its request id (app.http.request_log); `log_event` is the one way services write a notable event.

Fields are ids, counts, codes and kinds only: never an ID number, a name, a username, a token or a phone number.
"""
import logging
import sys
from contextvars import ContextVar
from typing import Any

from flask.logging import default_handler
from pythonjsonlogger.json import JsonFormatter

FORMATS = ("json", "text")
APP_LOGGER = "app"
EVENTS_LOGGER = "app.events"
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
# What every LogRecord has: a text line shows only the fields a caller added.
_RECORD_FIELDS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}


class RequestIdFilter(logging.Filter):
    """Adds the current request's id to every line written while it is handled (none outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        current = request_id.get()
        if current is not None:
            record.request_id = current
        return True


class TextFormatter(logging.Formatter):
    """One readable line: time, level, logger, request id, message and the fields the caller added."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
                         defaults={"request_id": "-"})

    def format(self, record: logging.LogRecord) -> str:
        extra = " ".join(f"{key}={value}" for key, value in vars(record).items() if key not in _RECORD_FIELDS)
        return super().format(record) + (f" {extra}" if extra else "")


def formatter(kind: str = "json") -> logging.Formatter:
    """The formatter of LOG_FORMAT `kind`; gunicorn's logconfig_dict names it too, so its lines look the same."""
    if kind == "text":
        return TextFormatter()
    return JsonFormatter("%(levelname)s %(name)s %(message)s", rename_fields={"levelname": "level", "name": "logger"},
                         timestamp=True, json_ensure_ascii=False)


class StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a line is written (gunicorn's, a test's capture), with the request id."""

    def __init__(self, kind: str = "json") -> None:
        super().__init__()
        self.setFormatter(formatter(kind))
        self.addFilter(RequestIdFilter())

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def configure_logging(kind: str) -> None:
    """One handler on the root logger writing `kind` lines to stderr, the app's INFO lines included."""
    # It replaces the one an earlier call or gunicorn's logconfig_dict installed.
    root = logging.getLogger()
    for handler in [handler for handler in root.handlers if isinstance(handler, StderrHandler)]:
        root.removeHandler(handler)
    root.addHandler(StderrHandler(kind))
    app_logger = logging.getLogger(APP_LOGGER)
    app_logger.setLevel(logging.INFO)
    app_logger.removeHandler(default_handler)  # Flask's own, had the app logged before this: lines would go twice
    # A migration run in this process (alembic's fileConfig) disables the loggers that existed then: ours log again.
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger) and (name == APP_LOGGER or name.startswith(APP_LOGGER + ".")):
            logger.disabled = False


def log_event(name: str, **fields: Any) -> None:
    """One line for a notable event: `event` is its name, `fields` ids, counts, codes and kinds only."""
    logging.getLogger(EVENTS_LOGGER).info(name, extra={"event": name, **fields})
