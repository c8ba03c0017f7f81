"""Backups: a consistent copy of the database (SQLite's online backup, or `pg_dump -Fc` in one exported snapshot) and
of the evidence files it names, with a manifest of row counts and checksums; restored into an empty database only.

A backup directory holds personal data: it is 0700 and every file in it 0600, whatever the process's umask.
"""
import datetime as dt
import glob
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.pool import NullPool

from app.errors import DomainError
from app.models import Evidence

MANIFEST = "manifest.json"
EVIDENCE = "evidence"
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.dump"}
PG_TIMEOUT_SECONDS = 6 * 3600


class BackupError(DomainError):
    """A backup or restore refused or failed; the message says why and what to do."""


@dataclass(frozen=True)
class Facts:
    """What a database holds: its schema revision, rows per table and the evidence files its rows name."""

    revision: str
    rows: dict[str, int]
    evidence: list[tuple[str, str]]


@dataclass(frozen=True)
class BackupReport:
    """A backup written: where, of what, and the evidence files that could not be copied as recorded."""

    directory: str
    kind: str
    facts: Facts
    evidence_problems: dict[str, str]


@dataclass(frozen=True)
class RestoreReport:
    """A restore done: the backup's revision (and the code's head, when they differ) and what came back."""

    kind: str
    revision: str
    head: str
    rows: dict[str, int]
    evidence_files: int


def _kind(url: URL) -> str:
    kind = url.get_backend_name()
    if kind not in DATABASE_FILES:
        raise BackupError("backup_unsupported_database", f"不支持备份此类数据库：{kind}（仅 SQLite 与 PostgreSQL）")
    return kind


def _facts(connection: Connection) -> Facts:
    tables = sorted(sa.inspect(connection).get_table_names())
    rows = {name: connection.execute(sa.select(sa.func.count()).select_from(sa.table(name))).scalar_one()
            for name in tables}
    revision = ",".join(sorted(connection.scalars(sa.text("SELECT version_num FROM alembic_version"))))
    evidence = [(name, sha256) for name, sha256 in connection.execute(sa.select(Evidence.stored_name, Evidence.sha256))]
    return Facts(revision, rows, evidence)


@contextmanager
def _connected(url: URL | str) -> Iterator[Connection]:
    """One connection of an engine of its own (not the app's pool), disposed of afterwards."""
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def _private_file(path: Path) -> int:
    """A new file only its owner may read, opened for writing."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)


def _copy(source: Path, target: Path) -> str:
    """Copy a file into a new 0600 file; returns the sha256 of what was written."""
    digest = hashlib.sha256()
    with open(source, "rb") as reader, os.fdopen(_private_file(target), "wb") as writer:
        while chunk := reader.read(1 << 20):
            digest.update(chunk)
            writer.write(chunk)
    return digest.hexdigest()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as reader:
        while chunk := reader.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def pg_tool(name: str) -> str:
    """pg_dump or pg_restore: from PATH, else the newest under /usr/lib/postgresql/*/bin."""
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                                                   key=lambda path: int(Path(path).parts[-3]), reverse=True)), None)
    if found is None:
        raise BackupError("backup_tool_missing", f"找不到 {name}（PATH 与 /usr/lib/postgresql/*/bin 下均没有）："
                                                 "请安装与数据库服务器同版本或更新的 postgresql-client")
    return found


def _run_pg(tool: str, url: URL, *args: str) -> None:
    """Run a PostgreSQL client with the database's libpq URL; the password goes in the environment, not the
    command line (which every user of the host can read)."""
    libpq = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    env = os.environ | ({"PGPASSWORD": str(url.password)} if url.password else {})
    done = subprocess.run([pg_tool(tool), *args, libpq if tool == "pg_dump" else f"--dbname={libpq}"], env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=PG_TIMEOUT_SECONDS)
    if done.returncode != 0:
        raise BackupError(f"{tool}_failed", f"{tool} 失败（退出码 {done.returncode}）：{done.stderr.strip()[-1000:]}")


def _dump_sqlite(url: URL, target: Path) -> Facts:
    """SQLite's online backup API: one consistent copy while the service writes on (WAL), as one file."""
    source_path = url.database or ""
    if not os.path.isfile(source_path):
        raise BackupError("backup_source_missing", f"数据库文件不存在：{source_path}")
    os.close(_private_file(target))
    source, copy = sqlite3.connect(source_path, timeout=30), sqlite3.connect(target)
    try:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")
    finally:
        copy.close()
        source.close()
    with _connected(f"sqlite:///{target}") as connection:
        return _facts(connection)


def _dump_postgresql(url: URL, target: Path) -> Facts:
    """pg_dump -Fc in a snapshot exported by a repeatable-read transaction that counts the same rows."""
    os.close(_private_file(target))
    with _connected(url) as connection:
        connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            snapshot = connection.scalar(sa.text("SELECT pg_export_snapshot()"))
            facts = _facts(connection)
            _run_pg("pg_dump", url, "--format=custom", f"--snapshot={snapshot}", f"--file={target}")
    return facts


def _new_directory(path: Path) -> None:
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise BackupError("backup_target_not_empty", f"备份目录已存在且不为空：{path}（每次备份请用新目录）")
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)


def backup(database_url: str, evidence_dir: str, destination: str, now: dt.datetime) -> BackupReport:
    """Write the database, the evidence files its rows name and the manifest (last) into a new or empty directory."""
    url, target = make_url(database_url), Path(destination)
    kind = _kind(url)
    _new_directory(target)
    database_file = DATABASE_FILES[kind]
    dump = _dump_sqlite if kind == "sqlite" else _dump_postgresql
    facts = dump(url, target / database_file)
    files = {database_file: _sha256(target / database_file)}
    (target / EVIDENCE).mkdir(mode=0o700)
    (target / EVIDENCE).chmod(0o700)
    problems = {}
    for name, recorded in facts.evidence:
        source = Path(evidence_dir) / name
        if not source.is_file():
            problems[name] = "missing"
            continue
        files[f"{EVIDENCE}/{name}"] = written = _copy(source, target / EVIDENCE / name)
        if written != recorded:
            problems[name] = "altered"
    manifest = {"format": 1, "created_at": now.astimezone(dt.UTC).isoformat(), "database": kind,
                "schema_revision": facts.revision, "row_counts": facts.rows, "evidence_problems": problems,
                "files": files}
    with os.fdopen(_private_file(target / MANIFEST), "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, ensure_ascii=False, indent=2, sort_keys=True)
    return BackupReport(str(target), kind, facts, problems)


def _read_manifest(source: Path) -> dict[str, Any]:
    """The manifest, once every file it lists is present with its checksum."""
    try:
        manifest: dict[str, Any] = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
        files, database_file = manifest["files"], DATABASE_FILES[manifest["database"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BackupError("backup_manifest_unreadable", f"读不出 {source / MANIFEST}：{exc}（备份不完整？）") from exc
    if database_file not in files:
        raise BackupError("backup_manifest_unreadable", f"清单中没有数据库文件 {database_file}")
    for name, recorded in files.items():
        parts = Path(name).parts
        if not (name == database_file or (len(parts) == 2 and parts[0] == EVIDENCE and parts[1][0] != ".")):
            raise BackupError("backup_manifest_unreadable", f"清单列出了备份外的文件：{name}")
        if not (source / name).is_file() or _sha256(source / name) != recorded:
            raise BackupError("backup_checksum_mismatch", f"备份文件 {name} 缺失或校验和不符：备份已损坏，未作任何恢复")
    return manifest


def _check_target(url: URL, kind: str, revision: str, migrations_dir: str) -> str:
    """The code's schema head, once the target is the backup's kind of database, knows its revision and is empty."""
    if _kind(url) != kind:
        raise BackupError("restore_kind_mismatch", f"这是 {kind} 的备份，目标数据库却是 {url.get_backend_name()}")
    scripts = ScriptDirectory(migrations_dir)
    try:
        scripts.get_revisions(revision.split(","))
    except CommandError as exc:
        raise BackupError("restore_unknown_revision", f"备份的结构版本 {revision} 不在本版本代码的迁移中："
                                                      "请用做备份时的（或更新的）版本恢复") from exc
    with _connected(url) as connection:
        tables = sorted(sa.inspect(connection).get_table_names())
    if tables:
        raise BackupError("restore_target_not_empty", f"目标数据库已有 {len(tables)} 张表（{', '.join(tables[:8])}"
                                                      f"{' …' if len(tables) > 8 else ''}）：只能恢复到空数据库")
    return ",".join(sorted(scripts.get_heads()))


def _restore_sqlite(source: Path, url: URL) -> None:
    target = Path(url.database or "")
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    for leftover in (f"{target}-wal", f"{target}-shm", f"{target}-journal"):
        Path(leftover).unlink(missing_ok=True)
    staged = target.with_name(target.name + ".restoring")
    staged.unlink(missing_ok=True)
    _copy(source, staged)
    os.replace(staged, target)


def _restore_evidence(source: Path, checksums: dict[str, str], evidence_dir: Path) -> None:
    """Copy the backup's evidence files (`checksums`: name → the manifest's sha256, already checked) back; a file of
    the same name there already must be the same file."""
    names = sorted(checksums)
    clashes = [name for name in names if (evidence_dir / name).exists()
               and _sha256(evidence_dir / name) != checksums[name]]
    if clashes:
        raise BackupError("restore_evidence_clash", f"证据目录 {evidence_dir} 已有同名而内容不同的文件："
                                                    f"{', '.join(clashes[:5])}")
    evidence_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    for name in names:
        if not (evidence_dir / name).exists():
            _copy(source / name, evidence_dir / name)


def restore(database_url: str, evidence_dir: str, source_dir: str, migrations_dir: str) -> RestoreReport:
    """Check the manifest's checksums, then restore into an empty database and bring the evidence files back;
    the restored row counts must be the manifest's."""
    source, url = Path(source_dir), make_url(database_url)
    manifest = _read_manifest(source)
    kind, revision = manifest["database"], manifest["schema_revision"]
    head = _check_target(url, kind, revision, migrations_dir)
    evidence = {Path(name).name: recorded for name, recorded in manifest["files"].items()
                if name.startswith(f"{EVIDENCE}/")}
    _restore_evidence(source / EVIDENCE, evidence, Path(evidence_dir))  # refused before the database is touched
    if kind == "sqlite":
        _restore_sqlite(source / DATABASE_FILES[kind], url)
    else:
        _run_pg("pg_restore", url, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                str(source / DATABASE_FILES[kind]))
    with _connected(url) as connection:
        rows = _facts(connection).rows
    differ = sorted(name for name in rows.keys() | manifest["row_counts"].keys()
                    if rows.get(name) != manifest["row_counts"].get(name))
    if differ:
        raise BackupError("restore_count_mismatch", f"恢复后这些表的行数与清单不符：{', '.join(differ)}")
    return RestoreReport(kind, revision, head, rows, len(evidence))
