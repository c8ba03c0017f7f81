"""Daily roll-ups of the scan log: what the statistics read for closed Beijing days, kept when the rows are purged."""
import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.db.types import Timestamp
from app.domain.dates import utcnow
from app.extensions import Model


class RolledDay(Model):
    """A closed Beijing day whose counts are in the roll-ups; `purged` once its attempts and redemptions are gone."""

    __tablename__ = "rolled_days"

    day: Mapped[dt.date] = mapped_column(primary_key=True, autoincrement=False)
    # Distinct subjects served that day at any venue: what the statistics count for a day whose rows are purged.
    citizens: Mapped[int] = mapped_column(default=0)
    purged: Mapped[bool] = mapped_column(default=False)
    rolled_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class DailyAttempts(Model):
    """Scan attempts of one day at one venue with one outcome (reason NULL: granted)."""

    __tablename__ = "daily_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(sa.ForeignKey("rolled_days.day"))
    venue_id: Mapped[int] = mapped_column(sa.ForeignKey("venues.id"))
    reason: Mapped[str | None] = mapped_column(sa.String(40))
    attempts: Mapped[int]
    refusals: Mapped[int]

    __table_args__ = (sa.Index("ix_daily_attempts_day_venue", "day", "venue_id"),)


class DailyRedemptions(Model):
    """Redemptions of one measure on one day at one venue."""

    __tablename__ = "daily_redemptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(sa.ForeignKey("rolled_days.day"))
    venue_id: Mapped[int] = mapped_column(sa.ForeignKey("venues.id"))
    measure_id: Mapped[int] = mapped_column(sa.ForeignKey("measures.id"))
    redemptions: Mapped[int]

    __table_args__ = (sa.Index("ix_daily_redemptions_day_venue", "day", "venue_id"),)


class DailyVenueCitizens(Model):
    """Distinct subjects served on one day at one venue: their ids, so that distinct citizens over any range are a
    union of small sets instead of a sort of every redemption; only the count once the day is purged."""

    __tablename__ = "daily_venue_citizens"

    day: Mapped[dt.date] = mapped_column(sa.ForeignKey("rolled_days.day"), primary_key=True)
    venue_id: Mapped[int] = mapped_column(sa.ForeignKey("venues.id"), primary_key=True)
    citizens: Mapped[int]
    # The subject ids, ascending, as unsigned 32-bit integers (array "I"); NULL once the day is purged.
    subjects: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
