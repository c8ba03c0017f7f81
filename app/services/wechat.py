"""One-tap sign-in with WeChat (the `wechat` provider): a WeChat account, known by its openid's keyed hash, is bound
to a subject once the citizen proves who they are through a real-name provider; later sign-ins need only the code."""
import datetime as dt
from typing import Any, cast

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError

from app.domain.identity import id_hash
from app.domain.roles import citizen_actor
from app.errors import Conflict, DomainError
from app.extensions import db
from app.models import Subject, WechatBinding
from app.services import audit, sessions
from app.services.identity_providers import PROVIDERS, proven_subject
from app.services.wechat_client import PROVIDER, enabled, openid_for

NOT_BOUND = "首次使用微信一键登录，请先核验一次身份（之后打开小程序即可一键登录）"
PROOF_LAPSED = "距上次核验身份已超过三个月，请再核验一次身份（之后仍可一键登录）"
BOUND_TO_OTHER = "这个微信已绑定其他身份。如需改绑，请先用原身份登录，在首页解除微信绑定"


def proof_providers() -> list[str]:
    """The real-name providers a first WeChat sign-in may prove the identity with here."""
    return [provider.name for provider in PROVIDERS.values() if provider.enabled()]


def login_providers() -> list[str]:
    """Every provider a citizen may sign in with here: the real-name ones, and `wechat` when configured."""
    return proof_providers() + ([PROVIDER] if enabled() else [])


def _openid_hash(openid: str) -> str:
    """The key a WeChat account is stored under: the ID numbers' keyed hash, in a namespace of its own."""
    return id_hash(PROVIDER, openid, current_app.config["ID_HASH_KEY"])


def _binding(code: Any) -> tuple[str, WechatBinding | None]:
    """The openid hash of the account that obtained `code`, and its binding if it has one."""
    if not enabled():
        raise DomainError("unknown_provider", "不支持的登录方式",
                          fields={"provider": "可选：" + ", ".join(login_providers())})
    key = _openid_hash(openid_for(code))
    return key, db.session.scalar(sa.select(WechatBinding).where(WechatBinding.openid_hash == key))


def _bind(key: str, binding: WechatBinding | None, subject: Subject, now: dt.datetime) -> WechatBinding:
    """The account's binding to `subject`, made now (audited) unless it exists; bound to another subject: refused."""
    if binding is not None:
        if binding.subject_id != subject.id:
            raise Conflict("wechat_bound_to_other", BOUND_TO_OTHER)
        binding.proved_at = now
        return binding
    binding = WechatBinding(openid_hash=key, subject_id=subject.id, bound_at=now, proved_at=now, last_used_at=now)
    db.session.add(binding)
    try:
        db.session.flush()
    except IntegrityError:
        # The same account bound at this moment by another request (a double tap): its code is spent, ask again.
        db.session.rollback()
        raise Conflict("wechat_bind_conflict", "微信绑定正在进行，请重新点击登录") from None
    audit.record(citizen_actor(subject.id), "wechat.bind", "subject", subject.id, binding=binding.id)
    return binding


def login(payload: dict[str, Any], now: dt.datetime, device: str | None = None) -> tuple[Subject, str, int]:
    """Sign in with a `wx.login` code: a bound account at once; an unbound one with `proof` (a real-name provider's
    login fields) binds to the proven subject in the same transaction as the session, without it 401
    wechat_not_bound."""
    key, binding = _binding(payload.get("code"))
    proof = payload.get("proof")
    if proof is None:
        if binding is None:
            # Words a citizen may read; which providers may prove it, the client asks GET /auth/providers.
            raise DomainError("wechat_not_bound", NOT_BOUND, status=401, fields={"proof": "请先完成一次实名核验"})
        if now - binding.proved_at > dt.timedelta(seconds=current_app.config["CITIZEN_TOKEN_LIFETIME_SECONDS"]):
            # Same code as a first sign-in: the client shows the same proof form, with these words.
            raise DomainError("wechat_not_bound", PROOF_LAPSED, status=401, fields={"proof": "请再完成一次实名核验"})
        subject = db.session.get_one(Subject, binding.subject_id)
    else:
        subject = proven_subject(proof.get("provider"), proof, now)
        binding = _bind(key, binding, subject, now)
    binding.last_used_at = now
    token, lifetime = sessions.login_subject(subject, now, device)
    return subject, token, lifetime


def bind(subject_id: int, code: Any, now: dt.datetime) -> WechatBinding:
    """Bind the WeChat account that obtained `code` to a signed-in citizen (proven by that earlier sign-in)."""
    key, binding = _binding(code)
    binding = _bind(key, binding, db.session.get_one(Subject, subject_id), now)
    db.session.commit()
    return binding


def bindings(subject_id: int) -> list[WechatBinding]:
    """The WeChat accounts that sign in as this subject, the first bound first."""
    return list(db.session.scalars(sa.select(WechatBinding).where(WechatBinding.subject_id == subject_id)
                                   .order_by(WechatBinding.bound_at, WechatBinding.id)))


def unbind(subject_id: int) -> int:
    """解除微信绑定: no WeChat account signs in as this subject any more (audited); how many were bound. Sessions
    already open stay (退出其他设备 ends them)."""
    deleted = sa.delete(WechatBinding).where(WechatBinding.subject_id == subject_id)
    ended = cast(CursorResult[Any], db.session.execute(deleted)).rowcount  # a DELETE's result is a CursorResult
    if ended:
        audit.record(citizen_actor(subject_id), "wechat.unbind", "subject", subject_id, bindings=ended)
    db.session.commit()
    return ended
