"""Server-side access tokens: revocable at once, with idle and absolute lifetimes, one audience each."""
import datetime as dt
import hashlib
import math
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from app.db.prepared import Prepared, raw_connection
from app.domain.roles import ROLE_AUDIENCE, actor
from app.domain.signins import DISABLED, ENDED_WORDS, EXPIRED
from app.errors import DomainError, Forbidden, NotFound
from app.extensions import db
from app.logs import log_event
from app.models import AccessToken, Account, Subject, WechatBinding
from app.services import audit

# Refreshing last_used_at on every request would turn each read into a write; a minute's precision is enough.
TOUCH_INTERVAL = dt.timedelta(seconds=60)


class Unauthenticated(DomainError):
    """No valid token: missing, unknown, revoked, expired, idle too long, or for another audience."""

    status = 401

    def __init__(self, code: str, message: str, *, why: str | None = None) -> None:
        super().__init__(code, message)
        self.why = why  # how a session that existed ended (app.domain.signins), for a page to say so


@dataclass(frozen=True)
class Session:
    """Who a valid token stands for."""

    token_id: int
    audience: str
    subject_id: int | None
    account_id: int | None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _lifetimes(audience: str) -> tuple[int, int]:
    config = current_app.config
    return config[f"{audience.upper()}_TOKEN_IDLE_SECONDS"], config[f"{audience.upper()}_TOKEN_LIFETIME_SECONDS"]


def issue(audience: str, now: dt.datetime, *, subject_id: int | None = None,
          account_id: int | None = None, device: str | None = None) -> tuple[str, int]:
    """Create a token; returns (token, seconds until its absolute expiry). Part of the caller's transaction."""
    token = secrets.token_urlsafe(32)
    _, lifetime = _lifetimes(audience)
    db.session.add(AccessToken(token_hash=_digest(token), audience=audience, subject_id=subject_id,
                               account_id=account_id, created_at=now, last_used_at=now,
                               expires_at=now + dt.timedelta(seconds=lifetime), device=device))
    return token, lifetime


# Every authenticated request runs these: prepared once, below the ORM session.
_SESSION_BY_TOKEN = Prepared(
    sa.select(AccessToken.id, AccessToken.audience, AccessToken.subject_id, AccessToken.account_id,
              AccessToken.last_used_at, AccessToken.expires_at, AccessToken.revoked_at, AccessToken.ended_by,
              Account.active)
    .outerjoin(Account, Account.id == AccessToken.account_id)
    .where(AccessToken.token_hash == sa.bindparam("token_hash")))
_TOUCH = Prepared(sa.update(AccessToken).where(AccessToken.id == sa.bindparam("token_id"))
                  .values(last_used_at=sa.bindparam("now", type_=AccessToken.last_used_at.type)))


def authenticate(token: str | None, audience: str, now: dt.datetime) -> Session:
    """The session of a bearer token for this audience, or Unauthenticated; disabled accounts fail at once."""
    if not token:
        raise Unauthenticated("unauthenticated", "请先登录")
    with raw_connection() as connection:
        rows = _SESSION_BY_TOKEN.run(connection, token_hash=_digest(token))
        row = rows[0] if rows else None
        if row is None or row.audience != audience:
            raise Unauthenticated("invalid_token", "登录凭证无效，请重新登录")
        if row.revoked_at is not None:
            raise Unauthenticated("account_disabled" if row.ended_by == DISABLED else "invalid_token",
                                  ENDED_WORDS.get(row.ended_by, "登录凭证无效，请重新登录"), why=row.ended_by)
        idle, _ = _lifetimes(audience)
        if now >= row.expires_at or now - row.last_used_at > dt.timedelta(seconds=idle):
            raise Unauthenticated("token_expired", ENDED_WORDS[EXPIRED], why=EXPIRED)
        # Disabling revokes the account's tokens (end_account_sessions); this also refuses one issued by a login
        # that raced the disabling, which re-enabling then revokes.
        if row.account_id is not None and not row.active:
            raise Unauthenticated("account_disabled", "账号已停用")
        if now - row.last_used_at > TOUCH_INTERVAL:
            _TOUCH.run(connection, token_id=row.id, now=now)
            connection.commit()  # the touch stands whatever the request does next
        # A read alone stays open: in a request, the service after the check continues its transaction.
    return Session(row.id, row.audience, row.subject_id, row.account_id)


def account_of(session: Session) -> Account | None:
    """The account a staff or console session stands for (None for a citizen's)."""
    return db.session.get(Account, session.account_id) if session.account_id is not None else None


def require_role(account: Account | None, roles: tuple[str, ...]) -> None:
    """Refuse (403) an account that holds none of `roles`; an empty `roles` lets any account of the audience in."""
    if roles and (account is None or account.role not in roles):
        raise Forbidden("forbidden_role", "当前角色无权执行此操作")


def revoke(session: Session, now: dt.datetime) -> None:
    """Log out: the token stops working on the next request."""
    db.session.execute(sa.update(AccessToken).where(AccessToken.id == session.token_id)
                       .values(revoked_at=now, ended_by="logout"))
    db.session.commit()


def end_account_sessions(account_id: int, why: str, now: dt.datetime) -> int:
    """Every token of a staff or console account, bearer and page alike, stops working at once (disabled, or a new
    password); part of the caller's transaction. How many ended."""
    return db.session.execute(sa.update(AccessToken).where(
        AccessToken.account_id == account_id, AccessToken.revoked_at.is_(None), AccessToken.expires_at > now)
        .values(revoked_at=now, ended_by=why)).rowcount


def _live_citizen_sessions(subject_id: int, now: dt.datetime) -> sa.ColumnElement[bool]:
    """The SQL form of what `authenticate` accepts for a citizen: not revoked, not expired, not idle too long."""
    idle, _ = _lifetimes("citizen")
    return sa.and_(AccessToken.audience == "citizen", AccessToken.subject_id == subject_id,
                   AccessToken.revoked_at.is_(None), AccessToken.expires_at > now,
                   AccessToken.last_used_at >= now - dt.timedelta(seconds=idle))


def citizen_sessions(subject_id: int, now: dt.datetime, first: int | None = None) -> list[AccessToken]:
    """A citizen's live sessions: the one numbered `first` (the device asking), then the most recently used."""
    return list(db.session.scalars(
        sa.select(AccessToken).where(_live_citizen_sessions(subject_id, now))
        .order_by(sa.case((AccessToken.id == first, 0), else_=1), AccessToken.last_used_at.desc(),
                  AccessToken.id.desc())))


def end_other_sessions(session: Session, now: dt.datetime) -> int:
    """"退出其他设备": every other live session of this citizen ends at once; how many did."""
    ended = db.session.execute(
        sa.update(AccessToken).where(_live_citizen_sessions(session.subject_id, now),
                                     AccessToken.id != session.token_id)
        .values(revoked_at=now, ended_by="device")).rowcount
    db.session.commit()
    return ended


def end_subject_sessions(subject_id: int, by: str, now: dt.datetime) -> int:
    """The credit office ends every live session of a subject (a lost phone, a misuse) and its WeChat one-tap
    bindings, which would sign the lost phone in again; audited; how many sessions ended."""
    if db.session.get(Subject, subject_id) is None:
        raise NotFound("subject_not_found", "主体不存在")
    ended = db.session.execute(sa.update(AccessToken).where(_live_citizen_sessions(subject_id, now))
                               .values(revoked_at=now, ended_by="admin")).rowcount
    unbound = db.session.execute(sa.delete(WechatBinding).where(WechatBinding.subject_id == subject_id)).rowcount
    audit.record(by, "subject.end_sessions", "subject", subject_id, ended=ended, wechat_unbound=unbound)
    db.session.commit()
    return ended


def _dummy_hash() -> str:
    """A hash to check against when the username is unknown, so both paths take the same time."""
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = generate_password_hash(secrets.token_hex(16), method=method)
    return _DUMMY_HASHES[method]


_DUMMY_HASHES: dict[str, str] = {}


def login_account(username: str, password: str, audience: str, now: dt.datetime) -> tuple[Account, str, int]:
    """Check a staff or admin password; the same answer for an unknown user and a wrong password, and while the
    account is locked the same answer for any password."""
    account = db.session.scalar(sa.select(Account).where(Account.username == username))
    password_ok = check_password_hash(account.password_hash if account else _dummy_hash(), password)
    if account is not None and account.locked_until is not None and now < account.locked_until:
        log_event("login_refused", audience=audience, account_id=account.id, code="account_locked")
        raise _locked(account.locked_until, now)
    if account is not None and not password_ok:
        _count_failure(account, now)
    if account is None or not password_ok or ROLE_AUDIENCE[account.role] != audience:
        log_event("login_refused", audience=audience, account_id=account and account.id, code="invalid_credentials")
        raise Unauthenticated("invalid_credentials", "用户名或密码错误")
    if not account.active:
        log_event("login_refused", audience=audience, account_id=account.id, code="account_disabled")
        raise Unauthenticated("account_disabled", "账号已停用")
    if account.failed_logins or account.locked_until is not None:
        account.failed_logins, account.locked_until = 0, None
    token, lifetime = issue(audience, now, account_id=account.id)
    audit.record(actor(audience, account.id), f"{audience}.login", "account", account.id)
    db.session.commit()
    return account, token, lifetime


def _locked(until: dt.datetime, now: dt.datetime) -> DomainError:
    minutes = math.ceil((until - now).total_seconds() / 60)
    return DomainError("account_locked", f"账号因多次密码错误已暂时锁定，请 {minutes} 分钟后再试或联系管理员解锁",
                       status=429)


def _count_failure(account: Account, now: dt.datetime) -> None:
    """One more wrong password, counted in the database so every worker and host sees it, in one UPDATE so that
    guesses at the same time all count and only one of them locks; a locked account answers so, and the locking
    is audited."""
    config = current_app.config
    until = now + dt.timedelta(minutes=config["ACCOUNT_LOCK_MINUTES"])
    locked = sa.and_(Account.locked_until.is_not(None), Account.locked_until > now)  # by a guess since we read it
    reached = Account.failed_logins + 1 >= config["ACCOUNT_LOCK_FAILURES"]
    locked_until = db.session.execute(
        sa.update(Account).where(Account.id == account.id)
        .values(failed_logins=sa.case((locked, Account.failed_logins), (reached, 0), else_=Account.failed_logins + 1),
                locked_until=sa.case((locked, Account.locked_until), (reached, until), else_=Account.locked_until))
        .returning(Account.locked_until).execution_options(synchronize_session=False)).scalar_one()
    if locked_until == until:
        audit.record(actor(ROLE_AUDIENCE[account.role], account.id), "account.locked", "account", account.id,
                     failures=config["ACCOUNT_LOCK_FAILURES"], minutes=config["ACCOUNT_LOCK_MINUTES"])
        log_event("account_locked", account_id=account.id, minutes=config["ACCOUNT_LOCK_MINUTES"])
    db.session.commit()
    if locked_until is not None and locked_until > now:
        log_event("login_refused", audience=ROLE_AUDIENCE[account.role], account_id=account.id, code="account_locked")
        raise _locked(locked_until, now)


def login_subject(subject: Subject, now: dt.datetime, device: str | None = None) -> tuple[str, int]:
    """Open a citizen session for a subject whose identity a provider has verified, on a device described in words."""
    token, lifetime = issue("citizen", now, subject_id=subject.id, device=device)
    db.session.commit()
    return token, lifetime
