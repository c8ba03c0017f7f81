"""Review queues and case pages for objections and complaints, with one endpoint for each step of handling."""
from flask import g, redirect, render_template, request, url_for

from app.api.admin.schemas import AssignSchema, DecisionFormSchema, ReplySchema, ReviewQuerySchema
from app.domain.cases import COMPLAINT, COMPLAINT_STATES, OBJECTION, OBJECTION_STATES
from app.domain.dates import today, utcnow
from app.domain.roles import REVIEWERS
from app.http.bodies import evidence_file, load, load_form
from app.models import Complaint, Objection
from app.services import accounts, actors, case_log, complaints, dishonesty, objections, subjects
from app.services.objections import Correction
from app.web.console.access import attempt, requires


def _queue_args() -> dict:
    return load(ReviewQuerySchema(), {name: value for name, value in request.args.items() if value})


@requires(*REVIEWERS)
def objections_queue():
    args = _queue_args()
    found = case_log.review_queue(OBJECTION, Objection, args.get("status"), args["overdue"], utcnow(), args["page"])
    return render_template("console/objections.html", page=found, status=args.get("status"),
                           overdue=args["overdue"], states=OBJECTION_STATES)


@requires(*REVIEWERS)
def objection(objection_id):
    case = case_log.view(OBJECTION, objections.get_objection(objection_id), utcnow())
    return render_template("console/objection.html", case=case, actor_names=_names(case),
                           categories=subjects.categories(), effects=objections.upheld_effects(case.case, today()),
                           blocking=dishonesty.blocking_records(case.subject_id, today()))


def _back_to_objection(objection_id: int):
    return redirect(url_for("console.objection", objection_id=objection_id))


@requires(*REVIEWERS)
def review_objection(objection_id):
    attempt(lambda: objections.start_review(objection_id, g.account.id), "已受理")
    return _back_to_objection(objection_id)


@requires(*REVIEWERS)
def decide_objection(objection_id):
    def decide():
        form = load_form(DecisionFormSchema())
        correction = Correction(**form["correction"]) if form.get("correction") else None
        objections.decide_objection(objection_id, form["outcome"], form.get("reason"), g.account.id, utcnow(),
                                    correction, form.get("withdraw_record_ids"))

    attempt(decide, "已作出决定")
    return _back_to_objection(objection_id)


@requires(*REVIEWERS)
def close_objection(objection_id):
    attempt(lambda: objections.close_objection(objection_id, g.account.id), "已办结")
    return _back_to_objection(objection_id)


@requires(*REVIEWERS)
def complaints_queue():
    args = _queue_args()
    found = case_log.review_queue(COMPLAINT, Complaint, args.get("status"), args["overdue"], utcnow(), args["page"])
    return render_template("console/complaints.html", page=found, status=args.get("status"),
                           overdue=args["overdue"], states=COMPLAINT_STATES)


@requires(*REVIEWERS)
def complaint(complaint_id):
    case = case_log.view(COMPLAINT, complaints.get_complaint(complaint_id), utcnow())
    return render_template("console/complaint.html", case=case, actor_names=_names(case),
                           reviewers=accounts.reviewers())


def _names(case) -> dict[str, str]:
    return actors.names(step.actor for step in case.history)


def _back_to_complaint(complaint_id: int):
    return redirect(url_for("console.complaint", complaint_id=complaint_id))


@requires(*REVIEWERS)
def assign_complaint(complaint_id):
    attempt(lambda: complaints.assign_complaint(complaint_id, load_form(AssignSchema())["assignee_id"],
                                                g.account.id), "已转办")
    return _back_to_complaint(complaint_id)


@requires(*REVIEWERS)
def reply_complaint(complaint_id):
    attempt(lambda: complaints.reply_complaint(complaint_id, load_form(ReplySchema())["reply"], g.account.id,
                                               utcnow()), "已答复")
    return _back_to_complaint(complaint_id)


@requires(*REVIEWERS)
def close_complaint(complaint_id):
    attempt(lambda: complaints.close_complaint(complaint_id, g.account.id), "已办结")
    return _back_to_complaint(complaint_id)


@requires(*REVIEWERS)
def case_evidence(case_type, case_id, evidence_id):
    """The evidence viewer: images inline in the case page (or downloaded with ?download=1), PDFs only downloaded."""
    response = evidence_file(case_type, case_id, evidence_id, inline_image=request.args.get("download") != "1")
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'"
    return response
