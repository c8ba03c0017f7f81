"""Accounts: the credit office manages everyone's; a partner unit's manager manages their own counter staff."""
from flask import g, redirect, render_template, url_for
from marshmallow import Schema, fields, validate

from app.api.admin.schemas import AccountInputSchema
from app.domain.dates import utcnow
from app.http.bodies import load_form
from app.services import accounts, subjects, venues
from app.services.accounts import MIN_PASSWORD_LENGTH
from app.web.console.access import attempt, current_actor, requires, unit_of


class PasswordSchema(Schema):
    password = fields.String(required=True, validate=validate.Length(min=MIN_PASSWORD_LENGTH, max=200))


@requires("admin", "manager")
def account_list():
    unit = unit_of(g.account)
    return render_template("console/accounts.html", items=accounts.all_accounts(unit), unit=unit,
                           venues=venues.venues(), departments=subjects.departments(), now=utcnow())


@requires("admin", "manager")
def create_account():
    def create():
        unit = unit_of(g.account)
        if unit is None:
            return accounts.create_account(actor=current_actor(), **load_form(AccountInputSchema()))
        form = load_form(AccountInputSchema(only=("username", "password", "display_name")))
        return accounts.create_account(actor=current_actor(), role="staff", venue_id=unit, **form)
    attempt(create, "账号已创建")
    return redirect(url_for("console.account_list"))


@requires("admin", "manager")
def set_account_active(account_id, active):
    attempt(lambda: accounts.set_active(account_id, active, current_actor(), utcnow(), g.account.id,
                                        unit_of(g.account)),
            "已启用，该账号需重新登录后使用" if active else "已停用，该账号的全部登录已结束")
    return redirect(url_for("console.account_list"))


@requires("admin", "manager")
def reset_password(account_id):
    attempt(lambda: accounts.reset_password(account_id, load_form(PasswordSchema())["password"], current_actor(),
                                            utcnow(), unit_of(g.account)),
            "密码已重置，该账号已登录的设备需用新密码重新登录")
    return redirect(url_for("console.account_list"))


@requires("admin", "manager")
def unlock_account(account_id):
    attempt(lambda: accounts.unlock(account_id, current_actor(), utcnow(), unit_of(g.account)),
            "已解除锁定，该账号可以立即用密码登录")
    return redirect(url_for("console.account_list"))
