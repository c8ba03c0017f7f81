"""Python function calls per request on the hot endpoints, in process, for this tree and (with --against REV) for an
earlier revision checked out beside it: a count that other load on the machine cannot move, unlike wrk's requests/s.

    .venv/bin/python -m bench.bench_calls --against HEAD~1
"""
import argparse
import cProfile
import datetime as dt
import json
import os
import pstats
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REQUESTS = 200
SUBJECTS = 100


def measure(root: Path) -> dict[str, int]:
    """Calls per request for each endpoint, measured in the tree at `root` (run in a process of its own)."""
    sys.path.insert(0, str(root))
    os.chdir(root)
    from flask_migrate import upgrade

    from wsgi import create_app
    try:
        from app import demo
    except ImportError:  # revisions before the demo data moved out of the services
        from app.services import demo
    app = create_app("test", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tempfile.mktemp(suffix='.sqlite3')}",
                     DEV_LOGIN=True, LOGIN_RATE_LIMIT="10000 per minute", QR_TTL_SECONDS=600)
    with app.app_context():
        upgrade()
        who = demo.seed((dt.datetime.now(dt.UTC) + dt.timedelta(hours=8)).date(), SUBJECTS)[0]
        client = app.test_client()
        login = {"provider": "dev", "kind": "person", "name": who.name, "id_number": who.id_number}
        citizen_token = client.post("/api/v1/auth/login", json=login).get_json()["access_token"]
        citizen = {"Authorization": f"Bearer {citizen_token}"}
        staff_login = {"username": "staff_bus", "password": demo.STAFF_PASSWORD}
        staff_token = client.post("/api/v1/staff/login", json=staff_login).get_json()["access_token"]
        staff = {"Authorization": f"Bearer {staff_token}"}
        measure_id = next(item["id"] for item in client.get("/api/v1/measures").get_json()["items"]
                          if item["code"] == "XY-XING-01")
        codes = [client.get("/api/v1/me/qrcode", headers=citizen).get_json()["token"] for _ in range(REQUESTS + 10)]
        cases = {
            "GET /healthz": lambda i: client.get("/healthz"),
            "GET /api/v1/me/qrcode": lambda i: client.get("/api/v1/me/qrcode", headers=citizen),
            "GET /api/v1/me/qrcode.png": lambda i: client.get("/api/v1/me/qrcode.png", headers=citizen),
            "GET /api/v1/me": lambda i: client.get("/api/v1/me", headers=citizen),
            "POST /api/v1/scan/verify": lambda i: client.post("/api/v1/scan/verify", headers=staff,
                                                              json={"token": codes[i]}),
            "POST /api/v1/scan/redeem": lambda i: client.post("/api/v1/scan/redeem", headers=staff, json={
                "token": codes[i], "measure_id": measure_id, "idempotency_key": f"bench-{i:08d}"}),
        }
        counts = {}
        for name, call in cases.items():
            for warm in range(REQUESTS, REQUESTS + 10):
                call(warm)
            profile = cProfile.Profile()
            profile.enable()
            for index in range(REQUESTS):
                call(index)
            profile.disable()
            counts[name] = round(pstats.Stats(profile).total_calls / REQUESTS)
    return counts


def run_in(root: Path) -> dict[str, int]:
    output = subprocess.run([sys.executable, __file__, "--measure", str(root)], capture_output=True, text=True,
                            check=True, env=os.environ | {"APP_ENV": "test"})
    return json.loads(output.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--against", metavar="REV", help="an earlier revision to measure beside this tree")
    parser.add_argument("--measure", metavar="ROOT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(Path(args.measure))))
        return
    here = run_in(ROOT)
    there = None
    if args.against:
        with tempfile.TemporaryDirectory() as directory:
            tree = Path(directory) / "tree"
            subprocess.run(["git", "worktree", "add", "-q", "--detach", str(tree), args.against], cwd=ROOT, check=True)
            try:
                there = run_in(tree)
            finally:
                subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=True)
    print(f"{'endpoint':28} {'this tree':>10}" + (f" {args.against:>10} {'ratio':>7}" if there else ""))
    for name, count in here.items():
        line = f"{name:28} {count:>10}"
        if there:
            line += f" {there[name]:>10} {count / there[name]:>7.3f}"
        print(line)


if __name__ == "__main__":
    main()
