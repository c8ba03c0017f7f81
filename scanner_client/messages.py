"""Plain-Chinese text for staff, one line per reason code of API.md."""

REASONS = {
    None: "核验通过",
    "token_malformed": "不是守信激励身份二维码",
    "token_bad_signature": "二维码无效（签名不符），请对方重新打开身份二维码",
    "token_expired": "二维码已过期，请对方刷新后重新出示",
    "token_used": "该二维码已使用过，请对方刷新后重新出示",
    "not_listed": "对方不在守信激励对象名单中",
    "listing_expired": "对方的守信激励名单已过有效期",
    "listing_suspended": "对方的守信激励资格已暂停",
    "excluded_dishonest": "对方近三年有严重失信记录，不能享受守信激励",
    "under_objection": "对方名单正在异议处理中，暂不能享受此激励",
    "no_applicable_measure": "本单位没有适用于对方的激励措施",
    "measure_withdrawn": "该激励措施已停止实施",
    "measure_not_at_venue": "该激励措施不由本单位实施",
    "grade_too_low": "对方信用等级不足，不能享受此激励",
    "server_unreachable": "无法连接服务器，请检查网络",
}
KINDS = {"person": "个人", "enterprise": "企业"}


def reason_text(code: str | None) -> str:
    """The staff-facing sentence for a reason code; unknown codes are shown as they are."""
    return REASONS.get(code, f"未通过（{code}）")
