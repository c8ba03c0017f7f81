"""The measure editor: terms and the benefit in words (rows of type, number and grade), with a live preview.

The credit office edits any measure directly; a partner unit's manager edits their own — a published one by a change
request the credit office decides on."""
from itertools import zip_longest

from flask import g, jsonify, redirect, render_template, request, url_for
from marshmallow import Schema

from app.api.admin.schemas import MeasureApplicationSchema, MeasureTermsSchema, ReasonSchema
from app.domain.benefits import BENEFIT_TYPES, CAPPABLE, BenefitRow, benefit_from_rows, rows_of, sentences
from app.domain.dates import utcnow
from app.domain.grades import GRADES
from app.domain.identity import SUBJECT_KINDS
from app.errors import DomainError
from app.http.bodies import load_form
from app.http.schemas import Text
from app.services import measure_changes, measures, subjects, venues
from app.web.console.access import attempt, current_actor, requires, unit_of

BLANK_ROWS = 2


class ChangeNoteSchema(Schema):
    change_note = Text(0, 500, load_default="")


@requires("admin", "manager")
def measure_form(measure_id=None):
    unit = unit_of(g.account)
    current = measures.measure_of_venue(measure_id, unit) if measure_id else None
    preview = None
    if request.method == "POST":
        if request.form.get("action") == "preview":
            preview = _preview()
        elif attempt(lambda: _save(current, unit), _saved_message(current, unit)):
            return redirect(url_for("console.measure_list"))
    rows, caps = _rows(current)
    return render_template(
        "console/measure_form.html", measure=current, form=request.form, rows=rows, caps=caps, preview=preview,
        pending=measure_changes.pending_change(current.id) if current else None, unit=unit,
        venues=venues.venues(), grades=GRADES, kinds=SUBJECT_KINDS, categories=subjects.categories(),
        benefit_types=BENEFIT_TYPES, cappable=CAPPABLE)


@requires("admin", "manager")
def preview_benefit():
    """What each grade will read, for the editor's live preview."""
    return jsonify(_preview())


def _preview() -> dict:
    try:
        return {"sentences": sentences(benefit_of_form())}
    except DomainError as refused:
        return {"error": refused.message, "fields": refused.fields or {}}


def benefit_of_form() -> dict:
    return benefit_from_rows(*_submitted_rows())


def _submitted_rows() -> tuple[list[BenefitRow], list[BenefitRow]]:
    form = request.form
    rows = [BenefitRow(grade or None, key, value) for grade, key, value in zip_longest(
        form.getlist("benefit_grade"), form.getlist("benefit_type"), form.getlist("benefit_value"), fillvalue="")]
    caps = [BenefitRow(None, key, value) for key, value in zip_longest(
        form.getlist("cap_type"), form.getlist("cap_value"), fillvalue="")]
    return rows, caps


def _rows(current) -> tuple[list[BenefitRow], list[BenefitRow]]:
    """The rows to show: as submitted (a refused or previewed form), else as stored, and blank rows to fill."""
    if request.method == "POST":
        rows, caps = _submitted_rows()
        rows, caps = [row for row in rows if row.key], [cap for cap in caps if cap.key]
    else:
        rows, caps = rows_of(current.benefit) if current else ([], [])
    blank = BenefitRow(None, "")
    return rows + [blank] * BLANK_ROWS, caps + [blank]


def _save(current, unit) -> None:
    if current is None:
        form = load_form(MeasureApplicationSchema(exclude=("benefit", "provider_id") if unit else ("benefit",)))
        form["benefit"] = benefit_of_form()
        if unit:
            measure_changes.apply_for(current_actor(), unit, **form)
        else:
            measures.apply(current_actor(), provider=venues.get_venue(form.pop("provider_id")), **form)
        return
    terms = load_form(MeasureTermsSchema(exclude=("benefit",))) | {"benefit": benefit_of_form()}
    if unit:
        note = load_form(ChangeNoteSchema())["change_note"]
        measure_changes.request_change(current.id, unit, current_actor(), g.account.id, note, **terms)
    else:
        measures.update(current.id, current_actor(), **terms)


def _saved_message(current, unit) -> str:
    if current is None:
        return "申请已提交，待信用办审核发布" if unit else "已录入，待批准发布"
    if unit and current.status == "published":
        return "变更申请已提交，信用办审核通过后生效"
    return "已保存"


@requires("admin")
def decide_change(change_id, approve):
    if approve:
        attempt(lambda: measure_changes.approve(change_id, current_actor(), g.account.id, utcnow()), "已批准变更")
    else:
        attempt(lambda: measure_changes.reject(change_id, load_form(ReasonSchema())["reason"], current_actor(),
                                               g.account.id, utcnow()), "已退回变更申请")
    return redirect(url_for("console.measure_list"))
