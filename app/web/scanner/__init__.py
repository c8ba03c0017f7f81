"""The staff web scanner (/scan/): any phone or tablet with a camera is a counter. This table is where each page is."""
from flask import Blueprint, request

from app.http.auth import no_store as personal_data
from app.web.scanner import offline_views, views

bp = Blueprint("scanner", __name__, url_prefix="/scan", template_folder="templates", static_folder="static",
               static_url_path="/static")

GET, POST, BOTH = ("GET",), ("POST",), ("GET", "POST")
ROUTES = (
    ("/login", "login", views.login, BOTH),
    ("/logout", "logout", views.logout, POST),
    ("/", "scan", views.scan, GET),
    ("/verify", "verify", views.verify, POST),
    ("/redeem", "redeem", views.redeem, POST),
    ("/history", "history", views.history, GET),
    ("/bundle", "bundle", offline_views.scan_bundle, GET),
    ("/offline", "offline", offline_views.scan_offline, POST),
    ("/sw.js", "worker", offline_views.service_worker, GET),
)
for rule, endpoint, view, methods in ROUTES:
    bp.add_url_rule(rule, endpoint, view, methods=methods)


@bp.after_request
def no_store(response):
    """Decisions and history name people: never cached (static files are, by name; the worker is revalidated)."""
    return response if request.endpoint in ("scanner.static", "scanner.worker") else personal_data(response)
