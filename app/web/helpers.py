"""What every page template may use: the labels of the domain's codes and how times and names are shown."""
import datetime as dt
from typing import Any

from app.domain.cases import CASE_STATUS_NAMES, COMPLAINT_KIND_NAMES, OBJECTION_TYPE_NAMES
from app.domain.dates import LOCAL_TZ, chinese_date
from app.domain.identity import KIND_NAMES, mask_name
from app.domain.lists import ENTRY_STATUS_NAMES
from app.domain.measures import MEASURE_STATUS_NAMES, SCENARIOS
from app.domain.refusals import label
from app.domain.roles import ROLE_NAMES

STATUS_NAMES = CASE_STATUS_NAMES | ENTRY_STATUS_NAMES | MEASURE_STATUS_NAMES


def local_time(moment: dt.datetime | None) -> str:
    """An instant as the credit office reads it: Beijing time, to the minute."""
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if moment else ""


def local_moment(moment: dt.datetime | None) -> str:
    """An instant in words: 2026年11月28日 14:03 (Beijing time)."""
    if not moment:
        return ""
    local = moment.astimezone(LOCAL_TZ)
    return f"{chinese_date(local.date())} {local:%H:%M}"


def template_helpers() -> dict[str, Any]:
    return {"ROLE_NAMES": ROLE_NAMES, "STATUS_NAMES": STATUS_NAMES, "OBJECTION_TYPE_NAMES": OBJECTION_TYPE_NAMES,
            "COMPLAINT_KIND_NAMES": COMPLAINT_KIND_NAMES, "KIND_NAMES": KIND_NAMES, "SCENARIOS": SCENARIOS,
            "reason_label": label, "mask_name": mask_name, "local_time": local_time,
            "local_moment": local_moment, "cn_date": lambda day: chinese_date(day) if day else ""}
