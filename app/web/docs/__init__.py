"""The API documentation page (/api/v1/docs): Swagger UI over the served OpenAPI description, all from this app."""
from flask import Blueprint, render_template

bp = Blueprint("api_docs", __name__, template_folder="templates", static_folder="static",
               static_url_path="/api/v1/docs/static")


@bp.route("/api/v1/docs")
def docs():
    return render_template("docs/index.html")
