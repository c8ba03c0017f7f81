"""The administrator console (管理后台): server-rendered pages over the same services as the JSON API."""
import datetime as dt
import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import (Blueprint, Response, current_app, flash, g, redirect, render_template, request, send_file, session,
                   url_for)

from app.errors import DomainError, Forbidden
from app.extensions import limiter
from app.models import SUBJECT_KINDS, Complaint, Objection, utcnow
from app.services import accounts, audit, cases, evidence, imports, lists, measures, sessions, stats
from app.services.dates import LOCAL_TZ, today
from app.services.grades import GRADES
from app.services.identity import mask_name

bp = Blueprint("console", __name__, url_prefix="/admin", template_folder="../templates")

REVIEWERS = ("admin", "reviewer")
ROLE_NAMES = {"admin": "管理员", "reviewer": "审核员", "reporter": "报送单位", "staff": "柜台人员"}
STATUS_NAMES = {"submitted": "已提交", "under_review": "审核中", "upheld": "异议成立", "rejected": "异议不成立",
                "closed": "已办结", "assigned": "已转办", "replied": "已答复", "active": "有效", "expired": "已过期",
                "suspended": "已暂停", "revoked": "已撤销", "published": "已发布", "pending": "待审核",
                "withdrawn": "已停止"}
REASON_NAMES = {"token_malformed": "非本平台二维码", "token_bad_signature": "签名无效", "token_expired": "二维码过期",
                "token_used": "二维码已使用", "not_listed": "未列入名单", "listing_expired": "名单已过期",
                "listing_suspended": "名单已暂停", "excluded_dishonest": "严重失信", "under_objection": "异议处理中",
                "no_applicable_measure": "无适用措施", "measure_withdrawn": "措施已停止",
                "measure_not_at_venue": "非本单位措施", "grade_too_low": "信用等级不足"}
OBJECTION_TYPE_NAMES = {"not_listed": "未列入名单", "wrong_entry": "名单信息有误", "wrongly_suspended": "被错误暂停",
                        "scan_refused": "扫码被拒", "other": "其他"}


# ---- authentication -----------------------------------------------------------------------------------------

def roles(*allowed: str) -> Callable:
    """A console page for these roles; anyone else is sent to log in (no session) or refused (wrong role)."""
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            try:
                g.session = sessions.authenticate(session.get("token"), "admin", utcnow())
            except sessions.Unauthenticated:
                session.clear()
                return redirect(url_for("console.login", next=request.full_path))
            g.account = accounts.get_account(g.session.account_id)
            if g.account.role not in allowed:
                raise Forbidden("forbidden_role", "当前角色无权访问此页面")
            return view(*args, **kwargs)
        return wrapper
    return decorator


def actor() -> str:
    return f"admin:{g.account.id}"


def attempt(action: Callable[[], Any], success: str) -> bool:
    """Run a service call for a form; its refusal becomes a message on the page instead of an error page."""
    try:
        action()
    except DomainError as refused:
        flash(refused.message + "".join(f"（{k}：{v}）" for k, v in (refused.fields or {}).items()), "error")
        return False
    flash(success, "ok")
    return True


@bp.app_context_processor
def console_helpers() -> dict[str, Any]:
    return {"ROLE_NAMES": ROLE_NAMES, "STATUS_NAMES": STATUS_NAMES, "OBJECTION_TYPE_NAMES": OBJECTION_TYPE_NAMES,
            "REASON_NAMES": REASON_NAMES,
            "mask_name": mask_name, "local_time": lambda moment: moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
            if moment else "", "SCENARIOS": measures.SCENARIOS}


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["CONSOLE_LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    if request.method == "POST":
        try:
            account, token, _ = sessions.login_account(request.form.get("username", ""),
                                                       request.form.get("password", ""), "admin", utcnow())
        except sessions.Unauthenticated as refused:
            flash(refused.message, "error")
            return render_template("console/login.html"), 401
        session.clear()
        session["token"] = token
        target = request.args.get("next", "")
        home = "console.import_page" if account.role == "reporter" else "console.dashboard"
        return redirect(target if target.startswith("/admin/") else url_for(home))
    return render_template("console/login.html")


@bp.route("/logout", methods=["POST"])
@roles("admin", "reviewer", "reporter")
def logout():
    sessions.revoke(g.session, utcnow())
    session.clear()
    return redirect(url_for("console.login"))


@bp.route("/")
@roles("admin", "reviewer", "reporter")
def home():
    return redirect(url_for("console.import_page" if g.account.role == "reporter" else "console.dashboard"))


# ---- dashboard ---------------------------------------------------------------------------------------------

def _date_arg(name: str, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return default


def _range() -> tuple[dt.date, dt.date]:
    end = _date_arg("end", today())
    start = _date_arg("start", end - dt.timedelta(days=29))
    if start > end or (end - start).days > 366:
        raise DomainError("invalid_range", "日期范围无效（起始不晚于结束，且不超过一年）", status=400)
    return start, end


def _chart(series: dict[str, dict[dt.date, int]], width: int = 760, height: int = 220) -> dict[str, Any]:
    """Polyline points for an inline SVG chart: one line per scenario."""
    days = next(iter(series.values())).keys() if series else []
    peak = max([max(counts.values()) for counts in series.values()] + [1])
    step = width / max(len(days) - 1, 1)
    lines = [{"scenario": scenario, "total": sum(counts.values()),
              "points": " ".join(f"{index * step:.1f},{height - count / peak * height:.1f}"
                                 for index, count in enumerate(counts.values()))}
             for scenario, counts in series.items()]
    return {"lines": lines, "peak": peak, "width": width, "height": height,
            "first": min(days) if days else None, "last": max(days) if days else None}


@bp.route("/dashboard")
@roles(*REVIEWERS)
def dashboard():
    start, end = _range()
    return render_template("console/dashboard.html", start=start, end=end,
                           chart=_chart(stats.redemptions_by_day(start, end)),
                           refusals=stats.refusals_by_reason(start, end), cases=stats.cases_by_status(utcnow()))


@bp.route("/export/redemptions.csv")
@roles(*REVIEWERS)
def export_redemptions():
    start, end = _range()
    return Response(stats.export_redemptions(start, end, actor()), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=redemptions-{start}-{end}.csv",
                             "Cache-Control": "no-store"})


# ---- review queues -----------------------------------------------------------------------------------------

def _page() -> int:
    return max(1, request.args.get("page", 1, type=int) or 1)


@bp.route("/objections")
@roles(*REVIEWERS)
def objections():
    status, overdue = request.args.get("status") or None, request.args.get("overdue") == "1"
    items, next_page = cases.review_queue(Objection, status, overdue, utcnow(), _page())
    return render_template("console/objections.html", items=items, next_page=next_page, status=status,
                           overdue=overdue, now=utcnow())


@bp.route("/objections/<int:objection_id>", methods=["GET", "POST"])
@roles(*REVIEWERS)
def objection(objection_id):
    case = cases.get_objection(objection_id)
    if request.method == "POST":
        step = request.form.get("step")
        if step == "review":
            attempt(lambda: cases.start_review(objection_id, g.account.id), "已受理")
        elif step == "decide":
            correction = {key: request.form[f"correction_{key}"] for key in ("category", "recognized_on")
                          if request.form.get(f"correction_{key}")}
            withdraw = [int(value) for value in request.form.getlist("withdraw_record_ids") if value.isdigit()]
            attempt(lambda: cases.decide_objection(objection_id, request.form.get("outcome"),
                                                   request.form.get("reason"), g.account.id, utcnow(), correction,
                                                   withdraw), "已作出决定")
        elif step == "close":
            attempt(lambda: cases.close_objection(objection_id, g.account.id), "已办结")
        return redirect(url_for("console.objection", objection_id=objection_id))
    return render_template("console/objection.html", case=case, history=cases.history("objection", case.id),
                           files=evidence.for_case("objection", case.id), categories=lists.categories(),
                           overdue=cases.is_overdue(case, utcnow()), effects=cases.upheld_effects(case, today()),
                           blocking=lists.blocking_records(case.subject_id, today()))


@bp.route("/complaints")
@roles(*REVIEWERS)
def complaints():
    status, overdue = request.args.get("status") or None, request.args.get("overdue") == "1"
    items, next_page = cases.review_queue(Complaint, status, overdue, utcnow(), _page())
    return render_template("console/complaints.html", items=items, next_page=next_page, status=status,
                           overdue=overdue, now=utcnow())


@bp.route("/complaints/<int:complaint_id>", methods=["GET", "POST"])
@roles(*REVIEWERS)
def complaint(complaint_id):
    case = cases.get_complaint(complaint_id)
    if request.method == "POST":
        step = request.form.get("step")
        if step == "assign":
            attempt(lambda: cases.assign_complaint(complaint_id, request.form.get("assignee_id", type=int),
                                                   g.account.id), "已转办")
        elif step == "reply":
            attempt(lambda: cases.reply_complaint(complaint_id, request.form.get("reply"), g.account.id, utcnow()),
                    "已答复")
        elif step == "close":
            attempt(lambda: cases.close_complaint(complaint_id, g.account.id), "已办结")
        return redirect(url_for("console.complaint", complaint_id=complaint_id))
    return render_template("console/complaint.html", case=case, history=cases.history("complaint", case.id),
                           files=evidence.for_case("complaint", case.id), reviewers=accounts.reviewers(),
                           overdue=cases.is_overdue(case, utcnow()))


@bp.route("/<any(objection, complaint):case_type>/<int:case_id>/evidence/<int:evidence_id>")
@roles(*REVIEWERS)
def evidence_file(case_type, case_id, evidence_id):
    """The evidence viewer: images and PDFs inline in the case page, never executed as anything else."""
    row, path = evidence.load(case_type, case_id, evidence_id)
    response = send_file(path, mimetype=row.content_type, download_name=row.original_name,
                         as_attachment=request.args.get("download") == "1")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; object-src 'self'"
    return response


# ---- lists ---------------------------------------------------------------------------------------------------

@bp.route("/subjects")
@roles(*REVIEWERS)
def subjects():
    query = request.args.get("q", "")
    found = lists.search_subjects(query, today()) if query else []
    by_number = any(character.isdigit() for character in query)
    # A number searched by its hash is never written back into the page.
    return render_template("console/subjects.html", query="" if by_number else query, searched=bool(query),
                           found=found)


@bp.route("/subjects/<int:subject_id>", methods=["GET", "POST"])
@roles(*REVIEWERS)
def subject(subject_id):
    if request.method == "POST":
        if g.account.role != "admin":
            raise Forbidden("forbidden_role", "只有管理员可以修改名单")
        step, reason = request.form.get("step"), request.form.get("reason", "")
        if step == "extend":
            attempt(lambda: lists.extend_entry(request.form.get("entry_id", type=int),
                                               _form_date("expires_on"), reason, actor()), "已延期")
        elif step == "revoke":
            attempt(lambda: lists.revoke_entry(request.form.get("entry_id", type=int), reason, actor()), "已撤销")
        elif step == "record":
            attempt(lambda: lists.add_dishonesty_record(lists.get_subject(subject_id), _form_date("recorded_on"),
                                                        request.form.get("authority", "").strip(),
                                                        request.form.get("summary", ""), actor(), today()),
                    "已记录严重失信，名单已暂停")
        elif step == "repair":
            attempt(lambda: lists.repair_credit(request.form.get("record_id", type=int), reason, actor(), today()),
                    "已完成信用修复")
        return redirect(url_for("console.subject", subject_id=subject_id))
    found = lists.get_subject(subject_id)
    return render_template("console/subject.html", subject=found, today=today(),
                           entries=[(entry, lists.entry_status(entry, today())) for entry in found.entries],
                           attempts=lists.recent_attempts(subject_id))


def _form_date(name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(request.form.get(name, ""))
    except ValueError:
        raise DomainError("invalid_date", "日期格式应为 YYYY-MM-DD", status=400, fields={name: "YYYY-MM-DD"}) from None


@bp.route("/import", methods=["GET", "POST"])
@roles("admin", "reporter")
def import_page():
    report = None
    if request.method == "POST":
        upload = request.files.get("file")
        kind = request.form.get("kind", "list")
        if upload is None or not upload.filename:
            flash("请选择要上传的文件", "error")
        else:
            department = g.account.department_id if g.account.role == "reporter" else None
            if kind == "dishonesty" and department is not None:
                raise Forbidden("forbidden_role", "报送单位只能导入本单位的名单")
            try:
                if kind == "dishonesty":
                    report = imports.import_dishonesty(upload.filename, upload.read(), actor(), today())
                else:
                    report = imports.import_list(upload.filename, upload.read(), actor(), today(),
                                                 department_id=department)
            except imports.FileRefused as refused:
                report = refused.report
    return render_template("console/import.html", report=report)


@bp.route("/import/template.<any(csv, xlsx):fmt>")
@roles("admin", "reporter")
def import_template(fmt):
    """The standard format (名单信息标准) with Chinese headers and one example row."""
    data, mimetype = imports.template(fmt)
    return Response(data, mimetype=mimetype,
                    headers={"Content-Disposition": f"attachment; filename=list-template.{fmt}"})


# ---- measures, venues, staff -------------------------------------------------------------------------------------

@bp.route("/measures", methods=["GET", "POST"])
@roles("admin")
def measure_list():
    if request.method == "POST":
        step, measure_id = request.form.get("step"), request.form.get("measure_id", type=int)
        if step == "approve":
            attempt(lambda: measures.approve(measure_id, actor()), "已批准发布")
        elif step == "withdraw":
            attempt(lambda: measures.withdraw(measure_id, request.form.get("reason", ""), actor(), today()),
                    "已停止实施")
        return redirect(url_for("console.measure_list"))
    return render_template("console/measures.html", items=measures.all_measures())


@bp.route("/measures/new", methods=["GET", "POST"])
@bp.route("/measures/<int:measure_id>", methods=["GET", "POST"])
@roles("admin")
def measure_form(measure_id=None):
    current = measures.get_measure(measure_id) if measure_id else None
    if request.method == "POST":
        saved = attempt(lambda: _save_measure(current), "已保存")
        if saved:
            return redirect(url_for("console.measure_list"))
    return render_template("console/measure_form.html", measure=current, venues=measures.venues(),
                           grades=GRADES, kinds=SUBJECT_KINDS, categories=lists.categories(), form=request.form)


def _save_measure(current) -> None:
    form = request.form
    try:
        benefit = json.loads(form.get("benefit", "{}"))
        valid_to = dt.date.fromisoformat(form["valid_to"]) if form.get("valid_to") else None
        fields = dict(title=form.get("title", "").strip(), description=form.get("description", ""),
                      benefit=benefit, valid_to=valid_to, min_grade=form.get("min_grade") or None,
                      category_codes=form.getlist("categories"))
        valid_from = dt.date.fromisoformat(form.get("valid_from") or today().isoformat())
    except ValueError:
        raise DomainError("invalid_request", "优惠内容须为 JSON，日期须为 YYYY-MM-DD", status=400) from None
    if not isinstance(benefit, dict) or not fields["title"]:
        raise DomainError("invalid_request", "名称必填，优惠内容须为 JSON 对象", status=400)
    if current:
        measures.update(current.id, actor(), **fields)
    else:
        measures.apply(actor(), code=form.get("code", "").strip(), scenario=form.get("scenario", ""),
                       provider=measures.get_venue(form.get("provider_id", type=int)), kinds=form.getlist("kinds"),
                       valid_from=valid_from, **fields)


@bp.route("/venues", methods=["GET", "POST"])
@roles("admin")
def venue_list():
    if request.method == "POST":
        attempt(lambda: measures.save_venue(actor(), request.form.get("code", ""), request.form.get("name", ""),
                                            request.form.get("scenario", ""), request.form.get("address", ""),
                                            request.form.get("venue_id", type=int)), "已保存")
        return redirect(url_for("console.venue_list"))
    return render_template("console/venues.html", items=measures.venues())


@bp.route("/accounts", methods=["GET", "POST"])
@roles("admin")
def account_list():
    if request.method == "POST":
        step = request.form.get("step")
        if step == "create":
            attempt(lambda: accounts.create_account(
                request.form.get("username", ""), request.form.get("password", ""), request.form.get("role", ""),
                actor(), venue_id=request.form.get("venue_id", type=int),
                department_id=request.form.get("department_id", type=int),
                display_name=request.form.get("display_name", "")), "账号已创建")
        elif step in ("disable", "enable"):
            attempt(lambda: accounts.set_active(request.form.get("account_id", type=int), step == "enable", actor()),
                    "已停用" if step == "disable" else "已启用")
        return redirect(url_for("console.account_list"))
    return render_template("console/accounts.html", items=accounts.all_accounts(), venues=measures.venues(),
                           departments=lists.departments())


def _day_start(day: dt.date | None) -> dt.datetime | None:
    return dt.datetime.combine(day, dt.time(), tzinfo=LOCAL_TZ) if day else None


# ---- audit log ---------------------------------------------------------------------------------------------------

@bp.route("/audit")
@roles("admin")
def audit_log():
    start, end = _date_arg("start", None), _date_arg("end", None)
    items, next_page = audit.events(request.args.get("actor") or None, request.args.get("action") or None,
                                    _day_start(start), _day_start(end + dt.timedelta(days=1)) if end else None, _page())
    next_url = url_for("console.audit_log", **(request.args.to_dict() | {"page": next_page})) if next_page else None
    return render_template("console/audit.html", items=items, next_url=next_url, args=request.args)
