"""Requests/s of the identity-QR and counter-scan endpoints next to /healthz under gunicorn as configured,
against ratio targets."""
import argparse
import datetime as dt
import http.client
import json
import math
import os
import random
import re
import runpy
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as `python bench/bench_http.py` rather than `python -m bench.bench_http`
    sys.path.insert(0, str(ROOT))

from app.demo import STAFF_PASSWORD, person_id  # noqa: E402

VENV_BIN = ROOT / ".venv" / "bin"
GUNICORN_CONF = ROOT / "gunicorn.conf.py"
SUBJECTS = 200
START_TIMEOUT_SECONDS = 30.0
# Counter scans: the demo bus company's counter and its half-fare measure, which every listed person may use.
STAFF_LOGIN = {"username": "staff_bus", "password": STAFF_PASSWORD}
REDEEM_MEASURE = "XY-XING-01"
# Redeem spends one code a request: listed persons of the benchmark's own (imported before the server starts)
# fetch fresh codes over HTTP before each redeem run, as many as the run could possibly use.
CITIZENS = 20
CITIZEN_CATEGORY = "P02"
FETCHERS = 8
# A run cannot outpace /healthz of the same round; codes for this much more are fetched, so none is used twice.
CODE_MARGIN = 1.2
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


@dataclass(frozen=True)
class Case:
    """One endpoint to load; `target` is the least requests/s it must reach as a fraction of the baseline."""

    name: str
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: dict | None = None
    target: float | None = None
    # For a POST whose body must change: called before each run with the most requests the run can make, returns
    # the bodies to send in turn (each wrk thread walks its own share of them).
    bodies: Callable[[int], list[dict]] | None = field(default=None, compare=False)
    # Fields the answer of the one request made by hand must hold, so the load exercises the intended path.
    expect: dict | None = None


@dataclass(frozen=True)
class Result:
    case: Case
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


@dataclass(frozen=True)
class Logins:
    """Bearer tokens: the demo citizen, the counter staff member, and the benchmark's own listed persons."""

    citizen: str
    staff: str
    citizens: list[str]
    measure_id: int


def cases(logins: Logins, base_url: str, floor: bool = False) -> list[Case]:
    """What to measure, the baseline first; a POST case gives `body` (sent as JSON) or `bodies`."""
    citizen = {"Authorization": f"Bearer {logins.citizen}"}
    staff = {"Authorization": f"Bearer {logins.staff}"}

    def verify_body(_: int) -> list[dict]:
        """One live code, scanned over and over: verify does not spend it."""
        return [{"token": fetch_codes(base_url, logins.citizens[:1], 1)[0], "device": "bench"}]

    def redeem_bodies(count: int) -> list[dict]:
        """A fresh code and idempotency key for every request."""
        return [{"token": code, "measure_id": logins.measure_id, "idempotency_key": f"bench-{code[:16]}",
                 "device": "bench"} for code in fetch_codes(base_url, logins.citizens, count)]

    floors = [Case("floor bare", "POST", "/bench/floor-bare", staff, bodies=verify_body),
              Case("floor auth", "POST", "/bench/floor", staff, bodies=verify_body)] if floor else []
    return [
        Case("healthz", "GET", "/healthz"),
        *floors,
        Case("qrcode JSON", "GET", "/api/v1/me/qrcode", citizen, target=0.6),
        Case("qrcode PNG", "GET", "/api/v1/me/qrcode.png", citizen, target=0.3),
        Case("scan verify", "POST", "/api/v1/scan/verify", staff, bodies=verify_body, target=0.6,
             expect={"valid": True}),
        Case("scan redeem", "POST", "/api/v1/scan/redeem", staff, bodies=redeem_bodies, target=0.45),
    ]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per endpoint (default 10)")
    parser.add_argument("--connections", type=int, default=16, help="open connections (default 16)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of unmeasured load first (default 2)")
    parser.add_argument("--floor", action="store_true",
                        help="also load two reference routes (bench/floor_app.py): verify's answer from a bare view, "
                             "and after the staff-token check and request schema")
    parser.add_argument("--rounds", type=int, default=1,
                        help="measure every endpoint this many times, interleaved, and keep each one's median "
                             "requests/s, to damp a noisy machine (default 1)")
    parser.add_argument("--profile", metavar="FILE",
                        help="record verify's measured load with py-spy (every gunicorn worker) into FILE as "
                             "collapsed stacks; `python -m bench.profile_layers FILE` sums them by layer")
    parser.add_argument("--database-url", help="an empty database to serve from, e.g. a local PostgreSQL "
                                               "(default: a temporary SQLite file)")
    return parser.parse_args(argv)


# ---- wrk -------------------------------------------------------------------------------------------------

def require_wrk() -> str:
    """The wrk binary, installed from Debian's package when missing and running as root."""
    if path := shutil.which("wrk"):
        return path
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk is missing: apt-get install -y wrk", flush=True)
        quiet = {"stdout": subprocess.DEVNULL, "env": os.environ | {"DEBIAN_FRONTEND": "noninteractive"}}
        subprocess.run(["apt-get", "update", "-qq"], check=True, **quiet)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, **quiet)
    if path := shutil.which("wrk"):
        return path
    sys.exit("wrk is required: install it with `apt-get install wrk` (Debian/Ubuntu) and run again")


# Each wrk thread reads its share of the bodies file (every threads-th line) and walks it, wrapping at the end.
BODIES_LUA = """
local threads = 0
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end
function init(args)
  bodies = {}
  local line_number = 0
  for line in io.lines(BODIES_FILE) do
    if line_number % THREADS == id or BODIES_COUNT < THREADS then bodies[#bodies + 1] = line end
    line_number = line_number + 1
  end
  sent = 0
end
function request()
  sent = sent % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[sent])
end
"""


def slug(case: Case) -> str:
    return re.sub(r"[^a-z0-9]+", "-", case.name.lower())


def lua_script(case: Case, directory: Path, threads: int, bodies: list[dict] | None = None) -> Path:
    """A wrk script setting the method and JSON body, for cases that are not a plain GET."""
    path = directory / f"{slug(case)}.lua"
    lines = [f"wrk.method = {json.dumps(case.method)}"]
    if case.body is not None or bodies is not None:
        lines.append('wrk.headers["Content-Type"] = "application/json"')
    if case.body is not None:
        lines.append(f"wrk.body = {json.dumps(json.dumps(case.body))}")  # ASCII JSON in a Lua string literal
    if bodies is not None:
        data = directory / f"{slug(case)}.jsonl"
        data.write_text("".join(json.dumps(body) + "\n" for body in bodies), encoding="ascii")
        lines += [f"BODIES_FILE = {json.dumps(str(data))}", f"BODIES_COUNT = {len(bodies)}", f"THREADS = {threads}",
                  BODIES_LUA]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def wrk_command(wrk: str, case: Case, base_url: str, seconds: int, args: argparse.Namespace,
                directory: Path, bound_rps: float | None) -> list[str]:
    command = [wrk, f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds}s", "--latency"]
    for name, value in case.headers.items():
        command += ["-H", f"{name}: {value}"]
    if case.bodies is not None:
        most = math.ceil((bound_rps or 5000) * seconds * CODE_MARGIN) + args.connections
        command += ["-s", str(lua_script(case, directory, args.threads, case.bodies(most)))]
    elif case.method != "GET" or case.body is not None:
        command += ["-s", str(lua_script(case, directory, args.threads))]
    return command + [base_url + case.path]


def milliseconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * UNITS[unit]


def parse_wrk(case: Case, output: str) -> Result:
    """Requests/s, the 50th and 99th latency percentiles, and non-2xx/3xx answers plus socket errors."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = milliseconds(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1))
    p99 = milliseconds(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors = (int(bad.group(1)) if bad else 0) + (sum(map(int, sockets.groups())) if sockets else 0)
    return Result(case, rps, p50, p99, errors)


def load(wrk: str, case: Case, base_url: str, args: argparse.Namespace, directory: Path,
         bound_rps: float | None) -> Result:
    """Warm up, then measure one endpoint; `bound_rps` (the round's baseline) sizes a case's supply of bodies."""
    if args.warmup:
        subprocess.run(wrk_command(wrk, case, base_url, args.warmup, args, directory, bound_rps), check=True,
                       capture_output=True)
    profiler = None
    if args.profile and case.path == "/api/v1/scan/verify":  # every worker, for the measured seconds
        profiler = subprocess.Popen([str(VENV_BIN / "py-spy"), "record", "--pid", str(args.server_pid),
                                     "--subprocesses", "--nonblocking", "--format", "raw", "--duration",
                                     str(args.duration), "--output", args.profile], stdout=subprocess.DEVNULL)
    run = subprocess.run(wrk_command(wrk, case, base_url, args.duration, args, directory, bound_rps), check=True,
                         capture_output=True, text=True)
    if profiler is not None:
        profiler.wait()
    return parse_wrk(case, run.stdout)


def measure(wrk: str, todo: list[Case], base_url: str, args: argparse.Namespace, directory: Path) -> list[Result]:
    """Every case once per round, in turn; for each case the round with the median requests/s."""
    rounds = []
    for _ in range(args.rounds):
        results: list[Result] = []
        for case in todo:
            results.append(load(wrk, case, base_url, args, directory, results[0].rps if results else None))
        rounds.append(results)
    return [sorted(runs, key=lambda result: result.rps)[len(runs) // 2] for runs in zip(*rounds, strict=True)]


# ---- the server ------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(directory: Path, port: int, database_url: str | None = None) -> dict[str, str]:
    return os.environ | {
        "APP_ENV": "development", "DEV_LOGIN": "1",
        "DATABASE_URL": database_url or f"sqlite:///{directory / 'bench.sqlite3'}",
        "BIND": f"127.0.0.1:{port}", "ACCESS_LOG": "/dev/null",
        # Many citizens log in at the start; codes fetched before a run must outlive it; the soak asks each citizen
        # for offline batches far more often than a phone does.
        "LOGIN_RATE_LIMIT": "1000 per minute", "QR_TTL_SECONDS": "600", "CODE_BATCHES_PER_DAY": "1000000",
    }


def gunicorn_workers(env: dict[str, str]) -> int:
    """The worker count gunicorn.conf.py yields in this environment."""
    with mock.patch.dict(os.environ, env, clear=True):
        return runpy.run_path(str(GUNICORN_CONF))["workers"]


def bench_citizens() -> list[dict[str, str]]:
    """The benchmark's own listed persons (valid resident IDs, fixed by the seed), as login payloads."""
    rng = random.Random("bench-http")
    return [{"provider": "dev", "kind": "person", "name": f"压测{chr(0x7532 + index)}", "id_number": person_id(rng)}
            for index in range(CITIZENS)]


def write_list(path: Path) -> Path:
    """A list file (名单信息标准) entering the benchmark's persons, recognised a month ago (Asia/Shanghai)."""
    recognized = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=8)).date() - dt.timedelta(days=30)
    rows = [f"person,{who['name']},{who['id_number']},{CITIZEN_CATEGORY},{recognized},A" for who in bench_citizens()]
    path.write_text("\n".join(["kind,name,id_number,category,recognized_on,grade", *rows]) + "\n", encoding="utf-8")
    return path


def prepare_database(env: dict[str, str], directory: Path) -> None:
    """Migrate the fresh database, load the demo data and list the benchmark's persons."""
    flask = str(VENV_BIN / "flask")
    for command in (["db", "upgrade"], ["seed-demo", "--subjects", str(SUBJECTS)],
                    ["import-list", str(write_list(directory / "bench-list.csv"))]):
        run = subprocess.run([flask, "--app", "wsgi", *command], cwd=ROOT, env=env, capture_output=True, text=True)
        if run.returncode:
            raise RuntimeError(f"flask {' '.join(command)} failed:\n{run.stderr[-2000:]}")


def request(method: str, url: str, headers: dict[str, str], body: dict | None = None) -> tuple[int, bytes]:
    data = None if body is None else json.dumps(body).encode()
    headers = headers | ({"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data, headers, method=method), timeout=5) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wait_until_up(base_url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {server.returncode}")
        try:
            if request("GET", base_url + "/healthz", {})[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"/healthz did not answer within {START_TIMEOUT_SECONDS:.0f} s")


@contextmanager
def gunicorn(env: dict[str, str], log: Path, app: str = "wsgi:create_app()") -> Iterator[subprocess.Popen]:
    """gunicorn -c gunicorn.conf.py APP in its own process group, stopped with that group."""
    with log.open("wb") as output:
        server = subprocess.Popen([str(VENV_BIN / "gunicorn"), "-c", str(GUNICORN_CONF), app], cwd=ROOT,
                                  env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield server
    except Exception:
        print("gunicorn log (last lines):", *log.read_text(errors="replace").splitlines()[-20:], sep="\n  ",
              file=sys.stderr)
        raise
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=25)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def login(base_url: str, path: str = "/api/v1/auth/login", payload: dict | None = None) -> str:
    status, body = request("POST", base_url + path, {}, payload or bench_citizens()[0])
    if status != 200:
        raise RuntimeError(f"login answered {status}: {body[:300]!r}")
    return json.loads(body)["access_token"]


def measure_id(base_url: str, code: str) -> int:
    status, body = request("GET", base_url + "/api/v1/measures?scenario=travel", {})
    found = [item["id"] for item in json.loads(body)["items"] if item["code"] == code] if status == 200 else []
    if not found:
        raise RuntimeError(f"measure {code} is not in the travel catalogue ({status})")
    return found[0]


def log_in_all(base_url: str) -> Logins:
    return Logins(citizen=login(base_url), staff=login(base_url, "/api/v1/staff/login", STAFF_LOGIN),
                  citizens=[login(base_url, payload=who) for who in bench_citizens()],
                  measure_id=measure_id(base_url, REDEEM_MEASURE))


def fetch_codes(base_url: str, citizens: list[str], count: int) -> list[str]:
    """`count` distinct fresh identity codes of these citizens, fetched on keep-alive connections in parallel."""
    host, port = base_url.removeprefix("http://").split(":")
    shares = [count // FETCHERS + (index < count % FETCHERS) for index in range(FETCHERS)]

    def fetch(index: int) -> list[str]:
        connection, codes = http.client.HTTPConnection(host, int(port), timeout=10), []
        try:
            for turn in range(shares[index]):
                citizen = citizens[(index + turn * FETCHERS) % len(citizens)]
                connection.request("GET", "/api/v1/me/qrcode", headers={"Authorization": f"Bearer {citizen}"})
                answer = connection.getresponse()
                body = answer.read()
                if answer.status != 200:
                    raise RuntimeError(f"GET /api/v1/me/qrcode answered {answer.status}: {body[:300]!r}")
                codes.append(json.loads(body)["token"])
        finally:
            connection.close()
        return codes

    with ThreadPoolExecutor(FETCHERS) as pool:
        codes = list(dict.fromkeys(code for share in pool.map(fetch, range(FETCHERS)) for code in share))
    return codes + (fetch_codes(base_url, citizens, count - len(codes)) if len(codes) < count else [])


def check(case: Case, base_url: str) -> None:
    """One request by hand, so a case that is refused fails here rather than as fast errors under load."""
    body = case.bodies(1)[0] if case.bodies is not None else case.body
    status, answer = request(case.method, base_url + case.path, case.headers, body)
    if not 200 <= status < 300:
        raise RuntimeError(f"{case.name}: {case.method} {case.path} answered {status}: {answer[:300]!r}")
    if case.expect and {key: json.loads(answer).get(key) for key in case.expect} != case.expect:
        raise RuntimeError(f"{case.name}: {case.method} {case.path} answered {answer[:300]!r}, "
                           f"expected {case.expect}")


# ---- report ----------------------------------------------------------------------------------------------

def verdict(result: Result, baseline: float) -> str:
    if result.case.target is None:
        return ""
    passed = result.rps >= result.case.target * baseline and result.errors == 0
    return f"{'PASS' if passed else 'FAIL'} (≥ {result.case.target:g})"


def print_table(results: list[Result]) -> None:
    baseline = results[0].rps
    print(f"{'endpoint':<14}{'path':<26}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'ratio':>8}  target")
    for result in results:
        print(f"{result.case.name:<14}{result.case.path:<26}{result.rps:>10,.0f}{result.p50_ms:>9.2f}"
              f"{result.p99_ms:>9.2f}{result.errors:>8}{result.rps / baseline:>8.2f}  {verdict(result, baseline)}")


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))  # so the clean-up below runs
    wrk = require_wrk()
    with tempfile.TemporaryDirectory(prefix="bench-http-") as tmp:
        directory, port = Path(tmp), free_port()
        env, base_url = server_env(directory, port, args.database_url), f"http://127.0.0.1:{port}"
        prepare_database(env, directory)
        app = "bench.floor_app:app" if args.floor else "wsgi:create_app()"
        with gunicorn(env, directory / "gunicorn.log", app) as server:
            wait_until_up(base_url, server)
            args.server_pid = server.pid
            todo = cases(log_in_all(base_url), base_url, args.floor)
            for case in todo:
                check(case, base_url)
            print(f"gunicorn.conf.py: {gunicorn_workers(env)} sync workers on {os.cpu_count()} cores; "
                  f"{env['DATABASE_URL'].split(':')[0]}, {SUBJECTS} + {CITIZENS} listed subjects; "
                  f"wrk -t{args.threads} -c{args.connections} "
                  f"-d{args.duration}s after {args.warmup} s warm-up, {args.rounds} round(s), on the same machine",
                  flush=True)
            results = measure(wrk, todo, base_url, args, directory)
    print_table(results)


if __name__ == "__main__":
    main()
