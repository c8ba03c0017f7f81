"""Every text the scanner client shows, in plain Chinese; REASONS is the one table of the reason codes of API.md.

REASONS[code] = {"title": what staff read first (the headline of the red card),
                 "tell": what staff tell the citizen, in words the citizen understands,
                 "hint": one line on what the citizen can do about it ("" when refreshing the code is the answer)}
"""

OBJECTION_HINT = "如对结果有异议，可在“信易+”中提交名单异议"
PROGRESS_HINT = "可在“信易+”中查看异议处理进度"
COMPLAINT_HINT = "如有疑问，可在“信易+”中提交投诉建议"

REASONS: dict[str, dict[str, str]] = {
    "token_malformed": {
        "title": "不是守信激励身份二维码",
        "tell": "这不是“信易+”的身份二维码，请打开“信易+”，出示“身份二维码”页面。",
        "hint": "",
    },
    "token_bad_signature": {
        "title": "二维码无效（签名不符）",
        "tell": "这个二维码无法通过核验，请在“信易+”中重新打开身份二维码。",
        "hint": "",
    },
    "token_expired": {
        "title": "二维码已过期",
        "tell": "您的二维码已过期，请在“信易+”中刷新后重新出示。",
        "hint": "",
    },
    "token_used": {
        "title": "该二维码已使用过",
        "tell": "这个二维码已经用过了，请在“信易+”中刷新后重新出示。",
        "hint": "",
    },
    "not_listed": {
        "title": "对方不在守信激励对象名单中",
        "tell": "系统里没有查到您在守信激励对象名单中，暂时不能享受这项优惠。",
        "hint": OBJECTION_HINT,
    },
    "listing_expired": {
        "title": "对方的守信激励名单已过有效期",
        "tell": "您的守信激励名单已过两年有效期，暂时不能享受这项优惠。",
        "hint": OBJECTION_HINT,
    },
    "listing_suspended": {
        "title": "对方的守信激励资格已暂停",
        "tell": "您的守信激励资格目前已暂停，暂时不能享受这项优惠。",
        "hint": OBJECTION_HINT,
    },
    "excluded_dishonest": {
        "title": "对方近三年有严重失信记录",
        "tell": "按规定，近三年有严重失信记录的，不能享受守信激励。",
        "hint": OBJECTION_HINT,
    },
    "under_objection": {
        "title": "对方的名单正在异议处理中",
        "tell": "您的名单正在异议处理中，处理完成前暂时不能享受这项优惠。",
        "hint": PROGRESS_HINT,
    },
    "no_applicable_measure": {
        "title": "本单位没有适用于对方的激励措施",
        "tell": "本单位目前没有适用于您的守信激励措施。",
        "hint": COMPLAINT_HINT,
    },
    "measure_withdrawn": {
        "title": "该激励措施已停止实施",
        "tell": "这项守信激励措施已经停止实施。",
        "hint": COMPLAINT_HINT,
    },
    "measure_not_at_venue": {
        "title": "该激励措施不由本单位实施",
        "tell": "这项守信激励措施不在本单位办理。",
        "hint": COMPLAINT_HINT,
    },
    "grade_too_low": {
        "title": "对方信用等级不足",
        "tell": "您的信用等级还没有达到这项优惠的要求。",
        "hint": OBJECTION_HINT,
    },
    # An upload's outcome (POST /scan/offline): another counter redeemed the same code earlier while offline.
    "duplicate_offline": {
        "title": "该二维码已在其他柜台核销（离线重复核销）",
        "tell": "这个二维码在网络中断时已在其他柜台核销过，本次记为重复核销，由实施单位核实处理。",
        "hint": COMPLAINT_HINT,
    },
    # Client-side: no answer from the server, so no decision either way.
    "server_unreachable": {
        "title": "无法连接服务器，请检查网络",
        "tell": "系统暂时无法核验，请稍等片刻再出示一次。",
        "hint": "",
    },
    # Client-side: no answer from the server, and the offline data is too old (or lacks the code's day) to decide.
    "offline_data_expired": {
        "title": "离线数据已过期，请联网同步",
        "tell": "系统暂时无法核验，请稍等片刻再出示一次。",
        "hint": "",
    },
}

KINDS = {"person": "个人", "enterprise": "企业"}
ACTIONS = {"verify": "核验", "redeem": "核销"}

IDLE_TITLE = "请出示身份二维码"
IDLE_DETAIL = "请对方把手机上的身份二维码对准摄像头"
OFFER_TITLE = "可以享受守信激励"
CONFIRM = "确认实施"
DECLINE = "不实施"
CONFIRMING = "正在确认…"
DONE_TITLE = "✔ 已核销"
QUEUED_TITLE = "已确认，待上传"
QUEUED_DETAIL = "确认已保存在本机，网络恢复后自动上传，不要重复确认"
TELL_PREFIX = "请告知对方："
CAMERA_NONE = "未找到摄像头"
CAMERA_NONE_DETAIL = "请检查摄像头连接线是否插好，也可以换一个 USB 接口，然后点击“重新检测”"
CAMERA_FAILED = "无法打开摄像头 {camera}"
CAMERA_FAILED_DETAIL = "摄像头可能被其他程序占用或连接不良。请在右上角选择其他摄像头，或检查连接线后点击“重试”"
CAMERA_STOPPED = "摄像头已停止工作"
CAMERA_STOPPED_DETAIL = "画面已中断。请检查摄像头连接线，或在右上角选择其他摄像头，然后点击“重试”"
CAMERA_RETRY = "重试"
CAMERA_RESCAN = "重新检测"
HISTORY = "最近记录"
OFFLINE = "离线核验"
OFFLINE_DONE_TITLE = "✔ 已核销（离线）"
OFFLINE_DONE_DETAIL = "已保存在本机，联网后自动上传"


def age_text(seconds: float) -> str:
    """How long ago the offline data was synced, in words: 刚刚, 12 分钟, 3 小时."""
    if seconds < 60:
        return "离线数据刚刚同步"
    if seconds < 3600:
        return f"离线数据 {int(seconds // 60)} 分钟前同步"
    return f"离线数据 {int(seconds // 3600)} 小时前同步"


def reason(code: str | None) -> dict[str, str]:
    """The entry for a reason code; an unknown code is shown as it is, with the objection hint."""
    unknown = {"title": f"未通过（{code}）", "tell": "暂时不能享受这项优惠。", "hint": OBJECTION_HINT}
    return REASONS.get(code or "", unknown)


def reason_text(code: str | None) -> str:
    """The staff-facing headline for a reason code (None: the code was accepted)."""
    return "核验通过" if code is None else reason(code)["title"]
