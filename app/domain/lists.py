"""List rules (SPEC §2): validity, what a reader sees of an entry today, and why a subject may not use incentives."""
import datetime as dt
from collections.abc import Iterable
from typing import Protocol

from app.domain.dates import add_years

LISTING_VALIDITY_YEARS = 2
DISHONESTY_EXCLUSION_YEARS = 3

ACTIVE, EXPIRED, SUSPENDED, REVOKED = "active", "expired", "suspended", "revoked"
UNDER_OBJECTION = "under_objection"
STORED_ENTRY_STATES = (ACTIVE, SUSPENDED, REVOKED)
ENTRY_STATUS_NAMES = {ACTIVE: "有效", EXPIRED: "已过期", SUSPENDED: "已暂停", REVOKED: "已撤销",
                      UNDER_OBJECTION: "异议处理中"}
# The person categories (Yangjiang annex codes) that are honours conferred in public — 道德模范, 劳动模范, 五四奖章 and
# 优秀青年志愿者, 三八红旗手, 模范教师, 梁思成建筑奖 …: the 公示 names their holders (masked) with the honour. Not P01
# (medical staff sent to Hubei: a roster of a posting, not a title) nor P04 (police, some of whom serve unnamed for
# their safety): those are published as counts only, like every category not listed here.
HONOUR_CATEGORIES = frozenset({"P02", "P03", "P05", "P06", "P07", "P08", "P09", "P10", "P11"})


class EntryFacts(Protocol):
    status: str
    expires_on: dt.date


def listing_expiry(recognized_on: dt.date) -> dt.date:
    """Last valid day of an entry: two years from the recognition date, that date counted as the first day."""
    return add_years(recognized_on, LISTING_VALIDITY_YEARS) - dt.timedelta(days=1)


def entry_status(entry: EntryFacts, today: dt.date) -> str:
    """The status a reader should see today: stored revocation or suspension first, then expiry."""
    if entry.status in (REVOKED, SUSPENDED):
        return entry.status
    return EXPIRED if entry.expires_on < today else ACTIVE


def exclusion_start(today: dt.date) -> dt.date:
    """The earliest recording date of a dishonesty record that still excludes today (three years back)."""
    return add_years(today, -DISHONESTY_EXCLUSION_YEARS)


def refusal_of(blocked: bool, entries: Iterable[EntryFacts], today: dt.date) -> str | None:
    """Why a subject may not use incentives today (an API.md reason code), or None; the one place this is decided.

    `blocked`: a serious dishonesty record of the last three years, neither repaired nor withdrawn. A listed subject
    whom a record blocks is suspended (listing_suspended); excluded_dishonest is for one whom a record keeps off the
    list altogether.
    """
    statuses = {entry_status(entry, today) for entry in entries}
    if blocked:
        return "listing_suspended" if statuses & {ACTIVE, SUSPENDED} else "excluded_dishonest"
    if ACTIVE in statuses:
        return None
    if SUSPENDED in statuses:
        return "listing_suspended"
    if EXPIRED in statuses:
        return "listing_expired"
    return "not_listed"
