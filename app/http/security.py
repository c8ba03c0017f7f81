"""Security headers on every answer: a strict Content-Security-Policy on pages (no inline script, no framing),
nosniff, a referrer policy, and HSTS when the request came over HTTPS."""
from flask import Flask, request

# What every page may load: only this app's own files. The web scanner compiles its WebAssembly decoder
# ('wasm-unsafe-eval' allows that and nothing else); pages show QR codes and camera frames as data:/blob: images.
PAGE_POLICY = ("default-src 'self'; script-src 'self'{wasm}; style-src 'self'; img-src 'self' data: blob:; "
               "media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
               "form-action 'self'; frame-ancestors 'none'")
# The API documentation page: Swagger UI styles its widgets inline; its script is still only this app's file.
DOCS_POLICY = PAGE_POLICY.format(wasm="").replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
HSTS = "max-age=31536000; includeSubDomains"


def _policy() -> str:
    if request.blueprint == "api_docs":
        return DOCS_POLICY
    return PAGE_POLICY.format(wasm=" 'wasm-unsafe-eval'" if request.blueprint == "scanner" else "")


def security_headers(response):
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    if response.mimetype == "text/html":
        headers.setdefault("Content-Security-Policy", _policy())
        headers.setdefault("X-Frame-Options", "DENY")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def register_security_headers(app: Flask) -> None:
    app.after_request(security_headers)
