"""Command line of the scanner client (API.md, "Scanner client command line")."""
import argparse
import json
import os
import platform
import sys

from scanner_client import gui, headless
from scanner_client.api import Refused, ServerUnreachable, StaffApi
from scanner_client.core import Scanner
from scanner_client.decoder import decode_file
from scanner_client.outbox import Outbox

DEFAULT_OUTBOX = os.path.join(os.path.expanduser("~"), ".xinyi-scanner-outbox.sqlite3")


def decode_command(paths: list[str]) -> int:
    """Offline: one {"file", "text"} line per file, in order; text is null when no code is found."""
    for path in paths:
        try:
            texts = decode_file(path)
        except (OSError, ValueError):  # missing, unreadable or not an image: no code in it
            texts = []
        print(json.dumps({"file": path, "text": texts[0] if texts else None}, ensure_ascii=False), flush=True)
    return 0


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m scanner_client", description="信易+ 柜台扫码核验")
    parser.add_argument("--server", required=True, help="server URL, e.g. http://127.0.0.1:8000")
    parser.add_argument("--username", required=True)
    parser.add_argument("--password", default=os.environ.get("SCANNER_PASSWORD"),
                        help="or the SCANNER_PASSWORD environment variable")
    parser.add_argument("--camera", type=int, default=0, help="camera index (default 0)")
    parser.add_argument("--image", nargs="+", default=[], metavar="FILE", help="read frames from image files")
    parser.add_argument("--video", metavar="FILE", help="read frames from a video file")
    parser.add_argument("--headless", action="store_true", help="no window; one JSON line per decision")
    parser.add_argument("--confirm", type=int, metavar="MEASURE_ID", help="redeem this measure after a valid verify")
    parser.add_argument("--device", default=platform.node()[:80], help="device name recorded with each attempt")
    parser.add_argument("--outbox", default=DEFAULT_OUTBOX, help="local file of confirmations not yet acknowledged")
    parser.add_argument("--drain-seconds", type=float, default=30.0,
                        help="headless: how long to keep retrying queued confirmations at the end")
    args = parser.parse_args(argv)
    if not args.password:
        parser.error("--password (or SCANNER_PASSWORD) is required")
    if args.headless and not (args.image or args.video):
        parser.error("--headless needs --image or --video")
    return args


def main(argv: list[str]) -> int:
    if argv[:1] == ["decode"]:
        return decode_command(argv[1:])
    args = parse(argv)
    api = StaffApi(args.server)
    try:
        api.login(args.username, args.password)
    except (ServerUnreachable, Refused) as failure:
        print(f"login failed: {failure}", file=sys.stderr)
        return 2
    scanner = Scanner(api, Outbox(args.outbox), device=args.device)
    if args.headless:
        return headless.run(scanner, args.image, args.video, args.confirm, args.drain_seconds)
    return gui.run(scanner, camera=args.camera, images=args.image, video=args.video, confirm=args.confirm)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
