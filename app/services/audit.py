"""The append-only audit log: every service that changes something records it here, in that change's transaction."""
import datetime as dt
from typing import Any

import sqlalchemy as sa

from app.db.paging import Page, keyset_page
from app.db.prepared import Prepared, RawConnection
from app.extensions import db
from app.models import AuditEvent

PAGE_SIZE = 50


def _fields(actor: str, action: str, target_type: str, target_id: Any, details: dict[str, Any]) -> dict[str, Any]:
    return {"actor": actor, "action": action, "target_type": target_type,
            "target_id": None if target_id is None else str(target_id), "details": details}


def record(actor: str, action: str, target_type: str, target_id: Any = None, **details: Any) -> AuditEvent:
    """Add an audit event to the current transaction; the calling service commits it with its change."""
    event = AuditEvent(**_fields(actor, action, target_type, target_id, details))
    db.session.add(event)
    return event


_INSERT = Prepared(sa.insert(AuditEvent),
                   column_keys=["at", "actor", "action", "target_type", "target_id", "details"])


def record_on(connection: RawConnection, at: dt.datetime, actor: str, action: str, target_type: str,
              target_id: Any = None, **details: Any) -> None:
    """The same event on a prepared-statement connection's transaction, for the hot paths below the ORM session."""
    _INSERT.run(connection, at=at, **_fields(actor, action, target_type, target_id, details))


def events(actor: str | None, action: str | None, start: dt.datetime | None, end: dt.datetime | None,
           page: int, after: str | None = None) -> Page[AuditEvent]:
    """The log, newest first, filtered by actor, action (prefix, e.g. `entry.`) and time; page `page` or the page
    below `after`."""
    query = sa.select(AuditEvent)
    if actor:
        query = query.where(AuditEvent.actor == actor)
    if action:
        query = query.where(AuditEvent.action.startswith(action))
    if start:
        query = query.where(AuditEvent.at >= start)
    if end:
        query = query.where(AuditEvent.at < end)
    return keyset_page(query, AuditEvent.at, AuditEvent.id, PAGE_SIZE, page, after)
