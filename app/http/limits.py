"""Rate limits that outlive their store: while the shared store (Redis) does not answer, each process counts in its
own memory, says so in the log once a minute, and goes back to the store when it answers again.

Flask-Limiter does the falling back (RATELIMIT_IN_MEMORY_FALLBACK_ENABLED) and the return: after a failed call it
counts in memory and pings the store again after 1, 2, 4 … 32 seconds, then every 32 seconds. The store's connect and
read timeouts (RATELIMIT_STORAGE_OPTIONS) bound what a request can lose to a store that is down or frozen. What this
module adds is the state for others to ask (`store_state`), the warning, and keeping Flask-Limiter's Retry-After to
its own refusals.
"""
import time
from typing import Literal

from flask import Flask, Response, current_app, g
from flask_limiter import Limiter

StoreState = Literal["up", "fallback"]
WARNING_INTERVAL_SECONDS = 60.0


class StoreWarnings:
    """What to log about the store, given its state at the end of each request: a warning at most once a minute while
    limits are counted in memory (not one per request), and one line when the store answers again."""

    def __init__(self, interval: float = WARNING_INTERVAL_SECONDS) -> None:
        self.interval = interval
        self.last_warning: float | None = None

    def observe(self, state: StoreState, now: float) -> str | None:
        if state == "up":
            if self.last_warning is None:
                return None
            self.last_warning = None
            return "rate-limit store answers again: limits are shared across processes again"
        if self.last_warning is not None and now - self.last_warning < self.interval:
            return None
        self.last_warning = now
        return ("rate-limit store does not answer: each process counts rate limits in its own memory until it does "
                "(RATELIMIT_STORAGE_URI)")


class FallbackLimiter(Limiter):
    """Flask-Limiter, able to say whether this process counts in the configured store or in its own memory, and
    leaving the Retry-After of answers other than its 429 to the application."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.store_warnings = StoreWarnings()

    def init_app(self, app: Flask) -> None:
        # after_request functions run last-registered first: these two run either side of Flask-Limiter's headers.
        app.after_request(self._restore_retry_after)
        super().init_app(app)
        app.after_request(self._note_retry_after)
        app.teardown_request(self._log_store_state)

    def store_state(self) -> StoreState:
        """"up" while this process counts in the configured store, "fallback" while it counts in its own memory."""
        return "up" if self.limiter.storage is self.storage else "fallback"

    @staticmethod
    def _note_retry_after(response: Response) -> Response:
        g.app_retry_after = response.headers.get("Retry-After")
        return response

    @staticmethod
    def _restore_retry_after(response: Response) -> Response:
        """Flask-Limiter writes its window's reset into Retry-After on every answer of a limited endpoint; only its
        own refusal (429) keeps that, any other answer keeps what the application said (a 503's few seconds) or none.
        """
        if response.status_code != 429 and "app_retry_after" in g:
            response.headers.remove("Retry-After")
            if g.app_retry_after is not None:
                response.headers["Retry-After"] = g.app_retry_after
        return response

    def _log_store_state(self, _error: BaseException | None) -> None:
        state = self.store_state()
        message = self.store_warnings.observe(state, time.monotonic())
        if message is not None:
            current_app.logger.warning(message, extra={"event": f"ratelimit_store_{state}"})
