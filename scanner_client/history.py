"""The venue's recent attempts (GET /api/v1/scan/history) as rows for staff: Beijing time, names rather than ids.

The server answers items {"id", "action", "at", "valid", "reason", "device", "measure": {"id", "title"} or null,
"staff": {"id", "display_name"}, "subject": {...} or null}; older servers send "measure_id" and "staff_id" instead.
Both are read: titles and names when present, ids otherwise.
"""
import datetime as dt
from typing import Any

from scanner_client.messages import ACTIONS, KINDS, reason

BEIJING = dt.timezone(dt.timedelta(hours=8), "CST")
COLUMNS = (("at", "时间", 165), ("action", "操作", 50), ("result", "结果", 190), ("subject", "对象", 130),
           ("measure", "激励措施", 250), ("staff", "工作人员", 100), ("device", "设备", 110))


def beijing_time(value: str | None) -> str:
    """An ISO 8601 time as YYYY-MM-DD HH:MM:SS in Beijing time; a time without an offset is taken as UTC."""
    if not value:
        return ""
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def _measure(item: dict[str, Any]) -> str:
    measure = item.get("measure")
    if isinstance(measure, dict):
        return str(measure.get("title") or f"措施 #{measure.get('id')}")
    if item.get("measure_id") is not None:
        return f"措施 #{item['measure_id']}"
    return ""


def _staff(item: dict[str, Any]) -> str:
    staff = item.get("staff")
    if isinstance(staff, dict):
        return str(staff.get("display_name") or staff.get("username") or f"#{staff.get('id')}")
    if item.get("staff_id") is not None:
        return f"#{item['staff_id']}"
    return ""


def _subject(item: dict[str, Any]) -> str:
    subject = item.get("subject")
    if not isinstance(subject, dict):
        return ""
    kind = KINDS.get(str(subject.get("kind")), "")
    return f"{subject.get('name_masked', '')}（{kind}）" if kind else str(subject.get("name_masked", ""))


def _result(item: dict[str, Any]) -> str:
    if item.get("valid"):
        return "已核销" if item.get("action") == "redeem" else "通过"
    return reason(item.get("reason"))["title"]


def row(item: dict[str, Any]) -> dict[str, str]:
    """One attempt as the history table shows it, keyed by the names in COLUMNS."""
    return {
        "at": beijing_time(item.get("at")),
        "action": ACTIONS.get(str(item.get("action")), str(item.get("action") or "")),
        "result": _result(item),
        "subject": _subject(item),
        "measure": _measure(item),
        "staff": _staff(item),
        "device": str(item.get("device") or ""),
    }
