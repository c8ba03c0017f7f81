"""The counter window on a virtual screen (Xvfb), against a live server: what staff see in each state.

Screenshots: `SAVE_SCREENSHOTS=docs/scanner .venv/bin/python -m pytest tests/test_scanner_window.py` writes one PNG
per state into that folder (the ones in docs/scanner/ were made so).
"""
import datetime as dt
import json
import os
import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest
import requests

from app.services import imports, qrcodes
from scanner_client import gui
from scanner_client import messages as text
from scanner_client.api import StaffApi
from tests.helpers import identity, list_identity
from tests.live_server import ROOT, citizen_headers, own_group_ended_with_parent, redemption_count
from tests.live_server import STAFF_PASSWORD as PASSWORD

pytestmark = pytest.mark.skipif(shutil.which("Xvfb") is None, reason="Xvfb is installed by scripts/bootstrap.sh test")
BEIJING = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def display():
    """A private X display chosen by Xvfb itself (-displayfd); DISPLAY points at it until the test ends."""
    read_end, write_end = os.pipe()
    command = ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x800x24", "-nolisten", "tcp"]
    process = subprocess.Popen(command, pass_fds=(write_end,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
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


def _screenshot(name: str) -> list[str]:
    folder = os.environ.get("SAVE_SCREENSHOTS")
    return [os.path.join(folder, name)] if folder else []


def _drive(server, display, tmp_path, png: bytes | None = None, *options: str) -> dict:
    """Run the window in a child process on the private display; returns what it showed."""
    command = [sys.executable, "-m", "tests.window_driver", "--server", server.url, "--username", "gate_bus",
               "--password", PASSWORD, "--outbox", str(tmp_path / "outbox.sqlite3"), *options]
    if png is not None:
        (tmp_path / "code.png").write_bytes(png)
        command += ["--image", str(tmp_path / "code.png")]
    result = subprocess.run(command, cwd=ROOT, env=os.environ | {"DISPLAY": display}, capture_output=True,
                            text=True, timeout=90)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def _option(flag: str, names: list[str]) -> list[str]:
    return [flag, names[0]] if names else []


def _texts(card: dict, role: str | None = None) -> list[str]:
    return [item["text"] for item in card["texts"] if role is None or item["role"] == role]


def _largest(card: dict) -> dict:
    return max(card["texts"], key=lambda item: item["size"])


# ---- the camera --------------------------------------------------------------------------------------------------

def test_no_camera_says_so_in_red_instead_of_the_prompt(server, display, tmp_path):
    shown = _drive(server, display, tmp_path, None, "--camera-mode", "none",
                   *_option("--screenshot", _screenshot("2-no-camera.png")))["scan"]
    assert shown["state"] == "camera" and shown["color"] == gui.COLORS["camera"]
    assert shown["headline"] == text.CAMERA_NONE
    assert text.IDLE_TITLE not in _texts(shown)
    assert any("连接线" in line for line in _texts(shown))
    assert shown["buttons"] == [text.CAMERA_RESCAN]


def test_a_camera_that_cannot_be_opened_is_named_and_the_picker_lists_what_exists(server, display, tmp_path):
    report = _drive(server, display, tmp_path, None, "--camera-mode", "fails")
    shown = report["scan"]
    assert shown["state"] == "camera" and shown["color"] == gui.COLORS["camera"]
    assert shown["headline"] == "无法打开摄像头 0（USB Camera）"
    assert any("选择其他摄像头" in line and "连接线" in line for line in _texts(shown))
    assert report["camera_choices"] == ["0：USB Camera"]


def test_a_camera_that_stops_turns_the_card_red_and_blanks_the_picture(server, display, tmp_path):
    shown = _drive(server, display, tmp_path, None, "--camera-mode", "stops",
                   *_option("--screenshot", _screenshot("3-camera-stopped.png")))
    assert shown["scan"]["state"] == "camera" and shown["scan"]["headline"] == text.CAMERA_STOPPED
    assert shown["scan"]["buttons"] == [text.CAMERA_RETRY]
    assert shown["preview"]["photo"] is None  # not a frozen last frame that looks live


def test_a_live_camera_shows_the_prompt_and_keeps_the_frames_aspect_ratio(server, display, tmp_path):
    shown = _drive(server, display, tmp_path, None, "--camera-mode", "live",
                   *_option("--screenshot", _screenshot("1-idle.png")))
    assert shown["scan"]["state"] == "idle" and shown["scan"]["headline"] == text.IDLE_TITLE
    assert shown["preview"]["frame"] == [640, 480] and shown["preview"]["photo"] == [480, 360]


# ---- decisions ---------------------------------------------------------------------------------------------------

def test_valid_code_green_card_with_the_benefit_largest_then_the_done_card(server, display, today, tmp_path):
    who = list_identity(identity(41, name="王守信"), today, grade="AAA")
    png = requests.get(server.url + "/api/v1/me/qrcode.png", headers=citizen_headers(server, who), timeout=5).content
    report = _drive(server, display, tmp_path, png, "--click", "--history",
                    *_option("--screenshot", _screenshot("4-offer.png")),
                    *_option("--screenshot-confirmed", _screenshot("5-done.png")),
                    *_option("--screenshot-history", _screenshot("7-history.png")))
    offer = report["scan"]
    assert offer["state"] == "valid" and offer["color"] == gui.COLORS["valid"]
    assert offer["headline"] == text.OFFER_TITLE
    benefit = _largest(offer)
    assert benefit["role"] == "benefit" and "按5折收费" in benefit["text"]
    assert sum(item["size"] == benefit["size"] for item in offer["texts"]) == 1  # nothing else as large
    name = next(item for item in offer["texts"] if item["role"] == "name")
    assert name["text"] == "王*信" and name["wraplength"] == 0 and name["height"] < 2 * name["linespace"]
    assert "个人 · 信用等级 AAA" in _texts(offer)
    assert text.CONFIRM in offer["buttons"] and text.DECLINE in offer["buttons"]

    done = report["confirmed"]
    assert done["state"] == "done" and done["color"] == gui.COLORS["done"] != gui.COLORS["valid"]
    assert done["headline"] == text.DONE_TITLE and "✔" in done["headline"] and "已核销" in done["headline"]
    assert any("按5折收费" in line for line in _texts(done))
    assert any("乘" in line or "公交" in line for line in _texts(done, "body"))  # the measure's title
    assert done["buttons"] == []
    assert redemption_count() == 1

    newest = report["history"][0]
    assert newest["action"] == "核销" and newest["result"] == "已核销" and newest["device"] == "counter-1"
    assert newest["subject"] == "王*信（个人）" and newest["measure"] and newest["staff"]
    shown_at = dt.datetime.strptime(newest["at"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)
    assert abs(shown_at - dt.datetime.now(BEIJING)) < dt.timedelta(minutes=10)


def test_a_long_enterprise_name_stays_on_one_line(server, display, today, tmp_path):
    who = list_identity(identity(43, kind="enterprise", name="阳江市守信诚实科技发展股份有限公司"), today,
                        category="E01")
    png = requests.get(server.url + "/api/v1/me/qrcode.png", headers=citizen_headers(server, who), timeout=5).content
    shown = _drive(server, display, tmp_path, png)["scan"]
    name = next(item for item in shown["texts"] if item["role"] == "name")
    assert name["text"] == "阳江市守信诚实科技发展股份有限公司"
    assert name["wraplength"] == 0 and name["height"] < 2 * name["linespace"]
    assert name["reqwidth"] <= shown["panel_width"]


def test_refused_scan_says_what_to_tell_the_citizen_and_how_to_object(server, display, today, tmp_path):
    who = list_identity(identity(44, name="李四"), today)
    png = requests.get(server.url + "/api/v1/me/qrcode.png", headers=citizen_headers(server, who), timeout=5).content
    record = f"kind,id_number,name,recorded_on,authority\nperson,{who.number},{who.name},{today},市人民法院\n"
    imports.import_dishonesty("d.csv", record.encode(), "test", today)
    shown = _drive(server, display, tmp_path, png, *_option("--screenshot", _screenshot("6-refused.png")))["scan"]
    assert shown["state"] == "invalid" and shown["color"] == gui.COLORS["invalid"] and shown["buttons"] == []
    reason = next(code for code in ("excluded_dishonest", "listing_suspended")
                  if text.REASONS[code]["title"] == shown["headline"])
    assert text.TELL_PREFIX in _texts(shown)
    assert text.REASONS[reason]["tell"] in _texts(shown)
    assert text.OBJECTION_HINT in _texts(shown)
    assert "李*" in _texts(shown, "name")


def test_used_code_turns_red_with_the_reason(server, display, measure_id, today, tmp_path):
    who = list_identity(identity(42, name="李四"), today)
    headers = citizen_headers(server, who)
    token = requests.get(server.url + "/api/v1/me/qrcode", headers=headers, timeout=5).json()["token"]
    api = StaffApi(server.url)
    api.login("gate_bus", PASSWORD)
    api.redeem(token, measure_id, "used-before-1")
    shown = _drive(server, display, tmp_path, qrcodes.render_png(token))["scan"]
    assert shown["headline"] == text.REASONS["token_used"]["title"]
    assert text.REASONS["token_used"]["tell"] in _texts(shown)
    assert shown["color"] == gui.COLORS["invalid"] and shown["buttons"] == []


def test_a_portrait_image_keeps_its_aspect_ratio(server, display, today, tmp_path):
    who = list_identity(identity(45), today)
    png = requests.get(server.url + "/api/v1/me/qrcode.png", headers=citizen_headers(server, who), timeout=5).content
    code = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    portrait = np.full((900, 480), 210, np.uint8)
    top, left = (900 - code.shape[0]) // 2, (480 - code.shape[1]) // 2
    portrait[top:top + code.shape[0], left:left + code.shape[1]] = code
    shown = _drive(server, display, tmp_path, cv2.imencode(".png", portrait)[1].tobytes())
    assert shown["scan"]["state"] == "valid"
    assert shown["preview"]["frame"] == [480, 900]
    assert shown["preview"]["photo"] == [192, 360]  # 480:900 fitted to the 640x360 box, not stretched
