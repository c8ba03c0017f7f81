"""Batches of identity codes (docs/offline-codes.md): the subject a batch tag stands for, and until when."""
import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.db.types import Timestamp, one_of
from app.extensions import Model

ONLINE, OFFLINE = "online", "offline"
BATCH_KINDS = (ONLINE, OFFLINE)
TAG_LENGTH = 16  # 8 random bytes as lower-case hex digits


class CodeBatch(Model):
    """One batch of codes: `online` serves the single-code endpoints through a Beijing day, `offline` is what
    /me/codes handed a phone; only this table links a batch tag to a subject."""

    __tablename__ = "code_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    tag: Mapped[str] = mapped_column(sa.String(TAG_LENGTH), unique=True)
    subject_id: Mapped[int] = mapped_column(sa.ForeignKey("subjects.id"))
    kind: Mapped[str] = mapped_column(sa.String(8))
    issued_at: Mapped[dt.datetime] = mapped_column(Timestamp)
    valid_until: Mapped[dt.datetime] = mapped_column(Timestamp)

    # The deny-list reads the live batches (valid_until); issuing finds a subject's live online batch.
    __table_args__ = (one_of("kind", BATCH_KINDS, "kind"),
                      sa.Index("ix_code_batches_valid_until", "valid_until"),
                      sa.Index("ix_code_batches_subject_live", "subject_id", "kind", "valid_until"))
