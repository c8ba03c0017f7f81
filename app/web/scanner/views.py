"""The staff web scanner: sign-in, the scanner page, its same-origin verify and redeem over the same services and
answers as the staff API, and the venue's history."""
from flask import current_app, flash, g, jsonify, redirect, render_template, request, url_for

from app import metrics
from app.api.staff import redeem_answer, verify_answer
from app.api.staff.schemas import RedeemRequestSchema, VerifyRequestSchema
from app.domain.dates import today, utcnow
from app.domain.refusals import REFUSALS
from app.domain.signins import ENDED_WORDS
from app.errors import DomainError
from app.extensions import limiter
from app.http.bodies import load, load_form
from app.http.schemas import CredentialsSchema, PageQuerySchema
from app.services import scanning, sessions
from app.web.auth import page_sign_in, page_sign_out
from app.web.scanner.access import SESSION_KEY, fetched, requires


@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    if request.method == "POST":
        try:
            credentials = load_form(CredentialsSchema())
            with metrics.login_counted("staff"):
                _, token, _ = sessions.login_account(credentials["username"], credentials["password"], "staff",
                                                     utcnow())
        except DomainError as refused:
            flash(refused.message, "error")
            return render_template("scanner/login.html", username=request.form.get("username", "")), refused.status
        page_sign_in(SESSION_KEY, token)
        return redirect(url_for("scanner.scan"))
    return render_template("scanner/login.html", username="", ended=ENDED_WORDS.get(request.args.get("why", "")))


@requires()
def logout():
    page_sign_out(SESSION_KEY)
    return redirect(url_for("scanner.login"))


@requires()
def scan():
    reasons = {code: {"title": refusal.title, "tell": refusal.tell, "hint": refusal.hint}
               for code, refusal in REFUSALS.items()}
    return render_template("scanner/scan.html", staff=g.account, venue=g.account.venue, reasons=reasons)


def _json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise DomainError("invalid_request", "请求体应为 JSON 对象", status=400)
    return body


@fetched
def verify():
    body = load(VerifyRequestSchema(), _json_body())
    result = scanning.verify(body["token"], g.account.id, body["device"], utcnow(), today())
    metrics.verified(g.account.id, result.attempt.reason)
    return jsonify(verify_answer(result))


@fetched
def redeem():
    body = load(RedeemRequestSchema(), _json_body())
    if "idempotency_key" not in body:
        raise DomainError("idempotency_key_required", "缺少幂等键", fields={"idempotency_key": "必填"})
    with metrics.redemption_counted(g.account.id) as outcome:
        redemption, replayed = scanning.redeem(body["token"], body["measure_id"], body["idempotency_key"],
                                               g.account.id, body["device"], utcnow(), today())
        outcome.append(replayed)
    return jsonify(redeem_answer(redemption)), 201, {"Idempotent-Replayed": "true" if replayed else "false"}


@requires()
def history():
    page = load(PageQuerySchema(), request.args.to_dict())["page"]
    return render_template("scanner/history.html", page=scanning.history(g.account.id, page), number=page,
                           venue=g.account.venue)
