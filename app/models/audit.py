"""The append-only audit log: database triggers refuse updates and deletes."""
import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.db.types import JSONType, Timestamp
from app.domain.dates import utcnow
from app.extensions import Model


class AuditEvent(Model):
    """An append-only record of who changed what and when; database triggers refuse updates and deletes."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(sa.String(80), index=True)
    action: Mapped[str] = mapped_column(sa.String(60), index=True)
    target_type: Mapped[str] = mapped_column(sa.String(40))
    target_id: Mapped[str | None] = mapped_column(sa.String(40))
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
