"""The append-only audit log: every service that changes something records it here, in its own transaction."""
from typing import Any

from app.extensions import db
from app.models import AuditEvent


def record(actor: str, action: str, target_type: str, target_id: Any = None, **details: Any) -> AuditEvent:
    """Add an audit event to the current transaction; the calling service commits it with its change."""
    event = AuditEvent(actor=actor, action=action, target_type=target_type,
                       target_id=None if target_id is None else str(target_id), details=details)
    db.session.add(event)
    return event
