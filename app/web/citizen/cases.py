"""名单异议 and 投诉建议 from the phone: filing with photos, each case with its steps and deadline, the rating, and
the inbox."""
from flask import flash, g, redirect, render_template, request, url_for

from app.domain.cases import COMPLAINT, OBJECTION, OBJECTION_TYPES, OPEN_STATES
from app.domain.dates import today, utcnow
from app.errors import DomainError
from app.http.bodies import evidence_file, load, load_form, load_with_uploads
from app.http.case_schemas import ComplaintFilingSchema, ObjectionFilingSchema, RatingSchema
from app.http.schemas import PageQuerySchema
from app.models import Complaint, Objection
from app.services import case_log, citizens, complaints, measures, objections, venues
from app.web.citizen.access import requires


@requires()
def cases():
    subject_id = g.session.subject_id
    return render_template("citizen/cases.html",
                           objections=case_log.own_cases(OBJECTION, Objection, subject_id, utcnow()),
                           complaints=case_log.own_cases(COMPLAINT, Complaint, subject_id, utcnow()))


@requires()
def new_objection():
    subject_id = g.session.subject_id
    if request.method == "POST":
        try:
            form, uploads = load_with_uploads(ObjectionFilingSchema())
            filed = objections.file_objection(subject_id, form["type"], form["statement"], form.get("entry_id"),
                                              form.get("attempt_id"), uploads, utcnow())
        except DomainError as refused:
            flash(_problem(refused), "error")
        else:
            flash("名单异议已提交，请留意办理进度", "ok")
            return redirect(url_for("citizen.objection", objection_id=filed.id))
    position, entries, _ = citizens.profile(subject_id, today())
    # A page's "对名单有异议" names the type and the entry it is about (citizens.reason): both come preselected.
    chosen = request.values.get("type")
    if chosen not in OBJECTION_TYPES:
        chosen = "wrongly_suspended" if request.args.get("entry_id") else "not_listed"
    return render_template("citizen/objection_form.html", entries=entries, types=OBJECTION_TYPES,
                           attempts=citizens.refused_attempts(subject_id), chosen=chosen, form=request.values)


@requires()
def objection(objection_id):
    case = objections.own_objection(g.session.subject_id, objection_id)
    return render_template("citizen/case.html", case=case_log.view(OBJECTION, case, utcnow()), case_type=OBJECTION,
                           open_case=case.status in OPEN_STATES[OBJECTION])


@requires()
def new_complaint():
    subject_id = g.session.subject_id
    if request.method == "POST":
        try:
            form, uploads = load_with_uploads(ComplaintFilingSchema())
            filed = complaints.file_complaint(subject_id, form["kind"], form["content"], form.get("venue_id"),
                                              form.get("measure_id"), form.get("redemption_id"), uploads, utcnow())
        except DomainError as refused:
            flash(_problem(refused), "error")
        else:
            flash("投诉建议已提交，请留意答复", "ok")
            return redirect(url_for("citizen.complaint", complaint_id=filed.id))
    return render_template("citizen/complaint_form.html", venues=venues.venues(),
                           measures=measures.catalogue(today()),
                           redemptions=citizens.redemptions(subject_id, 1).items, form=request.values)


@requires()
def complaint(complaint_id):
    case = complaints.own_complaint(g.session.subject_id, complaint_id)
    return render_template("citizen/case.html", case=case_log.view(COMPLAINT, case, utcnow()), case_type=COMPLAINT,
                           open_case=case.status in OPEN_STATES[COMPLAINT])


@requires()
def rate_complaint(complaint_id):
    try:
        form = load_form(RatingSchema())
        complaints.rate_complaint(g.session.subject_id, complaint_id, form["score"], form.get("comment"))
    except DomainError as refused:
        flash(_problem(refused), "error")
    else:
        flash("感谢您的评价", "ok")
    return redirect(url_for("citizen.complaint", complaint_id=complaint_id))


@requires()
def case_evidence(case_type, case_id, evidence_id):
    own = objections.own_objection if case_type == OBJECTION else complaints.own_complaint
    own(g.session.subject_id, case_id)
    return evidence_file(case_type, case_id, evidence_id)


@requires()
def messages():
    """The inbox; opening it marks what it shows as read."""
    page = load(PageQuerySchema(), request.args.to_dict())["page"]
    found = case_log.messages(g.session.subject_id, page)
    unread_ids = [message.id for message in found.items if message.read_at is None]
    case_log.mark_shown_read(g.session.subject_id, unread_ids, utcnow())
    return render_template("citizen/messages.html", page=found, unread_ids=set(unread_ids), number=page)


_FIELD_NAMES = {"type": "异议类型", "statement": "情况说明", "content": "内容", "kind": "类别", "entry_id": "名单条目",
                "attempt_id": "扫码记录", "evidence": "照片或文件", "score": "评分", "comment": "评价"}


def _problem(refused: DomainError) -> str:
    """A refusal in words a citizen reads: the message and, per field, its Chinese name and what is wrong."""
    fields = refused.fields or {}
    details = "；".join(f"{_FIELD_NAMES.get(name, name)}：{problem}" for name, problem in fields.items())
    return refused.message + (f"（{details}）" if details else "")
