"""The citizen's own pages: 身份核对, the identity code (亮码), the catalogue, the redemption history."""
import base64
from typing import Any

from flask import g, jsonify, render_template, request

from app.domain.dates import today, utcnow
from app.domain.measures import PLAIN_WORDS, SCENARIO_PLAIN_NAMES, SCENARIOS, plain_words
from app.errors import Forbidden
from app.http.bodies import load
from app.http.schemas import PageQuerySchema
from app.http.times import local_iso
from app.services import citizens, qrcodes, sessions, wechat
from app.services.subjects import get_subject
from app.web.auth import current_session
from app.web.citizen.access import SESSION_KEY, fetched, requires


@requires()
def home():
    """身份核对: listed or not and why, every entry with its status, the grade, and what may be done about it; the
    devices signed in as this citizen and the WeChat accounts bound for one-tap sign-in."""
    position, entries, offers = citizens.profile(g.session.subject_id, today())
    refusal = citizens.reason(position, today())
    return render_template("citizen/home.html", position=position, entries=entries, offers=offers, refusal=refusal,
                           words=PLAIN_WORDS,
                           devices=sessions.citizen_sessions(g.session.subject_id, utcnow(), g.session.token_id),
                           wechat_bindings=wechat.bindings(g.session.subject_id))


def _new_code(subject_id: int) -> dict[str, Any]:
    """A new code with its QR image inline: in the code page's HTML first, then from `fresh_code` as JSON."""
    issued = citizens.issue_code(subject_id, today(), utcnow())
    image = base64.b64encode(qrcodes.render_png(issued.token, scale=10)).decode()
    return {"token": issued.token, "expires_at": local_iso(issued.expires_at), "ttl": issued.ttl,
            "refresh_in": issued.refresh_in, "image": f"data:image/png;base64,{image}"}


@requires()
def code():
    """亮码: the page with its first code in it, so the QR shows without another round trip; `fresh_code` renews it."""
    position = citizens.standing(get_subject(g.session.subject_id), today())  # not profile: no catalogue to work out
    refusal = citizens.reason(position, today())
    first = _new_code(g.session.subject_id) if position.listed else None
    return render_template("citizen/code.html", position=position, refusal=refusal, first=first)


@fetched
def fresh_code():
    """A new code as JSON with its QR image inline, for the code page to show; no-store like every personal answer."""
    try:
        return jsonify(_new_code(g.session.subject_id))
    except Forbidden as refused:
        return jsonify(refusal=refused.code, message=refused.message), 403


@fetched
def code_status():
    """Whether staff have confirmed a redemption of the code on screen: the page asks every few seconds."""
    token = (request.get_json(silent=True) or {}).get("token")
    redemption = citizens.redemption_of_code(g.session.subject_id, token) if isinstance(token, str) else None
    if redemption is None:
        return jsonify(redeemed=False)
    return jsonify(redeemed=True, measure=redemption.measure.title, venue=redemption.venue.name,
                   benefit=redemption.benefit.get("summary", ""))


def measures():
    """激励措施: the public catalogue; signed in, the measures open to this citizen first with their own benefit."""
    scenario = request.args.get("scenario") or None
    if scenario not in SCENARIOS:
        scenario = None
    session = current_session(SESSION_KEY, "citizen")
    found = citizens.catalogue_for(session.subject_id if session else None, today(), scenario)
    return render_template("citizen/measures.html", items=found.items, refusal=found.reason, scenario=scenario,
                           signed_in=session is not None, plain_names=SCENARIO_PLAIN_NAMES, explain=plain_words)


@requires()
def redemptions():
    """核销记录, newest first."""
    page = load(PageQuerySchema(), request.args.to_dict())["page"]
    return render_template("citizen/redemptions.html", page=citizens.redemptions(g.session.subject_id, page),
                           number=page)
