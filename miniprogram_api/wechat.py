"""WeChat one-tap sign-in's own endpoints: which providers this deployment offers, and the citizen's WeChat binding
(bind while signed in, see, unbind). Signing in itself is `POST /auth/login` with `provider: wechat` (me.py)."""
from flask import current_app, g
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.domain.dates import utcnow
from app.extensions import limiter
from app.http.auth import login_required, no_store
from app.http.errors import handle_domain_error
from app.http.schemas import Instant
from app.services import wechat
from app.services.wechat_client import CODE_MAX_LENGTH, WechatRefused

blp = Blueprint("citizen_wechat", __name__, url_prefix="/api/v1",
                description="市民端（小程序）：微信一键登录的绑定与解绑")
blp.after_request(no_store)
citizen_only = login_required("citizen")


class ProvidersSchema(Schema):
    login = fields.List(fields.String(), metadata={"description": "可用于 POST /auth/login 的 provider"})
    proof = fields.List(fields.String(), metadata={
        "description": "微信首次登录时可用于 proof 的实名核验方式（dev 仅在演示环境）"})


class WechatCodeSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=CODE_MAX_LENGTH),
                         metadata={"description": "wx.login 得到的 code（一次有效，5 分钟内）"})


class BindingSchema(Schema):
    id = fields.Integer()
    bound_at = Instant()
    last_used_at = Instant(metadata={"description": "最近一次用它一键登录（或绑定）的时间"})


class WechatStatusSchema(Schema):
    bound = fields.Boolean(metadata={"description": "是否有微信绑定到本身份（可一键登录）"})
    bindings = fields.List(fields.Nested(BindingSchema), metadata={"description": "绑定的微信账号（不含 openid）"})


class UnboundSchema(Schema):
    unbound = fields.Integer(metadata={"description": "解除了几个微信绑定（0：本来没有）"})


def refused(exc: WechatRefused):
    """WeChat's refusals as every DomainError, with Retry-After when waiting helps (rate limit, busy, down)."""
    response = handle_domain_error(exc)
    if exc.retry_after is not None:
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _status(subject_id: int) -> dict:
    bindings = wechat.bindings(subject_id)
    return {"bound": bool(bindings), "bindings": bindings}


@blp.route("/auth/providers")
@blp.response(200, ProvidersSchema)
def providers():
    """The sign-in ways this deployment offers: the mini-program shows 微信一键登录 when `wechat` is in `login`, and
    for a first WeChat sign-in the form of a provider in `proof`."""
    return {"login": wechat.login_providers(), "proof": wechat.proof_providers()}


@blp.route("/me/wechat")
@citizen_only
@blp.response(200, WechatStatusSchema)
def status():
    """Whether a WeChat account signs in as this citizen with one tap, and when each was bound and last used."""
    return _status(g.session.subject_id)


@blp.route("/me/wechat", methods=["POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"])
@citizen_only
@blp.arguments(WechatCodeSchema)
@blp.response(200, WechatStatusSchema)
@blp.alt_response(429, response="TooManyRequests")  # the sign-in's rate limit, and WeChat's (wechat_rate_limited)
def bind(payload):
    """Bind the WeChat account of a `wx.login` code to the signed-in citizen (proven at that sign-in), so that the
    next sign-in is one tap; binding it again is harmless.

    Refusals: 409 wechat_bound_to_other (the account is bound to another identity: unbind it there first),
    401 wechat_code_invalid, 403 wechat_account_blocked, 429 wechat_rate_limited, 503 wechat_busy or
    identity_provider_unavailable (with Retry-After), 422 unknown_provider when WeChat sign-in is not configured.
    """
    wechat.bind(g.session.subject_id, payload["code"], utcnow())
    return _status(g.session.subject_id)


@blp.route("/me/wechat", methods=["DELETE"])
@citizen_only
@blp.response(200, UnboundSchema)
def unbind():
    """解除微信绑定: no WeChat account signs in as this citizen with one tap any more (audited); sessions already
    open stay signed in."""
    return {"unbound": wechat.unbind(g.session.subject_id)}
