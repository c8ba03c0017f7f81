"""Measures (applications, approval, edits, withdrawal) and partner units."""
import json

from flask import redirect, render_template, request, url_for
from marshmallow import ValidationError, fields

from app.api.admin.schemas import MeasureApplicationSchema, MeasureTermsSchema, ReasonSchema, VenueInputSchema
from app.domain.dates import today
from app.domain.grades import GRADES
from app.domain.identity import SUBJECT_KINDS
from app.http.bodies import load_form
from app.services import measures, subjects, venues
from app.web.console.access import attempt, current_actor, requires


class JsonObject(fields.Dict):
    """A benefit typed into the form as JSON text."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            value = json.loads(value) if isinstance(value, str) else value
        except ValueError:
            raise ValidationError("优惠内容须为 JSON 对象") from None
        return super()._deserialize(value, attr, data, **kwargs)


class MeasureTermsForm(MeasureTermsSchema):
    benefit = JsonObject(required=True)


class MeasureApplicationForm(MeasureApplicationSchema):
    benefit = JsonObject(required=True)


@requires("admin")
def measure_list():
    return render_template("console/measures.html", items=measures.all_measures())


@requires("admin")
def approve_measure(measure_id):
    attempt(lambda: measures.approve(measure_id, current_actor()), "已批准发布")
    return redirect(url_for("console.measure_list"))


@requires("admin")
def withdraw_measure(measure_id):
    attempt(lambda: measures.withdraw(measure_id, load_form(ReasonSchema())["reason"], current_actor(), today()),
            "已停止实施")
    return redirect(url_for("console.measure_list"))


@requires("admin")
def measure_form(measure_id=None):
    current = measures.get_measure(measure_id) if measure_id else None
    if request.method == "POST" and attempt(lambda: _save_measure(current), "已保存"):
        return redirect(url_for("console.measure_list"))
    return render_template("console/measure_form.html", measure=current, venues=venues.venues(), grades=GRADES,
                           kinds=SUBJECT_KINDS, categories=subjects.categories(), form=request.form)


def _save_measure(current) -> None:
    if current:
        measures.update(current.id, current_actor(), **load_form(MeasureTermsForm()))
        return
    form = load_form(MeasureApplicationForm())
    measures.apply(current_actor(), provider=venues.get_venue(form.pop("provider_id")), **form)


@requires("admin")
def venue_list():
    return render_template("console/venues.html", items=venues.venues())


@requires("admin")
def save_venue(venue_id=None):
    attempt(lambda: venues.save_venue(current_actor(), venue_id=venue_id, **load_form(VenueInputSchema())), "已保存")
    return redirect(url_for("console.venue_list"))
