"""Partner units (实施单位) and the incentive measures (激励措施) they honour."""
import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db.types import JSONType, Timestamp, one_of
from app.domain.dates import utcnow
from app.domain.measures import CHANGE_REQUESTED, CHANGE_STATUS_NAMES, MEASURE_STATES
from app.extensions import Model
from app.models.lists import Department


class Venue(Model):
    """A partner unit where measures are honoured (实施单位): bus company, library, hospital …"""

    __tablename__ = "venues"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    scenario: Mapped[str] = mapped_column(sa.String(20))
    address: Mapped[str] = mapped_column(sa.String(255), default="")
    active: Mapped[bool] = mapped_column(default=True)


class Measure(Model):
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

    __table_args__ = (one_of("status", MEASURE_STATES, "status"),)




class MeasureChange(Model):
    """A partner unit's request to change one of its published measures: waits for the credit office's decision."""

    __tablename__ = "measure_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(sa.ForeignKey("measures.id"), index=True)
    terms: Mapped[dict[str, Any]] = mapped_column(JSONType)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    requested_by: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    requested_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    status: Mapped[str] = mapped_column(sa.String(16), default=CHANGE_REQUESTED, index=True)
    decided_by: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    decision_reason: Mapped[str | None] = mapped_column(sa.Text)

    measure: Mapped[Measure] = relationship(lazy="joined")

    __table_args__ = (one_of("status", CHANGE_STATUS_NAMES, "status"),)
