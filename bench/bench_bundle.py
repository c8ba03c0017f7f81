"""The counter bundle at a province's scale: its size and time with 20,000 live batches of which 2,000 are denied and
a venue with a dozen measures, whole and as a delta; tests/test_bundle.py holds the size under 200 KB."""
import argparse
import datetime as dt
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as `python bench/bench_bundle.py` rather than `python -m bench.bench_bundle`
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from app import demo  # noqa: E402
from app.domain.dates import utcnow  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import CodeBatch, ListCategory, ListEntry, Measure, Subject  # noqa: E402
from app.services import accounts  # noqa: E402
from wsgi import create_app  # noqa: E402

SEED = 20261203
LIMIT_BYTES = 200 * 1024
EXTRA_MEASURES = 10
PASSWORD = "bench-bundle-pass"


def fill_province(venue_id: int, now: dt.datetime, batches: int = 20_000, denied: int = 2_000) -> list[str]:
    """Subjects, one list entry and one live batch each, inserted in SQL; the first `denied` are suspended (three in
    four) or revoked. Also EXTRA_MEASURES more measures at the venue, graded. Returns the denied batches' tags."""
    rng = random.Random(SEED)
    categories = db.session.scalars(sa.select(ListCategory.id).where(ListCategory.kind == "person")).all()
    db.session.execute(sa.insert(Subject), [
        {"kind": "person", "name": "王守信", "id_hash": f"bench{number:059d}", "id_masked": "441***********0000",
         "created_at": now} for number in range(batches)])
    ids = db.session.scalars(sa.select(Subject.id).where(Subject.id_hash.startswith("bench"))
                             .order_by(Subject.id_hash)).all()
    recognized = now.date() - dt.timedelta(days=200)
    db.session.execute(sa.insert(ListEntry), [
        {"subject_id": subject_id, "category_id": rng.choice(categories), "recognized_on": recognized,
         "expires_on": recognized + dt.timedelta(days=700),
         "status": ("suspended" if number % 4 else "revoked") if number < denied else "active",
         "created_at": now - dt.timedelta(days=1), "updated_at": now - dt.timedelta(days=1)}
        for number, subject_id in enumerate(ids)])
    tags = [rng.randbytes(8).hex() for _ in ids]
    db.session.execute(sa.insert(CodeBatch), [
        {"tag": tag, "subject_id": subject_id, "kind": "offline",
         "issued_at": now - dt.timedelta(seconds=rng.randrange(86_400)),
         "valid_until": now + dt.timedelta(seconds=rng.randrange(600, 86_400))}
        for tag, subject_id in zip(tags, ids, strict=True)])
    db.session.execute(sa.insert(Measure), [
        {"code": f"BENCH-{number:02d}", "title": f"守信个人优惠措施第{number}项（含信用等级分档）",
         "scenario": "travel", "provider_id": venue_id, "kinds": ["person"],
         "category_codes": ["P02", "P03"] if number % 2 else [], "min_grade": None if number % 3 else "B",
         "status": "published", "valid_from": now.date(), "valid_to": None, "description": "",
         "benefit": {"pay_percent": 80, "note": "节假日除外", "tiers": [{"min_grade": "A", "pay_percent": 70},
                                                                   {"min_grade": "AAA", "pay_percent": 50}]}}
        for number in range(EXTRA_MEASURES)])
    db.session.commit()
    return tags[:denied]


def _timed(client, url: str, headers: dict, runs: int) -> tuple[dict, int, list[float]]:
    times, response = [], None
    for _ in range(runs):
        began = time.perf_counter()
        response = client.get(url, headers=headers)
        times.append(time.perf_counter() - began)
        assert response.status_code == 200, response.get_json()
    return response.get_json(), len(response.get_data()), times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batches", type=int, default=20_000)
    parser.add_argument("--denied", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", help="an empty database (default: a temporary SQLite file)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-bundle-") as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        app = create_app("test", SQLALCHEMY_DATABASE_URI=url)
        with app.app_context():
            upgrade()
            venue = demo.seed_catalogue()["BUS"]
            accounts.create_account("bench_desk", PASSWORD, "staff", "bench", venue_id=venue.id)
            began = time.perf_counter()
            fill_province(venue.id, utcnow(), args.batches, args.denied)
            filled = time.perf_counter() - began
            client = app.test_client()
            token = client.post("/api/v1/staff/login", json={"username": "bench_desk", "password": PASSWORD})
            headers = {"Authorization": f"Bearer {token.get_json()['access_token']}"}
            whole, size, times = _timed(client, "/api/v1/scan/bundle", headers, args.runs)
            denied = sum(len(group["tags"]) for group in whole["deny"])
            db.session.execute(sa.update(ListEntry).where(ListEntry.subject_id.in_(
                sa.select(ListEntry.subject_id).where(ListEntry.status == "active").limit(50))).values(
                status="suspended", updated_at=utcnow()))
            db.session.commit()
            delta, delta_size, delta_times = _timed(client, f"/api/v1/scan/bundle?since={whole['version']}",
                                                    headers, args.runs)
            database = db.engine.url.render_as_string(hide_password=True) if args.database_url else "SQLite (file)"
            db.engine.dispose()
    print(f"{database}: {args.batches:,} live batches, {denied:,} denied, {len(whole['measures'])} measures "
          f"(filled in {filled:.1f} s)")
    print(f"full bundle:  {size:,} bytes ({size / LIMIT_BYTES:.0%} of 200 KB), {len(json.dumps(whole['deny'])):,} of "
          f"them the deny-list in {len(whole['deny'])} groups; median {statistics.median(times) * 1000:.0f} ms, "
          f"max {max(times) * 1000:.0f} ms over {args.runs} requests")
    print(f"delta (50 newly suspended): {delta_size:,} bytes, {sum(len(g['tags']) for g in delta['deny'])} denied; "
          f"median {statistics.median(delta_times) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
