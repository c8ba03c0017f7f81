"""The app plus two reference routes for `bench_http --floor`: what a verify-shaped answer costs without the scan.

/bench/floor-bare answers a POST with verify's JSON from a bare view; /bench/floor adds what every staff endpoint
does first (the staff-token check and the request schema). Served by the benchmark only, never by wsgi.py.
"""
from flask import jsonify
from flask_smorest import Blueprint

from app.api.staff import staff_only
from app.api.staff.schemas import VerifyRequestSchema
from app.extensions import csrf
from wsgi import create_app

blp = Blueprint("bench_floor", __name__, url_prefix="/bench")


def _verify_shaped_answer():
    return jsonify(valid=True, reason=None, attempt_id=1,
                   subject={"kind": "person", "name_masked": "王*信", "grade": "A"},
                   measures=[{"id": 1, "code": "XY-XING-01", "title": "公交出行半价", "benefit": {"discount": 0.5}}],
                   token_expires_at="2026-11-21T10:00:00+00:00")


@blp.route("/floor-bare", methods=["POST"])
def floor_bare():
    return _verify_shaped_answer()


@blp.route("/floor", methods=["POST"])
@staff_only
@blp.arguments(VerifyRequestSchema())
def floor(_body):
    return _verify_shaped_answer()


app = create_app()
app.register_blueprint(blp)
csrf.exempt(blp)
