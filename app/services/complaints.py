"""Complaints and suggestions (投诉建议): filing, hand-over to a reviewer, reply, the citizen's rating."""
import datetime as dt

from flask import current_app

from app.domain import workdays
from app.domain.cases import COMPLAINT, OPEN_COMPLAINT
from app.domain.measures import PENDING
from app.domain.roles import REVIEWERS, admin_actor, citizen_actor
from app.errors import Conflict, DomainError, NotFound
from app.extensions import db
from app.logs import log_event
from app.models import Account, Complaint, Measure, Redemption, Venue
from app.services import audit, evidence, quotas
from app.services.case_log import commit_with_files, log_step, move


def file_complaint(subject_id: int, kind: str, content: str, venue_id: int | None, measure_id: int | None,
                   redemption_id: int | None, uploads: list[tuple[str, bytes]], now: dt.datetime) -> Complaint:
    """File a complaint or suggestion about a venue, a measure or one of the citizen's own redemptions."""
    quotas.check_filing(COMPLAINT, subject_id, uploads, now)
    if redemption_id is not None:
        redemption = db.session.get(Redemption, redemption_id)
        if redemption is None or redemption.subject_id != subject_id:
            raise NotFound("redemption_not_found", "核销记录不存在")
        venue_id, measure_id = venue_id or redemption.venue_id, measure_id or redemption.measure_id
    if venue_id is not None and db.session.get(Venue, venue_id) is None:
        raise NotFound("venue_not_found", "实施单位不存在")
    measure = db.session.get(Measure, measure_id) if measure_id is not None else None
    if measure_id is not None and (measure is None or measure.status == PENDING):
        raise NotFound("measure_not_found", "激励措施不存在")
    files = evidence.inspect_all(uploads)
    complaint = Complaint(subject_id=subject_id, kind=kind, content=content, venue_id=venue_id, measure_id=measure_id,
                          redemption_id=redemption_id, status="submitted", created_at=now,
                          due_at=workdays.due_at(now, current_app.config["COMPLAINT_REPLY_WORKING_DAYS"]))
    db.session.add(complaint)
    db.session.flush()
    log_step(COMPLAINT, complaint.id, subject_id, None, "submitted", citizen_actor(subject_id))
    commit_with_files(evidence.attach(COMPLAINT, complaint.id, files))
    return complaint


def own_complaint(subject_id: int, complaint_id: int) -> Complaint:
    complaint = db.session.get(Complaint, complaint_id)
    if complaint is None or complaint.subject_id != subject_id:
        raise NotFound("complaint_not_found", "投诉建议不存在")
    return complaint


def get_complaint(complaint_id: int) -> Complaint:
    complaint = db.session.get(Complaint, complaint_id)
    if complaint is None:
        raise NotFound("complaint_not_found", "投诉建议不存在")
    return complaint


def assign_complaint(complaint_id: int, assignee_id: int, account_id: int) -> Complaint:
    """转办: hand a complaint to a reviewer (again, if need be)."""
    assignee = db.session.get(Account, assignee_id)
    if assignee is None or assignee.role not in REVIEWERS or not assignee.active:
        raise DomainError("invalid_assignee", "承办人须为在用的审核人员", fields={"assignee_id": "无效"})
    complaint = get_complaint(complaint_id)
    previous = move(Complaint, complaint_id, OPEN_COMPLAINT, "assigned", assignee_id=assignee.id)
    log_step(COMPLAINT, complaint_id, complaint.subject_id, previous, "assigned", admin_actor(account_id),
             f"承办人：{assignee.display_name}")
    db.session.commit()
    db.session.refresh(complaint)
    return complaint


def reply_complaint(complaint_id: int, reply: str, account_id: int, now: dt.datetime) -> Complaint:
    complaint = get_complaint(complaint_id)
    previous = move(Complaint, complaint_id, OPEN_COMPLAINT, "replied", reply=reply, replied_at=now)
    log_step(COMPLAINT, complaint_id, complaint.subject_id, previous, "replied", admin_actor(account_id), reply)
    audit.record(admin_actor(account_id), "complaint.reply", "complaint", complaint_id)
    db.session.commit()
    log_event("complaint_replied", complaint_id=complaint_id, account_id=account_id)
    db.session.refresh(complaint)
    return complaint


def rate_complaint(subject_id: int, complaint_id: int, score: int, comment: str | None) -> Complaint:
    """满意度评价: 1–5 after the reply; rating closes the complaint."""
    complaint = own_complaint(subject_id, complaint_id)
    if complaint.status != "replied":
        raise Conflict("not_replied" if complaint.status in OPEN_COMPLAINT else "already_closed",
                       "答复后才能评价" if complaint.status in OPEN_COMPLAINT else "该投诉建议已办结")
    move(Complaint, complaint_id, ("replied",), "closed", rating=score, rating_comment=comment or None)
    log_step(COMPLAINT, complaint_id, subject_id, "replied", "closed", citizen_actor(subject_id),
             f"满意度评价：{score} 分")
    db.session.commit()
    db.session.refresh(complaint)
    return complaint


def close_complaint(complaint_id: int, account_id: int) -> Complaint:
    complaint = get_complaint(complaint_id)
    move(Complaint, complaint_id, ("replied",), "closed")
    log_step(COMPLAINT, complaint_id, complaint.subject_id, "replied", "closed", admin_actor(account_id))
    db.session.commit()
    db.session.refresh(complaint)
    return complaint
