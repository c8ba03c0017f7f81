"""Daily quotas per citizen — cases filed, evidence uploaded, offline code batches — counted in the database over the
Beijing day and checked before anything is decoded or written, so one account can neither fill the disk nor keep the
workers busy."""
import datetime as dt

import sqlalchemy as sa
from flask import current_app

from app.domain.cases import COMPLAINT, OBJECTION
from app.domain.dates import local_day_bounds
from app.errors import DomainError
from app.extensions import db
from app.models import CodeBatch, Complaint, Evidence, Objection
from app.models.codes import OFFLINE

# case type → its model, the setting of its daily count, and what the citizen calls it
_CASES: dict[str, tuple[type[Objection] | type[Complaint], str, str]] = {
    OBJECTION: (Objection, "OBJECTIONS_PER_DAY", "名单异议"),
    COMPLAINT: (Complaint, "COMPLAINTS_PER_DAY", "投诉建议")}
MEGABYTE = 1024 * 1024


def check_filing(case_type: str, subject_id: int, uploads: list[tuple[str, bytes]], now: dt.datetime) -> None:
    """Refuse (429) one more case than the citizen's daily count, or files past their daily evidence bytes (the
    day's evidence counted as stored, this request's files as sent)."""
    model, setting, what = _CASES[case_type]
    start, end = local_day_bounds(now)
    limit = current_app.config[setting]
    filed = db.session.execute(sa.select(sa.func.count()).select_from(model).where(
        model.subject_id == subject_id, model.created_at >= start, model.created_at < end)).scalar_one()
    if filed >= limit:
        raise DomainError("quota_cases_per_day", f"今日提交{what}的次数已达上限（{limit} 次），请明天再试", status=429)
    incoming = sum(len(data) for _, data in uploads)
    if not incoming:
        return
    allowed = current_app.config["EVIDENCE_BYTES_PER_DAY"]
    left = max(0, allowed - _evidence_bytes(subject_id, start, end))
    if incoming > left:
        raise DomainError("quota_evidence_bytes", f"每天上传的证据材料不能超过 {allowed / MEGABYTE:g} MB，"
                          f"今日还可上传 {left / MEGABYTE:.1f} MB，请减少文件或明天再试", status=429,
                          fields={"evidence": f"本次文件共 {incoming / MEGABYTE:.1f} MB，超过今日余量"})


def _evidence_bytes(subject_id: int, start: dt.datetime, end: dt.datetime) -> int:
    """The bytes stored for the evidence of the subject's cases filed in [start, end): one query over both kinds."""
    sizes = sa.union_all(*(
        sa.select(Evidence.size)
        .join(model, sa.and_(Evidence.case_type == case_type, Evidence.case_id == model.id))
        .where(model.subject_id == subject_id, model.created_at >= start, model.created_at < end)
        for case_type, (model, _, _) in _CASES.items())).subquery()
    return int(db.session.execute(sa.select(sa.func.coalesce(sa.func.sum(sizes.c.size), 0))).scalar_one())


def check_code_batches(subject_id: int, now: dt.datetime) -> None:
    """Refuse (429) one more batch of offline codes than the citizen's daily count: each is rows kept until its codes
    lapse, and a phone needs a few a day (the ones it holds stay usable)."""
    start, end = local_day_bounds(now)
    limit = current_app.config["CODE_BATCHES_PER_DAY"]
    issued = db.session.execute(sa.select(sa.func.count()).select_from(CodeBatch).where(
        CodeBatch.subject_id == subject_id, CodeBatch.kind == OFFLINE, CodeBatch.valid_until >= start,
        CodeBatch.issued_at >= start, CodeBatch.issued_at < end)).scalar_one()
    if issued >= limit:
        raise DomainError("quota_code_batches", f"今日获取离线码的次数已达上限（{limit} 次），请明天再试；"
                          "手机上已有的离线码仍可使用，联网时亮码不受影响", status=429)
