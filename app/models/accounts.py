"""Accounts of staff, reporters, reviewers and administrators, and server-side access tokens."""
import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db.types import Timestamp, one_of
from app.domain.dates import utcnow
from app.domain.roles import AUDIENCES, ROLES
from app.domain.signins import DEVICE_LENGTH, ENDED_BY
from app.extensions import Model
from app.models.catalogue import Venue
from app.models.lists import Department


class Account(Model):
    """Counter staff or a manager of a venue, a department reporter, a reviewer or an administrator."""

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
    # Wrong passwords in a row, whatever address they came from; reaching ACCOUNT_LOCK_FAILURES locks password
    # logins until `locked_until` (app.services.sessions.login_account) and starts the count again.
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[dt.datetime | None] = mapped_column(Timestamp)

    venue: Mapped[Venue | None] = relationship(lazy="joined")
    department: Mapped[Department | None] = relationship(lazy="joined")

    __table_args__ = (
        one_of("role", ROLES, "role"),
        sa.CheckConstraint("role NOT IN ('staff', 'manager') OR venue_id IS NOT NULL", name="staff_has_venue"),
        sa.CheckConstraint("role != 'reporter' OR department_id IS NOT NULL", name="reporter_has_department"),
        sa.CheckConstraint("failed_logins >= 0", name="failed_logins_not_negative"),
    )


class AccessToken(Model):
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
    # Why it was revoked, so a page can say so in words: signed out here, from another device, or by the office.
    ended_by: Mapped[str | None] = mapped_column(sa.String(16))
    # A citizen's device in plain words (app.domain.signins), to tell their sessions apart; never the User-Agent.
    device: Mapped[str | None] = mapped_column(sa.String(DEVICE_LENGTH))

    __table_args__ = (
        one_of("audience", AUDIENCES, "audience"),
        one_of("ended_by", ENDED_BY, "ended_by"),
        sa.CheckConstraint("(audience = 'citizen') = (subject_id IS NOT NULL)", name="citizen_has_subject"),
        sa.CheckConstraint("(audience = 'citizen') != (account_id IS NOT NULL)", name="one_principal"),
    )
