"""Soak: mixed citizen, counter and console traffic through gunicorn at about 70 % of the mix's measured capacity,
with errors, latency per endpoint and each worker's memory at start and end."""
import argparse
import itertools
import os
import random
import re
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, deque
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as `python bench/bench_soak.py` rather than `python -m bench.bench_soak`
    sys.path.insert(0, str(ROOT))

from app.demo import ADMIN_PASSWORD  # noqa: E402
from bench import bench_http  # noqa: E402

# Requests of each kind out of 100 operations; a verify is followed by a redeem for REDEEM_SHARE of them.
MIX = {"me": 20, "qrcode": 27, "codes": 2, "verify": 45, "dashboard": 3, "scans": 3}
REDEEM_SHARE = 0.3
RETRY_SHARE = 0.1  # of redeems, sent again with the same idempotency key (a counter retrying after a timeout)
POOL = 200  # the latest codes citizens fetched, shown at counters; redeemed ones stay in it to be shown again
STAFF_SESSIONS, CONSOLE_SESSIONS = 4, 2
TIMEOUT_SECONDS = 10
SAMPLE_SECONDS = 30
LOGGED_ERRORS = re.compile(r'"level": "(?:ERROR|CRITICAL)"|^Traceback|WORKER TIMEOUT', re.M)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Stats:
    """One thread's (or, merged, a phase's) answers: latencies and statuses per endpoint, and what went wrong."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: dict[str, Counter] = field(default_factory=dict)
    errors: Counter = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)
    lags: list[float] = field(default_factory=list)

    def add(self, name: str, status: int, ms: float, ok: bool, detail: str = "") -> None:
        self.latencies.setdefault(name, []).append(ms)
        self.statuses.setdefault(name, Counter())[status] += 1
        if not ok:
            self.errors[name] += 1
            if len(self.samples) < 5:
                self.samples.append(f"{name} {status} {detail[:200]}")

    def merge(self, other: "Stats") -> None:
        for name, values in other.latencies.items():
            self.latencies.setdefault(name, []).extend(values)
            self.statuses.setdefault(name, Counter()).update(other.statuses[name])
        self.errors.update(other.errors)
        self.samples += other.samples[:5 - len(self.samples)]
        self.lags += other.lags

    @property
    def requests(self) -> int:
        return sum(len(values) for values in self.latencies.values())


class Mix:
    """The operations and their shared state: logins, the console's cookies and the pool of shown codes."""

    def __init__(self, base_url: str) -> None:
        self.url = base_url
        logins = bench_http.log_in_all(base_url)
        self.citizens = [{"Authorization": f"Bearer {token}"} for token in logins.citizens]
        tokens = [bench_http.login(base_url, "/api/v1/staff/login", bench_http.STAFF_LOGIN)
                  for _ in range(STAFF_SESSIONS)]
        self.staff = [{"Authorization": f"Bearer {token}"} for token in tokens]
        self.measure_id = logins.measure_id
        self.console = [console_cookies(base_url) for _ in range(CONSOLE_SESSIONS)]
        self.codes: deque[str] = deque(maxlen=POOL)
        self.ops = list(MIX)
        self.weights = list(MIX.values())

    def call(self, http: requests.Session, stats: Stats, name: str, method: str, path: str, expect: set[int],
             **kwargs) -> requests.Response | None:
        started = time.perf_counter()
        try:
            answer = http.request(method, self.url + path, timeout=TIMEOUT_SECONDS, **kwargs)
        except requests.RequestException as error:
            stats.add(name, 0, (time.perf_counter() - started) * 1e3, False, type(error).__name__)
            return None
        ok = answer.status_code in expect and (answer.status_code != 409 or "token_used" in answer.text)
        stats.add(name, answer.status_code, (time.perf_counter() - started) * 1e3, ok, answer.text)
        return answer if ok else None

    def code(self, http: requests.Session, stats: Stats) -> str | None:
        try:
            return random.choice(self.codes)
        except IndexError:
            return self.fetch_code(http, stats)

    def fetch_code(self, http: requests.Session, stats: Stats) -> str | None:
        answer = self.call(http, stats, "GET /api/v1/me/qrcode", "GET", "/api/v1/me/qrcode", {200},
                           headers=random.choice(self.citizens))
        if answer is not None:
            self.codes.append(answer.json()["token"])
            return self.codes[-1]
        return None

    def run(self, http: requests.Session, console: requests.Session, stats: Stats) -> None:
        """One operation of the mix, drawn by weight."""
        op = random.choices(self.ops, self.weights)[0]
        if op == "me":
            self.call(http, stats, "GET /api/v1/me", "GET", "/api/v1/me", {200}, headers=random.choice(self.citizens))
        elif op == "qrcode":
            self.fetch_code(http, stats)
        elif op == "codes":
            answer = self.call(http, stats, "GET /api/v1/me/codes", "GET", "/api/v1/me/codes?hours=1", {200},
                               headers=random.choice(self.citizens))
            if answer is not None:
                self.codes.append(answer.json()["codes"][0]["token"])
        elif op == "verify":
            self.scan(http, stats)
        else:
            path = "/admin/dashboard" if op == "dashboard" else "/admin/scans"
            self.call(console, stats, f"GET {path}", "GET", path, {200}, allow_redirects=False)

    def scan(self, http: requests.Session, stats: Stats) -> None:
        """Verify a shown code; for a share, confirm it (a code redeemed before answers 409 token_used)."""
        code, staff = self.code(http, stats), random.choice(self.staff)
        if code is None:
            return
        body = {"token": code, "device": "soak"}
        if self.call(http, stats, "POST /api/v1/scan/verify", "POST", "/api/v1/scan/verify", {200}, headers=staff,
                     json=body) is None or random.random() >= REDEEM_SHARE:
            return
        body |= {"measure_id": self.measure_id, "idempotency_key": f"soak-{uuid.uuid4().hex}"}
        for _ in range(2 if random.random() < RETRY_SHARE else 1):
            self.call(http, stats, "POST /api/v1/scan/redeem", "POST", "/api/v1/scan/redeem", {201, 409},
                      headers=staff, json=body)


def console_cookies(base_url: str) -> dict[str, str]:
    """Sign the credit office's administrator in through the console's login form, CSRF token and all."""
    with requests.Session() as page:
        form = CSRF.search(page.get(base_url + "/admin/login", timeout=TIMEOUT_SECONDS).text)
        answer = page.post(base_url + "/admin/login", data={"username": "admin", "password": ADMIN_PASSWORD,
                                                            "csrf_token": form.group(1)},
                           allow_redirects=False, timeout=TIMEOUT_SECONDS)
        if answer.status_code != 302:
            raise RuntimeError(f"console login answered {answer.status_code}")
        return page.cookies.get_dict()


def run_phase(mix: Mix, seconds: float, threads: int, rate: float | None = None) -> tuple[Stats, float]:
    """Closed loop (each thread back to back) without `rate`; else operations due at `rate` a second (open loop)."""
    total, lock, start = Stats(), threading.Lock(), time.monotonic()
    end, turns = start + seconds, itertools.count()

    def worker(index: int) -> None:
        stats = Stats()
        with requests.Session() as http, requests.Session() as console:
            console.cookies.update(mix.console[index % len(mix.console)])
            while True:
                if rate is not None:
                    due = start + next(turns) / rate
                    if due >= end:
                        break
                    if (wait := due - time.monotonic()) > 0:
                        time.sleep(wait)
                    stats.lags.append((time.monotonic() - due) * 1e3)
                elif time.monotonic() >= end:
                    break
                mix.run(http, console, stats)
        with lock:
            total.merge(stats)

    pool = [threading.Thread(target=worker, args=(index,)) for index in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return total, time.monotonic() - start


# ---- workers' memory -------------------------------------------------------------------------------------

def workers_of(master: int) -> list[int]:
    """The gunicorn master's children, from /proc (field 4 of /proc/PID/stat is the parent)."""
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        with suppress(OSError, IndexError):
            if int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1]) == master:
                found.append(int(entry))
    return sorted(found)


def memory(master: int) -> dict[int, float]:
    """Each worker's resident set (VmRSS) in MB."""
    sizes = {}
    for pid in workers_of(master):
        with suppress(OSError):
            sizes[pid] = int(re.search(r"^VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.M)[1]) / 1024
    return sizes


def all_workers_up(master: int, count: int) -> None:
    """Wait until gunicorn has forked all its workers (it spaces them out a little)."""
    deadline = time.monotonic() + 10
    while len(workers_of(master)) < count and time.monotonic() < deadline:
        time.sleep(0.1)


def sample_memory(master: int, stop: threading.Event, peaks: dict[int, float]) -> None:
    while not stop.wait(SAMPLE_SECONDS):
        for pid, rss in memory(master).items():
            peaks[pid] = max(peaks.get(pid, 0.0), rss)


# ---- report ----------------------------------------------------------------------------------------------

def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def print_report(stats: Stats, elapsed: float, target: float, cold: dict, start: dict, end: dict,
                 peaks: dict) -> None:
    """Totals, each endpoint's answers and latency, and each worker's resident memory (growth from the soak's start)."""
    errors = sum(stats.errors.values())
    print(f"\nsoak: {elapsed:.0f} s, {stats.requests:,} requests, {stats.requests / elapsed:,.1f} req/s achieved "
          f"(target {target:,.1f}), errors {errors}; schedule lag p50 {percentile(stats.lags, 0.5):.1f} ms, "
          f"p99 {percentile(stats.lags, 0.99):.1f} ms")
    print(f"{'endpoint':<28}{'requests':>9}{'errors':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}  statuses")
    for name in sorted(stats.latencies):
        values = stats.latencies[name]
        statuses = " ".join(f"{status}×{count}" for status, count in sorted(stats.statuses[name].items()))
        print(f"{name:<28}{len(values):>9,}{stats.errors[name]:>8}{percentile(values, 0.5):>9.1f}"
              f"{percentile(values, 0.99):>9.1f}{max(values):>9.1f}  {statuses}")
    for sample in stats.samples:
        print("  error:", sample)
    print(f"\n{'worker':>8}{'cold MB':>9}{'start MB':>10}{'peak MB':>9}{'end MB':>8}{'growth':>9}")
    for pid in sorted(start.keys() | end.keys()):
        if pid not in end or pid not in start:
            print(f"{pid:>8}  {'started' if pid in end else 'gone'} during the soak (a worker was replaced)")
            continue
        growth = (end[pid] - start[pid]) / start[pid] * 100
        print(f"{pid:>8}{cold.get(pid, 0):>9.1f}{start[pid]:>10.1f}{peaks.get(pid, end[pid]):>9.1f}{end[pid]:>8.1f}"
              f"{growth:>8.1f}%  {'ok' if growth < 10 else 'OVER 10 %'}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=10, help="length of the soak (default 10)")
    parser.add_argument("--capacity-seconds", type=float, default=20,
                        help="closed-loop run that measures the mix's capacity first (default 20)")
    parser.add_argument("--load", type=float, default=0.7, help="share of the capacity to soak at (default 0.7)")
    parser.add_argument("--threads", type=int, default=8, help="client threads of the closed loop (default 8)")
    parser.add_argument("--open-threads", type=int, default=16,
                        help="client threads that send the open loop's operations when due (default 16)")
    parser.add_argument("--database-url", help="an empty database to serve from (default: a temporary SQLite file)")
    parser.add_argument("--postgres", action="store_true",
                        help="serve from a throwaway PostgreSQL on this machine (tests/pg_server.py), removed after")
    parser.add_argument("--recycle", action="store_true",
                        help="keep gunicorn.conf.py's max_requests (workers replaced every ~5,000 requests); by "
                             "default off, so each worker's memory can be followed through the whole soak")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))  # so the clean-up below runs
    with ExitStack() as stack:
        directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-soak-")))
        database_url = args.database_url
        if args.postgres:
            from tests.pg_server import PostgresServer
            postgres = PostgresServer()
            stack.callback(postgres.stop)
            database_url = postgres.start().url
        port = bench_http.free_port()
        env, base_url = bench_http.server_env(directory, port, database_url), f"http://127.0.0.1:{port}"
        if not args.recycle:
            env["GUNICORN_CMD_ARGS"] = "--max-requests 0"
        bench_http.prepare_database(env, directory)
        server = stack.enter_context(bench_http.gunicorn(env, directory / "gunicorn.log"))
        bench_http.wait_until_up(base_url, server)
        all_workers_up(server.pid, bench_http.gunicorn_workers(env))
        cold = memory(server.pid)
        mix = Mix(base_url)
        print(f"gunicorn.conf.py: {len(cold)} sync workers on {os.cpu_count()} cores, "
              f"{'max_requests as configured' if args.recycle else 'max_requests off'}; "
              f"{env['DATABASE_URL'].split(':')[0]}; client threads on the same machine", flush=True)
        capacity, seconds = run_phase(mix, args.capacity_seconds, args.threads)
        # Requests an operation makes on average: a verify may add a redeem or two.
        per_op = capacity.requests / max(1, sum(len(v) for k, v in capacity.latencies.items() if "redeem" not in k))
        capacity_rps = capacity.requests / seconds
        target = args.load * capacity_rps
        print(f"capacity: closed loop, {args.threads} threads, {seconds:.0f} s: {capacity.requests:,} requests, "
              f"{capacity_rps:,.1f} req/s, errors {sum(capacity.errors.values())}; soaking at {target:,.1f} req/s "
              f"for {args.minutes:g} min", flush=True)
        start, peaks, stop = memory(server.pid), {}, threading.Event()
        sampler = threading.Thread(target=sample_memory, args=(server.pid, stop, peaks), daemon=True)
        sampler.start()
        cpu = time.process_time()
        stats, elapsed = run_phase(mix, args.minutes * 60, args.open_threads, target / per_op)
        cpu = (time.process_time() - cpu) / elapsed
        stop.set()
        end = memory(server.pid)
        print_report(stats, elapsed, target, cold, start, end, peaks)
        logged = LOGGED_ERRORS.findall((directory / "gunicorn.log").read_text(errors="replace"))
        print(f"server log: {len(logged)} error lines (level ERROR/CRITICAL, tracebacks, worker timeouts); "
              f"the client used {cpu:.0%} of a core")


if __name__ == "__main__":
    main()
