"""Objections and complaints, their history, evidence files, and the citizen's inbox."""
import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db.types import Timestamp, one_of
from app.domain.cases import COMPLAINT_KINDS, COMPLAINT_STATES, OBJECTION_STATES, OBJECTION_TYPES
from app.domain.dates import utcnow
from app.extensions import Model
from app.models.accounts import Account
from app.models.catalogue import Measure, Venue
from app.models.lists import ListEntry, Subject
from app.models.scanning import ScanAttempt


class Objection(Model):
    """A citizen's objection to their list status (名单异议); decided within working-day deadlines."""

    __tablename__ = "objections"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(sa.ForeignKey("subjects.id"), index=True)
    type: Mapped[str] = mapped_column(sa.String(20))
    entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("list_entries.id"), index=True)
    attempt_id: Mapped[int | None] = mapped_column(sa.ForeignKey("scan_attempts.id"))
    statement: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(16), default="submitted", index=True)
    decision_reason: Mapped[str | None] = mapped_column(sa.Text)
    decided_by: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    due_at: Mapped[dt.datetime] = mapped_column(Timestamp, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)

    subject: Mapped[Subject] = relationship()
    entry: Mapped[ListEntry | None] = relationship()
    attempt: Mapped[ScanAttempt | None] = relationship(foreign_keys=[attempt_id])

    __table_args__ = (
        one_of("type", OBJECTION_TYPES, "type"),
        one_of("status", OBJECTION_STATES, "status"),
    )


class Complaint(Model):
    """A complaint or suggestion (投诉建议) about how an incentive was honoured; replied within working days."""

    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(sa.ForeignKey("subjects.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(12))
    content: Mapped[str] = mapped_column(sa.Text)
    venue_id: Mapped[int | None] = mapped_column(sa.ForeignKey("venues.id"))
    measure_id: Mapped[int | None] = mapped_column(sa.ForeignKey("measures.id"))
    redemption_id: Mapped[int | None] = mapped_column(sa.ForeignKey("redemptions.id"))
    status: Mapped[str] = mapped_column(sa.String(16), default="submitted", index=True)
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    reply: Mapped[str | None] = mapped_column(sa.Text)
    replied_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    rating: Mapped[int | None]
    rating_comment: Mapped[str | None] = mapped_column(sa.Text)
    due_at: Mapped[dt.datetime] = mapped_column(Timestamp, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)

    subject: Mapped[Subject] = relationship()
    venue: Mapped[Venue | None] = relationship()
    measure: Mapped[Measure | None] = relationship()
    assignee: Mapped[Account | None] = relationship()

    __table_args__ = (
        one_of("kind", COMPLAINT_KINDS, "kind"),
        one_of("status", COMPLAINT_STATES, "status"),
        sa.CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating"),
    )


class CaseEvent(Model):
    """One step in the history of an objection or complaint: who moved it, from what to what, and when."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_type: Mapped[str] = mapped_column(sa.String(12))
    case_id: Mapped[int]
    from_status: Mapped[str | None] = mapped_column(sa.String(16))
    to_status: Mapped[str] = mapped_column(sa.String(16))
    actor: Mapped[str] = mapped_column(sa.String(80))
    note: Mapped[str | None] = mapped_column(sa.Text)
    at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)

    __table_args__ = (sa.Index("ix_case_events_case", "case_type", "case_id"),)


class Evidence(Model):
    """An uploaded file (JPEG, PNG or PDF, metadata stripped) stored outside the web root under a generated name."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_type: Mapped[str] = mapped_column(sa.String(12))
    case_id: Mapped[int]
    stored_name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    original_name: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(40))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)

    __table_args__ = (sa.Index("ix_evidence_case", "case_type", "case_id"),)


class Message(Model):
    """A notice in a citizen's inbox, left by every state change of their cases."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(sa.ForeignKey("subjects.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    case_type: Mapped[str | None] = mapped_column(sa.String(12))
    case_id: Mapped[int | None]
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
