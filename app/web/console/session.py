"""Signing in to and out of the console."""
from flask import current_app, flash, g, redirect, render_template, request, url_for

from app import metrics
from app.domain.dates import utcnow
from app.domain.roles import CONSOLE_ROLES
from app.domain.signins import ENDED_WORDS
from app.errors import DomainError
from app.extensions import limiter
from app.http.bodies import load_form
from app.http.schemas import CredentialsSchema
from app.services import sessions
from app.web.auth import page_sign_in, page_sign_out
from app.web.console.access import SESSION_KEY, home_endpoint, requires


@limiter.limit(lambda: current_app.config["CONSOLE_LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    if request.method == "POST":
        try:
            credentials = load_form(CredentialsSchema())
            with metrics.login_counted("admin"):
                account, token, _ = sessions.login_account(credentials["username"], credentials["password"],
                                                           "admin", utcnow())
        except DomainError as refused:
            flash(refused.message, "error")
            return render_template("console/login.html", username=request.form.get("username", "")), refused.status
        page_sign_in(SESSION_KEY, token)
        target = request.args.get("next", "")
        return redirect(target if target.startswith("/admin/") else url_for(home_endpoint(account.role)))
    return render_template("console/login.html", ended=ENDED_WORDS.get(request.args.get("why", "")))


@requires(*CONSOLE_ROLES)
def logout():
    page_sign_out(SESSION_KEY)
    return redirect(url_for("console.login"))


@requires(*CONSOLE_ROLES)
def home():
    return redirect(url_for(home_endpoint(g.account.role)))
