"""Backups restored: `flask backup` while a counter confirms through gunicorn, `flask restore` into a fresh database
(a new SQLite file, or in the PostgreSQL pass a new PostgreSQL server) finds the same redemptions, cases, evidence
files and audit log; a damaged backup, a database with tables and a used backup directory are refused."""
import hashlib
import io
import json
import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import click.testing
import pytest
import requests
import sqlalchemy as sa
from PIL import Image
from sqlalchemy.pool import NullPool

from app.models import AuditEvent, CaseEvent, Complaint, Evidence, Objection, Redemption, ScanAttempt
from tests.conftest import POSTGRES_URL
from tests.helpers import identity, list_identity, login
from tests.live_server import ROOT, STAFF_PASSWORD, citizen_headers
from tests.pg_server import PostgresServer
from wsgi import create_app

CASE_TABLES = (Objection.__table__, Complaint.__table__, CaseEvent.__table__, Evidence.__table__)
LOG_TABLES = (Redemption.__table__, ScanAttempt.__table__, AuditEvent.__table__)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def flask(command: str, *args: str, database_url: str, evidence_dir: Path) -> subprocess.CompletedProcess:
    """`flask --app wsgi COMMAND ARGS` as an operator runs it, on the given database and evidence directory."""
    env = os.environ | {"APP_ENV": "test", "DATABASE_URL": database_url, "EVIDENCE_DIR": str(evidence_dir)}
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", command, *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def read(url: str, *tables: sa.Table) -> dict[str, list[dict]]:
    """Every row of the tables, by id, as the database holds them now."""
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return {table.name: [dict(row._mapping)
                                 for row in connection.execute(sa.select(table).order_by(table.c.id))]
                    for table in tables}
    finally:
        engine.dispose()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (24, 16), (0, 120, 0)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def fresh_database(tmp_path):
    """An empty database of the suite's kind, on another server in the PostgreSQL pass (as on a new machine)."""
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    server = PostgresServer("restored")
    try:
        yield server.start().url
    finally:
        server.stop()


@pytest.fixture
def cases(app, client, catalogue, today):
    """An objection with two evidence files and a complaint, filed through the citizen API; their directory."""
    who = list_identity(identity(2502, name="陈存证"), today)
    headers = login(client, who)
    data = {"type": "wrongly_suspended", "statement": "我的名单被错误暂停，请核实。",
            "entry_id": str(who.subject().entries[0].id),
            "evidence": [(io.BytesIO(png()), "photo.png"), (io.BytesIO(PDF), "letter.pdf")]}
    filed = client.post("/api/v1/objections", data=data, headers=headers, content_type="multipart/form-data")
    assert filed.status_code == 201, filed.get_json()
    complained = client.post("/api/v1/complaints", headers=headers,
                             json={"kind": "complaint", "content": "柜台未按规定给予优惠"})
    assert complained.status_code == 201, complained.get_json()
    return Path(app.config["EVIDENCE_DIR"])


class Counter(threading.Thread):
    """A citizen showing a fresh code and a counter confirming it, one after another through gunicorn until told to
    stop; remembers each acknowledged idempotency key with when it was acknowledged."""

    def __init__(self, url: str, citizen: dict[str, str], measure_id: int) -> None:
        super().__init__(daemon=True)
        self.url, self.citizen, self.measure_id = url, citizen, measure_id
        self.stop, self.acknowledged, self.failures = threading.Event(), [], []
        answer = requests.post(url + "/api/v1/staff/login", json={"username": "gate_bus", "password": STAFF_PASSWORD},
                               timeout=10)
        self.headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}

    def run(self) -> None:
        index = 0
        while not self.stop.is_set():
            token = requests.get(self.url + "/api/v1/me/qrcode", headers=self.citizen, timeout=10).json()["token"]
            index += 1
            key = f"backup-run-{index:05d}"
            answer = requests.post(self.url + "/api/v1/scan/redeem", headers=self.headers, timeout=20,
                                   json={"token": token, "measure_id": self.measure_id, "idempotency_key": key})
            if answer.status_code == 201:
                self.acknowledged.append((time.monotonic(), key))
            else:
                self.failures.append((answer.status_code, answer.text[:200]))

    def acknowledged_before(self, instant: float) -> set[str]:
        return {key for at, key in list(self.acknowledged) if at < instant}


def test_a_backup_taken_during_confirmations_restores_the_same_data(app, server, database_url, cases, measure_id,
                                                                     today, tmp_path, fresh_database):
    who = list_identity(identity(2501, name="林备份"), today)
    counter = Counter(server.url, citizen_headers(server, who), measure_id)
    counter.start()
    while len(counter.acknowledged) < 5 and counter.is_alive():
        time.sleep(0.05)
    started = time.monotonic()
    backup_dir = tmp_path / "backups" / "2026-12-01"
    made = flask("backup", str(backup_dir), database_url=database_url, evidence_dir=cases)
    more = len(counter.acknowledged) + 5
    while len(counter.acknowledged) < more and counter.is_alive():
        time.sleep(0.05)
    counter.stop.set()
    counter.join(timeout=30)
    assert made.returncode == 0, made.stderr
    assert counter.failures == []

    manifest = json.loads((backup_dir / "manifest.json").read_text())
    assert manifest["database"] == ("postgresql" if POSTGRES_URL else "sqlite")
    assert stat.S_IMODE(backup_dir.stat().st_mode) == 0o700
    for path in backup_dir.rglob("*"):
        assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600), path
    # Taken while the counter confirmed: every confirmation acknowledged before it is in, and some came after it.
    in_backup = manifest["row_counts"]["redemptions"]
    assert len(counter.acknowledged_before(started)) <= in_backup < len(counter.acknowledged)

    restored_evidence = tmp_path / "restored-evidence"
    done = flask("restore", str(backup_dir), database_url=fresh_database, evidence_dir=restored_evidence)
    assert done.returncode == 0, done.stderr
    assert "与清单一致" in done.stdout

    source, restored = read(database_url, *CASE_TABLES, *LOG_TABLES), read(fresh_database, *CASE_TABLES, *LOG_TABLES)
    for table in CASE_TABLES:  # filed before the backup: all of them, as they were
        assert restored[table.name] == source[table.name] and restored[table.name], table.name
    for table in LOG_TABLES:  # the rows the backup saw, unchanged, and as many as the manifest counted
        kept = {row["id"] for row in restored[table.name]}
        assert restored[table.name] == [row for row in source[table.name] if row["id"] in kept], table.name
        assert len(kept) == manifest["row_counts"][table.name]
    keys = {row["idempotency_key"] for row in restored["redemptions"]}
    assert counter.acknowledged_before(started) <= keys
    # One consistent instant: each redemption with its attempt and its audit event, written in one transaction.
    audited = {row["target_id"] for row in restored["audit_events"] if row["action"] == "redemption.create"}
    attempts = {row["id"] for row in restored["scan_attempts"]}
    assert audited == {str(row["id"]) for row in restored["redemptions"]}
    assert {row["attempt_id"] for row in restored["redemptions"]} <= attempts
    for row in restored["evidence"]:
        assert sha256(restored_evidence / row["stored_name"]) == row["sha256"] == sha256(cases / row["stored_name"])
        assert stat.S_IMODE((restored_evidence / row["stored_name"]).stat().st_mode) == 0o600

    engine = sa.create_engine(fresh_database, poolclass=NullPool)
    try:  # the audit log is still append-only
        for statement in ("UPDATE audit_events SET actor = 'x'", "DELETE FROM audit_events"):
            with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as connection:
                connection.execute(sa.text(statement))
    finally:
        engine.dispose()


def cli(database_url: str, evidence_dir: Path, *args: str) -> click.testing.Result:
    """An operator command in this process, on the given database and evidence directory."""
    runner = create_app("test", SQLALCHEMY_DATABASE_URI=database_url, EVIDENCE_DIR=str(evidence_dir)).test_cli_runner()
    return runner.invoke(args=list(args))


def test_a_damaged_backup_is_refused_before_anything_else(app, database_url, cases, tmp_path):
    backup_dir = tmp_path / "backup"
    assert cli(database_url, cases, "backup", str(backup_dir)).exit_code == 0
    damaged = next((backup_dir / "evidence").iterdir())
    damaged.write_bytes(damaged.read_bytes() + b"\0")
    target_evidence = tmp_path / "restored-evidence"
    refused = cli(database_url, target_evidence, "restore", str(backup_dir))
    # Checked first: the database having tables is not even reached, and no file is copied.
    assert refused.exit_code == 1 and "backup_checksum_mismatch" in refused.output
    assert f"evidence/{damaged.name}" in refused.output and not target_evidence.exists()


def test_restore_refuses_a_database_with_tables_and_backup_a_used_directory(app, database_url, cases, tmp_path):
    backup_dir = tmp_path / "backup"
    assert cli(database_url, cases, "backup", str(backup_dir)).exit_code == 0
    refused = cli(database_url, tmp_path / "other", "restore", str(backup_dir))
    assert refused.exit_code == 1
    assert "restore_target_not_empty" in refused.output and "audit_events" in refused.output
    again = cli(database_url, cases, "backup", str(backup_dir))
    assert again.exit_code == 1 and "backup_target_not_empty" in again.output


def test_restore_refuses_an_evidence_file_of_the_same_name_and_other_content(app, database_url, cases, tmp_path,
                                                                              fresh_database):
    backup_dir = tmp_path / "backup"
    assert cli(database_url, cases, "backup", str(backup_dir)).exit_code == 0
    first, second = sorted((backup_dir / "evidence").iterdir())
    target_evidence = tmp_path / "restored-evidence"
    target_evidence.mkdir()
    (target_evidence / first.name).write_bytes(first.read_bytes())  # the same file: no clash
    (target_evidence / second.name).write_bytes(b"another file")
    refused = flask("restore", str(backup_dir), database_url=fresh_database, evidence_dir=target_evidence)
    assert refused.returncode == 1 and "restore_evidence_clash" in refused.stderr and second.name in refused.stderr
    assert first.name not in refused.stderr
    engine = sa.create_engine(fresh_database, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            assert sa.inspect(connection).get_table_names() == []  # refused before the database is touched
    finally:
        engine.dispose()
    (target_evidence / second.name).unlink()
    restored = flask("restore", str(backup_dir), database_url=fresh_database, evidence_dir=target_evidence)
    assert restored.returncode == 0, restored.stderr
    assert sha256(target_evidence / second.name) == sha256(second)
