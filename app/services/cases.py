"""Objections (名单异议) and complaints (投诉建议): filing, review states, working-day deadlines, decisions, inbox."""
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app

from app.errors import Conflict, DomainError, NotFound
from app.extensions import db
from app.models import (OBJECTION_TYPES, OPEN_OBJECTION, Account, CaseEvent, Complaint, DishonestyRecord, ListCategory,
                        ListEntry, Measure, Message, Objection, Redemption, ScanAttempt, Venue)
from app.services import audit, evidence, lists, workdays
from app.services.dates import local_date

OPEN_COMPLAINT = ("submitted", "assigned")
PAGE_SIZE = 20
STATEMENT_LIMITS = (5, 2000)
OBJECTION_TITLES = {"submitted": "名单异议已提交", "under_review": "名单异议已受理", "upheld": "名单异议成立",
                    "rejected": "名单异议不成立", "closed": "名单异议已办结"}
COMPLAINT_TITLES = {"submitted": "投诉建议已提交", "assigned": "投诉建议已转办", "replied": "投诉建议已答复",
                    "closed": "投诉建议已办结"}


def citizen_actor(subject_id: int) -> str:
    return f"citizen:{subject_id}"


def _text(value: Any, field: str, limits: tuple[int, int] = STATEMENT_LIMITS) -> str:
    text = (value or "").strip() if isinstance(value, str) else ""
    if not limits[0] <= len(text) <= limits[1]:
        raise DomainError("invalid_request", "请求参数不正确", status=400,
                          fields={field: f"必填，{limits[0]}–{limits[1]} 个字符"})
    return text


def _record(case_type: str, case_id: int, subject_id: int, from_status: str | None, to_status: str, actor: str,
            note: str | None = None) -> None:
    """History row and inbox message for one state change, in the caller's transaction."""
    db.session.add(CaseEvent(case_type=case_type, case_id=case_id, from_status=from_status, to_status=to_status,
                             actor=actor, note=note))
    titles = OBJECTION_TITLES if case_type == "objection" else COMPLAINT_TITLES
    body = f"您的{'名单异议' if case_type == 'objection' else '投诉建议'}（编号 {case_id}）：{titles[to_status]}。"
    db.session.add(Message(subject_id=subject_id, title=titles[to_status], body=body + (f"\n{note}" if note else ""),
                           case_type=case_type, case_id=case_id))


def _move(model, case_id: int, allowed_from: Sequence[str], to_status: str, **values: Any) -> str:
    """Change status only if it is still one of `allowed_from`; a reviewer who lost a race gets 409."""
    current = db.session.scalar(sa.select(model.status).where(model.id == case_id))
    if current is None:
        raise NotFound("case_not_found", "案件不存在")
    result = db.session.execute(sa.update(model).where(model.id == case_id, model.status.in_(allowed_from))
                                .values(status=to_status, **values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        raise Conflict("case_state_changed", "案件状态已被他人更改，请刷新后再操作")
    return current


def _commit_with_files(paths: list[str]) -> None:
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        evidence.remove(paths)
        raise


def history(case_type: str, case_id: int) -> list[CaseEvent]:
    return db.session.scalars(sa.select(CaseEvent).where(CaseEvent.case_type == case_type, CaseEvent.case_id == case_id)
                              .order_by(CaseEvent.at, CaseEvent.id)).all()


def is_overdue(case: Objection | Complaint, now: dt.datetime) -> bool:
    open_states = OPEN_OBJECTION if isinstance(case, Objection) else OPEN_COMPLAINT
    return case.status in open_states and now > case.due_at


# ---- objections --------------------------------------------------------------------------------------------

def file_objection(subject_id: int, type_: Any, statement: Any, entry_id: int | None, attempt_id: int | None,
                   uploads: list[tuple[str, bytes]], now: dt.datetime) -> Objection:
    """File an objection; the entry it names shows "under objection" at once. References must be the citizen's own."""
    if type_ not in OBJECTION_TYPES:
        raise DomainError("invalid_request", "请求参数不正确", status=400, fields={"type": "可选：" + ", ".join(OBJECTION_TYPES)})
    statement = _text(statement, "statement")
    if type_ in ("wrong_entry", "wrongly_suspended") and entry_id is None:
        raise DomainError("invalid_request", "请选择有异议的名单条目", status=400, fields={"entry_id": "必填"})
    if type_ == "scan_refused" and attempt_id is None:
        raise DomainError("invalid_request", "请选择被拒绝的扫码记录", status=400, fields={"attempt_id": "必填"})
    if entry_id is not None:
        entry = db.session.get(ListEntry, entry_id)
        if entry is None or entry.subject_id != subject_id:
            raise NotFound("entry_not_found", "名单条目不存在")
        if entry_id in entries_under_objection(subject_id):
            raise Conflict("objection_already_open", "该名单条目已有正在处理的异议")
    if attempt_id is not None:
        attempt = db.session.get(ScanAttempt, attempt_id)
        if attempt is None or attempt.subject_id != subject_id:
            raise NotFound("attempt_not_found", "扫码记录不存在")
        if attempt.valid:
            raise DomainError("attempt_not_refused", "该次扫码并未被拒绝")
    files = evidence.inspect_all(uploads)
    objection = Objection(subject_id=subject_id, type=type_, entry_id=entry_id, attempt_id=attempt_id,
                          statement=statement, created_at=now, status="submitted",
                          due_at=workdays.due_at(now, current_app.config["OBJECTION_DECISION_WORKING_DAYS"]))
    db.session.add(objection)
    db.session.flush()
    _record("objection", objection.id, subject_id, None, "submitted", citizen_actor(subject_id))
    _commit_with_files(evidence.attach("objection", objection.id, files))
    return objection


def entries_under_objection(subject_id: int) -> set[int]:
    return set(db.session.scalars(sa.select(Objection.entry_id).where(
        Objection.subject_id == subject_id, Objection.entry_id.is_not(None), Objection.status.in_(OPEN_OBJECTION))))


def own_objection(subject_id: int, objection_id: int) -> Objection:
    objection = db.session.get(Objection, objection_id)
    if objection is None or objection.subject_id != subject_id:
        raise NotFound("objection_not_found", "异议不存在")
    return objection


def own_objections(subject_id: int) -> list[Objection]:
    return db.session.scalars(sa.select(Objection).where(Objection.subject_id == subject_id)
                              .order_by(Objection.created_at.desc(), Objection.id.desc())).all()


def get_objection(objection_id: int) -> Objection:
    objection = db.session.get(Objection, objection_id)
    if objection is None:
        raise NotFound("objection_not_found", "异议不存在")
    return objection


def review_queue(model, status: str | None, overdue: bool, now: dt.datetime, page: int):
    """Cases for reviewers, earliest deadline first; `overdue` keeps open cases past their deadline."""
    open_states = OPEN_OBJECTION if model is Objection else OPEN_COMPLAINT
    query = sa.select(model).order_by(model.due_at, model.id)
    if status:
        query = query.where(model.status == status)
    if overdue:
        query = query.where(model.status.in_(open_states), model.due_at < now)
    rows = db.session.scalars(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    return rows[:PAGE_SIZE], page + 1 if len(rows) > PAGE_SIZE else None


def start_review(objection_id: int, account_id: int) -> Objection:
    """受理: submitted → under review."""
    objection = get_objection(objection_id)
    _move(Objection, objection_id, ("submitted",), "under_review")
    _record("objection", objection_id, objection.subject_id, "submitted", "under_review", f"admin:{account_id}")
    db.session.commit()
    db.session.refresh(objection)
    return objection


@dataclass(frozen=True)
class UpheldEffects:
    """What upholding an objection does to the subject's standing: shown to the reviewer first, then applied."""

    withdraws: list[DishonestyRecord]
    still_blocked_by: list[DishonestyRecord]

    @property
    def restores_eligibility(self) -> bool:
        return not self.still_blocked_by


def upheld_effects(objection: Objection, today: dt.date,
                   withdraw_record_ids: Sequence[int] | None = None) -> UpheldEffects:
    """The records an upheld decision withdraws (by default, for "wrongly suspended", the one the entry's suspension
    rests on) and those that would still block the subject afterwards."""
    blocking = lists.blocking_records(objection.subject_id, today)
    if withdraw_record_ids is not None:
        unknown = set(withdraw_record_ids) - {record.id for record in blocking}
        if unknown:
            raise DomainError("invalid_request", "只能撤销该主体仍在生效的严重失信记录", status=400,
                              fields={"withdraw_record_ids": f"无效：{', '.join(map(str, sorted(unknown)))}"})
        withdraws = [record for record in blocking if record.id in withdraw_record_ids]
    elif objection.type == "wrongly_suspended" and objection.entry is not None:
        withdraws = [record for record in blocking if record.id == objection.entry.suspended_by_record_id]
    else:
        withdraws = []
    return UpheldEffects(withdraws, [record for record in blocking if record not in withdraws])


def decide_objection(objection_id: int, outcome: Any, reason: Any, account_id: int, now: dt.datetime,
                     correction: dict[str, Any] | None = None,
                     withdraw_record_ids: Sequence[int] | None = None) -> Objection:
    """Uphold or reject; an upheld objection changes the list in the same transaction. Both are audited."""
    if outcome not in ("upheld", "rejected"):
        raise DomainError("invalid_request", "请求参数不正确", status=400, fields={"outcome": "upheld 或 rejected"})
    reason = _text(reason, "reason", (2, 2000)) if outcome == "rejected" or reason else None
    objection = get_objection(objection_id)
    actor = f"admin:{account_id}"
    previous = _move(Objection, objection_id, OPEN_OBJECTION, outcome, decision_reason=reason,
                     decided_by=account_id, decided_at=now)
    changes, notice = {}, reason
    if outcome == "upheld":
        effects = upheld_effects(objection, local_date(now), withdraw_record_ids)
        changes = _apply_upheld(objection, correction or {}, effects, actor, local_date(now))
        if effects.still_blocked_by:
            record = effects.still_blocked_by[0]
            notice = "；".join(filter(None, [reason, (
                f"您仍有严重失信记录（{record.authority}，{_chinese_date(record.recorded_on)}认定），守信激励资格暂不能恢复，"
                "完成信用修复后将自动恢复")]))
    _record("objection", objection_id, objection.subject_id, previous, outcome, actor, notice)
    audit.record(actor, f"objection.{outcome}", "objection", objection_id, reason=reason, **changes)
    db.session.commit()
    db.session.refresh(objection)
    return objection


def _chinese_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _apply_upheld(objection: Objection, correction: dict[str, Any], effects: UpheldEffects, actor: str,
                  today: dt.date) -> dict[str, Any]:
    """Withdraw the records found wrong, restore, correct or add the entry, and mark a wrongly refused scan;
    returns what changed for the audit log."""
    changes: dict[str, Any] = {}
    if objection.attempt_id is not None:
        db.session.execute(sa.update(ScanAttempt).where(ScanAttempt.id == objection.attempt_id)
                           .values(overturned_by_objection_id=objection.id))
        changes["overturned_attempt_id"] = objection.attempt_id
    if effects.withdraws:
        lists.withdraw_records(effects.withdraws, objection.id, actor, today)
        changes["withdrawn_record_ids"] = [record.id for record in effects.withdraws]
    entry = objection.entry
    if correction:
        category, recognized_on = _correction(objection, correction)
        if entry is None:
            entry = ListEntry(subject_id=objection.subject_id, category_id=category.id, recognized_on=recognized_on,
                              expires_on=lists.listing_expiry(recognized_on), status=lists.ACTIVE)
            db.session.add(entry)
            db.session.flush()
            changes["added_entry_id"] = entry.id
        else:
            changes["corrected_entry_id"] = entry.id
            entry.category_id, entry.recognized_on = category.id, recognized_on
            entry.expires_on = lists.listing_expiry(recognized_on)
    elif objection.type == "not_listed":
        raise DomainError("correction_required", "异议成立需补录名单：请给出名单类别和认定日期", status=400,
                          fields={"correction": "category 与 recognized_on 必填"})
    if entry is not None and (entry.status != lists.ACTIVE or effects.still_blocked_by):
        if entry.status != lists.ACTIVE:
            changes["previous_status"] = entry.status
        if effects.still_blocked_by:
            lists.suspend_entry(entry, effects.still_blocked_by[0])
            changes["still_blocked_by_record_ids"] = [record.id for record in effects.still_blocked_by]
        else:
            entry.status, entry.status_reason, entry.suspended_by_record_id = lists.ACTIVE, None, None
            changes.setdefault("restored_entry_id", entry.id)
    restored = lists.lift_suspensions(objection.subject_id, today)
    if restored:
        changes["restored_entry_ids"] = restored
    return changes


def _correction(objection: Objection, correction: dict[str, Any]) -> tuple[ListCategory, dt.date]:
    category = db.session.scalar(sa.select(ListCategory).where(ListCategory.code == correction.get("category")))
    if category is None or category.kind != objection.subject.kind:
        raise DomainError("invalid_request", "名单类别不存在或与主体类型不符", status=400,
                          fields={"correction": "category 无效"})
    try:
        recognized_on = dt.date.fromisoformat(str(correction.get("recognized_on")))
    except ValueError:
        raise DomainError("invalid_request", "认定日期格式应为 YYYY-MM-DD", status=400,
                          fields={"correction": "recognized_on 无效"}) from None
    return category, recognized_on


def close_objection(objection_id: int, account_id: int) -> Objection:
    """办结: a decided objection is closed."""
    objection = get_objection(objection_id)
    previous = _move(Objection, objection_id, ("upheld", "rejected"), "closed")
    _record("objection", objection_id, objection.subject_id, previous, "closed", f"admin:{account_id}")
    db.session.commit()
    db.session.refresh(objection)
    return objection


# ---- complaints --------------------------------------------------------------------------------------------

def file_complaint(subject_id: int, kind: Any, content: Any, venue_id: int | None, measure_id: int | None,
                   redemption_id: int | None, uploads: list[tuple[str, bytes]], now: dt.datetime) -> Complaint:
    """File a complaint or suggestion about a venue, a measure or one of the citizen's own redemptions."""
    if kind not in ("complaint", "suggestion"):
        raise DomainError("invalid_request", "请求参数不正确", status=400, fields={"kind": "complaint 或 suggestion"})
    content = _text(content, "content")
    if redemption_id is not None:
        redemption = db.session.get(Redemption, redemption_id)
        if redemption is None or redemption.subject_id != subject_id:
            raise NotFound("redemption_not_found", "核销记录不存在")
        venue_id, measure_id = venue_id or redemption.venue_id, measure_id or redemption.measure_id
    if venue_id is not None and db.session.get(Venue, venue_id) is None:
        raise NotFound("venue_not_found", "实施单位不存在")
    measure = db.session.get(Measure, measure_id) if measure_id is not None else None
    if measure_id is not None and (measure is None or measure.status == "pending"):
        raise NotFound("measure_not_found", "激励措施不存在")
    files = evidence.inspect_all(uploads)
    complaint = Complaint(subject_id=subject_id, kind=kind, content=content, venue_id=venue_id, measure_id=measure_id,
                          redemption_id=redemption_id, status="submitted", created_at=now,
                          due_at=workdays.due_at(now, current_app.config["COMPLAINT_REPLY_WORKING_DAYS"]))
    db.session.add(complaint)
    db.session.flush()
    _record("complaint", complaint.id, subject_id, None, "submitted", citizen_actor(subject_id))
    _commit_with_files(evidence.attach("complaint", complaint.id, files))
    return complaint


def own_complaint(subject_id: int, complaint_id: int) -> Complaint:
    complaint = db.session.get(Complaint, complaint_id)
    if complaint is None or complaint.subject_id != subject_id:
        raise NotFound("complaint_not_found", "投诉建议不存在")
    return complaint


def own_complaints(subject_id: int) -> list[Complaint]:
    return db.session.scalars(sa.select(Complaint).where(Complaint.subject_id == subject_id)
                              .order_by(Complaint.created_at.desc(), Complaint.id.desc())).all()


def get_complaint(complaint_id: int) -> Complaint:
    complaint = db.session.get(Complaint, complaint_id)
    if complaint is None:
        raise NotFound("complaint_not_found", "投诉建议不存在")
    return complaint


def assign_complaint(complaint_id: int, assignee_id: Any, account_id: int) -> Complaint:
    """转办: hand a complaint to a reviewer (again, if need be)."""
    assignee = db.session.get(Account, assignee_id) if isinstance(assignee_id, int) else None
    if assignee is None or assignee.role not in ("admin", "reviewer") or not assignee.active:
        raise DomainError("invalid_request", "承办人须为在用的审核人员", status=400, fields={"assignee_id": "无效"})
    complaint = get_complaint(complaint_id)
    previous = _move(Complaint, complaint_id, OPEN_COMPLAINT, "assigned", assignee_id=assignee.id)
    _record("complaint", complaint_id, complaint.subject_id, previous, "assigned", f"admin:{account_id}",
            f"承办人：{assignee.display_name}")
    db.session.commit()
    db.session.refresh(complaint)
    return complaint


def reply_complaint(complaint_id: int, reply: Any, account_id: int, now: dt.datetime) -> Complaint:
    reply = _text(reply, "reply", (2, 2000))
    complaint = get_complaint(complaint_id)
    previous = _move(Complaint, complaint_id, OPEN_COMPLAINT, "replied", reply=reply, replied_at=now)
    _record("complaint", complaint_id, complaint.subject_id, previous, "replied", f"admin:{account_id}", reply)
    audit.record(f"admin:{account_id}", "complaint.reply", "complaint", complaint_id)
    db.session.commit()
    db.session.refresh(complaint)
    return complaint


def rate_complaint(subject_id: int, complaint_id: int, score: Any, comment: Any) -> Complaint:
    """满意度评价: 1–5 after the reply; rating closes the complaint."""
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        raise DomainError("invalid_request", "请求参数不正确", status=400, fields={"score": "1–5 的整数"})
    comment = _text(comment, "comment", (0, 500)) if comment else None
    complaint = own_complaint(subject_id, complaint_id)
    if complaint.status != "replied":
        raise Conflict("not_replied" if complaint.status in OPEN_COMPLAINT else "already_closed",
                       "答复后才能评价" if complaint.status in OPEN_COMPLAINT else "该投诉建议已办结")
    _move(Complaint, complaint_id, ("replied",), "closed", rating=score, rating_comment=comment)
    _record("complaint", complaint_id, subject_id, "replied", "closed", citizen_actor(subject_id),
            f"满意度评价：{score} 分")
    db.session.commit()
    db.session.refresh(complaint)
    return complaint


def close_complaint(complaint_id: int, account_id: int) -> Complaint:
    complaint = get_complaint(complaint_id)
    _move(Complaint, complaint_id, ("replied",), "closed")
    _record("complaint", complaint_id, complaint.subject_id, "replied", "closed", f"admin:{account_id}")
    db.session.commit()
    db.session.refresh(complaint)
    return complaint


# ---- inbox -------------------------------------------------------------------------------------------------

def messages(subject_id: int, page: int) -> tuple[list[Message], int | None]:
    rows = db.session.scalars(sa.select(Message).where(Message.subject_id == subject_id)
                              .order_by(Message.created_at.desc(), Message.id.desc())
                              .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    return rows[:PAGE_SIZE], page + 1 if len(rows) > PAGE_SIZE else None


def unread_count(subject_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Message)
                             .where(Message.subject_id == subject_id, Message.read_at.is_(None)))


def mark_read(subject_id: int, message_id: int, now: dt.datetime) -> Message:
    message = db.session.get(Message, message_id)
    if message is None or message.subject_id != subject_id:
        raise NotFound("message_not_found", "消息不存在")
    if message.read_at is None:
        message.read_at = now
        db.session.commit()
    return message
