"""A year of a busy city's counters (3M scan attempts, 300k redemptions; `--scale 10` for 10×) against the demo data:
statistics for 30 and 365 days, a venue's history at page 1 and deep, the 365-day export (time and peak memory),
verify and /me, each measured on the demo data first and again on the year, in the same run."""
import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as `python bench/bench_year.py` rather than `python -m bench.bench_year`
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from app import demo  # noqa: E402
from app.db.paging import cursor  # noqa: E402
from app.domain.dates import LOCAL_TZ, local_date, utcnow  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Account, ListCategory, Measure, ScanAttempt  # noqa: E402
from app.services import citizens, rollups, scanning, stats  # noqa: E402
from bench.year_data import build_year  # noqa: E402
from wsgi import create_app  # noqa: E402

TARGETS = {"statistics, 365 days": 300.0, "history page 1": 20.0, "history deep page (by key)": 20.0}
REPEAT = 9
CALLS = 200


def median_ms(call: Callable[[], object], repeat: int = REPEAT) -> float:
    call()  # warm: statements compiled, pages cached
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        call()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def dashboard(start: dt.date, end: dt.date) -> None:
    """What the dashboard reads for a range."""
    stats.totals(start, end)
    stats.redemptions_by_day(start, end)
    stats.by_venue(start, end)
    stats.by_measure(start, end)
    stats.refusals_by_reason(start, end)


class Calls:
    """The HTTP calls measured: a counter's verify and a citizen's /me, through the app's test client."""

    def __init__(self, app, who: demo.DemoIdentity) -> None:
        self.client = app.test_client()
        self.subject_id = citizens_subject(who)
        login = self.client.post("/api/v1/auth/login", json={"provider": "dev", "kind": who.kind, "name": who.name,
                                                              "id_number": who.id_number}).get_json()
        self.citizen = {"Authorization": f"Bearer {login['access_token']}"}
        staff = self.client.post("/api/v1/staff/login", json={"username": "staff_bus",
                                                              "password": demo.STAFF_PASSWORD}).get_json()
        self.staff = {"Authorization": f"Bearer {staff['access_token']}"}

    def latency(self, call: Callable[[], object]) -> float:
        return median_ms(call, CALLS)

    def verify(self) -> float:
        def one():
            token = citizens.issue_code(self.subject_id, local_date(utcnow()), utcnow()).token
            answer = self.client.post("/api/v1/scan/verify", headers=self.staff, json={"token": token})
            assert answer.status_code == 200 and answer.get_json()["valid"], answer.get_json()
        return self.latency(one)

    def me(self) -> float:
        def one():
            assert self.client.get("/api/v1/me", headers=self.citizen).status_code == 200
        return self.latency(one)


def citizens_subject(who: demo.DemoIdentity) -> int:
    from app.services import subjects
    return subjects.find_subject(who.kind, who.id_number).id


def history_figures(staff_id: int, venue_id: int) -> dict[str, float]:
    """Page 1 and a deep page (by key, and by page number for comparison) of the venue's history."""
    count = db.session.scalar(sa.select(sa.func.count()).where(ScanAttempt.venue_id == venue_id))
    depth = max(count - scanning.PAGE_SIZE, 0) // 2
    at, row_id = db.session.execute(sa.select(ScanAttempt.at, ScanAttempt.id).where(ScanAttempt.venue_id == venue_id)
                                    .order_by(ScanAttempt.at.desc(), ScanAttempt.id.desc()).offset(depth)
                                    .limit(1)).one()
    deep_page = depth // scanning.PAGE_SIZE + 1
    return {"history page 1": median_ms(lambda: scanning.history(staff_id, 1)),
            "history deep page (by key)": median_ms(lambda: scanning.history(staff_id, deep_page, cursor(at, row_id))),
            "history page 1000 or the deepest (by page number)": median_ms(
                lambda: scanning.history(staff_id, min(deep_page, 1000)), repeat=1),
            "rows in that history": count}


def export_figures(url: str, start: dt.date, end: dt.date) -> dict[str, float]:
    """The export in its own process, so its peak memory is its own."""
    out = subprocess.run([sys.executable, __file__, "--export-only", url, start.isoformat(), end.isoformat()],
                         check=True, capture_output=True, text=True, cwd=ROOT).stdout
    return json.loads(out.strip().splitlines()[-1])


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited from the parent across exec)."""
    status = Path("/proc/self/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM")).split()[1]) / 1024


def export_only(url: str, start: str, end: str) -> None:
    app = create_app("test", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        base = peak_rss_mb()
        began, rows, size, first = time.perf_counter(), 0, 0, None
        for line in stats.export_redemptions(dt.date.fromisoformat(start), dt.date.fromisoformat(end), "bench"):
            first = first or (time.perf_counter() - began)
            rows, size = rows + line.count("\n"), size + len(line.encode())
        seconds = time.perf_counter() - began
    print(json.dumps({"export 365 days (s)": round(seconds, 2), "export first chunk (ms)": round(first * 1000, 1),
                      "export rows": rows - 1, "export MB written": round(size / 2**20, 1),
                      "export peak RSS (MB)": round(peak_rss_mb(), 1),
                      "process RSS before export (MB)": round(base, 1)}))


def measure(app, url: str, calls: Calls) -> dict[str, float]:
    today = local_date(utcnow())
    figures = {"verify (ms)": calls.verify(), "/me (ms)": calls.me()}  # first: the demo data has no scans before
    began = time.perf_counter()
    dashboard(today - dt.timedelta(days=364), today)
    figures["first statistics call (rolls up a bounded slice)"] = (time.perf_counter() - began) * 1000
    began = time.perf_counter()
    rollups.roll_up(utcnow())
    figures["`flask rollup` of the days still waiting"] = (time.perf_counter() - began) * 1000
    for days in (30, 365):
        start = today - dt.timedelta(days=days - 1)
        figures[f"statistics, {days} days"] = median_ms(lambda start=start: dashboard(start, today))
        figures[f"  redemptions by day, {days} days"] = median_ms(
            lambda start=start: stats.redemptions_by_day(start, today))
        figures[f"  refusals by reason, {days} days"] = median_ms(
            lambda start=start: stats.refusals_by_reason(start, today))
    staff = db.session.scalar(sa.select(Account).where(Account.username == "staff_bus"))
    figures.update(history_figures(staff.id, staff.venue_id))
    figures.update(export_figures(url, today - dt.timedelta(days=364), today))
    return figures


def report(demo_figures: dict, year_figures: dict, scale: float, seconds: float, database: str) -> None:
    print(f"\n{database}, scale {scale}: built in {seconds:.0f} s\n")
    print(f"| {'measure':<44} | {'demo':>9} | {'year':>9} | {'× demo':>7} | target |")
    print(f"|{'-' * 46}|{'-' * 11}|{'-' * 11}|{'-' * 9}|--------|")
    for name, year in year_figures.items():
        base = demo_figures.get(name, 0)
        ratio = f"{year / base:.2f}" if base else "-"
        target = TARGETS.get(name)
        verdict = "" if target is None else ("met" if year <= target else "MISSED")
        print(f"| {name:<44} | {base:>9,.1f} | {year:>9,.1f} | {ratio:>7} | {verdict:<6} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1, help="10 builds 30M attempts and 1M listed subjects")
    parser.add_argument("--subjects", type=int, help="listed subjects to add (default 100,000 × scale)")
    parser.add_argument("--database-url", help="an empty database (default: a temporary SQLite file)")
    parser.add_argument("--export-only", nargs=3, metavar=("URL", "START", "END"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export_only:
        return export_only(*args.export_only)
    with tempfile.TemporaryDirectory(prefix="bench-year-") as folder:
        url = args.database_url or f"sqlite:///{os.path.join(folder, 'year.sqlite3')}"
        app = create_app("test", SQLALCHEMY_DATABASE_URI=url, DEV_LOGIN=True)
        with app.app_context():
            upgrade()
            showcase = demo.seed(local_date(utcnow()))
            calls = Calls(app, showcase[0])
            demo_figures = measure(app, url, calls)
            print(json.dumps(demo_figures, ensure_ascii=False), flush=True)
            began = time.perf_counter()
            venues = {account.venue_id: account.id for account in db.session.scalars(
                sa.select(Account).where(Account.role == "staff"))}
            measures = db.session.execute(sa.select(Measure.id, Measure.provider_id)
                                          .where(Measure.status == "published")).all()
            categories = db.session.scalars(sa.select(ListCategory.id).where(ListCategory.kind == "person")).all()
            db.session.remove()
            build_year(db.engine, args.scale, venues, measures, categories, dt.datetime.now(LOCAL_TZ), args.subjects)
            built = time.perf_counter() - began
            year_figures = measure(app, url, calls)
            print(json.dumps(year_figures, ensure_ascii=False), flush=True)
            report(demo_figures, year_figures, args.scale, built, f"{db.engine.dialect.name}, "
                   f"{args.subjects or int(100_000 * args.scale):,} listed subjects added")
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
