"""Programme statistics through the service, on SQLite and PostgreSQL: Beijing days, venue scope, ordering."""
import datetime as dt

import pytest
import sqlalchemy as sa

from app.domain.dates import local_date, utcnow
from app.extensions import db
from app.models import Account, AuditEvent, DailyAttempts, DailyRedemptions, Measure, Redemption, ScanAttempt, Subject
from app.services import rollups, stats
from tests.helpers import race

UTC = dt.UTC
LAST_SECOND_OF_NOV_10 = dt.datetime(2026, 11, 10, 15, 59, 59, tzinfo=UTC)  # 23:59:59 in Beijing
FIRST_SECOND_OF_NOV_11 = dt.datetime(2026, 11, 10, 16, 0, 0, tzinfo=UTC)  # 00:00:00 in Beijing


class Counter:
    """Writes attempts and redemptions as the scan service would, at chosen instants."""

    def __init__(self, catalogue):
        self.venues = catalogue
        self.staff = {}
        self.subjects = []
        self.serial = 0

    def subject(self, name: str) -> Subject:
        self.serial += 1
        subject = Subject(kind="person", name=name, id_hash=f"{self.serial:064d}", id_masked="4417**********001X")
        db.session.add(subject)
        db.session.flush()
        return subject

    def staff_of(self, venue_code: str) -> Account:
        if venue_code not in self.staff:
            account = Account(username=f"s_{venue_code.lower()}", password_hash="x", role="staff",
                              venue_id=self.venues[venue_code].id)
            db.session.add(account)
            db.session.flush()
            self.staff[venue_code] = account
        return self.staff[venue_code]

    def attempt(self, venue_code: str, at: dt.datetime, reason: str | None = None, subject: Subject | None = None,
                measure: Measure | None = None) -> ScanAttempt:
        staff = self.staff_of(venue_code)
        attempt = ScanAttempt(action="redeem" if measure else "verify", venue_id=staff.venue_id, staff_id=staff.id,
                              subject_id=subject.id if subject else None, measure_id=measure.id if measure else None,
                              valid=reason is None, reason=reason, at=at)
        db.session.add(attempt)
        db.session.flush()
        return attempt

    def redeem(self, measure_code: str, subject: Subject, at: dt.datetime) -> Redemption:
        measure = db.session.scalar(sa.select(Measure).where(Measure.code == measure_code))
        venue_code = next(code for code, venue in self.venues.items() if venue.id == measure.provider_id)
        attempt = self.attempt(venue_code, at, subject=subject, measure=measure)
        self.serial += 1
        redemption = Redemption(token_key=f"t{self.serial}", idempotency_key=f"k{self.serial:08d}",
                                attempt_id=attempt.id, subject_id=subject.id, measure_id=measure.id,
                                venue_id=measure.provider_id, staff_id=attempt.staff_id,
                                benefit={"summary": "5折"}, redeemed_at=at)
        db.session.add(redemption)
        db.session.flush()
        return redemption


@pytest.fixture
def counter(catalogue):
    """Redemptions and refusals around Beijing midnight at the bus company and the library."""
    counter = Counter(catalogue)
    wang, li = counter.subject("王守信"), counter.subject("李诚")
    counter.redeem("XY-XING-01", wang, LAST_SECOND_OF_NOV_10)
    counter.redeem("XY-XING-01", wang, FIRST_SECOND_OF_NOV_11)
    counter.redeem("XY-XING-01", li, FIRST_SECOND_OF_NOV_11 + dt.timedelta(hours=3))
    counter.redeem("XY-YUE-01", li, FIRST_SECOND_OF_NOV_11 + dt.timedelta(hours=5))
    counter.attempt("BUS", FIRST_SECOND_OF_NOV_11, "token_expired")
    counter.attempt("BUS", FIRST_SECOND_OF_NOV_11, "token_expired")
    counter.attempt("LIB", LAST_SECOND_OF_NOV_10, "not_listed")
    counter.attempt("HOSP", FIRST_SECOND_OF_NOV_11, "token_malformed")
    counter.attempt("HOSP", dt.datetime(2026, 11, 12, 16, 0, tzinfo=UTC), "token_malformed")  # Nov 13: outside
    db.session.commit()
    return counter


def venue_id(counter, code):
    return counter.venues[code].id


def test_redemptions_by_day_groups_by_beijing_day_with_zeros(counter):
    series = stats.redemptions_by_day(dt.date(2026, 11, 9), dt.date(2026, 11, 12))
    assert list(series) == ["reading", "travel"]
    assert series["travel"] == {dt.date(2026, 11, 9): 0, dt.date(2026, 11, 10): 1, dt.date(2026, 11, 11): 2,
                                dt.date(2026, 11, 12): 0}
    assert series["reading"][dt.date(2026, 11, 11)] == 1
    bus_only = stats.redemptions_by_day(dt.date(2026, 11, 11), dt.date(2026, 11, 11), venue_id(counter, "BUS"))
    assert bus_only == {"travel": {dt.date(2026, 11, 11): 2}}


def test_totals_count_distinct_citizens_and_the_refusal_rate(counter):
    whole = stats.totals(dt.date(2026, 11, 10), dt.date(2026, 11, 12))
    assert whole == stats.Totals(redemptions=4, citizens=2, attempts=8, refusals=4, refusal_rate=0.5)
    bus_day = stats.totals(dt.date(2026, 11, 11), dt.date(2026, 11, 11), venue_id(counter, "BUS"))
    assert bus_day == stats.Totals(redemptions=2, citizens=2, attempts=4, refusals=2, refusal_rate=0.5)
    assert stats.totals(dt.date(2026, 1, 1), dt.date(2026, 1, 31)) == stats.Totals(0, 0, 0, 0, None)


def test_by_venue_lists_every_venue_with_activity_busiest_first(counter):
    rows = stats.by_venue(dt.date(2026, 11, 10), dt.date(2026, 11, 12))
    assert [(row.name, row.redemptions, row.citizens, row.refusals) for row in rows] == [
        ("阳江市公共汽车有限公司", 3, 2, 2), ("阳江市图书馆", 1, 1, 1), ("阳江市人民医院", 0, 0, 1)]
    assert rows[0].venue_id == venue_id(counter, "BUS")


def test_by_measure_most_redeemed_first(counter):
    rows = stats.by_measure(dt.date(2026, 11, 10), dt.date(2026, 11, 12))
    assert [(row.code, row.scenario, row.redemptions) for row in rows] == [("XY-XING-01", "travel", 3),
                                                                          ("XY-YUE-01", "reading", 1)]
    assert stats.by_measure(dt.date(2026, 11, 10), dt.date(2026, 11, 10), venue_id(counter, "LIB")) == []


def test_refusals_by_reason_in_range_and_venue(counter):
    assert stats.refusals_by_reason(dt.date(2026, 11, 10), dt.date(2026, 11, 12)) == [
        ("token_expired", 2), ("not_listed", 1), ("token_malformed", 1)]
    assert stats.refusals_by_reason(dt.date(2026, 11, 10), dt.date(2026, 11, 13), venue_id(counter, "HOSP")) == [
        ("token_malformed", 2)]


def test_export_scoped_to_a_venue_is_audited_with_it(counter):
    lines = "".join(stats.export_redemptions(dt.date(2026, 11, 10), dt.date(2026, 11, 12), "admin:1",
                                             venue_id(counter, "LIB"))).splitlines()
    assert len(lines) == 2 and "阳江市图书馆" in lines[1] and "李*" in lines[1]
    assert lines[1].split(",")[1:4] == ["2026-11-11T05:00:00+08:00", "信易阅", "XY-YUE-01"]
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "export.redemptions"))
    assert event.details == {"start": "2026-11-10", "end": "2026-11-12", "venue_id": venue_id(counter, "LIB")}


def test_closed_days_come_from_the_roll_ups_and_today_from_the_rows(counter):
    today = local_date(utcnow())
    wang = counter.subject("王今天")
    counter.redeem("XY-XING-01", wang, utcnow())
    counter.attempt("BUS", utcnow(), "token_used")
    db.session.commit()
    start = dt.date(2026, 11, 10)
    first = stats.totals(start, today)
    assert rollups.rolled_through() == rollups.last_closed_day(utcnow())
    assert db.session.scalar(sa.select(sa.func.sum(DailyRedemptions.redemptions))) == 4
    assert first == stats.Totals(redemptions=5, citizens=3, attempts=11, refusals=6, refusal_rate=6 / 11)
    assert stats.totals(start, today) == first  # rolled once, counted once
    assert stats.redemptions_by_day(today, today) == {"travel": {today: 1}}
    assert stats.refusals_by_reason(start, today, venue_id(counter, "BUS")) == [("token_expired", 2),
                                                                               ("token_used", 1)]
    assert [(row.code, row.redemptions) for row in stats.by_measure(start, today)] == [("XY-XING-01", 4),
                                                                                      ("XY-YUE-01", 1)]
    assert stats.by_venue(start, today)[0] == stats.VenueRow(venue_id(counter, "BUS"), "阳江市公共汽车有限公司",
                                                             4, 3, 3)


def test_two_processes_rolling_up_at_once_count_each_day_once(counter, database_url):
    def roll_up():
        return str(rollups.roll_up(utcnow()))

    outcomes = race(database_url, roll_up, [(), (), ()])
    assert set(outcomes) == {str(rollups.last_closed_day(utcnow()))}
    assert db.session.scalar(sa.select(sa.func.sum(DailyRedemptions.redemptions))) == 4
    assert db.session.scalar(sa.select(sa.func.sum(DailyAttempts.attempts))) == 9
