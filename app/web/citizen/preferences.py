"""This phone's preferences on the citizen pages: 长辈版 on or off, remembered without signing in."""
from flask import current_app, make_response, redirect, request, url_for

from app.extensions import csrf
from app.web.helpers import ELDER_COOKIE

ONE_YEAR = 365 * 24 * 3600
# Where the switch may send the person back to: the pages that show it.
RETURN_PREFIXES = ("/m/", "/public/")


# A type size is no secret and no harm if another site switches it: no form token, so the public pages that show
# the switch hold nothing personal and may be cached.
@csrf.exempt
def elder_mode():
    """长辈版 on or off, remembered on this phone in a cookie the pages read, so no page paints small first."""
    on, back = request.form.get("elder") == "on", request.form.get("back", "")
    safe = back == "/" or back.startswith(RETURN_PREFIXES)
    response = make_response(redirect(back if safe else url_for("citizen.home"), code=303))
    response.set_cookie(ELDER_COOKIE, "on" if on else "off", max_age=ONE_YEAR, samesite="Lax",
                        secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True)
    return response
