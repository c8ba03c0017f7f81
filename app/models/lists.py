"""The list library (名单库): departments, list categories, subjects, their entries and dishonesty records."""
import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db.types import JSONType, Timestamp, one_of
from app.domain.dates import utcnow
from app.domain.identity import SUBJECT_KINDS
from app.domain.lists import STORED_ENTRY_STATES
from app.extensions import Model


class Department(Model):
    """A reporting or lead department (报送单位 / 牵头单位)."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))


class ListCategory(Model):
    """A list category (名单类别): one department, one subject kind."""

    __tablename__ = "list_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(16))
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id"))

    department: Mapped[Department] = relationship(lazy="joined")

    __table_args__ = (one_of("kind", SUBJECT_KINDS, "kind"),)


class Subject(Model):
    """A person or enterprise; a person's ID number is kept only as a keyed hash and a masked form."""

    __tablename__ = "subjects"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    name: Mapped[str] = mapped_column(sa.String(200))
    id_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    id_masked: Mapped[str] = mapped_column(sa.String(18))
    # An enterprise's unified social credit code is public registration data, published on the 公示 in full; a
    # person's number never is. Enterprises listed before it was kept get it at their next import.
    credit_code: Mapped[str | None] = mapped_column(sa.String(18))
    grade: Mapped[str | None] = mapped_column(sa.String(3))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)

    entries: Mapped[list["ListEntry"]] = relationship(back_populates="subject", order_by="ListEntry.id")
    dishonesty_records: Mapped[list["DishonestyRecord"]] = relationship(
        back_populates="subject", order_by="DishonestyRecord.recorded_on")

    __table_args__ = (one_of("kind", SUBJECT_KINDS, "kind"),
                      sa.CheckConstraint("kind = 'enterprise' OR credit_code IS NULL", name="credit_code_enterprise"))


class ImportBatch(Model):
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


class ListEntry(Model):
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
        one_of("status", STORED_ENTRY_STATES, "status"),
    )


class DishonestyRecord(Model):
    """A serious dishonesty record (严重失信), lifted by credit repair (repaired_on) or an upheld objection.

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
