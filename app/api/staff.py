"""The counter staff API the scanner client calls: login, verify a code, redeem a measure, the venue's history."""
from flask import current_app, g, jsonify, request
from flask_smorest import Blueprint

from app.api.auth import login_required, no_store
from app.errors import DomainError
from app.extensions import limiter
from app.models import utcnow
from app.schemas import (AttemptPageSchema, CredentialsSchema, PageQuerySchema, RedeemRequestSchema,
                         RedeemResultSchema, StaffLoginResultSchema, VerifyRequestSchema, VerifyResultSchema)
from app.services import scanning, sessions
from app.services.dates import today

blp = Blueprint("scan", __name__, url_prefix="/api/v1", description="柜台扫码：核验身份二维码、确认核销、扫码记录")
blp.after_request(no_store)
staff_only = login_required("staff")


@blp.route("/staff/login", methods=["POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"])
@blp.arguments(CredentialsSchema)
@blp.response(200, StaffLoginResultSchema)
def login(credentials):
    """Counter staff log in; the token only works on the staff API."""
    account, token, lifetime = sessions.login_account(credentials["username"], credentials["password"], "staff",
                                                      utcnow())
    return {"access_token": token, "token_type": "Bearer", "expires_in": lifetime, "staff": account,
            "venue": account.venue}


@blp.route("/staff/logout", methods=["POST"])
@staff_only
@blp.response(204)
def logout():
    sessions.revoke(g.session, utcnow())


@blp.route("/scan/verify", methods=["POST"])
@staff_only
@blp.arguments(VerifyRequestSchema())
@blp.response(200, VerifyResultSchema)
def verify(body):
    """Always 200 for any string: valid or not with a reason code, and this venue's measures that apply."""
    result = scanning.verify(body["token"], g.session.account_id, body["device"], utcnow(), today())
    subject, expires_at = result.subject if result.attempt.token_key else None, result.token_expires_at
    # The counters' busiest calls answer without a marshmallow dump; the schemas still document them.
    return jsonify(
        valid=result.attempt.valid, reason=result.attempt.reason, attempt_id=result.attempt.id,
        subject=None if subject is None else {"kind": subject.kind, "name_masked": subject.name_masked,
                                              "grade": subject.grade},
        measures=[{"id": offer.id, "code": offer.code, "title": offer.title, "benefit": offer.benefit}
                  for offer in result.offers],
        token_expires_at=None if expires_at is None else expires_at.isoformat())


@blp.route("/scan/redeem", methods=["POST"])
@staff_only
@blp.arguments(RedeemRequestSchema())
@blp.response(201, RedeemResultSchema)
def redeem(body):
    """Redeem one measure once per code; a retry with the same idempotency key returns the first answer."""
    key = body.get("idempotency_key") or request.headers.get("Idempotency-Key", "").strip()
    if not 8 <= len(key) <= 80:
        raise DomainError("invalid_request", "需要 8–80 个字符的幂等键（idempotency_key 或 Idempotency-Key 请求头）",
                          status=400, fields={"idempotency_key": "必填，8–80 个字符"})
    redemption, replayed = scanning.redeem(body["token"], body["measure_id"], key, g.session.account_id,
                                           body["device"], utcnow(), today())
    answer = jsonify(redemption={"id": redemption.id, "measure_id": redemption.measure_id,
                                 "benefit": redemption.benefit, "redeemed_at": redemption.redeemed_at.isoformat()})
    return answer, 201, {"Idempotent-Replayed": "true" if replayed else "false"}


@blp.route("/scan/history")
@staff_only
@blp.arguments(PageQuerySchema, location="query", as_kwargs=True)
@blp.response(200, AttemptPageSchema)
def history(page):
    """This venue's recent attempts, granted or refused, newest first."""
    items, next_page = scanning.history(g.session.account_id, page)
    return {"items": items, "next": next_page}
