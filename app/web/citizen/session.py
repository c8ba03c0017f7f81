"""Signing in to the citizen pages — the development form or the real-name platform's redirect — back to where the
citizen was, and out: on this phone, or on every other one."""
import secrets

import requests
from flask import abort, current_app, flash, g, redirect, render_template, request, session, url_for

from app import metrics
from app.domain.dates import utcnow
from app.domain.identity import ENTERPRISE
from app.domain.signins import ENDED_WORDS, describe
from app.errors import DomainError
from app.extensions import limiter
from app.http.bodies import load_form
from app.http.schemas import DevLoginSchema
from app.services import sessions
from app.services.identity_providers import PROVIDERS, citizen_login
from app.web.auth import current_session, page_sign_in, page_sign_out
from app.web.citizen.access import SESSION_KEY, requires

STATE_KEY = "gov_state"
NEXT_KEY = "gov_next"


def _providers() -> dict[str, bool]:
    return {"dev": PROVIDERS["dev"].enabled(),
            "gov": PROVIDERS["gov"].enabled() and bool(current_app.config["GOV_IDP_AUTHORIZE_URL"])}


def _same_site(target: str | None) -> str | None:
    """A page of ours to return to after signing in; anything else (another site, `//host`) is ignored."""
    return target if target and target.startswith("/m/") else None


def _device() -> str:
    return describe(request.user_agent.string)


def _signed_in(token: str, target: str | None):
    """Keep the session on this phone across browser restarts, and go back to where the citizen was. A session this
    phone already had ends: it is this device, not another one for 首页 to list."""
    previous = current_session(SESSION_KEY, "citizen")
    if previous is not None:
        sessions.revoke(previous, utcnow())
    page_sign_in(SESSION_KEY, token, persistent=True)
    return redirect(_same_site(target) or url_for("citizen.home"))


@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    providers = _providers()
    if request.method == "POST":
        if not providers["dev"]:
            abort(404)
        try:
            form = load_form(DevLoginSchema())
            number_field = "uscc" if form["kind"] == ENTERPRISE else "id_number"
            with metrics.login_counted("citizen"):
                _, token, _ = citizen_login("dev", {"kind": form["kind"], "name": form.get("name"),
                                                    number_field: form.get(number_field) or form.get("id_number")},
                                            utcnow(), _device())
        except DomainError as refused:
            # Each field's problem already says what to do (选择“企业”, 包括间隔号…): it stands alone.
            problems = "；".join(str(problem) for problem in (refused.fields or {}).values())
            flash(problems or refused.message, "error")
            # Only what is safe to echo goes back into the page: never the number that was typed.
            return render_template("citizen/login.html", providers=providers, kind=request.form.get("kind"),
                                   name=request.form.get("name", "")), refused.status
        return _signed_in(token, request.args.get("next"))
    return render_template("citizen/login.html", providers=providers, kind="person", name="",
                           ended=ENDED_WORDS.get(request.args.get("why", "")))


def gov_start():
    """Send the person to the real-name platform, which sends them back to `gov_return` with a one-time code."""
    if not _providers()["gov"]:
        abort(404)
    session[STATE_KEY] = secrets.token_urlsafe(24)
    session[NEXT_KEY] = _same_site(request.args.get("next"))
    query = {"client_id": current_app.config["GOV_IDP_CLIENT_ID"], "response_type": "code",
             # From the configured address, never the request's Host header (which a client chooses).
             "redirect_uri": current_app.config["PUBLIC_BASE_URL"] + url_for("citizen.gov_return"),
             "state": session[STATE_KEY]}
    return redirect(requests.Request("GET", current_app.config["GOV_IDP_AUTHORIZE_URL"], params=query).prepare().url)


@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"])
def gov_return():
    expected, state = session.pop(STATE_KEY, None), request.args.get("state", "")
    target = session.pop(NEXT_KEY, None)
    if not expected or not secrets.compare_digest(expected, state):
        flash("登录已失效，请重新登录", "error")
        return redirect(url_for("citizen.login", next=target))
    try:
        with metrics.login_counted("citizen"):
            _, token, _ = citizen_login("gov", {"code": request.args.get("code", "")}, utcnow(), _device())
    except DomainError as refused:
        flash(refused.message, "error")
        return redirect(url_for("citizen.login", next=target))
    return _signed_in(token, target)


@requires()
def logout():
    page_sign_out(SESSION_KEY)
    flash("已退出登录", "ok")
    return redirect(url_for("citizen.login"))


@requires()
def end_other_devices():
    """"退出其他设备": every other phone or browser signed in as this citizen is signed out; this one stays."""
    ended = sessions.end_other_sessions(g.session, utcnow())
    flash(f"已退出其他 {ended} 台设备，本机仍保持登录" if ended else "没有其他设备登录", "ok")
    return redirect(url_for("citizen.home", _anchor="devices"))
