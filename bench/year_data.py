"""Bulk rows for bench_year: listed subjects and a year of scan attempts and redemptions, written with executemany on
SQLite and COPY on PostgreSQL (the ORM would take an hour for 3M rows)."""
import datetime as dt
import random
from collections.abc import Iterator

from sqlalchemy.engine import Engine

SUBJECTS, ATTEMPTS, REDEMPTIONS = 100_000, 3_000_000, 300_000
CHUNK = 50_000
# Share of the counters' traffic per demo venue id order (bus, library, hospital, hotel, scenic spot, hall, bank).
VENUE_WEIGHTS = [40, 15, 15, 8, 12, 7, 3]
REFUSED_SHARE = 0.15
REASONS = [("token_expired", 40), ("not_listed", 20), ("token_used", 15), ("listing_expired", 10),
           ("token_malformed", 10), ("grade_too_low", 5)]
SUBJECT_COLUMNS = ("id", "kind", "name", "id_hash", "id_masked", "grade", "created_at")
ENTRY_COLUMNS = ("id", "subject_id", "category_id", "recognized_on", "expires_on", "status", "created_at",
                 "updated_at")
ATTEMPT_COLUMNS = ("id", "action", "venue_id", "staff_id", "device", "subject_id", "measure_id", "token_key", "valid",
                   "reason", "at")
REDEMPTION_COLUMNS = ("id", "token_key", "idempotency_key", "attempt_id", "subject_id", "measure_id", "venue_id",
                      "staff_id", "benefit", "redeemed_at")


class Writer:
    """Appends rows to a table on one raw connection, in the fastest way the database offers."""

    def __init__(self, engine: Engine) -> None:
        self.postgres = engine.dialect.name == "postgresql"
        self.connection = engine.raw_connection()

    def _value(self, value):
        if self.postgres:
            return value
        if isinstance(value, dt.datetime):
            return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        if isinstance(value, dt.date):
            return value.isoformat()
        return int(value) if isinstance(value, bool) else value

    def write(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        cursor = self.connection.cursor()
        if self.postgres:
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                               [tuple(self._value(value) for value in row) for row in rows])
        self.connection.commit()

    def max_id(self, table: str) -> int:
        cursor = self.connection.cursor()
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
        return cursor.fetchone()[0]

    def finish(self, tables: list[str]) -> None:
        """Sequences past the rows, roll-ups cleared (these days were written after they closed), statistics."""
        cursor = self.connection.cursor()
        for table in ("daily_attempts", "daily_redemptions", "daily_venue_citizens", "rolled_days"):
            cursor.execute(f"DELETE FROM {table}")
        if self.postgres:
            for table in tables:
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
        cursor.execute("ANALYZE")
        self.connection.commit()
        self.connection.close()


def _chunks(rows: Iterator[tuple], size: int = CHUNK) -> Iterator[list[tuple]]:
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _subjects(first_id: int, count: int, now: dt.datetime) -> Iterator[tuple]:
    for offset in range(count):
        number = first_id + offset
        yield (number, "person", "测试市民", f"bench{number:059d}", "4417**********000X", None, now)


def _entries(first_id: int, first_subject: int, count: int, categories: list[int], rng: random.Random,
             today: dt.date, now: dt.datetime) -> Iterator[tuple]:
    for offset in range(count):
        recognized = today - dt.timedelta(days=rng.randrange(10, 700))
        yield (first_id + offset, first_subject + offset, rng.choice(categories), recognized,
               recognized.replace(year=recognized.year + 2) if (recognized.month, recognized.day) != (2, 29)
               else dt.date(recognized.year + 2, 3, 1), "active", now, now)


def build_year(engine: Engine, scale: float, staff_of: dict[int, int], measures: list[tuple[int, int]],
               categories: list[int], rng: random.Random, now: dt.datetime, subjects: int | None = None) -> None:
    """Listed subjects and the 365 Beijing days before `now`'s day of attempts and redemptions at the demo venues."""
    writer = Writer(engine)
    subjects = subjects or int(SUBJECTS * scale)
    first_subject = writer.max_id("subjects") + 1
    for chunk in _chunks(_subjects(first_subject, subjects, now)):
        writer.write("subjects", SUBJECT_COLUMNS, chunk)
    for chunk in _chunks(_entries(writer.max_id("list_entries") + 1, first_subject, subjects, categories, rng,
                                  now.date(), now)):
        writer.write("list_entries", ENTRY_COLUMNS, chunk)
    venues = sorted(staff_of)
    offered = {venue: [measure for measure, provider in measures if provider == venue] for venue in venues}
    attempt_id, redemption_id = writer.max_id("scan_attempts"), writer.max_id("redemptions")
    per_day, redeemed_per_day = int(ATTEMPTS * scale / 365), int(REDEMPTIONS * scale / 365)
    reasons = [reason for reason, weight in REASONS for _ in range(weight)]
    for back in range(365, 0, -1):
        day = now.date() - dt.timedelta(days=back)
        opening = dt.datetime.combine(day, dt.time(7), tzinfo=now.tzinfo)
        moments = sorted(opening + dt.timedelta(seconds=rng.randrange(14 * 3600), microseconds=rng.randrange(10**6))
                         for _ in range(per_day))
        redeem_at = set(rng.sample(range(per_day), redeemed_per_day))
        attempts, redemptions = [], []
        for index, at in enumerate(moments):
            attempt_id += 1
            venue = rng.choices(venues, VENUE_WEIGHTS[:len(venues)])[0]
            subject = first_subject + rng.randrange(subjects)
            if index in redeem_at and offered[venue]:
                measure = rng.choice(offered[venue])
                redemption_id += 1
                token = f"y{attempt_id:015x}"
                attempts.append((attempt_id, "redeem", venue, staff_of[venue], "柜台 1", subject, measure, token, True,
                                 None, at))
                redemptions.append((redemption_id, token, f"bench-{attempt_id}", attempt_id, subject, measure, venue,
                                    staff_of[venue], '{"summary": "5折"}', at))
            elif rng.random() < REFUSED_SHARE:
                reason = rng.choice(reasons)
                attempts.append((attempt_id, "verify", venue, staff_of[venue], "柜台 1",
                                 None if reason in ("token_malformed", "not_listed") else subject, None,
                                 None if reason == "token_malformed" else f"x{attempt_id:015x}", False, reason, at))
            else:
                attempts.append((attempt_id, "verify", venue, staff_of[venue], "柜台 1", subject, None,
                                 f"v{attempt_id:015x}", True, None, at))
        writer.write("scan_attempts", ATTEMPT_COLUMNS, attempts)
        writer.write("redemptions", REDEMPTION_COLUMNS, redemptions)
    writer.finish(["subjects", "list_entries", "scan_attempts", "redemptions"])
