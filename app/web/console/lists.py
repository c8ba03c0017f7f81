"""The list: looking a subject up (never echoing a searched number), the subject's page and its changes, imports."""
from flask import Response, flash, g, redirect, render_template, request, url_for

from app.api.admin.schemas import DishonestyInputSchema, EntryExtensionSchema, ImportKindSchema, ReasonSchema
from app.domain.dates import today, utcnow
from app.domain.roles import REVIEWERS
from app.http.bodies import load_form
from app.services import dishonesty, imports, lists, sessions, subjects
from app.web.console.access import attempt, current_actor, requires


@requires(*REVIEWERS)
def search():
    """Search by name or by a whole ID number; posted, so a number never lands in a URL, a log or the history."""
    query = request.form.get("q", "").strip() if request.method == "POST" else ""
    found = subjects.search_subjects(query, today()) if query else []
    by_number = any(character.isdigit() for character in query)
    return render_template("console/subjects.html", query="" if by_number else query, searched=bool(query),
                           found=found)


@requires(*REVIEWERS)
def subject(subject_id):
    file = lists.subject_file(subject_id, today())
    return render_template("console/subject.html", subject=file.subject, entries=file.entries, records=file.records,
                           attempts=file.attempts, devices=sessions.citizen_sessions(subject_id, utcnow()))


def _back_to_subject(subject_id: int):
    return redirect(url_for("console.subject", subject_id=subject_id))


@requires("admin")
def extend_entry(subject_id, entry_id):
    def extend():
        form = load_form(EntryExtensionSchema())
        lists.extend_entry(entry_id, form["expires_on"], form["reason"], current_actor())

    attempt(extend, "已延期")
    return _back_to_subject(subject_id)


@requires("admin")
def revoke_entry(subject_id, entry_id):
    attempt(lambda: lists.revoke_entry(entry_id, load_form(ReasonSchema())["reason"], current_actor()), "已撤销")
    return _back_to_subject(subject_id)


@requires("admin")
def end_sessions(subject_id):
    """A lost phone or a misuse: every device signed in as this subject is signed out at once (audited)."""
    ended = sessions.end_subject_sessions(subject_id, current_actor(), utcnow())
    flash(f"已结束该主体的 {ended} 个登录，每台设备都须重新登录（微信一键登录须重新核验身份）" if ended
          else "该主体没有登录中的设备（微信一键登录须重新核验身份）", "ok")
    return _back_to_subject(subject_id)


@requires("admin")
def record_dishonesty(subject_id):
    def record():
        form = load_form(DishonestyInputSchema())
        dishonesty.add_record(subjects.get_subject(subject_id), form["recorded_on"], form["authority"],
                              form["summary"], current_actor(), today())

    attempt(record, "已记录严重失信，名单已暂停")
    return _back_to_subject(subject_id)


@requires("admin")
def repair_credit(subject_id, record_id):
    attempt(lambda: dishonesty.repair_credit(record_id, load_form(ReasonSchema())["reason"], current_actor(),
                                             today()), "已完成信用修复")
    return _back_to_subject(subject_id)


@requires("admin", "reporter")
def import_page():
    report = None
    if request.method == "POST":
        kind = load_form(ImportKindSchema())["kind"]
        upload = request.files.get("file")
        department = g.account.department_id if g.account.role == "reporter" else None
        if upload is None or not upload.filename:
            flash("请选择要上传的文件", "error")
        else:
            report = imports.import_file(kind, upload.filename, upload.read(), current_actor(), today(), department)
    return render_template("console/import.html", report=report)


@requires("admin", "reporter")
def import_template(fmt):
    """The standard format (名单信息标准) with Chinese headers and one example row."""
    data, mimetype = imports.template(fmt)
    return Response(data, mimetype=mimetype,
                    headers={"Content-Disposition": f"attachment; filename=list-template.{fmt}"})
