"""The counter bundle (docs/offline-codes.md, "The counter bundle"): everything a counter needs to decide on codes
without the network — keys, this venue's measures with the benefit per grade worked out, the deny-list — whole or as
the changes since an earlier version."""
import base64
import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app

from app.domain import codes
from app.domain.benefits import benefit_for
from app.domain.dates import LOCAL_TZ, local_date
from app.domain.grades import GRADES
from app.domain.lists import exclusion_start, refusal_of
from app.domain.measures import PUBLISHED
from app.errors import NotFound
from app.extensions import db
from app.models import CodeBatch, DishonestyRecord, ListCategory, ListEntry, Measure, Venue
from app.services import qrcodes, scanning
from app.services.dishonesty import blocking_exists
from app.services.lists import may_use_incentives

FORMAT = 1
# Seal keys sent: yesterday's (codes of a batch issued before midnight), today's and tomorrow's.
SEAL_DAYS = (-1, 0, 1)
# A delta goes back this much before `since`: a change may commit a little after its time was stamped, and app
# servers' clocks differ a little. Entries sent twice are harmless; one missed would not be.
DELTA_OVERLAP = dt.timedelta(minutes=5)
# The deny-list groups tags by reason and by the end of the hour their batch ends in.
UNTIL_STEP = 3600
# Decisions made offline are taken for upload up to the bundle's maximum age and this much more (a counter that
# decided on the last minute of its bundle and reaches the network the next day).
UPLOAD_SLACK = dt.timedelta(days=1)


@dataclass(frozen=True)
class DenyGroup:
    """Tags of live batches refused for one reason, each batch ending by `until`."""

    reason: str
    until: dt.datetime
    tags: list[str]


@dataclass(frozen=True)
class BundleMeasure:
    """One of the venue's measures as a counter looks it up: whom it serves and the benefit for each grade."""

    id: int
    code: str
    title: str
    kinds: list[str]
    category_ids: list[int]
    min_grade: str | None
    valid_from: dt.date
    valid_to: dt.date | None
    benefits: dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Bundle:
    version: int
    full: bool
    server_time: dt.datetime
    max_age_seconds: int
    ttl: int
    leeway: int
    venue: Venue
    signing_keys: list[dict[str, Any]]
    seal_keys: list[dict[str, Any]]
    measures: list[BundleMeasure]
    deny: list[DenyGroup]
    lifted: list[str]
    format: int = FORMAT


def max_age() -> int:
    """Seconds a bundle may be used for offline decisions (OFFLINE_BUNDLE_MAX_AGE)."""
    return int(current_app.config["OFFLINE_BUNDLE_MAX_AGE"])


def upload_horizon() -> dt.timedelta:
    """How long after a counter decided, its upload is still taken as decided then: the bundle's age plus a day."""
    return dt.timedelta(seconds=max_age()) + UPLOAD_SLACK


def version_of(now: dt.datetime) -> int:
    """A bundle's version: the server's clock in milliseconds (it only grows)."""
    return int(now.timestamp() * 1000)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def staff_venue(staff_id: int) -> Venue:
    venue = scanning.staff_account(staff_id).venue
    if venue is None:  # ruled out by the staff_has_venue CHECK
        raise NotFound("account_not_found", "账号不存在")
    return venue


def _keys(today: dt.date) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    signing = [{"key_id": key_id, "public_key": _b64(public)} for key_id, public in qrcodes.public_keys().items()]
    day = codes.day_number(today)
    return signing, [{"day": day + offset, "key": _b64(qrcodes.seal_key(day + offset))} for offset in SEAL_DAYS]


def _measures(venue_id: int, today: dt.date) -> list[BundleMeasure]:
    """The venue's published measures not yet ended, each with the benefit of every grade and of no grade."""
    measures = db.session.scalars(sa.select(Measure).where(
        Measure.provider_id == venue_id, Measure.status == PUBLISHED,
        sa.or_(Measure.valid_to.is_(None), Measure.valid_to >= today)).order_by(Measure.id)).all()
    codes_used = {code for measure in measures for code in measure.category_codes}
    category_ids = dict(db.session.execute(sa.select(ListCategory.code, ListCategory.id)
                                           .where(ListCategory.code.in_(codes_used))).all()) if codes_used else {}
    return [BundleMeasure(measure.id, measure.code, measure.title, list(measure.kinds),
                          sorted(category_ids[code] for code in measure.category_codes if code in category_ids),
                          measure.min_grade, measure.valid_from, measure.valid_to,
                          {grade or "": benefit_for(measure.benefit, grade) for grade in (None, *GRADES)})
                     for measure in measures]


def _changed_since(cut: dt.datetime) -> sa.ColumnElement[bool]:
    """Whether a batch's subject's entries or dishonesty records changed after `cut`."""
    return sa.or_(
        sa.exists().where(ListEntry.subject_id == CodeBatch.subject_id, ListEntry.updated_at > cut),
        sa.exists().where(DishonestyRecord.subject_id == CodeBatch.subject_id, DishonestyRecord.created_at > cut))


def _deny_rows(now: dt.datetime, today: dt.date, cut: dt.datetime | None) -> Sequence[sa.Row[*tuple[Any, ...]]]:
    """One statement over the live batches: those whose subject may not use incentives (all of them, or those issued
    or changed after `cut`) and, after `cut`, those whose subject changed and may again; one row per batch and entry,
    with the facts refusal_of reads."""
    since = exclusion_start(today)
    eligible = may_use_incentives(CodeBatch.subject_id, since, today)
    if cut is None:
        which = ~eligible
    else:
        changed = _changed_since(cut)
        which = sa.or_(sa.and_(~eligible, sa.or_(CodeBatch.issued_at > cut, changed)), sa.and_(eligible, changed))
    blocked = blocking_exists(CodeBatch.subject_id, since, today)
    if db.session.get_bind().dialect.name == "postgresql":
        # The correlated conditions lift PostgreSQL's cost estimate past jit_above_cost, and compiling the statement
        # would take ten times as long as running it (bench/README.md); only for this transaction.
        db.session.execute(sa.text("SET LOCAL jit = off"))
    entry = sa.orm.aliased(ListEntry)  # the rows' entries; the conditions' subqueries read list_entries of their own
    return db.session.execute(
        sa.select(CodeBatch.tag, CodeBatch.valid_until, eligible.label("eligible"), blocked.label("blocked"),
                  entry.status, entry.expires_on)
        .outerjoin(entry, entry.subject_id == CodeBatch.subject_id)
        .where(CodeBatch.valid_until > now, which)).all()


def _hour_end(moment: dt.datetime) -> dt.datetime:
    """The end of the hour a moment falls in (the moment itself on the hour), in Beijing time."""
    return dt.datetime.fromtimestamp(math.ceil(moment.timestamp() / UNTIL_STEP) * UNTIL_STEP, LOCAL_TZ)


def _deny_list(now: dt.datetime, today: dt.date, cut: dt.datetime | None) -> tuple[list[DenyGroup], list[str]]:
    """The deny-list grouped by reason and hour, and the tags lifted (only in a delta)."""
    batches: dict[str, tuple[dt.datetime, bool, bool, list[sa.Row[*tuple[Any, ...]]]]] = {}
    for row in _deny_rows(now, today, cut):
        batch = batches.setdefault(row.tag, (row.valid_until, bool(row.eligible), bool(row.blocked), []))
        if row.status is not None:
            batch[3].append(row)
    groups: dict[tuple[str, dt.datetime], list[str]] = {}
    lifted = []
    for tag, (valid_until, eligible, blocked, entries) in batches.items():
        reason = None if eligible else refusal_of(blocked, entries, today)
        if reason is None:
            lifted.append(tag)
        else:
            groups.setdefault((reason, _hour_end(valid_until)), []).append(tag)
    deny = [DenyGroup(reason, until, sorted(tags)) for (reason, until), tags in sorted(groups.items())]
    return deny, sorted(lifted)


def bundle(staff_id: int, now: dt.datetime, since: int | None = None) -> Bundle:
    """The bundle for the staff member's venue at `now`: whole, or the deny-list's changes since the version `since`
    when it can be served as a delta (not later than now, not older than the bundle's maximum age)."""
    venue = staff_venue(staff_id)
    today, version, age = local_date(now), version_of(now), max_age()
    full = since is None or since > version or version - since > age * 1000
    cut = None if full or since is None else dt.datetime.fromtimestamp(since / 1000, dt.UTC) - DELTA_OVERLAP
    signing, seal = _keys(today)
    deny, lifted = _deny_list(now, today, cut)
    return Bundle(version, full, now, age, qrcodes.ttl(), qrcodes.CLOCK_LEEWAY_SECONDS, venue, signing, seal,
                  _measures(venue.id, today), deny, lifted)
