"""The scanner's logic without a screen: frames in, decisions out; shared by the window and headless mode."""
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from scanner_client.api import Refused, ServerUnreachable, StaffApi
from scanner_client.decoder import Decoder
from scanner_client.outbox import Outbox, Outcome

# A code lives 60 s by default; within this window the same code seen on more frames is not submitted again.
SEEN_WINDOW_SECONDS = 120


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
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(data.pop("extra"))
        return data


class Scanner:
    """Decodes frames, verifies each new code once, and confirms through the durable outbox."""

    def __init__(self, api: StaffApi, outbox: Outbox, device: str = "", decoder: Decoder | None = None) -> None:
        self.api, self.outbox, self.device = api, outbox, device
        self.decoder = decoder or Decoder()
        self._seen: dict[str, float] = {}

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
            answer = self.api.verify(token, self.device)
        except (ServerUnreachable, Refused) as failure:
            self._seen.pop(token, None)  # let the next frame try again once the server answers
            code = failure.code if isinstance(failure, Refused) else "server_unreachable"
            return Decision(source, token, False, code, None, [])
        return Decision(source, token, answer["valid"], answer["reason"], answer["subject"], answer["measures"],
                        attempt_id=answer["attempt_id"])

    def confirm(self, decision: Decision, measure_id: int) -> Decision:
        """Queue the confirmation durably, then try to send it; offline it stays queued and the decision pending."""
        key = self.outbox.add(decision.token, measure_id)
        outcome = self.outbox.send(self.api, key, self.device)
        return apply_outcome(decision, outcome)

    def retry_pending(self) -> list[Outcome]:
        return self.outbox.flush(self.api, self.device)


def apply_outcome(decision: Decision, outcome: Outcome) -> Decision:
    decision.pending = outcome.state == "pending"
    decision.redemption = outcome.redemption
    if outcome.refusal:
        decision.valid, decision.reason = False, outcome.refusal
    return decision
