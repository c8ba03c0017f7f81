"""The list over JSON: looking subjects up (a number only in a body, never in a URL), a subject's file, the credit
office's changes to entries and dishonesty records, and list imports."""
from flask import g, request
from flask_smorest import Blueprint

from app.api.admin.schemas import (
    DishonestyInputSchema,
    EntryExtensionSchema,
    ImportReportSchema,
    ImportUploadSchema,
    ReasonSchema,
    RecordAdminSchema,
    SubjectFileSchema,
    SubjectListSchema,
    SubjectNameQuerySchema,
    SubjectSearchSchema,
)
from app.domain.dates import today, utcnow
from app.domain.roles import REVIEWERS
from app.errors import DomainError
from app.http.auth import current_actor, login_required, no_store
from app.http.bodies import load_form
from app.http.schemas import SessionsEndedSchema
from app.services import dishonesty, imports, lists, sessions, subjects

blp = Blueprint("admin_lists", __name__, url_prefix="/api/v1/admin", description="管理端：名单查询、名单变更与导入")
blp.after_request(no_store)
reviewers = login_required("admin", REVIEWERS)
administrators = login_required("admin", ("admin",))


@blp.route("/subjects")
@reviewers
@blp.arguments(SubjectNameQuerySchema, location="query", as_kwargs=True)
@blp.response(200, SubjectListSchema)
def search_by_name(q):
    """By part of the name. A whole ID number is refused here (it would sit in logs and histories): numbers go in a
    body (POST /subjects/search)."""
    if subjects.is_id_number(q, today()):
        raise DomainError("number_in_url", "证件号码不能放在网址中，请用 POST /api/v1/admin/subjects/search 查询",
                          fields={"q": "只接受名称"})
    return {"items": subjects.search_subjects(q, today())}


@blp.route("/subjects/search", methods=["POST"])
@reviewers
@blp.arguments(SubjectSearchSchema)
@blp.response(200, SubjectListSchema)
def search(body):
    """By a whole ID number (compared as its keyed hash, never echoed) or by part of the name."""
    return {"items": subjects.search_subjects(body["q"], today())}


@blp.route("/subjects/<id:subject_id>")
@reviewers
@blp.response(200, SubjectFileSchema)
def subject(subject_id):
    return lists.subject_file(subject_id, today())


@blp.route("/subjects/<id:subject_id>/entries/<id:entry_id>/extend", methods=["POST"])
@administrators
@blp.arguments(EntryExtensionSchema)
@blp.response(200, SubjectFileSchema)
def extend(body, subject_id, entry_id):
    _entry_of(subject_id, entry_id)
    lists.extend_entry(entry_id, body["expires_on"], body["reason"], current_actor())
    return lists.subject_file(subject_id, today())


@blp.route("/subjects/<id:subject_id>/entries/<id:entry_id>/revoke", methods=["POST"])
@administrators
@blp.arguments(ReasonSchema)
@blp.response(200, SubjectFileSchema)
def revoke(body, subject_id, entry_id):
    _entry_of(subject_id, entry_id)
    lists.revoke_entry(entry_id, body["reason"], current_actor())
    return lists.subject_file(subject_id, today())


@blp.route("/subjects/<id:subject_id>/dishonesty", methods=["POST"])
@administrators
@blp.arguments(DishonestyInputSchema)
@blp.response(201, RecordAdminSchema)
def record(body, subject_id):
    """A serious dishonesty record: the subject's live entries are suspended at once."""
    return dishonesty.add_record(subjects.get_subject(subject_id), body["recorded_on"], body["authority"],
                                 body["summary"], current_actor(), today())


@blp.route("/subjects/<id:subject_id>/dishonesty/<id:record_id>/repair", methods=["POST"])
@administrators
@blp.arguments(ReasonSchema)
@blp.response(200, RecordAdminSchema)
def repair(body, subject_id, record_id):
    """信用修复: entries the record suspended come back once nothing else blocks."""
    if record_id not in {found.id for found in subjects.get_subject(subject_id).dishonesty_records}:
        raise DomainError("record_not_found", "失信记录不存在", status=404)
    return dishonesty.repair_credit(record_id, body["reason"], current_actor(), today())


@blp.route("/subjects/<id:subject_id>/sessions/revoke", methods=["POST"])
@administrators
@blp.response(200, SessionsEndedSchema)
def end_sessions(subject_id):
    """End every live session of the subject at once (a lost phone, a misuse): each device must sign in again, and a
    WeChat account bound for one-tap sign-in must prove the identity again."""
    return {"ended": sessions.end_subject_sessions(subject_id, current_actor(), utcnow())}


def _entry_of(subject_id: int, entry_id: int) -> None:
    if entry_id not in {entry.id for entry in subjects.get_subject(subject_id).entries}:
        raise DomainError("entry_not_found", "名单条目不存在", status=404)


@blp.route("/imports", methods=["POST"])
@login_required("admin", ("admin", "reporter"))
@blp.doc(requestBody={"required": True, "content": {"multipart/form-data": {"schema": ImportUploadSchema}}})
@blp.response(200, ImportReportSchema)
def upload():
    """A list file (or, for administrators, a dishonesty file) in the standard format; the row report comes back.
    Department reporters import their own categories only."""
    kind = load_form(ImportUploadSchema(only=("kind",)))["kind"]
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise DomainError("invalid_request", "请上传 CSV 或 XLSX 文件", status=400, fields={"file": "必填"})
    department = g.account.department_id if g.account.role == "reporter" else None
    return imports.import_file(kind, upload.filename, upload.read(), current_actor(), today(), department)
