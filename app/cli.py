"""Operator commands: `flask --app wsgi <command>` (API.md, "Service")."""
import json
import os
import secrets
import sys

import click
from flask import Flask
from tqdm import tqdm

from app import demo
from app.api.admin.schemas import AccountInputSchema
from app.config import CODE_KEY_NAMES, SECRET_NAMES
from app.domain.codes import KEY_BYTES
from app.domain.dates import today
from app.errors import DomainError
from app.http.bodies import load
from app.services import accounts, imports
from app.services.import_files import FileRefused, ImportReport

CLI_ACTOR = "cli"


def _print_report(report: ImportReport) -> None:
    click.echo(f"文件 {report.filename}（{report.encoding or '-'}）：共 {report.rows_total} 行，新增 {report.created}，"
               f"更新 {report.updated}，未变 {report.unchanged}，拒绝 {report.refused}"
               + (f"，批次 #{report.batch_id}" if report.batch_id else "（无变更，未建批次）"))
    for error in report.errors:
        click.echo(f"  第 {error['row']} 行 [{error['header'] or '-'}] {error['code']}: {error['message']}", err=True)
    if report.errors_not_listed:
        click.echo(f"  另有 {report.errors_not_listed} 个问题未列出（以上是行号在前的 {len(report.errors)} 个）",
                   err=True)


def _run_import(import_function, path: str, as_json: bool) -> None:
    with open(path, "rb") as handle:
        data = handle.read()
    with tqdm(desc="导入", unit="行", disable=not sys.stderr.isatty()) as bar:
        try:
            report = import_function(os.path.basename(path), data, CLI_ACTOR, today(), progress=bar.update)
        except FileRefused as refused:
            report = refused.report
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, default=str))
    else:
        _print_report(report)
    if report.errors:
        sys.exit(1)


def _fail(exc: DomainError) -> None:
    click.echo(f"错误 {exc.code}: {exc.message}", err=True)
    sys.exit(1)


@click.command("import-list")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def import_list_command(path: str, as_json: bool) -> None:
    """Import a list file (CSV or XLSX); exits 1 when any row is refused."""
    _run_import(imports.import_list, path, as_json)


@click.command("import-dishonesty")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def import_dishonesty_command(path: str, as_json: bool) -> None:
    """Import serious dishonesty records (CSV or XLSX); exits 1 when any row is refused."""
    _run_import(imports.import_dishonesty, path, as_json)


@click.command("seed-demo")
@click.option("--subjects", default=1000, show_default=True, help="How many listed subjects to create.")
def seed_demo_command(subjects: int) -> None:
    """Load the deterministic demo data and print the demo logins and identities."""
    try:
        identities = demo.seed(today(), listed_count=subjects)
    except DomainError as exc:
        _fail(exc)
    click.echo(f"演示数据已载入：{subjects} 个名单主体。")
    click.echo(f"管理员：admin / {demo.ADMIN_PASSWORD}")
    click.echo(f"实施单位管理员：manager_{demo.MANAGER_VENUE.lower()} / {demo.MANAGER_PASSWORD}（阳江市图书馆）")
    click.echo(f"柜台人员（密码均为 {demo.STAFF_PASSWORD}）："
               + "、".join(f"staff_{code.lower()}（{name}）" for code, name, _, _ in demo.VENUES))
    click.echo("演示身份（仅演示数据在此显示完整证件号码）：")
    for identity in identities:
        click.echo(f"  {identity.label}：{identity.name} {identity.kind} {identity.id_number}")


def _create_account(username: str, password: str, role: str, venue_id: int | None = None):
    """An account from the command line, checked by the same schema as the console's form."""
    try:
        fields = load(AccountInputSchema(), {"username": username, "password": password, "role": role,
                                             "venue_id": venue_id})
        return accounts.create_account(actor=CLI_ACTOR, **fields)
    except DomainError as exc:
        _fail(exc)


@click.command("create-admin")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_admin_command(username: str, password: str) -> None:
    """Create an administrator account."""
    account = _create_account(username, password, "admin")
    click.echo(f"管理员 {account.username} 已创建（#{account.id}）")


@click.command("create-staff")
@click.argument("username")
@click.option("--venue", "venue_id", type=int, required=True, help="The venue's id.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_staff_command(username: str, venue_id: int, password: str) -> None:
    """Create a counter staff account for one venue."""
    account = _create_account(username, password, "staff", venue_id)
    click.echo(f"柜台人员 {account.username} 已创建（#{account.id}，{account.venue.name}）")


@click.command("create-manager")
@click.argument("username")
@click.option("--venue", "venue_id", type=int, required=True, help="The partner unit's (venue's) id.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_manager_command(username: str, venue_id: int, password: str) -> None:
    """Create a partner unit's manager (实施单位管理员), who runs that unit's measures and counter staff."""
    account = _create_account(username, password, "manager", venue_id)
    click.echo(f"实施单位管理员 {account.username} 已创建（#{account.id}，{account.venue.name}）")


def _echo_code_keys() -> None:
    for name in CODE_KEY_NAMES:
        click.echo(f"{name}={secrets.token_urlsafe(KEY_BYTES)}")
    click.echo("# Rotate CODE_SIGNING_KEYS by appending the new key (old,new) and drop the old one after 24 hours; "
               "a new CODE_SEAL_SECRET cuts off stolen counter bundles, and offline counters then refuse the codes "
               "phones already hold until they fetch new ones.", err=True)


@click.command("generate-secrets")
def generate_secrets_command() -> None:
    """Print every fresh secret production needs as NAME=value lines for an environment file (notes on stderr)."""
    for name in SECRET_NAMES:
        click.echo(f"{name}={secrets.token_urlsafe(48)}")
    click.echo("# A running deployment keeps its ID_HASH_KEY (a new one orphans every stored ID number hash).",
               err=True)
    _echo_code_keys()


@click.command("generate-keys")
def generate_keys_command() -> None:
    """Print fresh identity code keys (CODE_SIGNING_KEYS, CODE_SEAL_SECRET) as NAME=value lines (notes on stderr)."""
    _echo_code_keys()


def register(app: Flask) -> None:
    for command in (import_list_command, import_dishonesty_command, seed_demo_command, generate_secrets_command,
                    generate_keys_command, create_admin_command, create_staff_command, create_manager_command):
        app.cli.add_command(command)
