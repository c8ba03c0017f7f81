"""The front door (/): what the programme is, and the way in for each kind of visitor."""
from flask import Blueprint, render_template

bp = Blueprint("home", __name__, template_folder="templates")


@bp.route("/")
def index():
    return render_template("home/index.html")
