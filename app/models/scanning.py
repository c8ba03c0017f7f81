"""Counter scans: every attempt, and the redemptions that single-use codes allow."""
import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db.types import JSONType, Timestamp, one_of
from app.domain.dates import utcnow
from app.extensions import Model
from app.models.accounts import Account
from app.models.catalogue import Measure, Venue
from app.models.lists import Subject

SCAN_ACTIONS = ("verify", "redeem")
DEVICE_LENGTH = 80
IDEMPOTENCY_KEY_LENGTH = (8, 80)
# An offline redemption of a code another counter redeemed earlier (app.services.offline).
DUPLICATE_OFFLINE = "duplicate_offline"
DUPLICATE = sa.text(f"reason = '{DUPLICATE_OFFLINE}'")

class ScanAttempt(Model):
    """Every verify or redeem at a counter, granted or refused, with who, where, when and why."""

    __tablename__ = "scan_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(sa.String(8))
    venue_id: Mapped[int] = mapped_column(sa.ForeignKey("venues.id"))
    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    device: Mapped[str] = mapped_column(sa.String(DEVICE_LENGTH), default="")
    subject_id: Mapped[int | None] = mapped_column(sa.ForeignKey("subjects.id"))
    measure_id: Mapped[int | None] = mapped_column(sa.ForeignKey("measures.id"))
    token_key: Mapped[str | None] = mapped_column(sa.String(24))
    valid: Mapped[bool]
    reason: Mapped[str | None] = mapped_column(sa.String(40))
    # Decided at a counter without the network and uploaded later (POST /scan/offline): `at` is when the counter
    # decided it, and the counter's key for the item makes a repeated upload change nothing.
    offline: Mapped[bool] = mapped_column(server_default=sa.false())
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(IDEMPOTENCY_KEY_LENGTH[1]))
    # Set when an upheld objection finds this refusal was wrong.
    overturned_by_objection_id: Mapped[int | None] = mapped_column(sa.ForeignKey("objections.id", use_alter=True))
    at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow, index=True)

    venue: Mapped[Venue] = relationship(lazy="joined")
    subject: Mapped[Subject | None] = relationship()
    measure: Mapped[Measure | None] = relationship()
    staff: Mapped[Account] = relationship()

    # One index per list paged through, newest first (venue history, a subject's attempts), and the token's key for
    # the offline-grace lookup; `at` alone serves the statistics of days not yet rolled up and the purge; the few
    # duplicates of offline redemptions by time, for the dashboards.
    __table_args__ = (one_of("action", SCAN_ACTIONS, "action"),
                      sa.UniqueConstraint("staff_id", "idempotency_key"),
                      sa.Index("ix_scan_attempts_venue_at", "venue_id", "at", "id"),
                      sa.Index("ix_scan_attempts_subject_at", "subject_id", "at", "id"),
                      sa.Index("ix_scan_attempts_token_key", "token_key"),
                      sa.Index("ix_scan_attempts_duplicate_at", "at", sqlite_where=DUPLICATE,
                               postgresql_where=DUPLICATE))


class Redemption(Model):
    """One incentive honoured; a QR code (token_key) can be redeemed once, enforced by a unique constraint."""

    __tablename__ = "redemptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_key: Mapped[str] = mapped_column(sa.String(24), unique=True)
    idempotency_key: Mapped[str] = mapped_column(sa.String(IDEMPOTENCY_KEY_LENGTH[1]))
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("scan_attempts.id"), index=True)
    subject_id: Mapped[int] = mapped_column(sa.ForeignKey("subjects.id"))
    measure_id: Mapped[int] = mapped_column(sa.ForeignKey("measures.id"))
    venue_id: Mapped[int] = mapped_column(sa.ForeignKey("venues.id"))
    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    benefit: Mapped[dict[str, Any]] = mapped_column(JSONType)
    redeemed_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)

    attempt: Mapped[ScanAttempt] = relationship()
    measure: Mapped[Measure] = relationship(lazy="joined")
    venue: Mapped[Venue] = relationship(lazy="joined")

    # A citizen's history newest first; the statistics and export by time, overall and per venue, covering whom they
    # served (distinct citizens are counted from the index alone).
    __table_args__ = (sa.UniqueConstraint("staff_id", "idempotency_key"),
                      sa.Index("ix_redemptions_at", "redeemed_at", "venue_id", "subject_id"),
                      sa.Index("ix_redemptions_subject_at", "subject_id", "redeemed_at", "id"),
                      sa.Index("ix_redemptions_venue_at", "venue_id", "redeemed_at", "subject_id"))
