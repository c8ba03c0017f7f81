"""The web scanner without a network: the venue's bundle and the upload of what it decided offline, over the same
services and answers as the staff API (docs/offline-codes.md), and the service worker that keeps the page's shell."""
import hashlib
import json
from pathlib import Path

from flask import Response, g, request, url_for

from app import metrics
from app.api.staff.offline_schemas import BundleQuerySchema, BundleSchema, OfflineUploadSchema
from app.domain.dates import utcnow
from app.errors import DomainError
from app.http.bodies import load
from app.services import bundle as bundles
from app.services import offline
from app.web.assets import HASHED
from app.web.scanner.access import fetched

STATIC = Path(__file__).parent / "static"
WORKER_SOURCE = STATIC / "js" / "offline-sw.js"
# Asked for by hashed name; a module is asked for by hashed name from the page and by its plain name by an import.
FILES = ("scanner.css", "manifest.webmanifest", "icon-192.png", "vendor/zxing-wasm/reader/zxing_reader.wasm")
MODULE_FOLDERS = ("js", "vendor/zxing-wasm/es", "vendor/noble-ed25519")


@fetched
def scan_bundle():
    """This counter's bundle (a delta with ?since=VERSION), as GET /api/v1/scan/bundle answers it."""
    since = load(BundleQuerySchema(), request.args.to_dict())["since"]
    return BundleSchema().dump(bundles.bundle(g.account.id, utcnow(), since))


@fetched
def scan_offline():
    """What this page decided offline, reconciled as POST /api/v1/scan/offline does it."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise DomainError("invalid_request", "请求体应为 JSON 对象", status=400)
    items = [offline.OfflineItem(**item) for item in load(OfflineUploadSchema(), body)["items"]]
    outcomes = offline.reconcile(g.account.id, items, utcnow())
    metrics.offline_uploaded(outcomes)
    return {"items": [{"idempotency_key": key, "outcome": outcome} for key, outcome in outcomes]}


def _plain(url: str) -> str:
    """/scan/static/js/card.1a2b3c4d.js → /scan/static/js/card.js: the name a module's relative import asks for."""
    folder, _, name = url.rpartition("/")
    named = HASHED.match(name)
    return f"{folder}/{named['stem']}{named['suffix']}" if named else url


def precached() -> list[str]:
    """Every file the scanner page needs to open offline: the page, its files by hashed name, its modules by both
    names, and the site's stylesheet and icon."""
    urls = [url_for("scanner.scan"), url_for("static", filename="base.css"),
            url_for("static", filename="favicon.svg")]
    urls += [url_for("scanner.static", filename=name) for name in FILES]
    for folder in MODULE_FOLDERS:
        for path in sorted((STATIC / folder).rglob("*.js")):
            if path != WORKER_SOURCE:
                hashed = url_for("scanner.static", filename=path.relative_to(STATIC).as_posix())
                urls += [hashed, _plain(hashed)]
    return list(dict.fromkeys(urls))


def service_worker():
    """The worker at a fixed address (scope /scan/), told the files to keep; its text changes with any of them, so a
    deployment installs a new worker and drops the old cache."""
    files = precached()
    source = WORKER_SOURCE.read_text(encoding="utf-8")
    version = hashlib.sha256(json.dumps([files, source]).encode()).hexdigest()[:12]
    head = (f"const VERSION = {json.dumps(version)};\nconst SHELL = {json.dumps(url_for('scanner.scan'))};\n"
            f"const LOGOUT = {json.dumps(url_for('scanner.logout'))};\nconst PRECACHE = {json.dumps(files)};\n")
    response = Response(head + source, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response
