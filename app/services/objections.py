"""Objections to list status (名单异议): filing, review, decisions that change the list in the same transaction."""
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app

from app.domain import workdays
from app.domain.cases import DECIDED_OBJECTION, NEEDS_ATTEMPT, NEEDS_ENTRY, OBJECTION, OPEN_OBJECTION
from app.domain.dates import chinese_date, local_date
from app.domain.lists import ACTIVE, listing_expiry
from app.domain.roles import admin_actor, citizen_actor
from app.errors import Conflict, DomainError, NotFound
from app.extensions import db
from app.logs import log_event
from app.models import DishonestyRecord, ListCategory, ListEntry, Objection, ScanAttempt
from app.services import audit, dishonesty, evidence, quotas
from app.services.case_log import commit_with_files, log_step, move


@dataclass(frozen=True)
class Correction:
    """补录/更正: the category and recognition date an upheld objection writes into the list."""

    category: str
    recognized_on: dt.date


def file_objection(subject_id: int, type_: str, statement: str, entry_id: int | None, attempt_id: int | None,
                   uploads: list[tuple[str, bytes]], now: dt.datetime) -> Objection:
    """File an objection; the entry it names shows "under objection" at once. References must be the citizen's own."""
    quotas.check_filing(OBJECTION, subject_id, uploads, now)
    if type_ in NEEDS_ENTRY and entry_id is None:
        raise DomainError("entry_required", "请选择有异议的名单条目", fields={"entry_id": "必填"})
    if type_ in NEEDS_ATTEMPT and attempt_id is None:
        raise DomainError("attempt_required", "请选择被拒绝的扫码记录", fields={"attempt_id": "必填"})
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
    log_step(OBJECTION, objection.id, subject_id, None, "submitted", citizen_actor(subject_id))
    commit_with_files(evidence.attach(OBJECTION, objection.id, files))
    return objection


def entries_under_objection(subject_id: int) -> set[int]:
    return set(db.session.scalars(sa.select(Objection.entry_id).where(
        Objection.subject_id == subject_id, Objection.entry_id.is_not(None), Objection.status.in_(OPEN_OBJECTION))))


def own_objection(subject_id: int, objection_id: int) -> Objection:
    objection = db.session.get(Objection, objection_id)
    if objection is None or objection.subject_id != subject_id:
        raise NotFound("objection_not_found", "异议不存在")
    return objection


def get_objection(objection_id: int) -> Objection:
    objection = db.session.get(Objection, objection_id)
    if objection is None:
        raise NotFound("objection_not_found", "异议不存在")
    return objection


def start_review(objection_id: int, account_id: int) -> Objection:
    """受理: submitted → under review."""
    objection = get_objection(objection_id)
    move(Objection, objection_id, ("submitted",), "under_review")
    log_step(OBJECTION, objection_id, objection.subject_id, "submitted", "under_review", admin_actor(account_id))
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
    blocking = dishonesty.blocking_records(objection.subject_id, today)
    if withdraw_record_ids is not None:
        unknown = set(withdraw_record_ids) - {record.id for record in blocking}
        if unknown:
            raise DomainError("invalid_record", "只能撤销该主体仍在生效的严重失信记录",
                              fields={"withdraw_record_ids": f"无效：{', '.join(map(str, sorted(unknown)))}"})
        withdraws = [record for record in blocking if record.id in withdraw_record_ids]
    elif objection.type == "wrongly_suspended" and objection.entry is not None:
        withdraws = [record for record in blocking if record.id == objection.entry.suspended_by_record_id]
    else:
        withdraws = []
    return UpheldEffects(withdraws, [record for record in blocking if record not in withdraws])


def decide_objection(objection_id: int, outcome: str, reason: str | None, account_id: int, now: dt.datetime,
                     correction: Correction | None = None,
                     withdraw_record_ids: Sequence[int] | None = None) -> Objection:
    """Uphold or reject (a rejection needs a reason); an upheld objection changes the list in the same transaction."""
    if outcome == "rejected" and not reason:
        raise DomainError("reason_required", "异议不成立时必须说明理由", fields={"reason": "必填"})
    objection = get_objection(objection_id)
    actor = admin_actor(account_id)
    previous = move(Objection, objection_id, OPEN_OBJECTION, outcome, decision_reason=reason,
                    decided_by=account_id, decided_at=now)
    changes, note = {}, reason
    if outcome == "upheld":
        effects = upheld_effects(objection, local_date(now), withdraw_record_ids)
        changes = _apply_upheld(objection, correction, effects, actor, local_date(now))
        if effects.still_blocked_by:
            record = effects.still_blocked_by[0]
            note = "；".join(filter(None, [reason, (
                f"您仍有严重失信记录（{record.authority}，{chinese_date(record.recorded_on)}认定），守信激励资格暂不能恢复，"
                "完成信用修复后将自动恢复")]))
    log_step(OBJECTION, objection_id, objection.subject_id, previous, outcome, actor, note)
    audit.record(actor, f"objection.{outcome}", "objection", objection_id, reason=reason, **changes)
    db.session.commit()
    log_event("objection_decided", objection_id=objection_id, outcome=outcome, account_id=account_id)
    db.session.refresh(objection)
    return objection


def _apply_upheld(objection: Objection, correction: Correction | None, effects: UpheldEffects, actor: str,
                  today: dt.date) -> dict[str, Any]:
    """Withdraw the records found wrong, restore, correct or add the entry, and mark a wrongly refused scan;
    returns what changed for the audit log."""
    changes: dict[str, Any] = {}
    if objection.attempt_id is not None:
        db.session.execute(sa.update(ScanAttempt).where(ScanAttempt.id == objection.attempt_id)
                           .values(overturned_by_objection_id=objection.id))
        changes["overturned_attempt_id"] = objection.attempt_id
    if effects.withdraws:
        dishonesty.withdraw_records(effects.withdraws, objection.id, actor, today)
        changes["withdrawn_record_ids"] = [record.id for record in effects.withdraws]
    entry = _corrected_entry(objection, correction, changes)
    if entry is not None and (entry.status != ACTIVE or effects.still_blocked_by):
        if entry.status != ACTIVE:
            changes["previous_status"] = entry.status
        if effects.still_blocked_by:
            dishonesty.suspend_entry(entry, effects.still_blocked_by[0])
            changes["still_blocked_by_record_ids"] = [record.id for record in effects.still_blocked_by]
        else:
            entry.status, entry.status_reason, entry.suspended_by_record_id = ACTIVE, None, None
            changes.setdefault("restored_entry_id", entry.id)
    restored = dishonesty.lift_suspensions(objection.subject_id, today)
    if restored:
        changes["restored_entry_ids"] = restored
    return changes


def _corrected_entry(objection: Objection, correction: Correction | None, changes: dict[str, Any]) -> ListEntry | None:
    """The objection's entry as the correction leaves it: corrected, added, or as it was."""
    entry = objection.entry
    if correction is None:
        if objection.type == "not_listed":
            raise DomainError("correction_required", "异议成立需补录名单：请给出名单类别和认定日期",
                              fields={"correction": "category 与 recognized_on 必填"})
        return entry
    category = db.session.scalar(sa.select(ListCategory).where(ListCategory.code == correction.category))
    if category is None or category.kind != objection.subject.kind:
        raise DomainError("invalid_category", "名单类别不存在或与主体类型不符",
                          fields={"correction": "category 无效"})
    if entry is None:
        entry = ListEntry(subject_id=objection.subject_id, category_id=category.id,
                          recognized_on=correction.recognized_on,
                          expires_on=listing_expiry(correction.recognized_on), status=ACTIVE)
        db.session.add(entry)
        db.session.flush()
        changes["added_entry_id"] = entry.id
    else:
        changes["corrected_entry_id"] = entry.id
        entry.category_id, entry.recognized_on = category.id, correction.recognized_on
        entry.expires_on = listing_expiry(correction.recognized_on)
    return entry


def close_objection(objection_id: int, account_id: int) -> Objection:
    """办结: a decided objection is closed."""
    objection = get_objection(objection_id)
    previous = move(Objection, objection_id, DECIDED_OBJECTION, "closed")
    log_step(OBJECTION, objection_id, objection.subject_id, previous, "closed", admin_actor(account_id))
    db.session.commit()
    db.session.refresh(objection)
    return objection
