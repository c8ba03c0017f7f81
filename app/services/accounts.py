"""Staff, reporter, reviewer and administrator accounts with hashed passwords."""
import sqlalchemy as sa
from flask import current_app
from werkzeug.security import generate_password_hash

from app.domain.roles import REVIEWERS
from app.errors import Conflict, NotFound
from app.extensions import db
from app.models import Account, Department, Venue
from app.services import audit

MIN_PASSWORD_LENGTH = 8


def create_account(username: str, password: str, role: str, actor: str, *, venue_id: int | None = None,
                   department_id: int | None = None, display_name: str = "") -> Account:
    """Create an account (fields checked at the edge); staff belong to a venue, reporters to a department."""
    if role == "staff" and (venue_id is None or db.session.get(Venue, venue_id) is None):
        raise NotFound("venue_not_found", "实施单位不存在")
    if role == "reporter" and (department_id is None or db.session.get(Department, department_id) is None):
        raise NotFound("department_not_found", "报送单位不存在")
    if db.session.scalar(sa.select(Account.id).where(Account.username == username)):
        raise Conflict("username_taken", "用户名已存在")
    method = current_app.config["PASSWORD_HASH_METHOD"]
    account = Account(username=username, password_hash=generate_password_hash(password, method=method), role=role,
                      venue_id=venue_id if role == "staff" else None,
                      department_id=department_id if role == "reporter" else None,
                      display_name=display_name or username)
    db.session.add(account)
    db.session.flush()
    audit.record(actor, "account.create", "account", account.id, username=username, role=role, venue_id=venue_id)
    db.session.commit()
    return account


def get_account(account_id: int) -> Account:
    account = db.session.get(Account, account_id)
    if account is None:
        raise NotFound("account_not_found", "账号不存在")
    return account


def set_active(account_id: int, active: bool, actor: str, acting_account_id: int | None = None) -> Account:
    """Disable or re-enable an account; a disabled account's tokens fail on their next request. Nobody disables
    their own account (the last administrator would lock the office out)."""
    account = db.session.get(Account, account_id)
    if account is None:
        raise NotFound("account_not_found", "账号不存在")
    if not active and account_id == acting_account_id:
        raise Conflict("cannot_disable_self", "不能停用自己的账号")
    account.active = active
    audit.record(actor, "account.enable" if active else "account.disable", "account", account.id)
    db.session.commit()
    return account


def all_accounts() -> list[Account]:
    return db.session.scalars(sa.select(Account).order_by(Account.role, Account.username)).all()


def reviewers() -> list[Account]:
    """Who a complaint can be handed to."""
    return db.session.scalars(sa.select(Account).where(Account.role.in_(REVIEWERS), Account.active)
                              .order_by(Account.username)).all()
