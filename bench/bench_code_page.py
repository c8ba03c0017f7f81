"""Seconds from tapping 亮码 on 首页 to a QR on screen, on Chrome DevTools' "Fast 3G" and "Slow 3G" with the CPU
slowed 4×, with what the browser has cached: this tree against an older commit (the baseline), served in the same
run."""
import argparse
import io
import os
import signal
import statistics
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as `python bench/bench_code_page.py` rather than `python -m bench.bench_code_page`
    sys.path.insert(0, str(ROOT))

from bench import bench_http  # noqa: E402
from tests.browser import CHROMIUM, PHONE, launch  # noqa: E402

# Chrome DevTools' presets (devtools-frontend front_end/core/sdk/NetworkManager.ts): "Fast 3G" is Slow4GConditions
# since May 2024 (renamed, same numbers), "Slow 3G" is Slow3GConditions ("3G"); bytes/s and milliseconds.
PRESETS = {
    "Fast 3G": {"latency": 150 * 3.75, "downloadThroughput": 1.6e6 / 8 * 0.9, "uploadThroughput": 750e3 / 8 * 0.9},
    "Slow 3G": {"latency": 400 * 5, "downloadThroughput": 500e3 / 8 * 0.8, "uploadThroughput": 500e3 / 8 * 0.8},
}
TARGETS = {"Fast 3G": 2.0, "Slow 3G": 4.0}
# What the browser holds at the tap: "first" — the code page never opened, only what 首页 left (as a citizen's first
# 亮码); "again" — the code page opened before; "empty" — nothing at all, the cache emptied on 首页.
CACHES = ("first", "again", "empty")
CPU_SLOWDOWN = 4
# The code page as issue 21 found it (before any of its work): static files no-store, the code fetched after the page.
BASELINE_REF = "20921ec"
# Run in every document before its own scripts (through the debugging protocol, so the pages' CSP does not apply):
# the moment of a tap on a link, kept across the navigation, and the first frame with the QR decoded and on screen.
WATCH = """
addEventListener("click", (event) => {
  const now = performance.timeOrigin + performance.now();
  if (event.target.closest("a")) sessionStorage.setItem("bench-tap", String(now));
}, true);
(function watch() {
  const qr = document.getElementById("qr");
  if (qr && !qr.hidden && qr.complete && qr.naturalWidth > 0 && qr.getBoundingClientRect().height > 0) {
    window.benchShown = performance.timeOrigin + performance.now();
    return;
  }
  requestAnimationFrame(watch);
})();
"""


@dataclass(frozen=True)
class Tap:
    seconds: float
    requests: int  # answered over the network, not from the browser's cache
    kilobytes: float


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="taps per case; the median is shown (default 3)")
    parser.add_argument("--baseline", default=BASELINE_REF, help=f"git revision to compare with ({BASELINE_REF})")
    return parser.parse_args(argv)


def export(revision: str, directory: Path) -> Path:
    """The files of an older commit, unpacked from `git archive` (the repository is not touched)."""
    archive = subprocess.run(["git", "archive", "--format=tar", revision], cwd=ROOT, capture_output=True, check=True)
    target = directory / "baseline"
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(target, filter="data")
    return target


@contextmanager
def serve(source: Path, env: dict[str, str], log: Path) -> Iterator[str]:
    """gunicorn serving the app found in `source` (its own gunicorn.conf.py), stopped with its process group."""
    with log.open("wb") as output:
        command = [str(bench_http.VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:create_app()"]
        server = subprocess.Popen(command, cwd=source, env=env, stdout=output, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    try:
        base_url = "http://" + env["BIND"]
        bench_http.wait_until_up(base_url, server)
        yield base_url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=25)


def sign_in(page, who: dict[str, str]) -> None:
    page.goto("/m/login")
    page.get_by_label("姓名 / 企业名称").fill(who["name"])
    page.get_by_label("证件号码").fill(who["id_number"])
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    page.get_by_role("navigation", name="底部导航").wait_for()


def tap(browser, base_url: str, who: dict[str, str], preset: str, cache: str) -> Tap:
    """Sign in unthrottled, fill or empty the cache as `cache` says, then throttle and tap 亮码."""
    context = browser.new_context(base_url=base_url, locale="zh-CN", **PHONE)
    context.set_default_timeout(60_000)
    context.add_init_script(WATCH)
    page = context.new_page()
    try:
        sign_in(page, who)
        if cache == "again":
            page.goto("/m/code")
            page.wait_for_function("() => window.benchShown")
            page.goto("/m/")
        protocol = context.new_cdp_session(page)
        protocol.send("Network.enable")
        if cache == "empty":
            protocol.send("Network.clearBrowserCache")
        protocol.send("Network.emulateNetworkConditions", {"offline": False, **PRESETS[preset]})
        protocol.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
        cached, sizes = set(), {}
        protocol.on("Network.requestServedFromCache", lambda event: cached.add(event["requestId"]))
        protocol.on("Network.responseReceived", lambda event: cached.add(event["requestId"])
                    if event["response"].get("fromDiskCache") else None)
        protocol.on("Network.loadingFinished",
                    lambda event: sizes.__setitem__(event["requestId"], event["encodedDataLength"]))
        page.get_by_role("navigation", name="底部导航").get_by_role("link", name="亮码").click()
        page.wait_for_url("**/m/code")
        page.wait_for_function("() => window.benchShown")
        seconds = page.evaluate("(window.benchShown - Number(sessionStorage.getItem('bench-tap'))) / 1000")
        fetched = {request: size for request, size in sizes.items() if request not in cached}
        return Tap(seconds, len(fetched), sum(fetched.values()) / 1024)
    finally:
        context.close()


def median_tap(taps: list[Tap]) -> Tap:
    middle = sorted(taps, key=lambda run: run.seconds)[len(taps) // 2]
    return Tap(statistics.median(run.seconds for run in taps), middle.requests, middle.kilobytes)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        sys.exit(f"no Chromium at {CHROMIUM}")
    who = bench_http.bench_citizens()[0]
    with tempfile.TemporaryDirectory(prefix="bench-code-") as temporary:
        directory = Path(temporary)
        baseline = export(args.baseline, directory)
        env = bench_http.server_env(directory, bench_http.free_port()) | {"WEB_CONCURRENCY": "2"}
        bench_http.prepare_database(env, directory)
        old_env = env | {"BIND": f"127.0.0.1:{bench_http.free_port()}"}
        rows = []
        with serve(ROOT, env, directory / "now.log") as now_url, \
                serve(baseline, old_env, directory / "baseline.log") as old_url, sync_playwright() as playwright:
            browser = launch(playwright)
            for preset in PRESETS:
                for cache in CACHES:
                    for name, url in ((f"baseline {args.baseline}", old_url), ("this tree", now_url)):
                        result = median_tap([tap(browser, url, who, preset, cache) for _ in range(args.runs)])
                        rows.append((preset, cache, name, result))
                        print(f"  {preset} {cache} {name}: {result.seconds:.2f} s", file=sys.stderr)
            browser.close()
    print(f"\nTap 亮码 on 首页 → QR on screen; CPU ×{CPU_SLOWDOWN}; median of {args.runs} taps each\n")
    print("| network | cache | server | seconds | × baseline | requests | KB transferred | target |")
    print("|---|---|---|---:|---:|---:|---:|---|")
    for index, (preset, cache, name, result) in enumerate(rows):
        base = rows[index - index % 2][3].seconds
        verdict = "" if name.startswith("baseline") else (
            f"≤ {TARGETS[preset]:.0f} s " + ("met" if result.seconds <= TARGETS[preset] else "MISSED"))
        print(f"| {preset} | {cache} | {name} | {result.seconds:.2f} | {result.seconds / base:.2f} | "
              f"{result.requests} | {result.kilobytes:.1f} | {verdict} |")


if __name__ == "__main__":
    main()
