"""Requests/s of the identity-QR endpoints next to /healthz under gunicorn as configured, against ratio targets."""
import argparse
import json
import os
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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"
GUNICORN_CONF = ROOT / "gunicorn.conf.py"
SUBJECTS = 200
# The demo's listed AAA person (seed-demo prints it); logging in is rate-limited, so it happens once.
LOGIN = {"provider": "dev", "kind": "person", "name": "王守信", "id_number": "441702199109035149"}
START_TIMEOUT_SECONDS = 30.0
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


@dataclass(frozen=True)
class Result:
    case: Case
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def cases(token: str) -> list[Case]:
    """What to measure, the baseline first; a POST case gives `body` (sent as JSON)."""
    citizen = {"Authorization": f"Bearer {token}"}
    return [
        Case("healthz", "GET", "/healthz"),
        Case("qrcode JSON", "GET", "/api/v1/me/qrcode", citizen, target=0.6),
        Case("qrcode PNG", "GET", "/api/v1/me/qrcode.png", citizen, target=0.3),
    ]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per endpoint (default 10)")
    parser.add_argument("--connections", type=int, default=16, help="open connections (default 16)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of unmeasured load first (default 2)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="measure every endpoint this many times, interleaved, and keep each one's median "
                             "requests/s, to damp a noisy machine (default 1)")
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


def lua_script(case: Case, directory: Path) -> Path:
    """A wrk script setting the method and JSON body, for cases that are not a plain GET."""
    path = directory / f"{re.sub(r'[^a-z0-9]+', '-', case.name.lower())}.lua"
    lines = [f"wrk.method = {json.dumps(case.method)}"]
    if case.body is not None:
        lines += [f"wrk.body = {json.dumps(json.dumps(case.body))}",  # ASCII JSON in a Lua string literal
                  'wrk.headers["Content-Type"] = "application/json"']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def wrk_command(wrk: str, case: Case, base_url: str, seconds: int, args: argparse.Namespace,
                directory: Path) -> list[str]:
    command = [wrk, f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds}s", "--latency"]
    for name, value in case.headers.items():
        command += ["-H", f"{name}: {value}"]
    if case.method != "GET" or case.body is not None:
        command += ["-s", str(lua_script(case, directory))]
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


def load(wrk: str, case: Case, base_url: str, args: argparse.Namespace, directory: Path) -> Result:
    """Warm up, then measure one endpoint."""
    if args.warmup:
        subprocess.run(wrk_command(wrk, case, base_url, args.warmup, args, directory), check=True,
                       capture_output=True)
    run = subprocess.run(wrk_command(wrk, case, base_url, args.duration, args, directory), check=True,
                         capture_output=True, text=True)
    return parse_wrk(case, run.stdout)


def measure(wrk: str, todo: list[Case], base_url: str, args: argparse.Namespace, directory: Path) -> list[Result]:
    """Every case once per round, in turn; for each case the round with the median requests/s."""
    rounds = [[load(wrk, case, base_url, args, directory) for case in todo] for _ in range(args.rounds)]
    return [sorted(runs, key=lambda result: result.rps)[len(runs) // 2] for runs in zip(*rounds)]


# ---- the server ------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(directory: Path, port: int) -> dict[str, str]:
    return os.environ | {
        "APP_ENV": "development", "DEV_LOGIN": "1",
        "DATABASE_URL": f"sqlite:///{directory / 'bench.sqlite3'}",
        "BIND": f"127.0.0.1:{port}", "ACCESS_LOG": "/dev/null",
    }


def gunicorn_workers(env: dict[str, str]) -> int:
    """The worker count gunicorn.conf.py yields in this environment."""
    with mock.patch.dict(os.environ, env, clear=True):
        return runpy.run_path(str(GUNICORN_CONF))["workers"]


def prepare_database(env: dict[str, str]) -> None:
    """Migrate the fresh database and load the demo data."""
    flask = str(VENV_BIN / "flask")
    for command in (["db", "upgrade"], ["seed-demo", "--subjects", str(SUBJECTS)]):
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
def gunicorn(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """gunicorn -c gunicorn.conf.py wsgi:app in its own process group, stopped with that group."""
    with log.open("wb") as output:
        server = subprocess.Popen([str(VENV_BIN / "gunicorn"), "-c", str(GUNICORN_CONF), "wsgi:app"], cwd=ROOT,
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


def login(base_url: str) -> str:
    status, body = request("POST", base_url + "/api/v1/auth/login", {}, LOGIN)
    if status != 200:
        raise RuntimeError(f"login answered {status}: {body[:300]!r}")
    return json.loads(body)["access_token"]


def check(case: Case, base_url: str) -> None:
    """One request by hand, so a case that is refused fails here rather than as fast errors under load."""
    status, body = request(case.method, base_url + case.path, case.headers, case.body)
    if not 200 <= status < 300:
        raise RuntimeError(f"{case.name}: {case.method} {case.path} answered {status}: {body[:300]!r}")


# ---- report ----------------------------------------------------------------------------------------------

def verdict(result: Result, baseline: float) -> str:
    if result.case.target is None:
        return ""
    passed = result.rps >= result.case.target * baseline and result.errors == 0
    return f"{'PASS' if passed else 'FAIL'} (≥ {result.case.target:.1f})"


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
        env, base_url = server_env(directory, port), f"http://127.0.0.1:{port}"
        prepare_database(env)
        with gunicorn(env, directory / "gunicorn.log") as server:
            wait_until_up(base_url, server)
            todo = cases(login(base_url))
            for case in todo:
                check(case, base_url)
            print(f"gunicorn.conf.py: {gunicorn_workers(env)} sync workers on {os.cpu_count()} cores; "
                  f"SQLite, {SUBJECTS} listed subjects; wrk -t{args.threads} -c{args.connections} "
                  f"-d{args.duration}s after {args.warmup} s warm-up, {args.rounds} round(s), on the same machine",
                  flush=True)
            results = measure(wrk, todo, base_url, args, directory)
    print_table(results)


if __name__ == "__main__":
    main()
