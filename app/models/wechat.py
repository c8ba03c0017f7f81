"""WeChat accounts bound to subjects for the mini-program's one-tap sign-in: the openid only as a keyed hash."""
import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.db.types import Timestamp
from app.extensions import Model


class WechatBinding(Model):
    """One WeChat account (its openid under the ID hash key) and the subject it signs in as; a subject may have
    several (an enterprise's representatives), an account one subject."""

    __tablename__ = "wechat_bindings"

    id: Mapped[int] = mapped_column(primary_key=True)
    openid_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    subject_id: Mapped[int] = mapped_column(sa.ForeignKey("subjects.id"), index=True)
    bound_at: Mapped[dt.datetime] = mapped_column(Timestamp)
    # The last real-name proof behind this binding: one-tap sign-ins stop when it is older than a citizen session's
    # absolute lifetime, as every other sign-in proves the identity again each quarter.
    proved_at: Mapped[dt.datetime] = mapped_column(Timestamp)
    last_used_at: Mapped[dt.datetime] = mapped_column(Timestamp)
