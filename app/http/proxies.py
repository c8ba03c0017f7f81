"""X-Forwarded-* believed only from the reverse proxies in front: a client that reaches the app directly (bypassing
the proxy, or on the same host) cannot choose its own address for the rate limits or its scheme for secure cookies."""
import ipaddress
from collections.abc import Iterable
from typing import Any

from werkzeug.middleware.proxy_fix import ProxyFix


class TrustedProxyFix:
    """ProxyFix for requests whose peer is one of `addresses`; anyone else's forwarded headers are left unread."""

    def __init__(self, app: Any, proxies: int, addresses: Iterable[str]) -> None:
        self.direct = app
        self.behind_proxy = ProxyFix(app, x_for=proxies, x_proto=proxies, x_host=proxies)
        self.networks = [ipaddress.ip_network(address.strip(), strict=False)
                         for address in addresses if address.strip()]

    def _from_proxy(self, peer: str | None) -> bool:
        try:
            address = ipaddress.ip_address(peer or "")
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    def __call__(self, environ: dict, start_response: Any) -> Any:
        handler = self.behind_proxy if self._from_proxy(environ.get("REMOTE_ADDR")) else self.direct
        return handler(environ, start_response)
