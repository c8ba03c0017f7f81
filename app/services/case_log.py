"""What objections and complaints share: state changes that one reviewer wins, their history, inbox notices,
evidence written with the transaction, and the views lists are served from."""
import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import selectinload

from app.db.paging import Page, page_of
from app.domain.cases import OPEN_STATES, is_overdue, notice
from app.errors import Conflict, NotFound
from app.extensions import db
from app.models import CaseEvent, Complaint, Evidence, Message, Objection
from app.services import evidence

PAGE_SIZE = 20
Case = Objection | Complaint
OneCase = TypeVar("OneCase", Objection, Complaint)


def log_step(case_type: str, case_id: int, subject_id: int, from_status: str | None, to_status: str, actor: str,
             note: str | None = None) -> None:
    """History row and inbox notice for one state change, in the caller's transaction."""
    db.session.add(CaseEvent(case_type=case_type, case_id=case_id, from_status=from_status, to_status=to_status,
                             actor=actor, note=note))
    title, body = notice(case_type, case_id, to_status, note)
    db.session.add(Message(subject_id=subject_id, title=title, body=body, case_type=case_type, case_id=case_id))


def move(model: type[Case], case_id: int, allowed_from: Sequence[str], to_status: str, **values: Any) -> str:
    """Change status only if it is still one of `allowed_from`; a reviewer who lost a race gets 409."""
    current = db.session.scalar(sa.select(model.status).where(model.id == case_id))
    if current is None:
        raise NotFound("case_not_found", "案件不存在")
    update = (sa.update(model).where(model.id == case_id, model.status.in_(allowed_from))
              .values(status=to_status, **values).execution_options(synchronize_session=False))
    result = cast(CursorResult[Any], db.session.execute(update))  # an UPDATE's result is a CursorResult
    if result.rowcount != 1:
        db.session.rollback()
        raise Conflict("case_state_changed", "案件状态已被他人更改，请刷新后再操作")
    return current


def commit_with_files(paths: list[str]) -> None:
    """Commit the case; the evidence files written for it are removed if the commit fails."""
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        evidence.remove(paths)
        raise


@dataclass(frozen=True)
class CaseView:
    """A case as lists and pages serve it: its history and evidence loaded with the page, `overdue` as of `now`."""

    case: Case
    history: list[CaseEvent]
    evidence: list[Evidence]
    overdue: bool

    def __getattr__(self, name: str) -> Any:
        return getattr(self.case, name)


def views(case_type: str, cases: Sequence[Case], now: dt.datetime) -> list[CaseView]:
    """Views of several cases of one type: two queries whatever their number."""
    ids = [case.id for case in cases]
    history: dict[int, list[CaseEvent]] = defaultdict(list)
    files: dict[int, list[Evidence]] = defaultdict(list)
    if ids:
        for event in db.session.scalars(sa.select(CaseEvent).where(
                CaseEvent.case_type == case_type, CaseEvent.case_id.in_(ids)).order_by(CaseEvent.at, CaseEvent.id)):
            history[event.case_id].append(event)
        for row in db.session.scalars(sa.select(Evidence).where(
                Evidence.case_type == case_type, Evidence.case_id.in_(ids)).order_by(Evidence.id)):
            files[row.case_id].append(row)
    return [CaseView(case, history[case.id], files[case.id], is_overdue(case_type, case.status, case.due_at, now))
            for case in cases]


def view(case_type: str, case: Case, now: dt.datetime) -> CaseView:
    return views(case_type, [case], now)[0]


def review_queue(case_type: str, model: type[Case], status: str | None, overdue: bool, now: dt.datetime,
                 page: int) -> Page[CaseView]:
    """Cases for reviewers, earliest deadline first; `overdue` keeps open cases past their deadline."""
    query = sa.select(model).options(selectinload(model.subject)).order_by(model.due_at, model.id)
    if status:
        query = query.where(model.status == status)
    if overdue:
        query = query.where(model.status.in_(OPEN_STATES[case_type]), model.due_at < now)
    found = page_of(query, page, PAGE_SIZE)
    return Page(views(case_type, found.items, now), found.next)


def own_cases(case_type: str, model: type[OneCase], subject_id: int, now: dt.datetime) -> list[CaseView]:
    """A citizen's own cases, newest first."""
    found = db.session.scalars(sa.select(model).where(model.subject_id == subject_id)
                               .order_by(model.created_at.desc(), model.id.desc())).all()
    return views(case_type, found, now)


# ---- inbox -------------------------------------------------------------------------------------------------

def messages(subject_id: int, page: int) -> Page[Message]:
    return page_of(sa.select(Message).where(Message.subject_id == subject_id)
                   .order_by(Message.created_at.desc(), Message.id.desc()), page, PAGE_SIZE)


def unread_count(subject_id: int) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(Message)
                              .where(Message.subject_id == subject_id, Message.read_at.is_(None))).scalar_one()


def mark_read(subject_id: int, message_id: int, now: dt.datetime) -> Message:
    message = db.session.get(Message, message_id)
    if message is None or message.subject_id != subject_id:
        raise NotFound("message_not_found", "消息不存在")
    if message.read_at is None:
        message.read_at = now
        db.session.commit()
    return message


def mark_shown_read(subject_id: int, message_ids: list[int], now: dt.datetime) -> None:
    """Mark the subject's messages a page has just shown as read, in one statement."""
    if message_ids:
        db.session.execute(sa.update(Message).where(Message.subject_id == subject_id, Message.id.in_(message_ids),
                                                    Message.read_at.is_(None)).values(read_at=now))
        db.session.commit()
