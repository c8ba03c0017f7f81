"""`flask --app wsgi backup DEST_DIR` (a consistent copy while the service runs) and `restore SRC_DIR` (into an
empty database only)."""
import sys

import click
from flask import Flask, current_app

from app.domain.dates import utcnow
from app.services import backups


def _fail(exc: backups.BackupError) -> None:
    click.echo(f"错误 {exc.code}: {exc.message}", err=True)
    sys.exit(1)


@click.command("backup")
@click.argument("dest", type=click.Path(file_okay=False))
def backup_command(dest: str) -> None:
    """Copy the database, the evidence files and a manifest into DEST (new or empty; 0700, files 0600)."""
    config = current_app.config
    try:
        report = backups.backup(config["SQLALCHEMY_DATABASE_URI"], config["EVIDENCE_DIR"], dest, utcnow())
    except backups.BackupError as exc:
        _fail(exc)
    rows = sum(report.facts.rows.values())
    click.echo(f"已备份到 {report.directory}：{report.kind} 数据库（结构版本 {report.facts.revision}，"
               f"{len(report.facts.rows)} 张表共 {rows} 行），证据文件 {len(report.facts.evidence)} 个")
    for name, problem in sorted(report.evidence_problems.items()):
        click.echo(f"  证据文件 {name}：{'不存在' if problem == 'missing' else '内容与记录的校验和不符'}", err=True)
    if report.evidence_problems:
        sys.exit(1)


@click.command("restore")
@click.argument("src", type=click.Path(exists=True, file_okay=False))
def restore_command(src: str) -> None:
    """Restore a backup made by `backup` into this configuration's empty database and evidence directory."""
    config = current_app.config
    try:
        report = backups.restore(config["SQLALCHEMY_DATABASE_URI"], config["EVIDENCE_DIR"], src,
                                 current_app.extensions["migrate"].directory)
    except backups.BackupError as exc:
        _fail(exc)
    click.echo(f"已恢复 {report.kind} 数据库（结构版本 {report.revision}，{len(report.rows)} 张表共 "
               f"{sum(report.rows.values())} 行，与清单一致），证据文件 {report.evidence_files} 个")
    if report.revision != report.head:
        click.echo(f"备份的结构版本不是当前代码的最新版本 {report.head}：启动服务前请运行 flask --app wsgi db upgrade")


def register(app: Flask) -> None:
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
