"""The server's staff API over HTTP (API.md, "Counter staff"): login, verify, redeem, the venue's history, the
counter bundle and the upload of decisions made offline."""
from dataclasses import dataclass
from typing import Any

import requests

TIMEOUT_SECONDS = 5


class ServerUnreachable(Exception):
    """No answer a decision can rest on: network down, timeout, or a server error (5xx)."""


@dataclass
class Refused(Exception):
    """The server answered and said no: an API.md error body with its stable code."""

    status: int
    code: str
    message: str


class StaffApi:
    """A logged-in staff session against one server."""

    def __init__(self, server: str, timeout: float = TIMEOUT_SECONDS) -> None:
        self.server = server.rstrip("/")
        self.timeout = timeout
        self.http = requests.Session()
        self.venue: dict[str, Any] = {}
        self.staff: dict[str, Any] = {}
        self._credentials: tuple[str, str] | None = None

    def _call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        try:
            return self._request(method, path, **kwargs)
        except Refused as refused:
            if refused.status != 401 or self._credentials is None or path.endswith("/login"):
                raise
        self.login(*self._credentials)  # the session ended (expiry, restart of a long outage): log in again once
        return self._request(method, path, **kwargs)

    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        try:
            response = self.http.request(method, self.server + path, **kwargs)
        except requests.RequestException as exc:
            raise ServerUnreachable(str(exc)) from None
        if response.status_code >= 500:
            raise ServerUnreachable(f"HTTP {response.status_code}")
        if response.status_code >= 400:
            try:
                error = response.json()["error"]
            except (ValueError, KeyError, TypeError):
                raise ServerUnreachable(f"HTTP {response.status_code} without an error body") from None
            raise Refused(response.status_code, error.get("code", "unknown"), error.get("message", ""))
        return response

    def login(self, username: str, password: str) -> None:
        body = self._call("POST", "/api/v1/staff/login", json={"username": username, "password": password}).json()
        self.http.headers["Authorization"] = f"Bearer {body['access_token']}"
        self.venue, self.staff = body["venue"], body["staff"]
        self._credentials = (username, password)

    def remember(self, username: str, password: str) -> None:
        """Started offline (login unreachable): the first call that reaches the server logs in with these."""
        self._credentials = (username, password)

    @property
    def username(self) -> str:
        return self._credentials[0] if self._credentials else ""

    @property
    def credentials(self) -> tuple[str, str] | None:
        """(user name, password) of the session, for checking the password offline later (bundle.verifier)."""
        return self._credentials

    def verify(self, token: str, device: str = "", timeout: float | None = None) -> dict[str, Any]:
        answer: dict[str, Any] = self._call("POST", "/api/v1/scan/verify", json={"token": token, "device": device},
                                            timeout=timeout or self.timeout).json()
        return answer

    def redeem(self, token: str, measure_id: int, idempotency_key: str, device: str = "") -> dict[str, Any]:
        redemption: dict[str, Any] = self._call("POST", "/api/v1/scan/redeem", json={
            "token": token, "measure_id": measure_id, "idempotency_key": idempotency_key, "device": device,
        }).json()["redemption"]
        return redemption

    def history(self, page: int = 1) -> dict[str, Any]:
        """This venue's recent attempts, newest first: {"items": [...], "next": page number or None}."""
        answer: dict[str, Any] = self._call("GET", "/api/v1/scan/history", params={"page": page}).json()
        return answer

    def bundle(self, since: Any = None) -> dict[str, Any]:
        """The counter bundle: whole, or the changes since a version this counter holds."""
        params = {"since": since} if since is not None else {}
        answer: dict[str, Any] = self._call("GET", "/api/v1/scan/bundle", params=params).json()
        return answer

    def upload_offline(self, items: list[dict[str, Any]]) -> dict[str, str]:
        """Decisions made offline, sent once or again (idempotent per key): idempotency key → the server's outcome."""
        answer = self._call("POST", "/api/v1/scan/offline", json={"items": items}).json()
        return {item["idempotency_key"]: item["outcome"] for item in answer["items"]}
