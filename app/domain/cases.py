"""Objections (名单异议) and complaints (投诉建议): their kinds, states, limits and what each state is called."""
import datetime as dt

OBJECTION, COMPLAINT = "objection", "complaint"
OBJECTION_TYPES = ("not_listed", "wrong_entry", "wrongly_suspended", "scan_refused", "other")
OBJECTION_TYPE_NAMES = {"not_listed": "未列入名单", "wrong_entry": "名单信息有误", "wrongly_suspended": "被错误暂停",
                        "scan_refused": "扫码被拒", "other": "其他"}
# Types that must name the entry or the refused scan they are about.
NEEDS_ENTRY = ("wrong_entry", "wrongly_suspended")
NEEDS_ATTEMPT = ("scan_refused",)
OBJECTION_STATES = ("submitted", "under_review", "upheld", "rejected", "closed")
OPEN_OBJECTION = ("submitted", "under_review")
DECIDED_OBJECTION = ("upheld", "rejected")
OUTCOMES = ("upheld", "rejected")

COMPLAINT_KINDS = ("complaint", "suggestion")
COMPLAINT_KIND_NAMES = {"complaint": "投诉", "suggestion": "建议"}
COMPLAINT_STATES = ("submitted", "assigned", "replied", "closed")
OPEN_COMPLAINT = ("submitted", "assigned")
OPEN_STATES = {OBJECTION: OPEN_OBJECTION, COMPLAINT: OPEN_COMPLAINT}

CASE_STATUS_NAMES = {"submitted": "已提交", "under_review": "审核中", "upheld": "异议成立", "rejected": "异议不成立",
                     "closed": "已办结", "assigned": "已转办", "replied": "已答复"}
TITLES = {
    OBJECTION: {"submitted": "名单异议已提交", "under_review": "名单异议已受理", "upheld": "名单异议成立",
                "rejected": "名单异议不成立", "closed": "名单异议已办结"},
    COMPLAINT: {"submitted": "投诉建议已提交", "assigned": "投诉建议已转办", "replied": "投诉建议已答复",
                "closed": "投诉建议已办结"},
}
CASE_NAMES = {OBJECTION: "名单异议", COMPLAINT: "投诉建议"}

STATEMENT_LENGTH = (5, 2000)
REASON_LENGTH = (2, 2000)
REPLY_LENGTH = (2, 2000)
RATING_COMMENT_LENGTH = 500
RATING_RANGE = (1, 5)


def is_overdue(case_type: str, status: str, due_at: dt.datetime, now: dt.datetime) -> bool:
    """Still open after its deadline."""
    return status in OPEN_STATES[case_type] and now > due_at


def notice(case_type: str, case_id: int, status: str, note: str | None) -> tuple[str, str]:
    """The inbox message (title, body) a state change leaves for the citizen."""
    title = TITLES[case_type][status]
    body = f"您的{CASE_NAMES[case_type]}（编号 {case_id}）：{title}。"
    return title, body + (f"\n{note}" if note else "")
