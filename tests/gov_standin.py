"""A real HTTP stand-in for the government real-name platform (粤省事/粤商通) on loopback: its consent page sends the
person back with a one-time code, and its token endpoint exchanges the code for the verified identity."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.helpers import identity

KNOWN = identity(31, name="粤省事")
CLIENT_SECRET = "s3cret"


class _StandIn(BaseHTTPRequestHandler):
    def do_GET(self):
        """The consent page, already agreed: straight back to the app with the code `good` and the app's state."""
        query = parse_qs(urlsplit(self.path).query)
        target = query["redirect_uri"][0] + "?" + urlencode({"code": "good", "state": query["state"][0]})
        self.send_response(302)
        self.send_header("Location", target)
        self.end_headers()

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if body.get("client_secret") != CLIENT_SECRET:
            return self._answer(401, {"error": "invalid_client"})
        answers = {"good": (200, {"kind": "person", "name": KNOWN.name, "id_number": KNOWN.number}),
                   "garbage": (200, {"unexpected": True}),
                   "broken": (500, {"error": "down"})}
        self._answer(*answers.get(body.get("code"), (400, {"error": "invalid_grant"})))

    def _answer(self, status, payload):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class GovStandIn:
    """The stand-in serving on a free loopback port until stopped; `settings` configure the app to use it."""

    def __init__(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _StandIn)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.settings = {"GOV_IDP_AUTHORIZE_URL": self.base + "/oauth/authorize",
                         "GOV_IDP_TOKEN_URL": self.base + "/oauth/token", "GOV_IDP_CLIENT_ID": "xinyi",
                         "GOV_IDP_CLIENT_SECRET": CLIENT_SECRET}

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
