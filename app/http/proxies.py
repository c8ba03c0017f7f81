"""X-Forwarded-* believed only from the reverse proxies in front: a client that reaches the app directly (bypassing
the proxy, or on the same host) cannot choose its own address for the rate limits or its scheme for secure cookies."""
import ipaddress
from collections.abc import Iterable
from typing import Any

from werkzeug.middleware.proxy_fix import ProxyFix

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(entries: Iterable[str]) -> list[Network]:
    """Addresses or networks as configured (comma-separated entries, blanks around them ignored)."""
    return [ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip()]


def peer_in(peer: str | None, allowed: Iterable[Network]) -> bool:
    """Whether a connection's peer address lies in one of the networks; no address or a malformed one never does."""
    try:
        address = ipaddress.ip_address(peer or "")
    except ValueError:
        return False
    return any(address in network for network in allowed)


class TrustedProxyFix:
    """ProxyFix for requests whose peer is one of `addresses`; anyone else's forwarded headers are left unread."""

    def __init__(self, app: Any, proxies: int, addresses: Iterable[str]) -> None:
        self.direct = app
        self.behind_proxy = ProxyFix(app, x_for=proxies, x_proto=proxies, x_host=proxies)
        self.networks = networks(addresses)

    def __call__(self, environ: dict, start_response: Any) -> Any:
        handler = self.behind_proxy if peer_in(environ.get("REMOTE_ADDR"), self.networks) else self.direct
        return handler(environ, start_response)
