"""Typed SQLAlchemy models: subjects, the list library, measures, venues, accounts and the audit log."""
import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db_types import UTCDateTime
from app.extensions import db


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


Timestamp = UTCDateTime()
JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

PERSON, ENTERPRISE = "person", "enterprise"
SUBJECT_KINDS = (PERSON, ENTERPRISE)


class Department(db.Model):
    """A reporting or lead department (报送单位 / 牵头单位)."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))


class ListCategory(db.Model):
    """A list category (名单类别): one department, one subject kind."""

    __tablename__ = "list_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(16))
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id"))

    department: Mapped[Department] = relationship(lazy="joined")

    __table_args__ = (sa.CheckConstraint("kind IN ('person', 'enterprise')", name="kind"),)


class Subject(db.Model):
    """A person or enterprise; the ID number is kept only as a keyed hash and a masked form."""

    __tablename__ = "subjects"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    name: Mapped[str] = mapped_column(sa.String(200))
    id_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    id_masked: Mapped[str] = mapped_column(sa.String(18))
    grade: Mapped[str | None] = mapped_column(sa.String(3))
    qr_ref: Mapped[str] = mapped_column(sa.String(8), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)

    entries: Mapped[list["ListEntry"]] = relationship(back_populates="subject", order_by="ListEntry.id")
    dishonesty_records: Mapped[list["DishonestyRecord"]] = relationship(
        back_populates="subject", order_by="DishonestyRecord.recorded_on")

    __table_args__ = (sa.CheckConstraint("kind IN ('person', 'enterprise')", name="kind"),)


class ImportBatch(db.Model):
    """One accepted upload of a list or dishonesty file, with its report."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    filename: Mapped[str] = mapped_column(sa.String(255))
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    actor: Mapped[str] = mapped_column(sa.String(80))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    rows_total: Mapped[int] = mapped_column(default=0)
    rows_created: Mapped[int] = mapped_column(default=0)
    rows_updated: Mapped[int] = mapped_column(default=0)
    rows_unchanged: Mapped[int] = mapped_column(default=0)
    rows_refused: Mapped[int] = mapped_column(default=0)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)


class ListEntry(db.Model):
    """A subject's place on one list category from a recognition date; stored status is active, suspended or revoked."""

    __tablename__ = "list_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(sa.ForeignKey("subjects.id"), index=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("list_categories.id"))
    recognized_on: Mapped[dt.date]
    expires_on: Mapped[dt.date]
    status: Mapped[str] = mapped_column(sa.String(16), default="active")
    status_reason: Mapped[str | None] = mapped_column(sa.Text)
    # The dishonesty record a suspension rests on: what an upheld "wrongly suspended" objection withdraws.
    suspended_by_record_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("dishonesty_records.id", use_alter=True))
    batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("import_batches.id"))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)

    subject: Mapped[Subject] = relationship(back_populates="entries")
    category: Mapped[ListCategory] = relationship(lazy="joined")
    suspended_by: Mapped["DishonestyRecord | None"] = relationship(foreign_keys=[suspended_by_record_id])

    __table_args__ = (
        sa.UniqueConstraint("subject_id", "category_id", "recognized_on"),
        sa.CheckConstraint("status IN ('active', 'suspended', 'revoked')", name="status"),
    )


class DishonestyRecord(db.Model):
    """A serious dishonesty record (严重失信); credit repair (信用修复) sets repaired_on, an upheld objection withdrawn_on.

    Neither deletes it: a lifted record stays on file with why it stopped counting.
    """

    __tablename__ = "dishonesty_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(sa.ForeignKey("subjects.id"), index=True)
    recorded_on: Mapped[dt.date]
    authority: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    repaired_on: Mapped[dt.date | None]
    repair_reason: Mapped[str | None] = mapped_column(sa.Text)
    withdrawn_on: Mapped[dt.date | None]
    withdrawn_by_objection_id: Mapped[int | None] = mapped_column(sa.ForeignKey("objections.id", use_alter=True))
    batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("import_batches.id"))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)

    subject: Mapped[Subject] = relationship(back_populates="dishonesty_records")

    @property
    def lifted(self) -> bool:
        """Repaired or withdrawn: kept on file, blocking nothing."""
        return self.repaired_on is not None or self.withdrawn_on is not None

    __table_args__ = (sa.UniqueConstraint("subject_id", "recorded_on", "authority"),)


class Venue(db.Model):
    """A partner unit where measures are honoured (实施单位): bus company, library, hospital …"""

    __tablename__ = "venues"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    scenario: Mapped[str] = mapped_column(sa.String(20))
    address: Mapped[str] = mapped_column(sa.String(255), default="")
    active: Mapped[bool] = mapped_column(default=True)


class Measure(db.Model):
    """An incentive measure (激励措施) with a structured, possibly grade-tiered benefit."""

    __tablename__ = "measures"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    scenario: Mapped[str] = mapped_column(sa.String(20), index=True)
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("venues.id"), index=True)
    lead_department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("departments.id"))
    kinds: Mapped[list[str]] = mapped_column(JSONType)
    category_codes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    min_grade: Mapped[str | None] = mapped_column(sa.String(3))
    benefit: Mapped[dict[str, Any]] = mapped_column(JSONType)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    valid_from: Mapped[dt.date]
    valid_to: Mapped[dt.date | None]
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    withdrawn_on: Mapped[dt.date | None]
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)

    provider: Mapped[Venue] = relationship(lazy="joined")
    lead_department: Mapped[Department | None] = relationship(lazy="joined")

    __table_args__ = (sa.CheckConstraint("status IN ('pending', 'published', 'withdrawn')", name="status"),)


ROLES = ("admin", "reviewer", "reporter", "staff")


class Account(db.Model):
    """A staff member of a venue, a department reporter, a reviewer or an administrator."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(16))
    display_name: Mapped[str] = mapped_column(sa.String(120), default="")
    venue_id: Mapped[int | None] = mapped_column(sa.ForeignKey("venues.id"))
    department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("departments.id"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)

    venue: Mapped[Venue | None] = relationship(lazy="joined")
    department: Mapped[Department | None] = relationship(lazy="joined")

    __table_args__ = (
        sa.CheckConstraint("role IN ('admin', 'reviewer', 'reporter', 'staff')", name="role"),
        sa.CheckConstraint("role != 'staff' OR venue_id IS NOT NULL", name="staff_has_venue"),
        sa.CheckConstraint("role != 'reporter' OR department_id IS NOT NULL", name="reporter_has_department"),
    )


class AuditEvent(db.Model):
    """An append-only record of who changed what and when; database triggers refuse updates and deletes."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(sa.String(80), index=True)
    action: Mapped[str] = mapped_column(sa.String(60), index=True)
    target_type: Mapped[str] = mapped_column(sa.String(40))
    target_id: Mapped[str | None] = mapped_column(sa.String(40))
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


AUDIENCES = ("citizen", "staff", "admin")


class AccessToken(db.Model):
    """A server-side bearer token: only its hash is stored, so a leaked database cannot be replayed."""

    __tablename__ = "access_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    audience: Mapped[str] = mapped_column(sa.String(16))
    subject_id: Mapped[int | None] = mapped_column(sa.ForeignKey("subjects.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    last_used_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(Timestamp)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)

    __table_args__ = (
        sa.CheckConstraint("audience IN ('citizen', 'staff', 'admin')", name="audience"),
        sa.CheckConstraint("(audience = 'citizen') = (subject_id IS NOT NULL)", name="citizen_has_subject"),
        sa.CheckConstraint("(audience = 'citizen') != (account_id IS NOT NULL)", name="one_principal"),
    )


class ScanAttempt(db.Model):
    """Every verify or redeem at a counter, granted or refused, with who, where, when and why."""

    __tablename__ = "scan_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(sa.String(8))
    venue_id: Mapped[int] = mapped_column(sa.ForeignKey("venues.id"), index=True)
    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    device: Mapped[str] = mapped_column(sa.String(80), default="")
    subject_id: Mapped[int | None] = mapped_column(sa.ForeignKey("subjects.id"), index=True)
    measure_id: Mapped[int | None] = mapped_column(sa.ForeignKey("measures.id"))
    token_key: Mapped[str | None] = mapped_column(sa.String(24))
    valid: Mapped[bool]
    reason: Mapped[str | None] = mapped_column(sa.String(40))
    # Set when an upheld objection finds this refusal was wrong.
    overturned_by_objection_id: Mapped[int | None] = mapped_column(sa.ForeignKey("objections.id", use_alter=True))
    at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow, index=True)

    venue: Mapped[Venue] = relationship(lazy="joined")
    subject: Mapped[Subject | None] = relationship()

    __table_args__ = (sa.CheckConstraint("action IN ('verify', 'redeem')", name="action"),)


class Redemption(db.Model):
    """One incentive honoured; a QR code (token_key) can be redeemed once, enforced by a unique constraint."""

    __tablename__ = "redemptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_key: Mapped[str] = mapped_column(sa.String(24), unique=True)
    idempotency_key: Mapped[str] = mapped_column(sa.String(80))
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("scan_attempts.id"))
    subject_id: Mapped[int] = mapped_column(sa.ForeignKey("subjects.id"), index=True)
    measure_id: Mapped[int] = mapped_column(sa.ForeignKey("measures.id"))
    venue_id: Mapped[int] = mapped_column(sa.ForeignKey("venues.id"), index=True)
    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    benefit: Mapped[dict[str, Any]] = mapped_column(JSONType)
    redeemed_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow, index=True)

    attempt: Mapped[ScanAttempt] = relationship()
    measure: Mapped[Measure] = relationship(lazy="joined")
    venue: Mapped[Venue] = relationship(lazy="joined")

    __table_args__ = (sa.UniqueConstraint("staff_id", "idempotency_key"),)


OBJECTION_TYPES = ("not_listed", "wrong_entry", "wrongly_suspended", "scan_refused", "other")
OPEN_OBJECTION = ("submitted", "under_review")


class Objection(db.Model):
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
        sa.CheckConstraint("type IN ('not_listed', 'wrong_entry', 'wrongly_suspended', 'scan_refused', 'other')",
                           name="type"),
        sa.CheckConstraint("status IN ('submitted', 'under_review', 'upheld', 'rejected', 'closed')", name="status"),
    )


class Complaint(db.Model):
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
        sa.CheckConstraint("kind IN ('complaint', 'suggestion')", name="kind"),
        sa.CheckConstraint("status IN ('submitted', 'assigned', 'replied', 'closed')", name="status"),
        sa.CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating"),
    )


class CaseEvent(db.Model):
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


class Evidence(db.Model):
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


class Message(db.Model):
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
