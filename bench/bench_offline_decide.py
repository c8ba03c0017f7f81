"""How long the desktop counter takes to decide a code offline (issue 23: ≤ 5 ms p95, decoding excluded).

Codes are made with the server's encoder (app/domain/codes.py) and keys; the counter's bundle is a province-scale one
(a dozen measures, 2,000 denied batch tags) written to disk and read back as the client reads it. Each decision is one
of: granted, deny-listed, already redeemed here, expired, tampered, not a code. Measured, in the same run:

- baseline: one bare Ed25519 signature check (cryptography), the floor of any signed-code check;
- parse only (base45 and the fields);
- the decision (offline.decide: parse, signature, window, AES-CTR opening, deny-list, measures), single use looked up
  in memory;
- the decision as the counter makes it (Bundle.decide with the single-use lookup in the SQLite outbox);
- the whole offline verify of core.Scanner (that decision, plus writing the attempt to the outbox for upload).

    .venv/bin/python -m bench.bench_offline_decide [--decisions 2000]
"""
import argparse
import base64
import datetime as dt
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.domain import codes
from scanner_client import bundle as bundles
from scanner_client import offline
from scanner_client.api import StaffApi
from scanner_client.core import Scanner
from scanner_client.outbox import OfflineItem, Outbox

TARGET_P95_MS = 5.0
SEED, SECRET = bytes(range(32)), bytes(range(7, 39))
NOT_BEFORE = int(dt.datetime(2026, 11, 21, 1, 30, tzinfo=dt.UTC).timestamp())
DAY = codes.day_number(dt.date(2026, 11, 21))
DENIED = 2000
MEASURES = 12
REDEEMED = 10_000  # offline redemptions already in the outbox


def _tokens(count: int, rng: random.Random) -> list[tuple[str, str]]:
    """(token, what it should be) for a mix of codes a counter sees."""
    kinds = ["granted"] * 6 + ["denied", "used", "expired", "tampered", "not a code"]
    made = []
    for number in range(count):
        kind = kinds[number % len(kinds)]
        sealed = codes.Sealed("person", rng.choice([None, "A", "AA", "AAA"]),
                              tuple(rng.sample(range(1, 19), rng.randint(1, 3))), "冯*生")
        code_id = rng.randbytes(8)
        tag = bytes([0xDE]) + rng.randbytes(7) if kind == "denied" else rng.randbytes(8)
        not_before = NOT_BEFORE - 3600 if kind == "expired" else NOT_BEFORE
        token = codes.encode(codes.Payload(code_id, not_before, 60, tag, DAY, sealed), SEED,
                             codes.seal_key(SECRET, DAY))
        if kind == "tampered":
            token = token[:20] + ("0" if token[20] != "0" else "1") + token[21:]
        if kind == "not a code":
            token = f"https://example.org/{number}"
        made.append((token, kind))
    return made


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _bundle_answer(rng: random.Random, denied_tags: list[str]) -> dict:
    """A bundle in the shape of docs/offline-codes.md, "The counter bundle"."""
    def benefits(percent: int) -> dict:
        return {grade: {"pay_percent": percent, "summary": f"按{percent // 10}折收费"}
                for grade in ("", *offline.GRADES)}

    measures = [{"id": n, "code": f"XY-{n:02d}", "title": f"措施 {n}", "kinds": ["person", "enterprise"],
                 "category_ids": sorted(rng.sample(range(1, 19), 4)) if n % 3 else [],
                 "min_grade": rng.choice([None, "B", "A", "AA"]), "valid_from": "2025-01-01", "valid_to": None,
                 "benefits": benefits(10 * (n % 9 + 1))} for n in range(1, MEASURES + 1)]
    public = codes.public_key(SEED)
    return {
        "format": 1, "version": 1, "full": True,
        "server_time": dt.datetime.fromtimestamp(NOT_BEFORE + 10, dt.UTC).isoformat(), "max_age_seconds": 86400,
        "ttl": 60, "leeway": 5, "venue": {"id": 1, "name": "公交", "scenario": "travel"},
        "signing_keys": [{"key_id": codes.key_id(public), "public_key": _b64(public)}],
        "seal_keys": [{"day": day, "key": _b64(codes.seal_key(SECRET, day))} for day in (DAY - 1, DAY, DAY + 1)],
        "measures": measures, "lifted": [],
        "deny": [{"reason": "listing_suspended", "until": dt.datetime.fromtimestamp(NOT_BEFORE + 7200, dt.UTC)
                  .isoformat(), "tags": denied_tags}]}


def _times(decide: Callable[[str], object], tokens: list[tuple[str, str]]) -> list[float]:
    for token, _ in tokens[:50]:  # warm up: caches, the first AES context
        decide(token)
    times = []
    for token, _ in tokens:
        started = time.perf_counter()
        decide(token)
        times.append((time.perf_counter() - started) * 1000)
    return times


def _row(name: str, times: list[float], target: bool = False) -> str:
    p50, p95 = statistics.median(times), statistics.quantiles(times, n=20)[18]
    verdict = ("PASS" if p95 <= TARGET_P95_MS else "FAIL") if target else ""
    return f"| {name} | {len(times)} | {p50:.3f} | {p95:.3f} | {max(times):.3f} | {verdict} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--decisions", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=23)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    tokens = _tokens(args.decisions, rng)
    denied = [offline.parse(t).batch_tag.hex() for t, kind in tokens if kind == "denied"]
    denied += [(bytes([0xDE]) + rng.randbytes(7)).hex() for _ in range(DENIED - len(denied))]
    used = {offline.parse(t).token_key for t, kind in tokens if kind == "used"}

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, bundles.BUNDLE_NAME)
        bundles.save(path, _bundle_answer(rng, denied), NOT_BEFORE + 10 - time.time(), {})
        bundle = bundles.load(path)
        outbox = Outbox(os.path.join(folder, "outbox.sqlite3"))
        for number in range(REDEEMED):
            key = rng.randbytes(8).hex()
            outbox.add_offline("gate", OfflineItem(key, f"XY1:{number}", "redeem", 1, "2026-11-21T01:30:00+00:00",
                                                   "gate-1", True, None), key)
        for token, kind in tokens:
            if kind == "used":
                key = offline.parse(token).token_key
                outbox.add_offline("gate", OfflineItem(key, token, "redeem", 1, "2026-11-21T01:30:00+00:00",
                                                       "gate-1", True, None), key)
        api = StaffApi("http://127.0.0.1:9")
        api.remember("gate", "-")
        scanner = Scanner(api, outbox, device="gate-1", bundle_file=path)

        verdicts = {kind: bundle.decide(token, lambda key: key in used).reason for token, kind in tokens[:11]}
        print("one of each:", ", ".join(f"{kind} → {reason or 'granted'}" for kind, reason in verdicts.items()))
        signer = Ed25519PrivateKey.from_private_bytes(SEED)
        public, message = signer.public_key(), rng.randbytes(90)
        signature = signer.sign(message)
        now = bundle.now()
        print(f"\n{args.decisions} decisions ({DENIED} denied tags, {MEASURES} measures, {REDEEMED:,} redemptions "
              f"in the outbox); milliseconds per decision, target p95 ≤ {TARGET_P95_MS} ms")
        print("| what | n | p50 ms | p95 ms | max ms | verdict |")
        print("|---|--:|--:|--:|--:|---|")
        print(_row("baseline: one bare Ed25519 verify", _times(lambda _: public.verify(signature, message), tokens)))
        print(_row("parse only", _times(lambda t: _safe(offline.parse, t), tokens)))
        print(_row("decision, single use in memory", _times(
            lambda t: offline.decide(t, bundle.keys, bundle.measures, bundle.denied, now, 5, used.__contains__),
            tokens), target=True))
        print(_row("decision, single use in the SQLite outbox", _times(
            lambda t: bundle.decide(t, lambda key: outbox.redeemed_here(key, t)), tokens), target=True))
        print(_row("Scanner offline verify (and the attempt written)", _times(
            lambda t: scanner.decide_offline(t, "bench"), tokens), target=True))


def _safe(function, token):
    try:
        return function(token)
    except offline.Refused:
        return None


if __name__ == "__main__":
    main()
