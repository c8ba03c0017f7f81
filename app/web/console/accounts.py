"""Accounts of staff, reporters, reviewers and administrators."""
from flask import g, redirect, render_template, url_for

from app.api.admin.schemas import AccountInputSchema
from app.http.bodies import load_form
from app.services import accounts, subjects, venues
from app.web.console.access import attempt, current_actor, requires


@requires("admin")
def account_list():
    return render_template("console/accounts.html", items=accounts.all_accounts(), venues=venues.venues(),
                           departments=subjects.departments())


@requires("admin")
def create_account():
    attempt(lambda: accounts.create_account(actor=current_actor(), **load_form(AccountInputSchema())), "账号已创建")
    return redirect(url_for("console.account_list"))


@requires("admin")
def set_account_active(account_id, active):
    attempt(lambda: accounts.set_active(account_id, active, current_actor(), g.account.id),
            "已启用" if active else "已停用")
    return redirect(url_for("console.account_list"))
