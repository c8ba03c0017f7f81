"""The scanner's logic without a screen: frames in, decisions out; shared by the window and headless mode.

Online the server decides. When it cannot be reached (or does not answer within ONLINE_ANSWER_SECONDS while a bundle
is at hand) the counter decides from its bundle, records the decision in the outbox and uploads it later."""
import contextlib
import datetime as dt
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from scanner_client import bundle as bundles
from scanner_client import offline, sync
from scanner_client.api import Refused, ServerUnreachable, StaffApi
from scanner_client.decoder import Decoder
from scanner_client.outbox import OfflineItem, Outbox, Outcome

# A code lives 60 s by default; within this window the same code seen on more frames is not submitted again.
SEEN_WINDOW_SECONDS = 120
# With a bundle to fall back on, a verify the server has not answered by then is decided offline.
ONLINE_ANSWER_SECONDS = 1.5
# While online, the bundle is fetched again once it is this old; a failed fetch is tried again this much later.
BUNDLE_REFRESH_SECONDS = 600
BUNDLE_RETRY_SECONDS = 60
# No decision either way: the server did not answer and the bundle cannot stand in (none, or too old).
UNDECIDED = ("server_unreachable", "offline_data_expired")
TOKEN_MAX = 512  # the server's limit on a token


@dataclass
class Decision:
    """What the server said of one scanned code, and of its confirmation if one was made."""

    source: str
    token: str
    valid: bool
    reason: str | None
    subject: dict[str, Any] | None
    measures: list[dict[str, Any]]
    redemption: dict[str, Any] | None = None
    attempt_id: int | None = None
    pending: bool = False
    offline: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(data.pop("extra"))
        return data


class Scanner:
    """Decodes frames, verifies each new code once, and confirms through the durable outbox."""

    def __init__(self, api: StaffApi, outbox: Outbox, device: str = "", decoder: Decoder | None = None,
                 bundle_file: str | None = None) -> None:
        self.api, self.outbox, self.device = api, outbox, device
        self.decoder = decoder or Decoder()
        self._seen: dict[str, float] = {}
        self.bundle_file = bundle_file
        self.bundle = bundles.load(bundle_file) if bundle_file else None
        self._bundle_tried = -float("inf")

    def new_tokens(self, frame) -> list[str]:
        """The codes in a frame that were not already handled in the last couple of minutes."""
        now = time.monotonic()
        self._seen = {token: at for token, at in self._seen.items() if now - at < SEEN_WINDOW_SECONDS}
        fresh = [token for token in self.decoder.decode(frame) if token not in self._seen]
        self._seen.update((token, now) for token in fresh)
        return fresh

    def seen_tokens(self) -> set[str]:
        """The codes handled in the last couple of minutes."""
        return set(self._seen)

    def verify(self, token: str, source: str) -> Decision:
        try:
            answer = self.api.verify(token, self.device, **({"timeout": ONLINE_ANSWER_SECONDS} if self.bundle else {}))
        except ServerUnreachable:
            return self.decide_offline(token, source)
        except Refused as failure:
            self._seen.pop(token, None)  # let the next frame try again once the server answers
            return Decision(source, token, False, failure.code, None, [])
        return Decision(source, token, answer["valid"], answer["reason"], answer["subject"], answer["measures"],
                        attempt_id=answer["attempt_id"])

    def decide_offline(self, token: str, source: str) -> Decision:
        """The bundle's decision, recorded in the outbox for upload; none when there is no usable bundle."""
        if self.bundle is None:
            self._seen.pop(token, None)
            return Decision(source, token, False, "server_unreachable", None, [])
        age = {"bundle_age_seconds": int(self.bundle.age())}
        try:
            verdict = self.bundle.decide(token, lambda key: self.outbox.redeemed_here(key, token))
        except offline.CannotDecide:
            self._seen.pop(token, None)
            return Decision(source, token, False, "offline_data_expired", None, [], offline=True, extra=age)
        self._record("verify", token, verdict.token_key, None, verdict.valid, verdict.reason)
        return Decision(source, token, verdict.valid, verdict.reason, verdict.subject, verdict.measures,
                        offline=True, extra=age)

    def _record(self, action: str, token: str, token_key: str | None, measure_id: int | None, valid: bool,
                reason: str | None) -> dt.datetime:
        """Put an offline decision in the outbox, timed by the server's clock as of the last sync."""
        decided = dt.datetime.fromtimestamp(self.bundle.now(), dt.UTC)
        self.outbox.add_offline(self.api.username, OfflineItem(
            uuid.uuid4().hex, token[:TOKEN_MAX], action, measure_id, decided.isoformat(timespec="milliseconds"),
            self.device, valid, reason), token_key)
        return decided

    def confirm(self, decision: Decision, measure_id: int) -> Decision:
        """Queue the confirmation durably, then try to send it; offline it stays queued and the decision pending.

        A decision made offline is confirmed offline: a redemption in the outbox, uploaded later."""
        if decision.offline:
            return self._confirm_offline(decision, measure_id)
        key = self.outbox.add(decision.token, measure_id)
        outcome = self.outbox.send(self.api, key, self.device)
        return apply_outcome(decision, outcome)

    def _confirm_offline(self, decision: Decision, measure_id: int) -> Decision:
        offer = next((measure for measure in decision.measures if measure["id"] == measure_id), None)
        token_key = offline.parse(decision.token).token_key
        reason = None
        if self.outbox.redeemed_here(token_key, decision.token):
            reason = "token_used"
        elif offer is None:
            known = any(measure.id == measure_id for measure in self.bundle.measures)
            reason = "no_applicable_measure" if known else "measure_not_at_venue"
        decided = self._record("redeem", decision.token, token_key, measure_id, reason is None, reason)
        if reason:
            decision.valid, decision.reason = False, reason
            return decision
        decision.redemption = {"id": None, "measure_id": measure_id, "benefit": offer["benefit"],
                               "redeemed_at": decided.astimezone(offline.BEIJING).isoformat(timespec="seconds")}
        return decision

    def retry_pending(self) -> list[Outcome]:
        """Send queued confirmations, then upload offline decisions (best effort); the confirmations' outcomes."""
        outcomes = self.outbox.flush(self.api, self.device)
        if (self.bundle_file and self.outbox.offline_pending_count(self.api.username)
                and not any(outcome.state == "pending" for outcome in outcomes)):
            with contextlib.suppress(ServerUnreachable, Refused):  # tried again at the next retry
                sync.upload(self.api, self.outbox)
        return outcomes

    def refresh_bundle(self, force: bool = False) -> bool:
        """Fetch the bundle again when it is due (or forced); whether a fresh one is now in use."""
        due = self.bundle is None or self.bundle.age() > BUNDLE_REFRESH_SECONDS
        waited = time.monotonic() - self._bundle_tried >= BUNDLE_RETRY_SECONDS
        if not self.bundle_file or not (force or (due and waited)):
            return False
        self._bundle_tried = time.monotonic()
        try:
            self.bundle, _ = sync.refresh_bundle(self.api, self.bundle_file)
        except (ServerUnreachable, Refused, ValueError, KeyError, TypeError):
            return False
        return True


def apply_outcome(decision: Decision, outcome: Outcome) -> Decision:
    decision.pending = outcome.state == "pending"
    decision.redemption = outcome.redemption
    if outcome.refusal:
        decision.valid, decision.reason = False, outcome.refusal
    return decision
