"""The one table of refusal reasons (API.md reason codes) and what each surface says about them.

The scanner client keeps its own copy (scanner_client/messages.py, it imports nothing from the server); a test holds
the two to the same words. The citizen's own pages say why and what to do next with `citizen_reason` and
`measure_reason`: they carry the objection button themselves, so they never send the citizen "to 信易+".
"""
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from app.domain.dates import chinese_date
from app.domain.identity import KIND_NAMES

OBJECTION_HINT = "如对结果有异议，可在“信易+”中提交名单异议"
PROGRESS_HINT = "可在“信易+”中查看异议处理进度"
COMPLAINT_HINT = "如有疑问，可在“信易+”中提交投诉建议"


@dataclass(frozen=True)
class Refusal:
    """`title` what counter staff read first; `tell` what they tell the citizen; `hint` what the citizen can do, as
    said at the counter; `label` the short form in console tables; `citizen` how the citizen's own app says it."""

    label: str
    title: str
    tell: str
    hint: str
    citizen: str


REFUSALS: dict[str, Refusal] = {
    "token_malformed": Refusal(
        "非本平台二维码", "不是守信激励身份二维码",
        "这不是“信易+”的身份二维码，请打开“信易+”，出示“身份二维码”页面。", "", "不是本平台的身份二维码"),
    "token_bad_signature": Refusal(
        "签名无效", "二维码无效（签名不符）",
        "这个二维码无法通过核验，请在“信易+”中重新打开身份二维码。", "", "二维码签名无效，请重新打开身份二维码"),
    "token_expired": Refusal(
        "二维码过期", "二维码已过期",
        "您的二维码已过期，请在“信易+”中刷新后重新出示。", "", "二维码已过期，请刷新后重新出示"),
    "token_used": Refusal(
        "二维码已使用", "该二维码已使用过",
        "这个二维码已经用过了，请在“信易+”中刷新后重新出示。", "", "该二维码已使用，请刷新后重新出示"),
    "not_listed": Refusal(
        "未列入名单", "对方不在守信激励对象名单中",
        "系统里没有查到您在守信激励对象名单中，暂时不能享受这项优惠。", OBJECTION_HINT, "您尚未列入守信激励对象名单"),
    "listing_expired": Refusal(
        "名单已过期", "对方的守信激励名单已过有效期",
        "您的守信激励名单已过两年有效期，暂时不能享受这项优惠。", OBJECTION_HINT, "您的守信激励名单已过有效期"),
    "listing_suspended": Refusal(
        "名单已暂停", "对方的守信激励资格已暂停",
        "您的守信激励资格目前已暂停，暂时不能享受这项优惠。", OBJECTION_HINT, "您的守信激励资格已暂停"),
    "excluded_dishonest": Refusal(
        "严重失信", "对方近三年有严重失信记录",
        "按规定，近三年有严重失信记录的，不能享受守信激励。", OBJECTION_HINT,
        "您近三年内有严重失信记录，暂不能享受守信激励"),
    "under_objection": Refusal(
        "异议处理中", "对方的名单正在异议处理中",
        "您的名单正在异议处理中，处理完成前暂时不能享受这项优惠。", PROGRESS_HINT, "您的名单正在异议处理中"),
    "no_applicable_measure": Refusal(
        "无适用措施", "本单位没有适用于对方的激励措施",
        "本单位目前没有适用于您的守信激励措施。", COMPLAINT_HINT, "本单位没有适用于您的守信激励措施"),
    "measure_withdrawn": Refusal(
        "措施已停止", "该激励措施已停止实施",
        "这项守信激励措施已经停止实施。", COMPLAINT_HINT, "该激励措施已停止实施"),
    "measure_not_at_venue": Refusal(
        "非本单位措施", "该激励措施不由本单位实施",
        "这项守信激励措施不在本单位办理。", COMPLAINT_HINT, "该激励措施不由本单位实施"),
    "grade_too_low": Refusal(
        "信用等级不足", "对方信用等级不足",
        "您的信用等级还没有达到这项优惠的要求。", OBJECTION_HINT, "您的信用等级未达到该激励措施的要求"),
    # Only after reconciliation: two counters redeemed one code while offline, and another counter's was earlier.
    "duplicate_offline": Refusal(
        "重复核销（离线）", "该二维码已在其他柜台核销（离线重复核销）",
        "这个二维码在网络中断时已在其他柜台核销过，本次记为重复核销，由实施单位核实处理。", COMPLAINT_HINT,
        "该二维码已在其他柜台使用过（离线重复核销）"),
}
REASON_CODES = tuple(REFUSALS)


def label(code: str | None) -> str:
    """The short name of a reason code in tables; an unknown code as it is."""
    return REFUSALS[code].label if code in REFUSALS else (code or "")


@dataclass(frozen=True)
class CitizenReason:
    """Why a citizen may not use incentives and what to do next, as 首页, 亮码 and 措施 all say it.

    `objection_type` and `entry_id` preselect the objection form ("对名单有异议"); `objection_open`: one is already
    being handled, so the page points to its progress instead.
    """

    code: str
    title: str
    why: str
    next_step: str
    objection_type: str
    entry_id: int | None = None
    objection_open: bool = False


def citizen_reason(code: str, *, entry_id: int | None = None, category: str | None = None,
                   department: str | None = None, expired_on: dt.date | None = None,
                   record_on: dt.date | None = None, record_by: str | None = None, record_summary: str = "",
                   objection_open: bool = False) -> CitizenReason:
    """The words for a listing refusal (`refusal_of`'s code) from the facts behind it: the entry, its reporting
    department, and the dishonesty record a suspension or an exclusion rests on."""
    title = REFUSALS[code].citizen
    record = ""
    if record_on is not None:
        record = f"{chinese_date(record_on)}{record_by or ''}记录的严重失信信息" + (
            f"（{record_summary}）" if record_summary else "")
    if code == "listing_suspended":
        why = f"因{record or '严重失信记录'}，您的名单暂停使用。"
        step = "完成信用修复后资格自动恢复；如认为这条记录有误，请点“对名单有异议”，选“被错误暂停”。"
        kind = "wrongly_suspended" if entry_id is not None else "other"
    elif code == "excluded_dishonest":
        why = f"{record or '您有严重失信记录'}，近三年内有严重失信记录的不能列入名单。"
        step = "完成信用修复后可重新认定；如认为这条记录有误，请点“对名单有异议”。"
        kind = "other"
    elif code == "listing_expired":
        when = f"已于{chinese_date(expired_on)}到期" if expired_on else "已过有效期"
        why = f"您的“{category}”名单{when}（名单有效期两年）。" if category else f"您的名单{when}。"
        step = f"请联系报送单位 {department} 续期；如认为名单信息有误，请点“对名单有异议”。" if department else (
            "请联系认定您的部门续期；如认为名单信息有误，请点“对名单有异议”。")
        kind = "wrong_entry" if entry_id is not None else "other"
    else:
        why = "守信激励对象由各部门认定后报送列入名单，系统里没有查到您的名单。"
        step = "如您获得过道德模范、劳动模范等荣誉或认定，请点“对名单有异议”申请核查补录。"
        kind = "not_listed"
    if objection_open:
        step = "您提出的名单异议正在办理，结果会发到“消息”，也可在“办事”中查看进度。"
    return CitizenReason(code, title, why, step, kind, entry_id, objection_open)


def measure_reason(code: str, *, kinds: Iterable[str] = (), min_grade: str | None = None, grade: str | None = None,
                   categories: Iterable[str] = ()) -> str:
    """Why one measure is not open to a listed citizen, for a reason of `measures.measure_refusal`."""
    if code == "kind_not_served":
        return f"这项措施只面向{'、'.join(KIND_NAMES[kind] for kind in kinds)}"
    if code == "grade_too_low":
        yours = f"您的等级为 {grade}" if grade else "您暂无信用等级"
        return f"需信用等级 {min_grade} 及以上，{yours}"
    return f"只面向{'、'.join(f'“{name}”' for name in categories)}名单中的对象"
