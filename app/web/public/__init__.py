"""守信激励对象公示 (/public/): the listed subjects the programme publishes, as a page and as open data, no sign-in."""
from flask import Blueprint, request

from app.web.public import pages

bp = Blueprint("publication", __name__, url_prefix="/public", template_folder="templates", static_folder="static",
               static_url_path="/static")
bp.add_url_rule("/list", "public_list", pages.public_list)
bp.add_url_rule("/list.csv", "list_csv", pages.list_csv)

# Only public data here, so browsers and proxies may keep an answer a few minutes (never so on a personal page).
PUBLIC_CACHE = "public, max-age=300"


@bp.after_request
def cached_in_public(response):
    """A few minutes in any cache — unless the answer sets a cookie, which makes it the reader's own."""
    if request.endpoint == "publication.static":
        return response
    if response.status_code == 200 and "Set-Cookie" not in response.headers:
        response.headers["Cache-Control"] = PUBLIC_CACHE
        response.vary.add("Cookie")  # 长辈版 is a cookie: its readers get their own copy
    else:
        response.headers["Cache-Control"] = "no-store"
    return response
