"""The measure list (approval, withdrawal, change requests awaiting a decision) and partner units."""
from flask import g, redirect, render_template, url_for

from app.api.admin.schemas import ReasonSchema, VenueInputSchema
from app.domain.benefits import sentences
from app.domain.dates import today
from app.http.bodies import load_form
from app.services import measure_changes, measures, venues
from app.web.console.access import attempt, current_actor, requires, unit_of


@requires("admin", "manager")
def measure_list():
    unit = unit_of(g.account)
    items = measures.measures_of_venue(unit) if unit else measures.all_measures()
    return render_template("console/measures.html", items=items, changes=measure_changes.changes(unit),
                           sentences=sentences)


@requires("admin")
def approve_measure(measure_id):
    attempt(lambda: measures.approve(measure_id, current_actor()), "已批准发布")
    return redirect(url_for("console.measure_list"))


@requires("admin", "manager")
def withdraw_measure(measure_id):
    """The credit office, or the unit that offers it, stops a measure."""
    def withdraw():
        measures.measure_of_venue(measure_id, unit_of(g.account))
        measures.withdraw(measure_id, load_form(ReasonSchema())["reason"], current_actor(), today())
    attempt(withdraw, "已停止实施")
    return redirect(url_for("console.measure_list"))


@requires("admin")
def venue_list():
    return render_template("console/venues.html", items=venues.venues())


@requires("admin")
def save_venue(venue_id=None):
    attempt(lambda: venues.save_venue(current_actor(), venue_id=venue_id, **load_form(VenueInputSchema())), "已保存")
    return redirect(url_for("console.venue_list"))
