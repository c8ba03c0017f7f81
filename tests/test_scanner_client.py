"""The scanner client against a live server on loopback: headless command line, and no confirmation lost."""
import json
import sqlite3
import subprocess
import sys

import requests

from scanner_client.api import StaffApi
from scanner_client.core import Scanner
from scanner_client.outbox import Outbox
from tests.helpers import identity, list_identity
from tests.live_server import ROOT, STAFF_PASSWORD, citizen_headers, redemption_count

def _fresh_code(server, headers) -> str:
    return requests.get(server.url + "/api/v1/me/qrcode", headers=headers, timeout=5).json()["token"]


def _client(*args, timeout=60):
    return subprocess.run([sys.executable, "-m", "scanner_client", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def test_headless_reads_verifies_and_confirms_once(server, measure_id, today, tmp_path):
    """Two photos of the same code are one decision; the confirmation is acknowledged with the redemption."""
    who = list_identity(identity(1, name="乘客甲"), today)
    png = requests.get(server.url + "/api/v1/me/qrcode.png", headers=citizen_headers(server, who), timeout=5).content
    (tmp_path / "code.png").write_bytes(png)
    (tmp_path / "again.png").write_bytes(png)
    result = _client("--server", server.url, "--username", "gate_bus", "--password", STAFF_PASSWORD, "--headless",
                     "--image", str(tmp_path / "code.png"), str(tmp_path / "again.png"),
                     "--confirm", str(measure_id), "--outbox", str(tmp_path / "outbox.sqlite3"))
    assert result.returncode == 0, result.stderr
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


def test_decode_command_is_offline(server, today, tmp_path):
    who = list_identity(identity(3), today)
    png = requests.get(server.url + "/api/v1/me/qrcode.png", headers=citizen_headers(server, who), timeout=5).content
    (tmp_path / "a.png").write_bytes(png)
    server.kill()
    (tmp_path / "b.txt").write_text("not an image")
    result = _client("decode", str(tmp_path / "a.png"), str(tmp_path / "b.txt"))
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["file"] for line in lines] == [str(tmp_path / "a.png"), str(tmp_path / "b.txt")]
    assert len(lines[0]["text"]) == 41 and lines[1]["text"] is None


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
