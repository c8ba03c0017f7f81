"""Confirmations kept in a local SQLite file until the server acknowledges them, so none is lost to the network; and
the decisions made offline (verify attempts and redemptions), kept until uploaded through POST /api/v1/scan/offline.
The offline redemptions are also this device's memory of the codes it has used (token_used offline)."""
import sqlite3
import threading
import time
import uuid
from dataclasses import asdict, dataclass
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
);
CREATE TABLE IF NOT EXISTS offline_items (
    idempotency_key TEXT PRIMARY KEY,
    username TEXT NOT NULL,                   -- the staff account signed in (or last signed in) at the counter
    action TEXT NOT NULL,                     -- verify, redeem
    token TEXT NOT NULL,
    token_key TEXT,                           -- the code id of a well-formed code (its single-use key)
    measure_id INTEGER,
    decided_at TEXT NOT NULL,                 -- ISO 8601, UTC, by the server's clock as of the last sync
    device TEXT NOT NULL,
    valid INTEGER NOT NULL,
    reason TEXT,
    created_at REAL NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',    -- pending, uploaded
    outcome TEXT                              -- the server's outcome: recorded, duplicate_offline or a reason code
);
CREATE INDEX IF NOT EXISTS offline_redeemed ON offline_items (token_key) WHERE action = 'redeem';
-- redeemed_here on every offline decision: neither table is ever emptied, so neither lookup may scan it
CREATE INDEX IF NOT EXISTS confirmations_token ON confirmations (token);
"""
# Items sent in one POST /api/v1/scan/offline.
UPLOAD_BATCH = 100


@dataclass(frozen=True)
class Outcome:
    """What became of one confirmation: acknowledged (with the redemption), refused (with the code), or pending."""

    idempotency_key: str
    token: str
    measure_id: int
    state: str
    redemption: dict[str, Any] | None = None
    refusal: str | None = None


@dataclass(frozen=True)
class OfflineItem:
    """One decision made offline, as POST /api/v1/scan/offline takes it."""

    idempotency_key: str
    token: str
    action: str
    measure_id: int | None
    decided_at: str
    device: str
    valid: bool
    reason: str | None

    def as_json(self) -> dict[str, Any]:
        item = asdict(self)
        return {key: value for key, value in item.items() if value is not None or key == "reason"}


class Outbox:
    """A durable queue: a confirmation is written before it is sent and retried, with the same key, until answered."""

    def __init__(self, path: str) -> None:
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(SCHEMA)
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
            count: int = self.db.execute("SELECT count(*) FROM confirmations WHERE state = 'pending'").fetchone()[0]
        return count

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

    # ---- decisions made offline --------------------------------------------------------------------------------

    def add_offline(self, username: str, item: OfflineItem, token_key: str | None) -> None:
        """Record an offline decision before it is shown, so it is uploaded even if the program dies next."""
        with self._lock:
            self.db.execute(
                "INSERT INTO offline_items (idempotency_key, username, action, token, token_key, measure_id, "
                "decided_at, device, valid, reason, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (item.idempotency_key, username, item.action, item.token, token_key, item.measure_id,
                 item.decided_at, item.device, int(item.valid), item.reason, time.time()))

    def redeemed_here(self, token_key: str, token: str) -> bool:
        """Whether this device already redeemed the code: offline, or online (a confirmation not refused)."""
        with self._lock:
            found: int = self.db.execute(
                "SELECT EXISTS (SELECT 1 FROM offline_items WHERE token_key = ? AND action = 'redeem' AND valid) "
                "OR EXISTS (SELECT 1 FROM confirmations WHERE token = ? AND state != 'refused')",
                (token_key, token)).fetchone()[0]
        return found == 1

    def offline_pending(self, username: str | None = None, limit: int = UPLOAD_BATCH) -> list[OfflineItem]:
        """The oldest offline decisions not yet uploaded (of one staff account, when given)."""
        where, params = ("AND username = ?", (username,)) if username is not None else ("", ())
        with self._lock:
            rows = self.db.execute(
                "SELECT idempotency_key, token, action, measure_id, decided_at, device, valid, reason "
                f"FROM offline_items WHERE state = 'pending' {where} ORDER BY created_at, rowid LIMIT ?",
                (*params, limit)).fetchall()
        return [OfflineItem(key, token, action, measure_id, decided_at, device, bool(valid), reason)
                for key, token, action, measure_id, decided_at, device, valid, reason in rows]

    def offline_pending_count(self, username: str | None = None) -> int:
        where, params = ("AND username = ?", (username,)) if username is not None else ("", ())
        with self._lock:
            count: int = self.db.execute(f"SELECT count(*) FROM offline_items WHERE state = 'pending' {where}",
                                         params).fetchone()[0]
        return count

    def offline_uploaded(self, outcomes: dict[str, str]) -> None:
        """Mark items the server answered, with its outcome for each (idempotency key → outcome)."""
        with self._lock:
            self.db.executemany("UPDATE offline_items SET state = 'uploaded', outcome = ? WHERE idempotency_key = ?",
                                [(outcome, key) for key, outcome in outcomes.items()])
