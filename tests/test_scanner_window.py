"""The counter window on a virtual screen (Xvfb), against a live server: green with a confirm button, red with a reason."""
import json
import os
import shutil
import subprocess
import sys

import pytest
import requests

from app.services import qrcodes
from scanner_client import gui
from scanner_client.api import StaffApi
from tests.helpers import identity, list_identity
from tests.live_server import ROOT, citizen_headers, own_group_ended_with_parent, redemption_count
from tests.live_server import STAFF_PASSWORD as PASSWORD

pytestmark = pytest.mark.skipif(shutil.which("Xvfb") is None, reason="Xvfb is installed by scripts/bootstrap.sh test")


@pytest.fixture
def display():
    """A private X display chosen by Xvfb itself (-displayfd); DISPLAY points at it until the test ends."""
    read_end, write_end = os.pipe()
    process = subprocess.Popen(["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1200x560x24", "-nolisten", "tcp"],
                               pass_fds=(write_end,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               preexec_fn=own_group_ended_with_parent)
    os.close(write_end)
    with os.fdopen(read_end) as announced:
        name = f":{announced.readline().strip()}"
    previous = os.environ.get("DISPLAY")
    os.environ["DISPLAY"] = name
    yield name
    process.terminate()
    process.wait(timeout=5)
    if previous is None:
        os.environ.pop("DISPLAY")
    else:
        os.environ["DISPLAY"] = previous


def _drive(server, display, tmp_path, png: bytes, click=False, screenshot=None) -> dict:
    """Run the window in a child process on the private display; returns what it showed."""
    (tmp_path / "code.png").write_bytes(png)
    command = [sys.executable, "-m", "tests.window_driver", "--server", server.url, "--username", "gate_bus",
               "--password", PASSWORD, "--image", str(tmp_path / "code.png"),
               "--outbox", str(tmp_path / "outbox.sqlite3")]
    command += ["--click"] if click else []
    command += ["--screenshot", screenshot] if screenshot else []
    result = subprocess.run(command, cwd=ROOT, env=os.environ | {"DISPLAY": display}, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def _screenshot(name: str) -> str | None:
    folder = os.environ.get("SAVE_SCREENSHOTS")
    return os.path.join(folder, name) if folder else None


def test_valid_code_turns_green_and_confirm_redeems(server, display, today, tmp_path):
    who = list_identity(identity(41, name="王守信"), today, grade="AAA")
    png = requests.get(server.url + "/api/v1/me/qrcode.png", headers=citizen_headers(server, who), timeout=5).content
    shown = _drive(server, display, tmp_path, png, click=True, screenshot=_screenshot("scanner-valid.png"))
    assert shown["headline"] == "可享受守信激励：王*信（个人，信用等级 AAA）"
    assert shown["color"] == gui.COLORS["valid"]
    assert len(shown["buttons"]) == 1 and "按5折收费" in shown["buttons"][0]
    assert shown["after_click"] == "已确认，激励已记录"
    assert redemption_count() == 1


def test_used_code_turns_red_with_the_reason(server, display, measure_id, today, tmp_path):
    who = list_identity(identity(42, name="李四"), today)
    token = requests.get(server.url + "/api/v1/me/qrcode", headers=citizen_headers(server, who), timeout=5).json()["token"]
    api = StaffApi(server.url)
    api.login("gate_bus", PASSWORD)
    api.redeem(token, measure_id, "used-before-1")
    shown = _drive(server, display, tmp_path, qrcodes.render_png(token), screenshot=_screenshot("scanner-refused.png"))
    assert shown["headline"] == "该二维码已使用过，请对方刷新后重新出示"
    assert shown["color"] == gui.COLORS["invalid"] and shown["buttons"] == []
