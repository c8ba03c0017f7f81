"""Accounts over JSON: staff of the venues, department reporters, reviewers and administrators."""
from flask import g
from flask_smorest import Blueprint

from app.api.admin.schemas import AccountInputSchema, AccountListSchema, AccountSchema
from app.domain.dates import utcnow
from app.http.auth import current_actor, login_required, no_store
from app.services import accounts

blp = Blueprint("admin_accounts", __name__, url_prefix="/api/v1/admin", description="管理端：账号")
blp.after_request(no_store)
administrators = login_required("admin", ("admin",))


@blp.route("/accounts")
@administrators
@blp.response(200, AccountListSchema)
def account_list():
    return {"items": accounts.all_accounts()}


@blp.route("/accounts", methods=["POST"])
@administrators
@blp.arguments(AccountInputSchema)
@blp.response(201, AccountSchema)
def create(body):
    return accounts.create_account(actor=current_actor(), **body)


@blp.route("/accounts/<id:account_id>/disable", methods=["POST"])
@administrators
@blp.response(200, AccountSchema)
def disable(account_id):
    """Every session and token of the account ends at once; enabling it again brings none back."""
    return accounts.set_active(account_id, False, current_actor(), utcnow(), g.account.id)


@blp.route("/accounts/<id:account_id>/enable", methods=["POST"])
@administrators
@blp.response(200, AccountSchema)
def enable(account_id):
    return accounts.set_active(account_id, True, current_actor(), utcnow())


@blp.route("/accounts/<id:account_id>/unlock", methods=["POST"])
@administrators
@blp.response(200, AccountSchema)
def unlock(account_id):
    """Lift the lock that repeated wrong passwords put on the account (`account_locked`) before it runs out, and
    forget the failures counted; 409 `account_not_locked` when there is none."""
    return accounts.unlock(account_id, current_actor(), utcnow())
