"""Domain errors: a refusal with a stable machine code, raised by services and rendered by app.http.errors."""
from typing import Any


class DomainError(Exception):
    """A refusal with a fixed machine code; services raise it, the handler renders it."""

    status = 422

    def __init__(self, code: str, message: str, *, status: int | None = None,
                 fields: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields
        if status is not None:
            self.status = status


class NotFound(DomainError):
    """The object does not exist, or belongs to someone else."""

    status = 404


class Conflict(DomainError):
    """The request clashes with the current state."""

    status = 409


class Forbidden(DomainError):
    """The caller is known but may not do this."""

    status = 403
