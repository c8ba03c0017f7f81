"""Identity providers for citizen login: each turns a login request into a real-name identity it vouches for."""
import datetime as dt
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import requests
from flask import current_app
from sqlalchemy.exc import IntegrityError

from app.domain.dates import local_date
from app.domain.identity import ENTERPRISE, name_mismatch, normalize_id_number, normalize_name, parse_kind, sign_in_hint
from app.errors import DomainError
from app.extensions import db
from app.models import Subject
from app.services import sessions, subjects


@dataclass(frozen=True)
class VerifiedIdentity:
    """Who the provider says the caller is; the ID number is already validated."""

    kind: str
    name: str
    id_number: str


class IdentityProvider(ABC):
    """A way to prove a real-name identity (the dev form, or a government platform such as 粤省事/粤商通)."""

    name: str

    @abstractmethod
    def enabled(self) -> bool:
        """Whether this deployment accepts logins through this provider."""

    @abstractmethod
    def verify(self, payload: dict[str, Any], today: dt.date) -> VerifiedIdentity:
        """Return the verified identity or raise a DomainError."""


def _identity(kind_raw: Any, name_raw: Any, number_raw: Any, today: dt.date) -> VerifiedIdentity:
    """Kind, name and number checked by the identity rules every surface shares; every problem in `fields`."""
    fields = {}
    kind = name = number = None
    try:
        kind = parse_kind(str(kind_raw or ""))
    except DomainError as exc:
        fields["kind"] = exc.message
    if kind:
        try:
            name = normalize_name(kind, str(name_raw or ""))
        except DomainError as exc:
            fields["name"] = exc.message
        try:
            number = normalize_id_number(kind, str(number_raw or ""), today)
        except DomainError as exc:
            hint = sign_in_hint(kind, str(number_raw or ""), today)
            fields["uscc" if kind == ENTERPRISE else "id_number"] = hint or exc.message
    if fields or kind is None or name is None or number is None:
        raise DomainError("invalid_identity", "身份信息不正确", fields=fields)
    return VerifiedIdentity(kind, name, number)


class DevProvider(IdentityProvider):
    """Development stand-in for a real-name provider: trusts the name and number typed in (DEV_LOGIN=1 only)."""

    name = "dev"

    def enabled(self) -> bool:
        return bool(current_app.config["DEV_LOGIN"])

    def verify(self, payload: dict[str, Any], today: dt.date) -> VerifiedIdentity:
        number = payload.get("uscc") if payload.get("kind") in (ENTERPRISE, "企业") else payload.get("id_number")
        return _identity(payload.get("kind"), payload.get("name"), number, today)


class GovProvider(IdentityProvider):
    """A government real-name platform: the mini-program obtains a one-time code, the server exchanges it."""

    name = "gov"

    def enabled(self) -> bool:
        return bool(current_app.config.get("GOV_IDP_TOKEN_URL"))

    def verify(self, payload: dict[str, Any], today: dt.date) -> VerifiedIdentity:
        code = payload.get("code")
        if not isinstance(code, str) or not code or len(code) > 512:
            raise DomainError("invalid_identity", "缺少授权码", fields={"code": "必填"})
        config = current_app.config
        try:
            answer = requests.post(config["GOV_IDP_TOKEN_URL"], timeout=config["GOV_IDP_TIMEOUT_SECONDS"],
                                   json={"client_id": config["GOV_IDP_CLIENT_ID"],
                                         "client_secret": config["GOV_IDP_CLIENT_SECRET"], "code": code})
        except requests.RequestException:
            raise DomainError("identity_provider_unavailable", "实名认证服务暂不可用，请稍后重试", status=503) from None
        if answer.status_code in (400, 401, 403, 404):
            raise DomainError("identity_rejected", "授权码无效或已过期，请重新授权", status=401)
        if answer.status_code != 200:
            raise DomainError("identity_provider_unavailable", "实名认证服务暂不可用，请稍后重试", status=503)
        try:
            body = answer.json()
            return _identity(body["kind"], body["name"], body["id_number"], today)
        except (ValueError, KeyError, TypeError, DomainError):
            raise DomainError("identity_provider_unavailable", "实名认证服务返回了无法识别的结果", status=503) from None


def _first_login(identity: VerifiedIdentity) -> Subject:
    """Create the subject of a first login; a concurrent first login of the same person wins the race harmlessly."""
    subject = subjects.new_subject(identity.kind, identity.id_number, identity.name)
    db.session.add(subject)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        winner = subjects.find_subject(identity.kind, identity.id_number)
        if winner is None:  # not a race after all: the error stands
            raise
        return winner
    return subject


PROVIDERS: dict[str, IdentityProvider] = {provider.name: provider for provider in (DevProvider(), GovProvider())}
PROVIDER_NAMES = tuple(PROVIDERS)


def proven_subject(provider_name: Any, payload: dict[str, Any], now: dt.datetime) -> Subject:
    """The subject whose identity the named real-name provider verifies (created at its first login), in the
    caller's transaction; an unlisted identity too."""
    provider = PROVIDERS.get(provider_name) if isinstance(provider_name, str) else None
    if provider is None or not provider.enabled():
        raise DomainError("unknown_provider", "不支持的登录方式",
                          fields={"provider": "可选：" + ", ".join(p.name for p in PROVIDERS.values() if p.enabled())})
    identity = provider.verify(payload, local_date(now))
    subject = subjects.find_subject(identity.kind, identity.id_number)
    if subject is None:
        subject = _first_login(identity)
    elif subject.name != identity.name:
        raise DomainError("identity_mismatch", name_mismatch(subject.name, identity.name), status=401)
    elif identity.kind == ENTERPRISE and subject.credit_code is None:
        subject.credit_code = identity.id_number  # proven here; listed before the code was kept (the 公示 shows it)
    return subject


def citizen_login(provider_name: Any, payload: dict[str, Any], now: dt.datetime,
                  device: str | None = None) -> tuple[Subject, str, int]:
    """Verify the identity through the named provider and open a session on `device` (in words); an unlisted
    identity may log in too."""
    subject = proven_subject(provider_name, payload, now)
    token, lifetime = sessions.login_subject(subject, now, device)
    return subject, token, lifetime
