"""Audit entries as sentences a clerk reads: "管理员 张三 (zhangsan) 于 11月28日 14:03 停止了激励措施 XY-YUE-01"."""
from collections.abc import Callable
from typing import Any

from flask import url_for

from app.domain.roles import ROLE_NAMES
from app.models import AuditEvent

# action → (verb phrase with {code}/{name}/… from the details, what the entry links to)
VERBS: dict[str, str] = {
    "admin.login": "登录了管理后台",
    "staff.login": "登录了扫码终端",
    "account.create": "创建了{role}账号 {username}",
    "account.enable": "启用了账号 #{target}",
    "account.disable": "停用了账号 #{target}",
    "account.reset_password": "重置了账号 #{target} 的密码",
    "account.locked": "因账号连续 {failures} 次密码错误被锁定 {minutes} 分钟",
    "account.unlocked": "解除了账号 #{target} 的登录锁定",
    "measure.apply": "提交了激励措施申请 {code}",
    "measure.publish": "录入并发布了激励措施 {code}",
    "measure.approve": "批准发布了激励措施 {code}",
    "measure.withdraw": "停止了激励措施 {code}（理由：{reason}）",
    "measure.update": "修改了激励措施 {code}",
    "measure.change_request": "提交了激励措施 {code} 的变更申请",
    "measure.change_approve": "批准了激励措施 {code} 的变更申请",
    "measure.change_reject": "退回了激励措施 {code} 的变更申请（理由：{reason}）",
    "venue.create": "新增了实施单位 {name}",
    "venue.update": "修改了实施单位 {name}",
    "entry.extend": "延长了名单条目 #{target} 的有效期（理由：{reason}）",
    "entry.revoke": "撤销了名单条目 #{target}（理由：{reason}）",
    "entry.suspend": "因严重失信暂停了该主体的名单资格",
    "dishonesty.record": "记录了一条严重失信信息",
    "dishonesty.repair": "为一条失信记录办理了信用修复",
    "dishonesty.withdraw": "撤销了一条经异议认定错误的失信记录",
    "subject.end_sessions": "结束了该主体的全部登录（{ended} 个），并解除了其微信一键登录",
    "wechat.bind": "绑定了微信一键登录",
    "wechat.unbind": "解除了微信一键登录（{bindings} 个微信）",
    "import.list": "导入了名单文件 {filename}",
    "import.dishonesty": "导入了失信名单文件 {filename}",
    "export.redemptions": "开始导出 {start} 至 {end} 的核销记录",
    "objection.upheld": "认定名单异议 #{target} 成立",
    "objection.rejected": "认定名单异议 #{target} 不成立（理由：{reason}）",
    "complaint.reply": "答复了投诉建议 #{target}",
    "redemption.create": "在柜台核销了一次激励",
    "redemption.move": "上传离线记录：同一二维码两次核销，核销改记为更早的一次（扫码记录 #{from_attempt_id} 记为重复）",
    "retention.purge": "按保存期限清除了 {before} 之前的扫码记录 {attempts} 条、核销记录 {redemptions} 条",
}
LINKS: dict[str, Callable[[str], str]] = {
    "measure": lambda target: url_for("console.measure_form", measure_id=target),
    "subject": lambda target: url_for("console.subject", subject_id=target),
    "objection": lambda target: url_for("console.objection", objection_id=target),
    "complaint": lambda target: url_for("console.complaint", complaint_id=target),
    "venue": lambda target: url_for("console.venue_list"),
    "account": lambda target: url_for("console.account_list"),
}


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "—"


def sentence(event: AuditEvent) -> str:
    """What the actor did, in words; an action without wording shows its code, never nothing."""
    template = VERBS.get(event.action)
    if template is None:
        return f"执行了 {event.action}"
    details: dict[str, Any] = _Blank(event.details or {}, target=event.target_id or "")
    details["role"] = ROLE_NAMES.get(details.get("role", ""), "")
    return template.format_map(details)


def link(event: AuditEvent) -> str | None:
    """The page of the object the entry is about, when there is one."""
    if not event.target_id or event.target_type not in LINKS or event.action.endswith(".login"):
        return None
    return LINKS[event.target_type](event.target_id)
