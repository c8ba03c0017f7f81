"""`flask --app wsgi purge` (retention, a dry run unless told --yes) and `rollup` (the statistics' daily counts)."""
import datetime as dt
import sys

import click
from flask import Flask, current_app

from app.domain.dates import today, utcnow
from app.errors import DomainError
from app.services import retention, rollups

CLI_ACTOR = "cli"


@click.command("purge")
@click.option("--before", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="First Beijing day kept (default: today minus RETENTION_YEARS).")
@click.option("--yes", "execute", is_flag=True, help="Remove the rows; without it, only count them.")
def purge_command(before: dt.datetime | None, execute: bool) -> None:
    """Remove scan attempts and redemptions of the days before --before; their statistics are kept."""
    first_kept = before.date() if before else retention.default_before(today(), current_app.config["RETENTION_YEARS"])
    try:
        report = retention.purge(first_kept, CLI_ACTOR, utcnow(), execute)
    except DomainError as exc:
        click.echo(f"错误 {exc.code}: {exc.message}", err=True)
        sys.exit(1)
    done = "已清除" if report.executed else "将清除（试运行，加 --yes 执行）"
    click.echo(f"{done} {report.before} 之前的记录：扫码 {report.attempts} 条，核销 {report.redemptions} 条，"
               f"{report.days} 天；统计数据保留")


@click.command("rollup")
def rollup_command() -> None:
    """Roll up the closed days not yet in the statistics' daily counts (the first statistics call would)."""
    through = rollups.roll_up(utcnow())
    click.echo(f"统计已汇总至 {through}" if through else "尚无可汇总的记录")


def register(app: Flask) -> None:
    app.cli.add_command(purge_command)
    app.cli.add_command(rollup_command)
