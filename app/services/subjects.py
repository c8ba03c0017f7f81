"""Subjects (persons and enterprises) as the database knows them: found by the keyed hash of their number."""
import datetime as dt

import sqlalchemy as sa
from flask import current_app

from app.domain.identity import ENTERPRISE, PERSON, id_hash, mask_id_number, normalize_id_number
from app.errors import DomainError, NotFound
from app.extensions import db
from app.models import Department, ListCategory, Subject

SEARCH_LIMIT = 50


def subject_hash(kind: str, number: str) -> str:
    """The keyed hash a validated number is stored and looked up under."""
    return id_hash(kind, number, current_app.config["ID_HASH_KEY"])


def get_subject(subject_id: int) -> Subject:
    subject = db.session.get(Subject, subject_id)
    if subject is None:
        raise NotFound("subject_not_found", "主体不存在")
    return subject


def find_subject(kind: str, number: str) -> Subject | None:
    return db.session.scalar(sa.select(Subject).where(Subject.id_hash == subject_hash(kind, number)))


def new_subject(kind: str, number: str, name: str) -> Subject:
    """A subject for a validated ID number and name; the caller adds it to its transaction."""
    return Subject(kind=kind, name=name, id_hash=subject_hash(kind, number), id_masked=mask_id_number(number),
                   credit_code=number if kind == ENTERPRISE else None)


def _numbers(query: str, today: dt.date) -> list[tuple[str, str]]:
    """(kind, number) for each kind the query is a valid ID number of."""
    found = []
    for kind in (PERSON, ENTERPRISE):
        try:
            found.append((kind, normalize_id_number(kind, query, today)))
        except DomainError:
            continue
    return found


def is_id_number(query: str, today: dt.date) -> bool:
    return bool(_numbers(query.strip(), today))


def search_subjects(query: str, today: dt.date, limit: int = SEARCH_LIMIT) -> list[Subject]:
    """By ID number (the keyed hash of a valid number of either kind) or by part of the name."""
    query = query.strip()
    hashes = [subject_hash(kind, number) for kind, number in _numbers(query, today)]
    if hashes:
        return list(db.session.scalars(sa.select(Subject).where(Subject.id_hash.in_(hashes))))
    if not query:
        return []
    return list(db.session.scalars(sa.select(Subject).where(Subject.name.contains(query, autoescape=True))
                              .order_by(Subject.name).limit(limit)))


def categories() -> list[ListCategory]:
    """Every list category, persons first."""
    return list(db.session.scalars(sa.select(ListCategory).order_by(ListCategory.kind.desc(), ListCategory.code)))


def departments() -> list[Department]:
    return list(db.session.scalars(sa.select(Department).order_by(Department.code)))
