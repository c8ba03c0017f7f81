"""Signing in to the citizen pages — the development form or the real-name platform's redirect — and out, and the
large-text setting."""
import secrets

import requests
from flask import abort, current_app, flash, make_response, redirect, render_template, request, session, url_for

from app.domain.dates import utcnow
from app.domain.identity import ENTERPRISE
from app.errors import DomainError
from app.extensions import limiter
from app.http.bodies import load_form
from app.http.schemas import DevLoginSchema
from app.services.identity_providers import PROVIDERS, citizen_login
from app.web.auth import page_sign_in, page_sign_out
from app.web.citizen.access import LARGE, SESSION_KEY, TEXT_COOKIE, requires

STATE_KEY = "gov_state"
ONE_YEAR = 365 * 24 * 3600


def _providers() -> dict[str, bool]:
    return {"dev": PROVIDERS["dev"].enabled(),
            "gov": PROVIDERS["gov"].enabled() and bool(current_app.config["GOV_IDP_AUTHORIZE_URL"])}


def _signed_in(token: str):
    page_sign_in(SESSION_KEY, token)
    target = request.args.get("next", "")
    return redirect(target if target.startswith("/m/") else url_for("citizen.home"))


@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    providers = _providers()
    if request.method == "POST":
        if not providers["dev"]:
            abort(404)
        try:
            form = load_form(DevLoginSchema())
            number_field = "uscc" if form["kind"] == ENTERPRISE else "id_number"
            _, token, _ = citizen_login("dev", {"kind": form["kind"], "name": form.get("name"),
                                                number_field: form.get(number_field) or form.get("id_number")},
                                        utcnow())
        except DomainError as refused:
            # Each field's problem already says what to do (选择“企业”, 包括间隔号…): it stands alone.
            problems = "；".join(str(problem) for problem in (refused.fields or {}).values())
            flash(problems or refused.message, "error")
            # Only what is safe to echo goes back into the page: never the number that was typed.
            return render_template("citizen/login.html", providers=providers, kind=request.form.get("kind"),
                                   name=request.form.get("name", "")), refused.status
        return _signed_in(token)
    return render_template("citizen/login.html", providers=providers, kind="person", name="")


def gov_start():
    """Send the person to the real-name platform, which sends them back to `gov_return` with a one-time code."""
    if not _providers()["gov"]:
        abort(404)
    session[STATE_KEY] = secrets.token_urlsafe(24)
    query = {"client_id": current_app.config["GOV_IDP_CLIENT_ID"], "response_type": "code",
             "redirect_uri": url_for("citizen.gov_return", _external=True), "state": session[STATE_KEY]}
    return redirect(requests.Request("GET", current_app.config["GOV_IDP_AUTHORIZE_URL"], params=query).prepare().url)


@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"])
def gov_return():
    expected, state = session.pop(STATE_KEY, None), request.args.get("state", "")
    if not expected or not secrets.compare_digest(expected, state):
        flash("登录已失效，请重新登录", "error")
        return redirect(url_for("citizen.login"))
    try:
        _, token, _ = citizen_login("gov", {"code": request.args.get("code", "")}, utcnow())
    except DomainError as refused:
        flash(refused.message, "error")
        return redirect(url_for("citizen.login"))
    return _signed_in(token)


@requires()
def logout():
    page_sign_out(SESSION_KEY)
    flash("已退出登录", "ok")
    return redirect(url_for("citizen.login"))


def text_size():
    """Large text on or off, remembered on this phone (a cookie the pages read, so no page flashes small first)."""
    large, back = request.form.get("size") == LARGE, request.form.get("back", "")
    response = make_response(redirect(back if back.startswith("/m/") else url_for("citizen.home")))
    response.set_cookie(TEXT_COOKIE, LARGE if large else "normal", max_age=ONE_YEAR, samesite="Lax",
                        secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True)
    return response
