"""The one table of refusal reasons (API.md reason codes) and what each surface says about them.

The scanner client keeps its own copy (scanner_client/messages.py, it imports nothing from the server); a test holds
the two to the same words.
"""
from dataclasses import dataclass

OBJECTION_HINT = "如对结果有异议，可在“信易+”中提交名单异议"
PROGRESS_HINT = "可在“信易+”中查看异议处理进度"
COMPLAINT_HINT = "如有疑问，可在“信易+”中提交投诉建议"


@dataclass(frozen=True)
class Refusal:
    """`title` what counter staff read first; `tell` what they tell the citizen; `hint` what the citizen can do;
    `label` the short form in console tables; `citizen` how the citizen's own app says it."""

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
}
REASON_CODES = tuple(REFUSALS)


def label(code: str | None) -> str:
    """The short name of a reason code in tables; an unknown code as it is."""
    return REFUSALS[code].label if code in REFUSALS else (code or "")
