"""Confirmations kept in a local SQLite file until the server acknowledges them, so none is lost to the network."""
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from scanner_client.api import Refused, ServerUnreachable, StaffApi

# Not a verdict on the confirmation: logged out (re-login failed) or rate limited; try again later.
TRANSIENT_STATUSES = (401, 429)
SCHEMA = """
CREATE TABLE IF NOT EXISTS confirmations (
    idempotency_key TEXT PRIMARY KEY,
    token TEXT NOT NULL,
    measure_id INTEGER NOT NULL,
    created_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'pending',   -- pending, acknowledged, refused
    outcome TEXT                              -- the redemption id, or the refusal code
)"""


@dataclass(frozen=True)
class Outcome:
    """What became of one confirmation: acknowledged (with the redemption), refused (with the code), or pending."""

    idempotency_key: str
    token: str
    measure_id: int
    state: str
    redemption: dict[str, Any] | None = None
    refusal: str | None = None


class Outbox:
    """A durable queue: a confirmation is written before it is sent and retried, with the same key, until answered."""

    def __init__(self, path: str) -> None:
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(SCHEMA)
        self._lock = threading.Lock()  # the window reads the count while the worker thread writes

    def add(self, token: str, measure_id: int) -> str:
        """Record a confirmation and return its idempotency key; it survives a crash from here on."""
        key = uuid.uuid4().hex
        with self._lock:
            self.db.execute("INSERT INTO confirmations (idempotency_key, token, measure_id, created_at) "
                            "VALUES (?,?,?,?)", (key, token, measure_id, time.time()))
        return key

    def pending_count(self) -> int:
        with self._lock:
            return self.db.execute("SELECT count(*) FROM confirmations WHERE state = 'pending'").fetchone()[0]

    def send(self, api: StaffApi, key: str, device: str = "") -> Outcome:
        """Try one confirmation now; a network failure leaves it pending for the next flush."""
        with self._lock:
            token, measure_id = self.db.execute(
                "SELECT token, measure_id FROM confirmations WHERE idempotency_key = ?", (key,)).fetchone()
            self.db.execute("UPDATE confirmations SET attempts = attempts + 1 WHERE idempotency_key = ?", (key,))
        try:
            redemption = api.redeem(token, measure_id, key, device)
        except ServerUnreachable:
            return Outcome(key, token, measure_id, "pending")
        except Refused as refused:
            if refused.status in TRANSIENT_STATUSES:
                return Outcome(key, token, measure_id, "pending")
            self._settle(key, "refused", refused.code)
            return Outcome(key, token, measure_id, "refused", refusal=refused.code)
        self._settle(key, "acknowledged", str(redemption["id"]))
        return Outcome(key, token, measure_id, "acknowledged", redemption=redemption)

    def flush(self, api: StaffApi, device: str = "") -> list[Outcome]:
        """Send every pending confirmation, oldest first; stops at the first network failure."""
        with self._lock:
            keys = [key for (key,) in self.db.execute(
                "SELECT idempotency_key FROM confirmations WHERE state = 'pending' ORDER BY created_at")]
        outcomes = []
        for key in keys:
            outcome = self.send(api, key, device)
            outcomes.append(outcome)
            if outcome.state == "pending":
                break
        return outcomes

    def _settle(self, key: str, state: str, outcome: str) -> None:
        with self._lock:
            self.db.execute("UPDATE confirmations SET state = ?, outcome = ? WHERE idempotency_key = ?",
                            (state, outcome, key))
