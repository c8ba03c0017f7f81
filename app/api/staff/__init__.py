"""The counter staff API the scanner clients call: login, verify a code, redeem a measure, the venue's history."""
from typing import Any

from flask import current_app, g, jsonify, request
from flask_smorest import Blueprint

from app import metrics
from app.api.staff import offline
from app.api.staff.schemas import (
    AttemptPageSchema,
    IdempotencyHeaderSchema,
    RedeemRequestSchema,
    RedeemResultSchema,
    StaffLoginResultSchema,
    VerifyRequestSchema,
    VerifyResultSchema,
)
from app.domain.dates import today, utcnow
from app.errors import DomainError
from app.extensions import limiter
from app.http.auth import login_required, no_store
from app.http.bodies import load
from app.http.schemas import CredentialsSchema, KeysetQuerySchema
from app.http.times import local_iso
from app.models.scanning import IDEMPOTENCY_KEY_LENGTH
from app.services import scanning, sessions

blp = Blueprint("scan", __name__, url_prefix="/api/v1", description="柜台扫码：核验身份二维码、确认核销、扫码记录")
blp.after_request(no_store)
staff_only = login_required("staff")
BLUEPRINTS = (blp, offline.blp)


@blp.route("/staff/login", methods=["POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"])
@blp.arguments(CredentialsSchema)
@blp.response(200, StaffLoginResultSchema)
def login(credentials):
    """Counter staff log in; the token only works on the staff API."""
    with metrics.login_counted("staff"):
        account, token, lifetime = sessions.login_account(credentials["username"], credentials["password"], "staff",
                                                          utcnow())
    return {"access_token": token, "token_type": "Bearer", "expires_in": lifetime, "staff": account,
            "venue": account.venue}


@blp.route("/staff/logout", methods=["POST"])
@staff_only
@blp.response(204)
def logout():
    sessions.revoke(g.session, utcnow())


def verify_answer(result: scanning.Verification) -> dict[str, Any]:
    """VerifyResultSchema's answer, built by hand: the counters' busiest call skips a marshmallow dump."""
    subject, expires_at = result.subject if result.attempt.token_key else None, result.token_expires_at
    return {"valid": result.attempt.valid, "reason": result.attempt.reason, "attempt_id": result.attempt.id,
            "subject": None if subject is None else {"kind": subject.kind, "name_masked": subject.name_masked,
                                                     "grade": subject.grade},
            "measures": [{"id": offer.id, "code": offer.code, "title": offer.title, "benefit": offer.benefit}
                         for offer in result.offers],
            "token_expires_at": None if expires_at is None else local_iso(expires_at)}


def redeem_answer(redemption: scanning.Redeemed) -> dict[str, Any]:
    """RedeemResultSchema's answer, built by hand like verify's."""
    return {"redemption": {"id": redemption.id, "measure_id": redemption.measure_id, "benefit": redemption.benefit,
                           "redeemed_at": local_iso(redemption.redeemed_at)}}


@blp.route("/scan/verify", methods=["POST"])
@staff_only
@blp.arguments(VerifyRequestSchema())
@blp.response(200, VerifyResultSchema)
def verify(body):
    """Always 200 for any string: valid or not with a reason code, and this venue's measures that apply."""
    result = scanning.verify(body["token"], g.session.account_id, body["device"], utcnow(), today())
    metrics.verified(g.session.account_id, result.attempt.reason)
    return jsonify(verify_answer(result))


def _header_key() -> str | None:
    """The Idempotency-Key header through its schema; read by hand, only when sent (most clients use the body)."""
    sent = request.headers.get("Idempotency-Key")
    if sent is None:
        return None
    return load(IdempotencyHeaderSchema(), {"Idempotency-Key": sent.strip()})["idempotency_key"]


@blp.route("/scan/redeem", methods=["POST"])
@staff_only
@blp.arguments(RedeemRequestSchema())
@blp.doc(parameters=[{"in": "header", "name": "Idempotency-Key", "required": False, "schema": {
    "type": "string", "minLength": IDEMPOTENCY_KEY_LENGTH[0], "maxLength": IDEMPOTENCY_KEY_LENGTH[1]},
    "description": "或在请求体中给出 idempotency_key"}])
@blp.response(201, RedeemResultSchema)
def redeem(body):
    """Redeem one measure once per code; a retry with the same idempotency key returns the first answer."""
    key = body.get("idempotency_key") or _header_key()
    if key is None:
        low, high = IDEMPOTENCY_KEY_LENGTH
        raise DomainError("idempotency_key_required",
                          f"需要 {low}–{high} 个字符的幂等键（idempotency_key 或 Idempotency-Key 请求头）",
                          fields={"idempotency_key": f"必填，{low}–{high} 个字符"})
    with metrics.redemption_counted(g.session.account_id) as outcome:
        redemption, replayed = scanning.redeem(body["token"], body["measure_id"], key, g.session.account_id,
                                               body["device"], utcnow(), today())
        outcome.append(replayed)
    return jsonify(redeem_answer(redemption)), 201, {"Idempotent-Replayed": "true" if replayed else "false"}


@blp.route("/scan/history")
@staff_only
@blp.arguments(KeysetQuerySchema, location="query", as_kwargs=True)
@blp.response(200, AttemptPageSchema)
def history(page, after):
    """This venue's recent attempts, granted or refused, newest first; `after` continues below the previous page."""
    return scanning.history(g.session.account_id, page, after)
