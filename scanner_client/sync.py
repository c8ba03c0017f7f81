"""`xinyi-scanner sync`: upload what was decided offline, send queued confirmations, fetch the counter bundle."""
import argparse
import json
import os
import sys
import time
from collections import Counter
from typing import Any

from scanner_client import bundle as bundles
from scanner_client import config
from scanner_client.api import Refused, ServerUnreachable, StaffApi
from scanner_client.exits import LOGIN_OR_USAGE, OK, UNREACHABLE
from scanner_client.outbox import Outbox


def refresh_bundle(api: StaffApi, path: str) -> tuple[bundles.Bundle, bool]:
    """Fetch the bundle (a delta when one is stored), store it 0600, and return it with whether it was a delta.

    The clock offset is the server's time minus the midpoint of the request by this computer's clock."""
    previous = bundles.stored_answer(path)
    since = previous.get("version") if previous else None
    sent = time.time()
    answer = api.bundle(since)
    received = time.time()
    offset = bundles.server_seconds(answer["server_time"]) - (sent + received) / 2
    meta = {"server": api.server, "venue": api.venue, "login": bundles.verifier(*api.credentials)}
    return bundles.save(path, bundles.merged(previous, answer), offset, meta), not answer.get("full", True)


def upload(api: StaffApi, outbox: Outbox) -> Counter[str]:
    """Every offline decision of the signed-in account, oldest first, in batches; the server's outcomes counted.

    Re-sending after a lost answer changes nothing on the server (each item has its idempotency key)."""
    outcomes: Counter[str] = Counter()
    while items := outbox.offline_pending(api.username):
        answered = api.upload_offline([item.as_json() for item in items])
        if not answered:
            break
        outbox.offline_uploaded(answered)
        outcomes.update(answered.values())
    return outcomes


def sync(api: StaffApi, outbox: Outbox, path: str, device: str) -> dict[str, Any]:
    """Upload first (so the bundle fetched after it reflects them), then fetch the bundle; a summary for people."""
    confirmations = Counter(outcome.state for outcome in outbox.flush(api, device))
    uploaded = upload(api, outbox)
    fresh, delta = refresh_bundle(api, path)
    return {"bundle": {"version": fresh.version, "delta": delta, "measures": len(fresh.measures),
                       "denied_batches": len(fresh.denied), "max_age_seconds": int(fresh.max_age)},
            "uploaded": dict(uploaded), "confirmations": dict(confirmations),
            "still_queued": outbox.offline_pending_count() + outbox.pending_count()}


def parser(prog: str, default_outbox: str) -> argparse.ArgumentParser:
    options = argparse.ArgumentParser(
        prog=f"{prog} sync", description="Upload the decisions made offline and the queued confirmations, then fetch "
                                         "this venue's bundle for deciding offline. Prints one JSON summary line.",
        epilog=f"exit status: {OK} done, {LOGIN_OR_USAGE} login refused or bad usage, {UNREACHABLE} server "
               "unreachable (what is queued stays queued).")
    options.add_argument("--server", required=True)
    options.add_argument("--username", required=True)
    options.add_argument("--password", default=os.environ.get("SCANNER_PASSWORD"),
                         help="or the SCANNER_PASSWORD environment variable")
    options.add_argument("--outbox", default=default_outbox, help="the outbox; the bundle is kept beside it")
    options.add_argument("--device", help="this scanner's name (see the main command)")
    return options


def command(argv: list[str], prog: str, default_outbox: str) -> int:
    options = parser(prog, default_outbox)
    args = options.parse_args(argv)
    if not args.password:
        options.error("--password (or SCANNER_PASSWORD) is required")
    api = StaffApi(args.server)
    try:
        api.login(args.username, args.password)
        summary = sync(api, Outbox(args.outbox), bundles.bundle_path(args.outbox),
                       config.device_name(args.outbox, args.device))
    except ServerUnreachable as failure:
        print(f"sync failed, server unreachable: {failure}", file=sys.stderr)
        return UNREACHABLE
    except Refused as failure:
        print(f"sync refused: {failure.code}: {failure.message}", file=sys.stderr)
        return LOGIN_OR_USAGE
    print(json.dumps(summary, ensure_ascii=False), flush=True)
    return OK
