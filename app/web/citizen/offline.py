"""亮码 with no network: the batch of codes the phone keeps (in IndexedDB) for the hours ahead, and the service worker
that opens the code page offline from a shell with nothing personal in it and says "需要联网" for every other page."""
import hashlib
import json
from typing import Any

from flask import current_app, g, jsonify, make_response, render_template, request, url_for

from app.domain.dates import today, utcnow
from app.domain.identity import mask_name
from app.errors import Forbidden
from app.services import citizens
from app.services.subjects import get_subject
from app.web.citizen.access import fetched

# A batch covers 13 hours: at least 12 after the phone was last online, whatever a visit within 10 minutes of the last
# fetch skipped (code.js).
BATCH_HOURS = 13
# What the shell pages load, by static endpoint: precached under their hashed names, so the worker of one deployment
# always serves the files of that deployment.
SHELL_FILES = (("citizen.static", "citizen.css"), ("citizen.static", "icons.svg"), ("citizen.static", "code.js"),
               ("citizen.static", "codes_store.js"), ("citizen.static", "vendor/qrcode-generator/qrcode.mjs"),
               ("citizen.static", "retry.js"), ("static", "base.css"), ("static", "favicon.svg"))
# A change to any of these changes the shell pages, so the worker's cache name too.
SHELL_TEMPLATES = ("base.html", "_elder_switch.html", "citizen/base.html", "citizen/code.html",
                   "citizen/offline.html", "citizen/sw.js")


@fetched
def code_batch():
    """A new batch of codes for the next hours, one per window (Unix seconds, as in the codes themselves), with the
    masked name the page shows above them and the server's clock, so a phone whose clock is wrong picks the right
    window. The same refusal as `fresh_code` when the citizen may not use incentives."""
    try:
        issued, valid_until = citizens.issue_codes(g.session.subject_id, BATCH_HOURS, today(), utcnow())
    except Forbidden as refused:
        return jsonify(refusal=refused.code, message=refused.message), 403
    subject = get_subject(g.session.subject_id)
    return jsonify(codes=[{"token": code.token, "not_before": int(code.not_before.timestamp()),
                           "expires_at": int(code.expires_at.timestamp())} for code in issued],
                   valid_until=int(valid_until.timestamp()), server_time=int(utcnow().timestamp() * 1000),
                   who=mask_name(subject.kind, subject.name))


def _elder() -> bool:
    return request.args.get("elder") == "on"


def code_shell():
    """The code page with no code and no name in it (both come from the phone's own store): what the service worker
    shows for /m/code when there is no network. Public, so it can be kept; 长辈版 by its query, not the cookie."""
    return render_template("citizen/code.html", shell=True, position=None, first=None, elder=_elder())


def needs_network():
    """What the service worker shows for every other citizen page when there is no network."""
    return render_template("citizen/offline.html", elder=_elder())


def _precache() -> dict[str, list[str]]:
    modes: tuple[dict[str, Any], ...] = ({}, {"elder": "on"})
    pages = [url_for(endpoint, **mode) for endpoint in ("citizen.code_shell", "citizen.needs_network")
             for mode in modes]
    return {"pages": pages, "files": [url_for(endpoint, filename=name) for endpoint, name in SHELL_FILES]}


def _version(precache: dict[str, list[str]]) -> str:
    digest = hashlib.sha256(json.dumps(precache).encode())
    environment = current_app.jinja_env
    for name in SHELL_TEMPLATES:
        # The app's Jinja environment always has its loader; the type allows an environment without one.
        digest.update(environment.loader.get_source(environment, name)[0].encode())  # type: ignore[union-attr]
    return digest.hexdigest()[:12]


def service_worker():
    """The citizen app's service worker at a stable address whose scope is /m/, told the hashed names to keep."""
    precache = _precache()
    script = render_template("citizen/sw.js", precache=precache, version=_version(precache),
                             code_page=url_for("citizen.code"))
    response = make_response(script)
    response.mimetype = "text/javascript"
    return response
