"""What every page template may use: the labels of the domain's codes and how times and names are shown."""
import datetime as dt
from typing import Any

from flask import request

from app.domain.cases import CASE_STATUS_NAMES, COMPLAINT_KIND_NAMES, OBJECTION_TYPE_NAMES
from app.domain.dates import LOCAL_TZ, chinese_date, utcnow
from app.domain.identity import KIND_NAMES, mask_name
from app.domain.lists import ENTRY_STATUS_NAMES
from app.domain.measures import CHANGE_STATUS_NAMES, MEASURE_STATUS_NAMES, SCENARIOS
from app.domain.refusals import label
from app.domain.roles import ROLE_NAMES
from app.domain.workdays import last_day, working_days_left

STATUS_NAMES = CASE_STATUS_NAMES | ENTRY_STATUS_NAMES | MEASURE_STATUS_NAMES
ELDER_COOKIE = "elder"
# The pages a citizen or the public reads; the console and the counter keep their own sizes.
ELDER_FRONT_ENDS = frozenset({"citizen", "home", "publication"})


def elder_mode() -> bool:
    """长辈版 is on for this browser (a cookie, so the first paint is already large) and this page is for citizens."""
    for_citizens = request.blueprint in ELDER_FRONT_ENDS or (request.blueprint is None and not request.path.startswith(
        ("/admin", "/scan", "/api/")))
    return for_citizens and request.cookies.get(ELDER_COOKIE) == "on"


def local_time(moment: dt.datetime | None) -> str:
    """An instant as the credit office reads it: Beijing time, to the minute."""
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if moment else ""


def local_moment(moment: dt.datetime | None) -> str:
    """An instant in words: 2026年11月28日 14:03 (Beijing time)."""
    if not moment:
        return ""
    local = moment.astimezone(LOCAL_TZ)
    return f"{chinese_date(local.date())} {local:%H:%M}"


def deadline(due: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """A deadline as a clerk reads it: 12月4日 24:00 前（还剩 3 个工作日）, or how long ago it passed."""
    if not due:
        return ""
    now = now or utcnow()
    end = last_day(due)
    words = f"{end.month}月{end.day}日 24:00 前"
    if now >= due:
        late = (now.astimezone(LOCAL_TZ).date() - end).days
        return f"{words}（已超期 {late} 天）" if late else f"{words}（已超期）"
    return f"{words}（还剩 {working_days_left(due, now)} 个工作日）"


def template_helpers() -> dict[str, Any]:
    return {"ROLE_NAMES": ROLE_NAMES, "STATUS_NAMES": STATUS_NAMES, "OBJECTION_TYPE_NAMES": OBJECTION_TYPE_NAMES,
            "COMPLAINT_KIND_NAMES": COMPLAINT_KIND_NAMES, "KIND_NAMES": KIND_NAMES, "SCENARIOS": SCENARIOS,
            "CHANGE_STATUS_NAMES": CHANGE_STATUS_NAMES,
            "reason_label": label, "mask_name": mask_name, "local_time": local_time,
            "local_moment": local_moment, "elder": elder_mode(), "deadline": deadline,
            "cn_date": lambda day: chinese_date(day) if day else ""}
