"""Who did it, in words: `admin:8` becomes "管理员 张三 (zhangsan)", `citizen:5` the citizen's masked name — read in one
query per kind for a whole page of audit entries or case steps."""
from collections.abc import Iterable

import sqlalchemy as sa

from app.domain.identity import mask_name
from app.domain.roles import ROLE_NAMES
from app.extensions import db
from app.models import Account, Subject

SYSTEM_ACTORS = {"cli": "运维人员（命令行）", "seed-demo": "演示数据"}
CITIZEN_TITLES = {"person": "市民", "enterprise": "企业"}


def names(actors: Iterable[str]) -> dict[str, str]:
    """{actor: words} for every actor given; one not found keeps its code rather than vanish from the record."""
    wanted = set(actors)
    ids: dict[str, set[int]] = {"account": set(), "citizen": set()}
    for actor in wanted:
        kind, _, number = actor.partition(":")
        if number.isdigit():
            ids["citizen" if kind == "citizen" else "account"].add(int(number))
    found = {actor: SYSTEM_ACTORS.get(actor, actor) for actor in wanted}
    if ids["account"]:
        for account in db.session.scalars(sa.select(Account).where(Account.id.in_(ids["account"]))):
            words = f"{ROLE_NAMES[account.role]} {account.display_name} ({account.username})"
            for audience in ("admin", "staff"):
                if f"{audience}:{account.id}" in wanted:
                    found[f"{audience}:{account.id}"] = words
    if ids["citizen"]:
        for subject_id, kind, name in db.session.execute(
                sa.select(Subject.id, Subject.kind, Subject.name).where(Subject.id.in_(ids["citizen"]))):
            found[f"citizen:{subject_id}"] = f"{CITIZEN_TITLES[kind]} {mask_name(kind, name)}"
    return found
