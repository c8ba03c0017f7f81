"""The desktop counter offline, end to end: the client's command line as a subprocess against gunicorn on loopback.
Sync, the server stopped, decisions from the bundle (granted, deny-listed, tampered, the same code twice), the server
back, sync: every decision in the scan log marked offline and exactly one redemption."""
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import time

import numpy as np
import pytest
import requests
import sqlalchemy as sa
import zxingcpp
from PIL import Image

from app.domain import codes
from app.extensions import db
from app.models import ScanAttempt
from app.services import imports
from scanner_client.api import StaffApi
from scanner_client.bundle import BUNDLE_NAME
from scanner_client.core import Scanner
from scanner_client.exits import LOGIN_OR_USAGE, OK, REFUSED, UNREACHABLE
from scanner_client.outbox import Outbox
from tests import test_scanner_offline as offline_tests
from tests.helpers import identity, list_identity
from tests.live_server import ROOT, STAFF_PASSWORD, citizen_headers, redemption_count
from tests.test_scanner_window import display  # noqa: F401 - the fixture


def _client(*args, timeout=60):
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "scanner_client", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env=env)


def _login(server, tmp_path, password=STAFF_PASSWORD):
    return ["--server", server.url, "--username", "gate_bus", "--password", password,
            "--outbox", str(tmp_path / "outbox.sqlite3"), "--device", "车载机 7"]


def _sync(server, tmp_path, password=STAFF_PASSWORD):
    return _client("sync", *_login(server, tmp_path, password))


def _decide(server, tmp_path, image, confirm=None):
    result = _client(*_login(server, tmp_path), "--headless", "--image", str(image), "--drain-seconds", "0",
                     *(["--confirm", str(confirm)] if confirm is not None else []))
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    return result.returncode, lines[0] if lines else None, result.stderr


def _png(token: str, path):
    """The token as a QR code image, as a phone shows one (level M, 8 pixels a module)."""
    symbol = zxingcpp.create_barcode(token, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    Image.fromarray(np.asarray(symbol.to_image(scale=8))).save(path)
    return path


def _code_png(server, who, path):
    png = requests.get(server.url + "/api/v1/me/qrcode.png", headers=citizen_headers(server, who), timeout=5).content
    path.write_bytes(png)
    return path


def _tampered(token: str) -> str:
    """The same code with one bit of its code id flipped: well-formed, signed by nobody."""
    data = bytearray(codes.b45decode(token[len(codes.PREFIX):]))
    data[5] ^= 0x01
    return codes.PREFIX + codes.b45encode(bytes(data))


def _token_of(png_path) -> str:
    result = _client("decode", str(png_path))
    return json.loads(result.stdout)["text"]


def test_sync_stop_the_server_decide_offline_start_it_sync_one_redemption(server, measure_id, today, tmp_path):
    listed = list_identity(identity(31, name="乘客离"), today)
    suspended = list_identity(identity(32, name="乘客停"), today)
    listed_png = _code_png(server, listed, tmp_path / "listed.png")
    suspended_png = _code_png(server, suspended, tmp_path / "suspended.png")
    # A dishonesty record arrives after the second citizen's phone got its code: suspended, denied by batch tag.
    data = f"kind,id_number,name,recorded_on,authority\nperson,{suspended.number},乘客停,{today},市人民法院\n"
    imports.import_dishonesty("d.csv", data.encode(), "test", today)
    tampered_png = _png(_tampered(_token_of(listed_png)), tmp_path / "tampered.png")

    synced = _sync(server, tmp_path)
    assert synced.returncode == OK, synced.stderr
    summary = json.loads(synced.stdout)
    assert summary["bundle"]["measures"] >= 1 and summary["bundle"]["denied_batches"] >= 1
    assert summary["still_queued"] == 0 and summary["bundle"]["delta"] is False
    bundle_file = tmp_path / BUNDLE_NAME
    assert stat.S_IMODE(os.stat(bundle_file).st_mode) == 0o600

    server.kill()
    status, granted, stderr = _decide(server, tmp_path, listed_png, confirm=measure_id)
    assert status == OK, stderr
    assert (granted["valid"], granted["offline"], granted["reason"]) == (True, True, None)
    assert granted["subject"]["name_masked"] == "乘*离" and granted["redemption"]["measure_id"] == measure_id
    assert {"source", "token", "valid", "reason", "subject", "measures", "redemption"} <= set(granted)

    status, denied, _ = _decide(server, tmp_path, suspended_png)
    assert (status, denied["valid"], denied["reason"], denied["offline"]) == (REFUSED, False, "listing_suspended",
                                                                              True)
    status, forged, _ = _decide(server, tmp_path, tampered_png)
    assert (status, forged["reason"]) == (REFUSED, "token_bad_signature")
    status, again, _ = _decide(server, tmp_path, listed_png, confirm=measure_id)
    assert (status, again["reason"], again["redemption"]) == (REFUSED, "token_used", None)
    assert _sync(server, tmp_path).returncode == UNREACHABLE
    assert redemption_count() == 0

    server.start()
    synced = _sync(server, tmp_path)
    assert synced.returncode == OK, synced.stderr
    summary = json.loads(synced.stdout)
    # The listed code's verify and redemption, the two refusals, the second scan: every one recorded, none left.
    assert summary["uploaded"] == {"recorded": 5} and summary["still_queued"] == 0
    assert summary["bundle"]["delta"] is True
    assert redemption_count() == 1
    db.session.expire_all()
    attempts = db.session.execute(sa.select(ScanAttempt.action, ScanAttempt.valid, ScanAttempt.reason,
                                            ScanAttempt.device).where(ScanAttempt.offline)
                                  .order_by(ScanAttempt.at, ScanAttempt.id)).all()
    assert [tuple(attempt) for attempt in attempts] == [
        ("verify", True, None, "车载机 7"), ("redeem", True, None, "车载机 7"),
        ("verify", False, "listing_suspended", "车载机 7"), ("verify", False, "token_bad_signature", "车载机 7"),
        ("verify", False, "token_used", "车载机 7")]
    # Sent again (an answer lost on the way back): nothing changes.
    resent = _sync(server, tmp_path)
    assert json.loads(resent.stdout)["uploaded"] == {} and redemption_count() == 1


def test_the_retry_loop_uploads_offline_decisions_once_the_server_answers(server, measure_id, today, tmp_path):
    """What the window does every few seconds: with the network back, the offline redemption reaches the server."""
    who = list_identity(identity(33, name="乘客回"), today)
    token = _token_of(_code_png(server, who, tmp_path / "code.png"))
    api = StaffApi(server.url, timeout=2)
    api.login("gate_bus", STAFF_PASSWORD)
    outbox = Outbox(str(tmp_path / "outbox.sqlite3"))
    scanner = Scanner(api, outbox, device="gate-2", bundle_file=str(tmp_path / BUNDLE_NAME))
    assert scanner.refresh_bundle(force=True)
    server.kill()
    decision = scanner.verify(token, "frame")
    assert decision.offline and scanner.confirm(decision, measure_id).redemption is not None
    assert scanner.retry_pending() == [] and outbox.offline_pending_count("gate_bus") == 2
    server.start()
    scanner.retry_pending()
    assert outbox.offline_pending_count() == 0 and redemption_count() == 1


def test_offline_the_counter_decides_only_for_the_account_that_synced_and_not_without_a_bundle(server, tmp_path):
    assert _sync(server, tmp_path, password="wrong-pass").returncode == LOGIN_OR_USAGE
    assert _sync(server, tmp_path).returncode == OK
    server.kill()
    wrong = _client(*_login(server, tmp_path, "wrong-pass"), "--headless", "--image", str(tmp_path / "x.png"))
    assert wrong.returncode == LOGIN_OR_USAGE and "offline" in wrong.stderr
    (tmp_path / BUNDLE_NAME).unlink()
    bare = _client(*_login(server, tmp_path), "--headless", "--image", str(tmp_path / "x.png"))
    assert bare.returncode == UNREACHABLE


def test_sync_against_nothing_listening_exits_3(server, tmp_path):
    server.kill()
    result = _sync(server, tmp_path)
    assert result.returncode == UNREACHABLE and "unreachable" in result.stderr


@pytest.mark.nodb
def test_help_names_the_sync_command():
    assert "sync --server URL" in _client("--help").stdout
    result = _client("sync", "--help")
    assert result.returncode == 0 and "--outbox" in result.stdout


# ---- the window offline ------------------------------------------------------------------------------------------

WINDOW_OFFLINE = """
import json, sys, tkinter as tk
from scanner_client import gui
from scanner_client.api import StaffApi
from scanner_client.core import Scanner
from scanner_client.outbox import Outbox
from tests.window_driver import card, pump

server, outbox, bundle_file, image = sys.argv[1:5]
api = StaffApi(server, timeout=1)
api.remember("gate", "pass-1")
scanner = Scanner(api, Outbox(outbox), device="counter-1", bundle_file=bundle_file)
api.venue = scanner.bundle.venue
root = tk.Tk()
window = gui.Window(root, scanner, camera=0, images=[image], video=None, confirm=None)
pump(root, lambda: window.state not in ("", "idle"))
report = {"scan": card(root, window)}
[button for button in window.buttons if button.cget("text") == gui.text.CONFIRM][0].invoke()
pump(root, lambda: window.state not in ("", "idle", "valid") and window.headline_text() != gui.text.CONFIRMING)
report["confirmed"] = card(root, window)
pump(root, lambda: False, seconds=0.3)
report["pending_label"] = window.pending_label.cget("text")
root.destroy()
print(json.dumps(report, ensure_ascii=False))
"""


@pytest.mark.nodb
@pytest.mark.skipif(shutil.which("Xvfb") is None, reason="Xvfb is installed by scripts/bootstrap.sh test")
@pytest.mark.usefixtures("display")
def test_the_window_says_offline_with_the_bundles_age_and_confirms_into_the_outbox(tmp_path):
    """No server at all: the window decides from a bundle synced 2 hours ago (by the code's clock)."""
    offline_tests._bundle(tmp_path, offline_tests._answer(server_time=offline_tests.NOT_BEFORE - 7200),
                          offset=offline_tests.NOT_BEFORE + 10 - time.time())
    image = _png(offline_tests._token(), tmp_path / "code.png")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = subprocess.run([sys.executable, "-c", WINDOW_OFFLINE, f"http://127.0.0.1:{port}",
                             str(tmp_path / "outbox.sqlite3"), str(tmp_path / BUNDLE_NAME), str(image)],
                            cwd=ROOT, capture_output=True, text=True, timeout=90)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    scan, confirmed = report["scan"], report["confirmed"]
    texts = [item["text"] for item in scan["texts"]]
    assert scan["state"] == "valid" and "离线核验 · 离线数据 2 小时前同步" in texts and "冯*生" in texts
    assert confirmed["state"] == "done" and confirmed["headline"] == "✔ 已核销（离线）"
    assert "已保存在本机，联网后自动上传" in [item["text"] for item in confirmed["texts"]]
    assert report["pending_label"].endswith("离线记录：2")  # the verify and the redemption, waiting for the network
