"""Static files under hashed names cached for a year while pages with personal data stay no-store; the code page's
first code in its HTML; the code page's fetches answering 401 session_expired once the sign-in has ended."""
import base64
import hashlib
import io
import re
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
import zxingcpp
from flask import g
from PIL import Image

from app.domain.dates import today, utcnow
from app.extensions import db
from app.models import AccessToken
from app.services import accounts
from app.web.assets import IMMUTABLE
from tests.helpers import identity, list_identity

ROOT = Path(__file__).resolve().parents[1] / "app" / "web"
# Where each front end's static URL prefix is served from.
FOLDERS = {"/m/static/": ROOT / "citizen/static", "/scan/static/": ROOT / "scanner/static",
           "/admin/static/": ROOT / "console/static", "/api/v1/docs/static/": ROOT / "docs/static",
           "/static/": ROOT / "static"}
STATIC_URL = re.compile(r'(?:href|src|data-wasm|data-zxing)="(/(?:[^"#]*/)?static/[^"#]+)')
HASHED = re.compile(r"\.([0-9a-f]{8})(\.[a-z]+)$")
EXPIRED_BODY = {"error": {"code": "session_expired", "message": "登录已过期，请重新登录"}}


def _file_of(url: str) -> tuple[Path, str | None]:
    """The file in the source tree behind a static URL, and the hash its name carries."""
    prefix = max((prefix for prefix in FOLDERS if url.startswith(prefix)), key=len)
    name = url.removeprefix(prefix)
    named = HASHED.search(name)
    real = name[:named.start()] + named.group(2) if named else name
    return FOLDERS[prefix] / real, named.group(1) if named else None


def _csrf(client, path: str) -> str:
    g.pop("csrf_token", None)
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf[-_]token" (?:value|content)="([^"]+)"', page).group(1)


def _sign_in(client, who) -> None:
    response = client.post("/m/login", data={"csrf_token": _csrf(client, "/m/login"), "kind": who.kind,
                                              "name": who.name, "id_number": who.number})
    assert response.status_code == 302, response.get_data(as_text=True)


@pytest.fixture
def citizen(catalogue):
    return list_identity(identity(131, name="梁守诺"), today())


def _static_urls(page: str) -> list[str]:
    return sorted(set(STATIC_URL.findall(page)))


def test_every_front_end_links_its_static_files_by_hashed_name_cached_for_a_year(client, catalogue, citizen):
    accounts.create_account("web_gate", "counter-pass", "staff", "test", venue_id=catalogue["BUS"].id)
    client.post("/scan/login", data={"csrf_token": _csrf(client, "/scan/login"), "username": "web_gate",
                                     "password": "counter-pass"})
    pages = ["/", "/m/login", "/scan/login", "/scan/", "/admin/login", "/api/v1/docs"]
    urls = {url for path in pages for url in _static_urls(client.get(path).get_data(as_text=True))}
    _sign_in(client, citizen)
    urls |= {url for path in ("/m/", "/m/code", "/m/complaints/new") for url in
             _static_urls(client.get(path).get_data(as_text=True))}
    prefixes = {prefix for prefix in FOLDERS for url in urls if url.startswith(prefix)}
    assert prefixes == set(FOLDERS), urls  # every front end's files were seen
    for url in urls:
        path, digest = _file_of(url)
        if path.suffix == ".webmanifest":  # found again by its address when an installed app checks for updates
            assert digest is None
            continue
        assert digest == hashlib.sha256(path.read_bytes()).hexdigest()[:8], url
        response = client.get(url)
        assert response.status_code == 200 and response.data == path.read_bytes(), url
        assert response.headers["Cache-Control"] == IMMUTABLE, url


@pytest.mark.parametrize("url", ["/m/static/citizen.css", "/m/static/citizen.0123abcd.css",
                                 "/scan/static/js/camera.js", "/static/base.css"])
def test_an_unhashed_or_stale_name_still_works_but_is_revalidated(client, url):
    response = client.get(url)
    path, _ = _file_of(url)
    assert response.status_code == 200 and response.data == path.read_bytes()
    assert response.headers["Cache-Control"] == "no-cache" and response.headers["ETag"]
    again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_a_hashed_name_of_no_file_is_not_found(client):
    assert client.get("/m/static/nothing.0123abcd.css").status_code == 404
    assert client.get("/m/static/..%2f__init__.0123abcd.py").status_code == 404


def test_pages_with_personal_data_stay_no_store(client, citizen):
    _sign_in(client, citizen)
    for path in ("/m/", "/m/code", "/m/code/fresh"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path


def test_the_code_page_carries_its_first_code(client, citizen):
    _sign_in(client, citizen)
    page = client.get("/m/code").get_data(as_text=True)
    token = re.search(r'data-token="([^"]+)"', page).group(1)
    image = re.search(r'<img id="qr" src="data:image/png;base64,([^"]+)"', page).group(1)
    picture = Image.open(io.BytesIO(base64.b64decode(image))).convert("L")
    assert zxingcpp.read_barcodes(np.asarray(picture))[0].text == token
    assert 'data-ttl="60"' in page and re.search(r'data-refresh-in="\d+"', page)
    assert "aria-live" not in page.split('id="code"')[1].split(">")[0]  # the countdown is not read out every second
    fresh = client.get("/m/code/fresh").get_json()
    assert fresh["token"] != token and fresh["image"].startswith("data:image/png;base64,")


def _end_sign_in() -> None:
    db.session.execute(sa.update(AccessToken).values(revoked_at=utcnow()))
    db.session.commit()


def test_the_code_pages_fetches_answer_401_once_the_sign_in_has_ended(client, citizen):
    _sign_in(client, citizen)
    csrf = _csrf(client, "/m/code")
    json_headers = {"Accept": "application/json", "X-CSRFToken": csrf}
    assert client.post("/m/code/status", json={"token": "x"}, headers=json_headers).get_json() == {"redeemed": False}
    _end_sign_in()
    fresh = client.get("/m/code/fresh", headers={"Accept": "application/json"})
    assert fresh.status_code == 401 and fresh.get_json() == EXPIRED_BODY
    status = client.post("/m/code/status", json={"token": "x"}, headers=json_headers)
    assert status.status_code == 401 and status.get_json() == EXPIRED_BODY
    assert client.get("/m/code").status_code == 302  # the page itself goes to the login form


def test_a_csrf_refusal_after_the_sign_in_ended_is_the_ended_sign_in(client, app, citizen):
    _sign_in(client, citizen)
    headers = {"Accept": "application/json", "X-CSRFToken": "stale"}
    alive = client.post("/m/code/status", json={"token": "x"}, headers=headers)
    assert alive.status_code == 400  # a live sign-in with a bad token is refused as before
    client.delete_cookie("session")  # the session cookie gone, its CSRF secret with it
    status = client.post("/m/code/status", json={"token": "x"}, headers=headers)
    assert status.status_code == 401 and status.get_json() == EXPIRED_BODY
    form = client.post("/m/login", data={"kind": "person"}, headers={"Accept": "text/html"})
    assert form.status_code == 400 and "页面已过期" in form.get_data(as_text=True)  # not a fetch: as before
