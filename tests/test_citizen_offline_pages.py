"""亮码 offline over HTTP: the batch a code page keeps, the shell the service worker keeps (nothing personal in it,
every file it loads kept too), the worker itself at a stable address."""
import re

from app.domain import codes
from app.domain.dates import today
from app.services import qrcodes
from tests.helpers import identity, list_identity
from tests.test_citizen_pages import _sign_in


def test_the_batch_covers_the_hours_ahead_in_consecutive_windows_for_the_citizen_signed_in(client, catalogue):
    _sign_in(client, list_identity(identity(151, name="钟离守"), today()))
    response = client.get("/m/code/batch")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    batch = response.get_json()
    windows = [(code["not_before"], code["expires_at"]) for code in batch["codes"]]
    assert windows[-1][1] == batch["valid_until"] and windows[-1][1] - windows[0][0] == 13 * 3600
    assert all(end == start for (_, end), (start, _) in zip(windows, windows[1:], strict=False))
    assert abs(batch["server_time"] / 1000 - windows[0][0]) < 5 and batch["who"] == "钟*守"
    parsed = codes.parse(batch["codes"][7]["token"])
    codes.check_signature(parsed, qrcodes.public_keys())
    assert (parsed.not_before, parsed.not_before + parsed.lifetime) == windows[7]


def test_the_batch_is_refused_when_signed_out_or_not_listed(client, catalogue):
    ended = client.get("/m/code/batch")
    assert ended.status_code == 401 and ended.get_json()["error"]["code"] == "session_expired"
    _sign_in(client, identity(152, name="未列者"))
    refused = client.get("/m/code/batch")
    assert refused.status_code == 403 and refused.get_json()["refusal"] == "not_listed"


def test_the_shell_has_no_code_and_no_name_and_the_worker_keeps_all_it_loads(client, catalogue):
    _sign_in(client, list_identity(identity(153, name="钟离守"), today()))
    worker = client.get("/m/sw.js")
    assert worker.status_code == 200 and worker.mimetype == "text/javascript"
    script = worker.get_data(as_text=True)
    kept = re.search(r"const PRECACHE = (\{.*\});", script).group(1)
    for path in ("/m/code/shell", "/m/code/shell?elder=on", "/m/offline", "/m/offline?elder=on"):
        assert f'"{path}"' in kept, path
        page = client.get(path).get_data(as_text=True)
        assert "钟*守" not in page and "XY1:" not in page and "data-token" not in page
        assert ('class="elder"' in page) == path.endswith("elder=on")
        for loaded in re.findall(r'="(/(?:m/)?static/[^"#]+)', page):
            assert f'"{loaded}"' in kept, (path, loaded)  # opens offline with every file it needs
        assert client.get(path.replace("?elder=on", "")).status_code == 200
    assert "需要联网" in client.get("/m/offline").get_data(as_text=True)


def test_the_workers_cache_is_named_by_what_it_keeps(client, app, monkeypatch):
    before = re.search(r'const CACHE = "([^"]+)"', client.get("/m/sw.js").get_data(as_text=True)).group(1)
    assert before == re.search(r'const CACHE = "([^"]+)"', client.get("/m/sw.js").get_data(as_text=True)).group(1)
    monkeypatch.setattr("app.web.citizen.offline.SHELL_FILES", (("citizen.static", "citizen.css"),))
    after = re.search(r'const CACHE = "([^"]+)"', client.get("/m/sw.js").get_data(as_text=True)).group(1)
    assert after != before


def test_the_code_page_names_a_manifest_that_opens_on_it_with_icons_served_here(client, catalogue):
    _sign_in(client, list_identity(identity(154, name="钟离守"), today()))
    address = re.search(r'<link rel="manifest" href="([^"]+)"', client.get("/m/code").get_data(as_text=True)).group(1)
    manifest = client.get(address).get_json()
    assert manifest["start_url"] == "/m/code" and manifest["scope"] == "/m/" and manifest["display"] == "standalone"
    for icon in manifest["icons"]:
        image = client.get(icon["src"])
        assert image.status_code == 200 and image.mimetype == "image/png", icon
