"""The citizen's own account: login, 身份核对, the identity QR code and redemption history."""
import datetime as dt
from typing import Any

from flask import Response, current_app, g, jsonify, request
from flask_smorest import Blueprint

from app import metrics
from app.domain.dates import today, utcnow
from app.domain.signins import describe
from app.extensions import limiter
from app.http.auth import login_required, no_store
from app.http.schemas import KeysetQuerySchema, SessionsEndedSchema
from app.http.times import local_iso
from app.services import citizens, qrcodes, sessions, wechat, wechat_client
from app.services.identity_providers import citizen_login
from miniprogram_api.schemas import (
    CitizenLoginResultSchema,
    CodesQuerySchema,
    CodesSchema,
    DeviceSessionListSchema,
    LoginSchema,
    MeSchema,
    QrCodeSchema,
    RedemptionPageSchema,
)

blp = Blueprint("citizen_api", __name__, url_prefix="/api/v1",
                description="市民端（小程序）：登录、身份核对、身份二维码")
blp.after_request(no_store)
citizen_only = login_required("citizen")


@blp.route("/auth/login", methods=["POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"])
@blp.arguments(LoginSchema)
@blp.response(200, CitizenLoginResultSchema)
def login(payload):
    """Log in through an identity provider (`dev` only when DEV_LOGIN=1); an unlisted identity may log in too.

    `wechat` (the mini-program's one-tap sign-in): `{"provider": "wechat", "code": "<wx.login code>"}`. A WeChat
    account bound to a subject signs in at once. An unbound one answers 401 wechat_not_bound: the client calls
    wx.login again (a code works once) and sends the new code with `proof`, a real-name provider's login fields
    (`GET /auth/providers` lists them), which binds this WeChat account to the proven subject and signs in. Refusals:
    409 wechat_bound_to_other (the account is bound to another identity), 401 wechat_code_invalid (WeChat's 40029 or
    40163: call wx.login again), 403 wechat_account_blocked (40226), 429 wechat_rate_limited (45011), 503 wechat_busy
    (-1) or identity_provider_unavailable (WeChat unreachable, slow or misconfigured), both with Retry-After.
    """
    device = describe(request.user_agent.string)
    with metrics.login_counted("citizen"):
        if payload["provider"] == wechat_client.PROVIDER:
            subject, token, lifetime = wechat.login(payload, utcnow(), device)
        else:
            subject, token, lifetime = citizen_login(payload.get("provider"), payload, utcnow(), device)
    return {"access_token": token, "token_type": "Bearer", "expires_in": lifetime, "subject": subject}


@blp.route("/auth/logout", methods=["POST"])
@citizen_only
@blp.response(204)
def logout():
    """End this session; the token stops working at once."""
    sessions.revoke(g.session, utcnow())


@blp.route("/me/sessions")
@citizen_only
@blp.response(200, DeviceSessionListSchema)
def my_sessions():
    """The devices signed in as this citizen, this one first (`this_device`), then the most recently used."""
    items = sessions.citizen_sessions(g.session.subject_id, utcnow(), g.session.token_id)
    return {"items": [{"id": row.id, "device": row.device, "created_at": row.created_at,
                       "last_used_at": row.last_used_at, "this_device": row.id == g.session.token_id}
                      for row in items]}


@blp.route("/me/sessions/others", methods=["DELETE"])
@citizen_only
@blp.response(200, SessionsEndedSchema)
def end_other_sessions():
    """退出其他设备: every other session of this citizen ends at once; this one stays."""
    return {"ended": sessions.end_other_sessions(g.session, utcnow())}


@blp.route("/me")
@citizen_only
@blp.response(200, MeSchema)
def me():
    """身份核对: masked identity, every entry with its status, and the measures usable now with their benefit."""
    position, entries, offers = citizens.profile(g.session.subject_id, today())
    return {"subject": position.subject, "listed": position.listed, "refusal": position.refusal,
            "entries": entries, "measures": offers}


def code_answer(code: qrcodes.IssuedCode) -> dict[str, Any]:
    """QrCodeSchema's answer, built by hand: the busiest citizen call skips a marshmallow dump."""
    return {"token": code.token, "expires_at": local_iso(code.expires_at), "ttl": code.ttl,
            "refresh_in": code.refresh_in}


def codes_answer(issued: list[qrcodes.IssuedCode], valid_until: dt.datetime) -> dict[str, Any]:
    """CodesSchema's answer, built by hand: hundreds of codes skip a marshmallow dump."""
    return {"codes": [{"token": code.token, "not_before": local_iso(code.not_before),
                       "expires_at": local_iso(code.expires_at)} for code in issued],
            "valid_until": local_iso(valid_until)}


@blp.route("/me/qrcode")
@citizen_only
@blp.response(200, QrCodeSchema)
def qrcode():
    """A fresh short-lived identity code; 403 with the listing reason when the subject may not use incentives."""
    return jsonify(code_answer(citizens.issue_code(g.session.subject_id, today(), utcnow())))


@blp.route("/me/qrcode.png")
@citizen_only
@blp.response(200, {"format": "binary", "type": "string"}, content_type="image/png")
def qrcode_png():
    """The same fresh code as a PNG image (QR level M)."""
    code = citizens.issue_code(g.session.subject_id, today(), utcnow())
    response = Response(qrcodes.render_png(code.token), mimetype="image/png")
    response.headers["X-QR-Expires-At"] = local_iso(code.expires_at)
    return response


@blp.route("/me/codes")
@citizen_only
@blp.arguments(CodesQuerySchema, location="query", as_kwargs=True)
@blp.response(200, CodesSchema)
@blp.alt_response(429, response="TooManyRequests")  # quota_code_batches
def codes(hours):
    """A new batch of codes for the next `hours`, one per consecutive window, for the phone to show when it is
    offline; the same refusals as /me/qrcode, and 429 quota_code_batches past CODE_BATCHES_PER_DAY batches a Beijing
    day (the codes the phone holds stay usable)."""
    return jsonify(codes_answer(*citizens.issue_codes(g.session.subject_id, hours, today(), utcnow())))


@blp.route("/me/redemptions")
@citizen_only
@blp.arguments(KeysetQuerySchema, location="query", as_kwargs=True)
@blp.response(200, RedemptionPageSchema)
def my_redemptions(page, after):
    """The incentives this subject has used, newest first; `after` continues below the previous page."""
    return citizens.redemptions(g.session.subject_id, page, after)
