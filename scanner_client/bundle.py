"""The counter bundle (GET /api/v1/scan/bundle, docs/offline-codes.md "The counter bundle") kept on disk beside the
outbox, and read back for offline decisions.

The file holds the server's answer (a delta merged into the last full one), when it was received by this computer's
clock, and the offset between the two clocks: offline time is this computer's clock plus that offset, never the raw
clock, and never earlier than the bundle's own server time (a clock turned back cannot revive old codes). It also
keeps a salted PBKDF2 hash of the password of the account that synced, so a counter started with the server out of
reach decides only for that account with that password.
"""
import base64
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from scanner_client import offline
from scanner_client.offline import CannotDecide, Keys, Measure, Verdict

BUNDLE_NAME = "xinyi-scanner-bundle.json"
DEFAULT_MAX_AGE_SECONDS = 24 * 3600
DEFAULT_LEEWAY_SECONDS = 5
PBKDF2_ITERATIONS = 200_000


def bundle_path(outbox: str) -> str:
    """The bundle file in the outbox's folder."""
    return os.path.join(os.path.dirname(os.path.abspath(outbox)), BUNDLE_NAME)


def verifier(username: str, password: str, salt: bytes | None = None) -> dict[str, Any]:
    """What checks a password offline: the user name, a random salt and PBKDF2-HMAC-SHA256 of the password."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, PBKDF2_ITERATIONS)
    return {"username": username, "salt": salt.hex(), "hash": digest.hex()}


def _bytes(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def server_seconds(text: str) -> float:
    """An ISO 8601 time as Unix seconds; one without an offset is taken as UTC."""
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).timestamp()


def _day(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


@dataclass
class Bundle:
    """A stored bundle, ready to decide: keys, measures and deny-list parsed once, and the clocks to use."""

    answer: dict[str, Any]
    server_time: float  # the server's clock when it made the bundle (Unix seconds)
    offset: float  # server clock minus this computer's clock, measured at the sync
    keys: Keys
    measures: list[Measure]
    denied: dict[bytes, str]
    meta: dict[str, Any]

    @classmethod
    def from_stored(cls, stored: dict[str, Any]) -> "Bundle":
        answer = stored["bundle"]
        public = {}
        for key in answer["signing_keys"]:
            raw = _bytes(key["public_key"])
            public[offline.key_id(raw)] = Ed25519PublicKey.from_public_bytes(raw)
        seal = {int(key["day"]) % 256: _bytes(key["key"]) for key in answer["seal_keys"]}
        measures = [Measure(int(m["id"]), m.get("code", ""), m["title"], frozenset(m["kinds"]),
                            frozenset(int(c) for c in m.get("category_ids") or ()), m.get("min_grade"),
                            dict(m["benefits"]), _day(m["valid_from"]) or dt.date.min, _day(m.get("valid_to")))
                    for m in answer["measures"]]
        denied = {bytes.fromhex(tag): group["reason"] for group in answer.get("deny", []) for tag in group["tags"]}
        return cls(answer, server_seconds(answer["server_time"]), float(stored["offset"]), Keys(public, seal), measures,
                   denied, {key: value for key, value in stored.items() if key != "bundle"})

    @property
    def version(self) -> Any:
        return self.answer.get("version")

    @property
    def venue(self) -> dict[str, Any]:
        return self.answer.get("venue") or self.meta.get("venue") or {}

    @property
    def max_age(self) -> float:
        return float(self.answer.get("max_age_seconds") or DEFAULT_MAX_AGE_SECONDS)

    def now(self, clock: float | None = None) -> float:
        """Server time now by this computer's clock and the measured offset, never before the bundle was made."""
        return max((time.time() if clock is None else clock) + self.offset, self.server_time)

    def age(self, clock: float | None = None) -> float:
        """Seconds since the server made this bundle."""
        return self.now(clock) - self.server_time

    def admits(self, username: str, password: str) -> bool:
        """Whether the account that synced this bundle is signing in, with its password (checked offline)."""
        login = self.meta.get("login") or {}
        if login.get("username") != username or "salt" not in login:
            return False
        expected = verifier(username, password, bytes.fromhex(login["salt"]))["hash"]
        return hmac.compare_digest(expected, login.get("hash", ""))

    def stale(self, clock: float | None = None) -> bool:
        return self.age(clock) > self.max_age

    def decide(self, token: str, used: Callable[[str], bool], clock: float | None = None) -> Verdict:
        """The offline decision on a token; CannotDecide when the bundle is too old to vouch for anything."""
        if self.stale(clock):
            raise CannotDecide("bundle older than its max_age_seconds")
        leeway = int(self.answer.get("leeway", DEFAULT_LEEWAY_SECONDS))
        return offline.decide(token, self.keys, self.measures, self.denied, self.now(clock), leeway, used)


def merged(previous: dict[str, Any] | None, answer: dict[str, Any]) -> dict[str, Any]:
    """A delta applied to the stored bundle: the stored deny-list less the tags `lifted` and those past their `until`,
    plus the delta's `deny`; everything else as the delta says. A full answer replaces the bundle."""
    if answer.get("full", True) or previous is None:
        return answer
    now = server_seconds(answer["server_time"])
    denied = {tag: (group["reason"], group["until"]) for group in previous.get("deny", []) for tag in group["tags"]
              if server_seconds(group["until"]) > now}
    for tag in answer.get("lifted", []):
        denied.pop(tag, None)
    denied.update((tag, (group["reason"], group["until"])) for group in answer.get("deny", []) for tag in group["tags"])
    groups: dict[tuple[str, str], list[str]] = {}
    for tag, key in denied.items():
        groups.setdefault(key, []).append(tag)
    deny = [{"reason": reason, "until": until, "tags": tags} for (reason, until), tags in groups.items()]
    return answer | {"deny": deny, "lifted": []}


def load(path: str) -> Bundle | None:
    """The stored bundle, or None when there is none or it cannot be read (then only online decisions)."""
    try:
        with open(path, encoding="utf-8") as file:
            return Bundle.from_stored(json.load(file))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def stored_answer(path: str) -> dict[str, Any] | None:
    try:
        with open(path, encoding="utf-8") as file:
            answer: dict[str, Any] = json.load(file)["bundle"]
            return answer
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save(path: str, answer: dict[str, Any], offset: float, meta: dict[str, Any]) -> Bundle:
    """Write the bundle readable by this user only (0600), whole or not at all; returns it ready to decide."""
    stored = meta | {"offset": offset, "received_at": time.time(), "bundle": answer}
    bundle = Bundle.from_stored(stored)  # refuse to store what could not be read back
    temporary = f"{path}.{os.getpid()}.tmp"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump(stored, file, ensure_ascii=False)
    with contextlib.suppress(OSError):
        os.chmod(temporary, 0o600)
    os.replace(temporary, path)
    return bundle
