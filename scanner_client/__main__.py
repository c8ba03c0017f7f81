"""Command line of the scanner client (API.md, "Scanner client command line")."""
import argparse
import json
import os
import sys

from scanner_client import config
from scanner_client.api import Refused, ServerUnreachable, StaffApi
from scanner_client.decoder import decode_file
from scanner_client.exits import EXIT_STATUSES, LOGIN_OR_USAGE, NO_CODE, OK, UNREACHABLE

DEFAULT_OUTBOX = os.path.join(os.path.expanduser("~"), ".xinyi-scanner-outbox.sqlite3")
# As the user typed it: the console script installed by `pip install ./scanner_client`, or the module.
PROG = "xinyi-scanner" if os.path.basename(sys.argv[0]).startswith("xinyi-scanner") else "python -m scanner_client"

DESCRIPTION = f"""信易+ 柜台扫码核验 — the counter staff's scanner client.

commands:
  {PROG} --server URL --username U --password P [--camera N]
        the counter window: camera picture, the decision for each code, confirm buttons, 最近记录
  {PROG} --server URL --username U --password P --headless --image FILE… [--confirm MEASURE_ID]
        for gates and scripts: no window, one JSON line per decision, the exit status says what happened
  {PROG} sync --server URL --username U --password P
        upload what was decided offline, then fetch this venue's bundle so the counter can decide offline
  {PROG} decode FILE…
        offline: one JSON line {{"file", "text"}} per image file, text null when no QR code is read
  {PROG} cameras
        the cameras this computer has, as the window's picker lists them

With the server unreachable (or silent for 1.5 s) the window and --headless decide offline from the last bundle
synced (kept beside the outbox) and upload those decisions once the server answers again; a bundle older than a day
decides nothing ("离线数据已过期，请联网同步").

(installed with `pip install ./scanner_client`, the same commands run as `xinyi-scanner …` from any folder)"""


def _epilog() -> str:
    lines = ["exit statuses (headless; decode uses 0 and 4; the window 0, or 2 or 3 when login fails):"]
    lines += [f"  {status}  {meaning}" for status, meaning in EXIT_STATUSES.items()]
    lines.append("when several apply, the first of 2, 3, 1, 4 in that order is returned.")
    return "\n".join(lines)


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=DESCRIPTION, epilog=_epilog(),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", required=True, help="server URL, e.g. http://127.0.0.1:8000")
    parser.add_argument("--username", required=True)
    parser.add_argument("--password", default=os.environ.get("SCANNER_PASSWORD"),
                        help="or the SCANNER_PASSWORD environment variable")
    parser.add_argument("--camera", type=int, default=0, help="camera index (default 0)")
    parser.add_argument("--image", nargs="+", default=[], metavar="FILE", help="read frames from image files")
    parser.add_argument("--video", metavar="FILE", help="read frames from a video file")
    parser.add_argument("--headless", action="store_true", help="no window; one JSON line per decision")
    parser.add_argument("--confirm", type=int, metavar="MEASURE_ID", help="redeem this measure after a valid verify")
    parser.add_argument("--device", help="name of this scanner recorded with each attempt; default: the name saved "
                                         f"in {config.CONFIG_NAME} beside the outbox, first set to the computer's "
                                         "name; a name given here is saved there for later runs")
    parser.add_argument("--outbox", default=DEFAULT_OUTBOX, help="local file of confirmations not yet acknowledged "
                                                                 f"(default {DEFAULT_OUTBOX})")
    parser.add_argument("--drain-seconds", type=float, default=30.0,
                        help="headless: how long to keep retrying queued confirmations at the end")
    return parser


def decode_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"{PROG} decode", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Decode QR codes in image files, offline. One JSON line per file, in order: "
                    '{"file": FILE, "text": the text of the code found, or null}.',
        epilog=f"exit status: {OK} when every file held a readable code, {NO_CODE} when some did not "
               "(or was not an image).")
    parser.add_argument("files", nargs="+", metavar="FILE")
    return parser


def decode_command(paths: list[str]) -> int:
    """Offline: one {"file", "text"} line per file, in order; text is null when no code is found."""
    status = OK
    for path in paths:
        try:
            texts = decode_file(path)
        except (OSError, ValueError):  # missing, unreadable or not an image: no code in it
            texts = []
        status = status if texts else NO_CODE
        print(json.dumps({"file": path, "text": texts[0] if texts else None}, ensure_ascii=False), flush=True)
    return status


def cameras_command() -> int:
    from scanner_client.cameras import list_cameras

    found = list_cameras()
    for camera in found:
        print(json.dumps({"index": camera.index, "name": camera.name}, ensure_ascii=False))
    if not found:
        print("no camera found", file=sys.stderr)
    return OK


def parse(argv: list[str]) -> argparse.Namespace:
    options = parser()
    args = options.parse_args(argv)
    if not args.password:
        options.error("--password (or SCANNER_PASSWORD) is required")
    if args.headless and not (args.image or args.video):
        options.error("--headless needs --image or --video")
    return args


def main(argv: list[str]) -> int:
    if argv[:1] == ["decode"]:
        return decode_command(decode_parser().parse_args(argv[1:]).files)
    if argv[:1] == ["cameras"]:
        return cameras_command()
    if argv[:1] == ["sync"]:
        from scanner_client import sync

        return sync.command(argv[1:], PROG, DEFAULT_OUTBOX)
    args = parse(argv)
    # Imported here so that `decode` and `--help` need neither Tk nor the network stack's first-use costs.
    from scanner_client import headless
    from scanner_client.bundle import bundle_path
    from scanner_client.core import Scanner
    from scanner_client.outbox import Outbox

    api = StaffApi(args.server)
    online = True
    try:
        api.login(args.username, args.password)
    except ServerUnreachable as failure:
        online = False
        api.remember(args.username, args.password)
        print(f"login failed, server unreachable: {failure}", file=sys.stderr)
    except Refused as failure:
        print(f"login refused: {failure.code}: {failure.message}", file=sys.stderr)
        return LOGIN_OR_USAGE
    scanner = Scanner(api, Outbox(args.outbox), device=config.device_name(args.outbox, args.device),
                      bundle_file=bundle_path(args.outbox))
    if not online:
        if scanner.bundle is None:
            return UNREACHABLE
        if not scanner.bundle.admits(args.username, args.password):
            print("login refused offline: only the account that last synced this counter, with its password, can "
                  "decide offline", file=sys.stderr)
            return LOGIN_OR_USAGE
        api.venue = api.venue or scanner.bundle.venue
        print(f"deciding offline from the bundle synced {int(scanner.bundle.age())} s ago", file=sys.stderr)
    else:
        scanner.refresh_bundle()
    if args.headless:
        return headless.run(scanner, args.image, args.video, args.confirm, args.drain_seconds)
    from scanner_client import gui

    return gui.run(scanner, camera=args.camera, images=args.image, video=args.video, confirm=args.confirm)


def run() -> None:
    """The `xinyi-scanner` console script."""
    sys.exit(main(sys.argv[1:]))


if __name__ == "__main__":
    run()
