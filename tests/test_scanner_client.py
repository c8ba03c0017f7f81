"""The scanner client against a live server on loopback: headless command line and its exit statuses, the device
name, the history, and no confirmation lost."""
import io
import json
import os
import platform
import socket
import sqlite3
import subprocess
import sys

import numpy as np
import pytest
import requests
from PIL import Image

from scanner_client import config, headless
from scanner_client.api import ServerUnreachable, StaffApi
from scanner_client.core import Scanner
from scanner_client.exits import EXIT_STATUSES, LOGIN_OR_USAGE, NO_CODE, OK, REFUSED, UNREACHABLE
from scanner_client.outbox import Outbox
from tests.helpers import identity, list_identity
from tests.live_server import ROOT, STAFF_PASSWORD, citizen_headers, redemption_count


def _fresh_code(server, headers) -> str:
    return requests.get(server.url + "/api/v1/me/qrcode", headers=headers, timeout=5).json()["token"]


def _client(*args, timeout=60, cwd=ROOT):
    # PYTHONPATH stands in for `pip install ./scanner_client`, so the command also runs from another folder.
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "scanner_client", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=env)


def _headless(server, tmp_path, *images, confirm=None, extra=()):
    args = ["--server", server.url, "--username", "gate_bus", "--password", STAFF_PASSWORD, "--headless",
            "--image", *map(str, images), "--outbox", str(tmp_path / "outbox.sqlite3"), *extra]
    return _client(*args, *(["--confirm", str(confirm)] if confirm is not None else []))


def _code_png(server, who, tmp_path, name="code.png"):
    png = requests.get(server.url + "/api/v1/me/qrcode.png", headers=citizen_headers(server, who), timeout=5).content
    (tmp_path / name).write_bytes(png)
    return tmp_path / name


def test_headless_reads_verifies_and_confirms_once(server, measure_id, today, tmp_path):
    """Two photos of the same code are one decision; the confirmation is acknowledged with the redemption."""
    who = list_identity(identity(1, name="乘客甲"), today)
    png = requests.get(server.url + "/api/v1/me/qrcode.png", headers=citizen_headers(server, who), timeout=5).content
    (tmp_path / "code.png").write_bytes(png)
    (tmp_path / "again.png").write_bytes(png)
    result = _client("--server", server.url, "--username", "gate_bus", "--password", STAFF_PASSWORD, "--headless",
                     "--image", str(tmp_path / "code.png"), str(tmp_path / "again.png"),
                     "--confirm", str(measure_id), "--outbox", str(tmp_path / "outbox.sqlite3"))
    assert result.returncode == OK, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 1
    decision = lines[0]
    assert {"source", "token", "valid", "reason", "subject", "measures", "redemption"} <= set(decision)
    assert decision["valid"] is True and decision["subject"]["name_masked"] == "乘*甲"
    assert decision["redemption"]["measure_id"] == measure_id
    assert redemption_count() == 1


def test_headless_reports_a_refusal_with_its_reason(server, measure_id, today, tmp_path):
    who = list_identity(identity(2, name="乘客乙"), today)
    headers = citizen_headers(server, who)
    png = requests.get(server.url + "/api/v1/me/qrcode.png", headers=headers, timeout=5).content
    (tmp_path / "code.png").write_bytes(png)
    first = _client("--server", server.url, "--username", "gate_bus", "--password", STAFF_PASSWORD, "--headless",
                    "--image", str(tmp_path / "code.png"), "--confirm", str(measure_id),
                    "--outbox", str(tmp_path / "outbox.sqlite3"))
    assert json.loads(first.stdout)["redemption"] is not None
    second = _client("--server", server.url, "--username", "gate_bus", "--password", STAFF_PASSWORD, "--headless",
                     "--image", str(tmp_path / "code.png"), "--outbox", str(tmp_path / "outbox.sqlite3"))
    decision = json.loads(second.stdout)
    assert (decision["valid"], decision["reason"], decision["redemption"]) == (False, "token_used", None)
    assert first.returncode == OK and second.returncode == REFUSED


def test_decode_command_is_offline(server, today, tmp_path):
    who = list_identity(identity(3), today)
    png = requests.get(server.url + "/api/v1/me/qrcode.png", headers=citizen_headers(server, who), timeout=5).content
    (tmp_path / "a.png").write_bytes(png)
    server.kill()
    (tmp_path / "b.txt").write_text("not an image")
    result = _client("decode", str(tmp_path / "a.png"), str(tmp_path / "b.txt"))
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["file"] for line in lines] == [str(tmp_path / "a.png"), str(tmp_path / "b.txt")]
    assert lines[0]["text"].startswith("XY1:") and lines[1]["text"] is None
    assert result.returncode == NO_CODE
    assert _client("decode", str(tmp_path / "a.png"), cwd=tmp_path).returncode == OK


def test_no_confirmation_is_lost_when_the_server_dies(server, measure_id, today, tmp_path):
    """The server is killed while confirmations are being sent and restarted: exactly one redemption each."""
    who = list_identity(identity(4, name="乘客丙"), today)
    headers = citizen_headers(server, who)
    api = StaffApi(server.url, timeout=2)
    api.login("gate_bus", STAFF_PASSWORD)
    outbox_path = tmp_path / "outbox.sqlite3"
    scanner = Scanner(api, Outbox(str(outbox_path)), device="gate-1")
    decisions = [scanner.verify(_fresh_code(server, headers), f"frame-{n}") for n in range(8)]
    assert all(decision.valid for decision in decisions)

    confirmed = []
    for number, decision in enumerate(decisions):
        if number == 3:
            server.kill()
        confirmed.append(scanner.confirm(decision, measure_id))
    assert [decision.pending for decision in confirmed] == [False] * 3 + [True] * 5
    assert scanner.outbox.pending_count() == 5

    server.start()
    for _ in range(5):
        scanner.retry_pending()
        if scanner.outbox.pending_count() == 0:
            break
    assert scanner.outbox.pending_count() == 0

    # An acknowledgement lost on the way back: the client sends the same confirmation again.
    with sqlite3.connect(outbox_path) as raw:
        raw.execute("UPDATE confirmations SET state = 'pending' WHERE rowid = 1")
    replayed = scanner.retry_pending()
    assert [outcome.state for outcome in replayed] == ["acknowledged"]

    with sqlite3.connect(outbox_path) as raw:
        states = raw.execute("SELECT state, outcome FROM confirmations").fetchall()
    assert len(states) == 8 and {state for state, _ in states} == {"acknowledged"}
    assert len({outcome for _, outcome in states}) == 8
    assert redemption_count() == 8


# ---- exit statuses --------------------------------------------------------------------------------------------

@pytest.mark.nodb
def test_help_lists_the_commands_and_the_exit_statuses(tmp_path):
    result = _client("--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "scanner_client decode FILE" in result.stdout and "--headless" in result.stdout
    for status, meaning in EXIT_STATUSES.items():
        assert f"  {status}  {meaning[:30]}" in result.stdout
    decode_help = _client("decode", "--help", cwd=tmp_path)
    assert decode_help.returncode == 0 and '"text"' in decode_help.stdout


class _SomeoneElseFirst:
    """A staff API where another counter redeems each code just before this one confirms it."""

    venue = {"name": "test"}

    def __init__(self, api: StaffApi) -> None:
        self.api = api

    def verify(self, token, device=""):
        return self.api.verify(token, device)

    def redeem(self, token, measure_id, idempotency_key, device=""):
        self.api.redeem(token, measure_id, "the-other-counter", "gate-9")
        return self.api.redeem(token, measure_id, idempotency_key, device)


def test_a_refused_confirmation_exits_1(server, measure_id, today, tmp_path):
    who = list_identity(identity(6, name="乘客戊"), today)
    api = StaffApi(server.url)
    api.login("gate_bus", STAFF_PASSWORD)
    scanner = Scanner(_SomeoneElseFirst(api), Outbox(str(tmp_path / "outbox.sqlite3")), device="gate-3")
    out = io.StringIO()
    status = headless.run(scanner, [str(_code_png(server, who, tmp_path))], None, measure_id, drain_seconds=0, out=out)
    decision = json.loads(out.getvalue())
    assert status == REFUSED and (decision["valid"], decision["reason"]) == (False, "token_used")
    assert scanner.outbox.pending_count() == 0 and redemption_count() == 1


def test_no_code_in_the_images_exits_4(server, tmp_path):
    blank = io.BytesIO()
    Image.fromarray(np.full((240, 320), 200, np.uint8)).save(blank, "PNG")
    (tmp_path / "blank.png").write_bytes(blank.getvalue())
    result = _headless(server, tmp_path, tmp_path / "blank.png")
    assert result.returncode == NO_CODE and result.stdout == ""


def test_wrong_password_and_bad_usage_exit_2(server, tmp_path):
    wrong = _client("--server", server.url, "--username", "gate_bus", "--password", "not-it", "--headless",
                    "--image", str(tmp_path / "x.png"), "--outbox", str(tmp_path / "o.sqlite3"))
    assert wrong.returncode == LOGIN_OR_USAGE and "login refused" in wrong.stderr
    assert _client("--server", server.url, "--username", "u", "--password", "p", "--headless").returncode == 2
    assert _client("--confirm", "x").returncode == LOGIN_OR_USAGE


@pytest.mark.nodb
def test_an_unreachable_server_exits_3(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here once the probe closes
    result = _client("--server", f"http://127.0.0.1:{port}", "--username", "u", "--password", "p", "--headless",
                     "--image", str(tmp_path / "x.png"), "--outbox", str(tmp_path / "o.sqlite3"))
    assert result.returncode == UNREACHABLE and "unreachable" in result.stderr


class _OfflineRedeem:
    """A staff API whose verify answers but whose redeem never reaches the server."""

    venue = {"name": "test"}

    def __init__(self, api: StaffApi) -> None:
        self.api = api

    def verify(self, token, device=""):
        return self.api.verify(token, device)

    def redeem(self, *args, **kwargs):
        raise ServerUnreachable("cable pulled")


def test_a_confirmation_still_queued_exits_3_and_is_kept(server, measure_id, today, tmp_path):
    who = list_identity(identity(7, name="乘客己"), today)
    path = _code_png(server, who, tmp_path)
    api = StaffApi(server.url)
    api.login("gate_bus", STAFF_PASSWORD)
    scanner = Scanner(_OfflineRedeem(api), Outbox(str(tmp_path / "outbox.sqlite3")), device="gate-3")
    out = io.StringIO()
    status = headless.run(scanner, [str(path)], None, measure_id, drain_seconds=0, out=out)
    assert status == UNREACHABLE
    assert json.loads(out.getvalue())["pending"] is True and scanner.outbox.pending_count() == 1
    # The next start sends it with the same key: acknowledged, exactly one redemption.
    retry = Scanner(api, Outbox(str(tmp_path / "outbox.sqlite3")), device="gate-3")
    assert headless.run(retry, [], None, None, drain_seconds=0, out=io.StringIO()) == NO_CODE
    assert retry.outbox.pending_count() == 0 and redemption_count() == 1


# ---- device name and history ----------------------------------------------------------------------------------

def test_the_device_name_is_the_computers_saved_beside_the_outbox_and_sent_with_each_attempt(server, today,
                                                                                             tmp_path):
    who = list_identity(identity(8, name="乘客庚"), today)
    first = _headless(server, tmp_path, _code_png(server, who, tmp_path, "a.png"))
    assert first.returncode == OK
    saved = json.loads((tmp_path / config.CONFIG_NAME).read_text(encoding="utf-8"))
    assert saved["device"] == platform.node()[:80]
    named = _headless(server, tmp_path, _code_png(server, who, tmp_path, "b.png"), extra=("--device", "东门闸机 2"))
    assert named.returncode == OK
    later = _headless(server, tmp_path, _code_png(server, who, tmp_path, "c.png"))
    assert later.returncode == OK
    api = StaffApi(server.url)
    api.login("gate_bus", STAFF_PASSWORD)
    devices = [item["device"] for item in api.history()["items"]]
    assert devices[:3] == ["东门闸机 2", "东门闸机 2", platform.node()[:80]]


@pytest.mark.nodb
def test_device_name_survives_a_damaged_settings_file(tmp_path):
    outbox = str(tmp_path / "outbox.sqlite3")
    (tmp_path / config.CONFIG_NAME).write_text("{not json", encoding="utf-8")
    name = config.device_name(outbox)
    assert name and json.loads((tmp_path / config.CONFIG_NAME).read_text(encoding="utf-8"))["device"] == name
    assert config.device_name(outbox, "柜台 1") == "柜台 1" == config.device_name(outbox)
