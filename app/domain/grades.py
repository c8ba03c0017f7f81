"""Credit grades (信用等级) from the credit platform, ordered from D (lowest) to AAA (highest)."""
from app.errors import DomainError

GRADES = ("D", "C", "B", "A", "AA", "AAA")
_RANK = {grade: rank for rank, grade in enumerate(GRADES)}


def parse_grade(raw: str) -> str:
    grade = raw.strip().upper()
    if grade not in _RANK:
        raise DomainError("invalid_grade", f"信用等级应为 {'/'.join(reversed(GRADES))} 之一")
    return grade


def meets(grade: str | None, minimum: str | None) -> bool:
    """Whether a subject's grade reaches a measure's minimum; no grade reaches no minimum."""
    if minimum is None:
        return True
    return grade is not None and _RANK[grade] >= _RANK[minimum]
