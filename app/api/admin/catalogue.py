"""Measures and partner units over JSON, for the credit office's administrators (same services as the console)."""
from flask_smorest import Blueprint

from app.api.admin.schemas import (
    MeasureAdminSchema,
    MeasureApplicationSchema,
    MeasureListAdminSchema,
    MeasureTermsSchema,
    ReasonSchema,
    VenueAdminSchema,
    VenueInputSchema,
    VenueListSchema,
)
from app.domain.dates import today
from app.http.auth import current_actor, login_required, no_store
from app.services import measures, venues

blp = Blueprint("admin_catalogue", __name__, url_prefix="/api/v1/admin", description="管理端：激励措施与实施单位")
blp.after_request(no_store)
administrators = login_required("admin", ("admin",))


@blp.route("/measures")
@administrators
@blp.response(200, MeasureListAdminSchema)
def measure_list():
    """Every measure: applications waiting for approval, published and withdrawn ones."""
    return {"items": measures.all_measures()}


@blp.route("/measures", methods=["POST"])
@administrators
@blp.arguments(MeasureApplicationSchema)
@blp.response(201, MeasureAdminSchema)
def apply(body):
    """A provider's application, entered by the credit office; it waits for approval."""
    return measures.apply(current_actor(), provider=venues.get_venue(body.pop("provider_id")), **body)


@blp.route("/measures/<id:measure_id>")
@administrators
@blp.response(200, MeasureAdminSchema)
def measure(measure_id):
    return measures.get_measure(measure_id)


@blp.route("/measures/<id:measure_id>", methods=["PUT"])
@administrators
@blp.arguments(MeasureTermsSchema)
@blp.response(200, MeasureAdminSchema)
def edit(body, measure_id):
    """Replace title, description, benefit, minimum grade, categories and end of validity; audited with the old."""
    return measures.update(measure_id, current_actor(), **body)


@blp.route("/measures/<id:measure_id>/approve", methods=["POST"])
@administrators
@blp.response(200, MeasureAdminSchema)
def approve(measure_id):
    return measures.approve(measure_id, current_actor())


@blp.route("/measures/<id:measure_id>/withdraw", methods=["POST"])
@administrators
@blp.arguments(ReasonSchema)
@blp.response(200, MeasureAdminSchema)
def withdraw(body, measure_id):
    """From now on nobody can redeem it."""
    return measures.withdraw(measure_id, body["reason"], current_actor(), today())


@blp.route("/venues")
@administrators
@blp.response(200, VenueListSchema)
def venue_list():
    return {"items": venues.venues()}


@blp.route("/venues", methods=["POST"])
@administrators
@blp.arguments(VenueInputSchema)
@blp.response(201, VenueAdminSchema)
def create_venue(body):
    return venues.save_venue(current_actor(), **body)


@blp.route("/venues/<id:venue_id>", methods=["PUT"])
@administrators
@blp.arguments(VenueInputSchema)
@blp.response(200, VenueAdminSchema)
def edit_venue(body, venue_id):
    return venues.save_venue(current_actor(), venue_id=venue_id, **body)
