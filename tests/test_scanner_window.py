"""The counter window on a virtual screen (Xvfb), against a live server: green with a confirm button, red with a reason."""
import os
import shutil
import subprocess
import time
import tkinter as tk

import pytest
import requests
from PIL import ImageGrab

from app.services import qrcodes
from scanner_client import gui
from scanner_client.api import StaffApi
from scanner_client.core import Scanner
from scanner_client.outbox import Outbox
from tests.helpers import identity, list_identity
from tests.test_scanner_client import PASSWORD, _citizen, _redemption_count, measure_id, server  # noqa: F401

pytestmark = pytest.mark.skipif(shutil.which("Xvfb") is None, reason="Xvfb is installed by scripts/bootstrap.sh test")


@pytest.fixture
def display():
    """A private X display for this test; DISPLAY points at it until the test ends."""
    number = 90 + os.getpid() % 500
    process = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "1200x560x24", "-nolisten", "tcp"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    previous = os.environ.get("DISPLAY")
    os.environ["DISPLAY"] = f":{number}"
    time.sleep(0.5)
    yield f":{number}"
    process.terminate()
    process.wait(timeout=5)
    if previous is None:
        os.environ.pop("DISPLAY")
    else:
        os.environ["DISPLAY"] = previous


def _pump(root, window, until, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        root.update()
        if until(window.headline.cget("text")):
            return window.headline.cget("text")
        time.sleep(0.02)
    raise AssertionError(f"window shows {window.headline.cget('text')!r}")


@pytest.fixture
def open_window(server, display, tmp_path):
    """Open the counter window on a saved code image; the window is always destroyed before the display goes."""
    roots = []

    def opener(png: bytes):
        (tmp_path / "code.png").write_bytes(png)
        api = StaffApi(server.url)
        api.login("gate_bus", PASSWORD)
        roots.append(tk.Tk())
        return roots[-1], gui.Window(roots[-1], Scanner(api, Outbox(str(tmp_path / "outbox.sqlite3"))), camera=0,
                                     images=[str(tmp_path / "code.png")], video=None, confirm=None)

    yield opener
    for root in roots:
        root.destroy()


def test_valid_code_turns_green_and_confirm_redeems(server, display, open_window, today):
    who = list_identity(identity(41, name="王守信"), today, grade="AAA")
    root, window = open_window(requests.get(server.url + "/api/v1/me/qrcode.png", headers=_citizen(server, who),
                                            timeout=5).content)
    assert _pump(root, window, lambda text: text.startswith("可享受守信激励")) == "可享受守信激励：王*信（个人，信用等级 AAA）"
    assert window.panel.cget("bg") == gui.COLORS["valid"]
    buttons = window.actions.winfo_children()
    assert len(buttons) == 1 and "按5折收费" in buttons[0].cget("text")
    if os.environ.get("SAVE_SCREENSHOTS"):
        ImageGrab.grab(xdisplay=display).save(os.environ["SAVE_SCREENSHOTS"] + "/scanner-valid.png")
    buttons[0].invoke()
    assert _pump(root, window, lambda text: text == "已确认，激励已记录")
    assert _redemption_count() == 1


def test_used_code_turns_red_with_the_reason(server, display, open_window, measure_id, today):  # noqa: F811
    who = list_identity(identity(42, name="李四"), today)
    headers = _citizen(server, who)
    token = requests.get(server.url + "/api/v1/me/qrcode", headers=headers, timeout=5).json()["token"]
    api = StaffApi(server.url)
    api.login("gate_bus", PASSWORD)
    api.redeem(token, measure_id, "used-before-1")
    root, window = open_window(qrcodes.render_png(token))
    assert _pump(root, window, lambda text: text != "请出示身份二维码") == "该二维码已使用过，请对方刷新后重新出示"
    assert window.panel.cget("bg") == gui.COLORS["invalid"]
    assert window.actions.winfo_children() == []
    if os.environ.get("SAVE_SCREENSHOTS"):
        ImageGrab.grab(xdisplay=display).save(os.environ["SAVE_SCREENSHOTS"] + "/scanner-refused.png")
