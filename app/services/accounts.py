"""Accounts with hashed passwords: the credit office's, departments' reporters, and partner units' staff and managers.

A partner unit's manager acts only on their own unit's counter staff: the `venue_id` scope of the calls below."""
import datetime as dt

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import generate_password_hash

from app.domain.roles import REVIEWERS, VENUE_ROLES
from app.domain.signins import DISABLED, PASSWORD_RESET
from app.errors import Conflict, NotFound
from app.extensions import db
from app.models import Account, Department, Venue
from app.services import audit, sessions

MIN_PASSWORD_LENGTH = 8


def create_account(username: str, password: str, role: str, actor: str, *, venue_id: int | None = None,
                   department_id: int | None = None, display_name: str = "") -> Account:
    """Create an account (fields checked at the edge); staff and managers belong to a venue, reporters to a
    department."""
    if role in VENUE_ROLES and (venue_id is None or db.session.get(Venue, venue_id) is None):
        raise NotFound("venue_not_found", "实施单位不存在")
    if role == "reporter" and (department_id is None or db.session.get(Department, department_id) is None):
        raise NotFound("department_not_found", "报送单位不存在")
    if db.session.scalar(sa.select(Account.id).where(Account.username == username)):
        raise Conflict("username_taken", "用户名已存在")
    account = Account(username=username, password_hash=_hash(password), role=role,
                      venue_id=venue_id if role in VENUE_ROLES else None,
                      department_id=department_id if role == "reporter" else None,
                      display_name=display_name or username)
    db.session.add(account)
    db.session.flush()
    audit.record(actor, "account.create", "account", account.id, username=username, role=role, venue_id=venue_id)
    db.session.commit()
    return account


def _hash(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def get_account(account_id: int, venue_id: int | None = None) -> Account:
    """An account; with `venue_id`, only counter staff of that unit (a manager's reach) — anyone else is not found."""
    account = db.session.get(Account, account_id)
    if account is None or (venue_id is not None and (account.role != "staff" or account.venue_id != venue_id)):
        raise NotFound("account_not_found", "账号不存在")
    return account


def set_active(account_id: int, active: bool, actor: str, now: dt.datetime, acting_account_id: int | None = None,
               venue_id: int | None = None) -> Account:
    """Disable or re-enable an account. Either way every session and token it has ends in the same transaction, so
    re-enabling brings none back (not even one a login racing the disabling issued). Nobody disables their own
    account (the last administrator would lock the office out)."""
    account = get_account(account_id, venue_id)
    if not active and account_id == acting_account_id:
        raise Conflict("cannot_disable_self", "不能停用自己的账号")
    account.active = active
    ended = sessions.end_account_sessions(account.id, DISABLED, now)
    audit.record(actor, "account.enable" if active else "account.disable", "account", account.id, ended=ended)
    db.session.commit()
    return account


def reset_password(account_id: int, password: str, actor: str, now: dt.datetime,
                   venue_id: int | None = None) -> Account:
    """Set a new password (length checked at the edge), end every session signed in with the old one, and lift a
    lock: the wrong guesses were at the old password."""
    account = get_account(account_id, venue_id)
    account.password_hash = _hash(password)
    sessions.end_account_sessions(account.id, PASSWORD_RESET, now)
    audit.record(actor, "account.reset_password", "account", account.id)
    _lift_lock(account, actor, now)
    db.session.commit()
    return account


def unlock(account_id: int, actor: str, now: dt.datetime, venue_id: int | None = None) -> Account:
    """Lift a lock from wrong passwords before it runs out and forget the failures counted so far; audited."""
    account = get_account(account_id, venue_id)
    if not _lift_lock(account, actor, now):
        raise Conflict("account_not_locked", "该账号未被锁定")
    db.session.commit()
    return account


def _lift_lock(account: Account, actor: str, now: dt.datetime) -> bool:
    """Clear the count of wrong passwords; a lock still running is lifted and audited. Whether there was one."""
    was_locked = account.locked_until is not None and account.locked_until > now
    account.failed_logins, account.locked_until = 0, None
    if was_locked:
        audit.record(actor, "account.unlocked", "account", account.id)
    return was_locked


def all_accounts(venue_id: int | None = None) -> list[Account]:
    """Every account, or with `venue_id` the counter staff of that unit."""
    query = sa.select(Account).order_by(Account.role, Account.username)
    if venue_id is not None:
        query = query.where(Account.role == "staff", Account.venue_id == venue_id)
    return list(db.session.scalars(query))


def reviewers() -> list[Account]:
    """Who a complaint can be handed to."""
    return list(db.session.scalars(sa.select(Account).where(Account.role.in_(REVIEWERS), Account.active)
                              .order_by(Account.username)))
