"""Security headers: a strict policy on every page of every front end, nosniff and a referrer policy everywhere,
HSTS over HTTPS."""
import pytest
from flask import request

from wsgi import create_app

PAGES = ["/", "/m/login", "/m/measures", "/scan/login", "/admin/login", "/api/v1/docs"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_a_strict_policy(client, path):
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "text/html"
    policy = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"].startswith("'self'") and "unsafe-inline" not in directives["script-src"]
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP: nothing to pin


def test_only_the_scanner_may_compile_webassembly_and_only_the_docs_style_inline(client):
    assert "'wasm-unsafe-eval'" in client.get("/scan/login").headers["Content-Security-Policy"]
    assert "'wasm-unsafe-eval'" not in client.get("/m/login").headers["Content-Security-Policy"]
    assert "'unsafe-inline'" in client.get("/api/v1/docs").headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in client.get("/admin/login").headers["Content-Security-Policy"]


def test_json_answers_are_not_sniffed_and_https_is_pinned(client):
    answer = client.get("/api/v1/categories", base_url="https://xinyi.example")
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_behind_a_trusted_proxy_the_scheme_is_the_proxys(database_url):
    forwarded = {"X-Forwarded-Proto": "https"}
    direct = create_app("test", SQLALCHEMY_DATABASE_URI=database_url).test_client()
    assert "Strict-Transport-Security" not in direct.get("/", headers=forwarded).headers  # nobody vouches for it
    behind_proxy = create_app("test", SQLALCHEMY_DATABASE_URI=database_url, TRUSTED_PROXIES=1).test_client()
    assert "Strict-Transport-Security" in behind_proxy.get("/", headers=forwarded).headers


def test_forwarded_headers_count_only_from_the_proxys_address(database_url):
    """A client that reaches the app around the proxy cannot pick its own address or scheme."""
    app = create_app("test", SQLALCHEMY_DATABASE_URI=database_url, TRUSTED_PROXIES=1, PROXY_ADDRESSES=["10.0.0.7"])
    seen = {}

    @app.get("/whoami")
    def whoami():
        seen.update(address=request.remote_addr, scheme=request.scheme)
        return "ok"

    forged = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    app.test_client().get("/whoami", headers=forged, environ_base={"REMOTE_ADDR": "192.0.2.50"})
    assert seen == {"address": "192.0.2.50", "scheme": "http"}
    app.test_client().get("/whoami", headers=forged, environ_base={"REMOTE_ADDR": "10.0.0.7"})
    assert seen == {"address": "203.0.113.9", "scheme": "https"}
