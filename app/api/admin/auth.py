"""Sign-in to the administration API: administrators, reviewers and department reporters."""
from flask import current_app, g
from flask_smorest import Blueprint

from app import metrics
from app.api.admin.schemas import AdminLoginResultSchema
from app.domain.dates import utcnow
from app.extensions import limiter
from app.http.auth import login_required, no_store
from app.http.schemas import CredentialsSchema
from app.services import sessions

blp = Blueprint("admin", __name__, url_prefix="/api/v1/admin", description="管理端：登录")
blp.after_request(no_store)


@blp.route("/login", methods=["POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"])
@blp.arguments(CredentialsSchema)
@blp.response(200, AdminLoginResultSchema)
def login(credentials):
    """Administrators, reviewers and department reporters log in; the token works only on the admin API."""
    with metrics.login_counted("admin"):
        account, token, lifetime = sessions.login_account(credentials["username"], credentials["password"], "admin",
                                                          utcnow())
    return {"access_token": token, "token_type": "Bearer", "expires_in": lifetime, "admin": account}


@blp.route("/logout", methods=["POST"])
@login_required("admin")
@blp.response(204)
def logout():
    sessions.revoke(g.session, utcnow())

