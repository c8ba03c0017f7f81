"""The front door (/): what the programme is, and the way in for each kind of visitor."""
from flask import Blueprint, redirect, render_template, url_for

bp = Blueprint("home", __name__, template_folder="templates")


@bp.route("/")
def index():
    return render_template("home/index.html")


@bp.route("/favicon.ico")
def favicon():
    """Browsers ask here on pages that name no icon (the API documentation's): the same icon, cached for good."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)
