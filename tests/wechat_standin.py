"""A real HTTP stand-in for WeChat's code2session on loopback (`GET /sns/jscode2session`), answering as WeChat does
(HTTP 200, a JSON body sent as text/plain, `errcode` on refusals).

Codes (what a faked `wx.login` returns) decide the answer:
- `<user>:<anything>` — a good code of the WeChat user `<user>`: `{"openid", "session_key"}`, the openid the same for
  every code of that user (`openid_of(user)`), each code good once (again: errcode 40163). A code without `:` is the
  user of that name.
- `invalid` → 40029; `limited` → 45011; `busy` → -1; `blocked` → 40226; `slow` → answers after 3 s;
  `garbage` → a body that is not JSON; `broken` → HTTP 502.
- A wrong appid → 40013, a wrong secret → 40125, a grant_type other than authorization_code → 40002.

In Python tests: `stand_in = WechatStandIn()`, `app.config.update(stand_in.settings)`, `stand_in.stop()`.
From another process (the mini-program's Node integration test):
    python -m tests.wechat_standin [--port N] [--appid A] [--secret S]
prints one line, the stand-in's address (`http://127.0.0.1:PORT`), and serves until killed (SIGTERM). Start the
backend with WECHAT_APPID=A WECHAT_SECRET=S WECHAT_CODE2SESSION_URL=<address>/sns/jscode2session (defaults:
APPID and SECRET below). It never prints or logs a code or an openid.
"""
import argparse
import contextlib
import hashlib
import json
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

APPID = "wx0123456789abcdef"
SECRET = "standin-app-secret"
PATH = "/sns/jscode2session"
SLOW_SECONDS = 3
FAULTS = {"invalid": {"errcode": 40029, "errmsg": "invalid code"},
          "limited": {"errcode": 45011, "errmsg": "api minute-quota reach limit"},
          "busy": {"errcode": -1, "errmsg": "system error"},
          "blocked": {"errcode": 40226, "errmsg": "code blocked"}}


def openid_of(user: str) -> str:
    """The openid WeChat would give `user` for this appid: 28 characters starting with `o`, as real ones look."""
    return "o" + hashlib.sha256(f"standin:{user}".encode()).hexdigest()[:27]


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"

    def do_GET(self):
        parts = urlsplit(self.path)
        if parts.path != PATH:
            return self._answer(404, b"not found")
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        code = query.get("js_code", "")
        if query.get("appid") != self.server.appid:
            return self._json({"errcode": 40013, "errmsg": "invalid appid"})
        if query.get("secret") != self.server.secret:
            return self._json({"errcode": 40125, "errmsg": "invalid appsecret"})
        if query.get("grant_type") != "authorization_code":
            return self._json({"errcode": 40002, "errmsg": "invalid grant_type"})
        if code in FAULTS:
            return self._json(FAULTS[code])
        if code == "garbage":
            return self._answer(200, b"<html>gateway</html>")
        if code == "broken":
            return self._answer(502, b"bad gateway")
        if code == "slow":
            time.sleep(SLOW_SECONDS)
        with self.server.lock:
            if not code or code in self.server.spent:
                return self._json({"errcode": 40163 if code else 41008, "errmsg": "code been used"})
            self.server.spent.add(code)
        self._json({"openid": openid_of(code.split(":")[0]), "session_key": "c3RhbmRpbi1zZXNzaW9uLWtleQ=="})

    def _json(self, payload):
        self._answer(200, json.dumps(payload).encode())

    def _answer(self, status, data):
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass  # the request line holds the code and the secret


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, appid: str, secret: str) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.appid, self.secret = appid, secret
        self.spent: set[str] = set()
        self.lock = threading.Lock()

    def handle_error(self, request, client_address):
        """A client that gave up (the app's timeout on `slow`) is no error worth a traceback."""


class WechatStandIn:
    """The stand-in serving on a loopback port (a free one by default) until stopped; `settings` configure the app."""

    def __init__(self, port: int = 0, appid: str = APPID, secret: str = SECRET) -> None:
        self.server = _Server(port, appid, secret)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.url = self.base + PATH
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.settings = {"WECHAT_APPID": appid, "WECHAT_SECRET": secret, "WECHAT_CODE2SESSION_URL": self.url}

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.wechat_standin", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="loopback port (default: a free one)")
    parser.add_argument("--appid", default=APPID)
    parser.add_argument("--secret", default=SECRET)
    args = parser.parse_args(argv)
    stand_in = WechatStandIn(args.port, args.appid, args.secret)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    print(stand_in.base, flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        stopped.wait()
    stand_in.stop()
    sys.exit(0)


if __name__ == "__main__":
    main()
