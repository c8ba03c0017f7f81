"""Retention: `flask purge --before DATE` removes the scan log of earlier days, a dry run unless told --yes, audited,
and every statistic of those days survives."""
import dataclasses
import datetime as dt

import pytest
import sqlalchemy as sa

from app.domain.dates import utcnow
from app.errors import DomainError
from app.extensions import db
from app.models import AuditEvent, DailyRedemptions, DailyVenueCitizens, Redemption, ScanAttempt
from app.services import retention, rollups, stats
from tests.test_stats import counter  # noqa: F401 - the fixture

START, END = dt.date(2026, 11, 9), dt.date(2026, 11, 13)


def figures(venue_id=None):
    return (stats.totals(START, END, venue_id), stats.redemptions_by_day(START, END, venue_id),
            stats.by_measure(START, END, venue_id), stats.refusals_by_reason(START, END, venue_id),
            None if venue_id else stats.by_venue(START, END))


def rows() -> tuple[int, int]:
    return (db.session.scalar(sa.select(sa.func.count()).select_from(ScanAttempt)),
            db.session.scalar(sa.select(sa.func.count()).select_from(Redemption)))


def test_a_dry_run_counts_and_changes_nothing(counter):  # noqa: F811
    report = retention.purge(dt.date(2026, 11, 12), "cli", utcnow())
    assert (report.attempts, report.redemptions, report.executed) == (8, 4, False)
    assert rows() == (9, 4)
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "retention.purge")) == 0


def test_purging_keeps_every_statistic_and_the_later_days(counter):  # noqa: F811
    bus = counter.venues["BUS"].id
    before, before_bus = figures(), figures(bus)
    report = retention.purge(dt.date(2026, 11, 12), "cli", utcnow(), execute=True)
    assert (report.attempts, report.redemptions, report.executed) == (8, 4, True)
    assert rows() == (1, 0)  # the Nov 13 refusal is kept
    kept_ids = sa.select(sa.func.count()).where(DailyVenueCitizens.subjects.is_not(None))
    assert db.session.scalar(kept_ids) == 0  # the roll-ups of purged days keep counts, not who was served
    after, after_bus = figures(), figures(bus)
    assert after[1:4] == before[1:4] and after_bus[1:4] == before_bus[1:4]
    # Purged days keep each day's distinct citizens: 王, served on Nov 10 and 11, now counts once per day.
    assert after[0] == dataclasses.replace(before[0], citizens=3)
    assert after_bus[0] == dataclasses.replace(before_bus[0], citizens=3)
    assert after[4] == [dataclasses.replace(before[4][0], citizens=3), *before[4][1:]]
    assert stats.totals(dt.date(2026, 11, 11), dt.date(2026, 11, 11)).citizens == 2
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "retention.purge"))
    assert event.actor == "cli" and event.details == {"before": "2026-11-12", "attempts": 8, "redemptions": 4,
                                                      "days": 2}
    again = retention.purge(dt.date(2026, 11, 12), "cli", utcnow(), execute=True)
    assert (again.attempts, again.redemptions, again.days) == (0, 0, 0)
    assert figures()[1:4] == before[1:4]


def test_only_closed_days_can_be_purged(app):
    tomorrow = (utcnow() + dt.timedelta(days=2)).date()
    with pytest.raises(DomainError) as refused:
        retention.purge(tomorrow, "cli", utcnow(), execute=True)
    assert refused.value.code == "purge_too_recent"


def test_the_command_is_a_dry_run_without_yes(app, counter):  # noqa: F811
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["purge", "--before", "2026-11-12"])
    assert dry.exit_code == 0 and "试运行" in dry.output and "扫码 8 条，核销 4 条" in dry.output
    assert rows() == (9, 4)
    done = runner.invoke(args=["purge", "--before", "2026-11-12", "--yes"])
    assert done.exit_code == 0 and "已清除 2026-11-12 之前" in done.output
    db.session.expire_all()
    assert rows() == (1, 0)
    default = runner.invoke(args=["purge"])
    assert default.exit_code == 0 and f"{retention.default_before(dt.date.today(), 2).year}" in default.output
    assert runner.invoke(args=["purge", "--before", "2999-01-01", "--yes"]).exit_code == 1


def test_the_rollup_command_rolls_up_the_closed_days(app, counter):  # noqa: F811
    done = app.test_cli_runner().invoke(args=["rollup"])
    assert done.exit_code == 0 and str(rollups.last_closed_day(utcnow())) in done.output
    assert db.session.scalar(sa.select(sa.func.sum(DailyRedemptions.redemptions))) == 4
