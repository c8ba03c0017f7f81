"""WeChat's code2session (jscode2session): a `wx.login` code exchanged for the user's openid, every answer of WeChat's
turned into a refusal with a stable code. Nothing here logs the openid, the code or the secret (the URL holds both)."""
import requests
from flask import current_app

from app.errors import DomainError
from app.logs import log_event

PROVIDER = "wechat"
# The openid's length in practice is 28; WeChat documents none, so room for a longer one (it is hashed anyway).
OPENID_MAX_LENGTH = 128
CODE_MAX_LENGTH = 512
# How long a client waits before asking again: WeChat's per-user limit counts a minute, a busy moment passes sooner.
RATE_LIMIT_RETRY_SECONDS = 60
BUSY_RETRY_SECONDS = 5


class WechatRefused(DomainError):
    """A refusal of WeChat's with the seconds a client should wait before trying again (Retry-After), if any."""

    def __init__(self, code: str, message: str, *, status: int, retry_after: int | None = None) -> None:
        super().__init__(code, message, status=status)
        self.retry_after = retry_after


UNAVAILABLE = ("identity_provider_unavailable", "暂时连不上微信，请稍后重试")
# WeChat's errcode → (HTTP status, stable code, message, seconds to wait).
ERRCODES = {
    40029: (401, "wechat_code_invalid", "微信登录凭证无效或已过期，请重新点击登录", None),
    40163: (401, "wechat_code_invalid", "微信登录凭证无效或已过期，请重新点击登录", None),
    45011: (429, "wechat_rate_limited", "登录太频繁，请一分钟后再试", RATE_LIMIT_RETRY_SECONDS),
    40226: (403, "wechat_account_blocked", "微信提示该账号存在风险，暂不能用微信一键登录，请改用实名核验登录", None),
    -1: (503, "wechat_busy", "微信系统繁忙，请稍后重试", BUSY_RETRY_SECONDS),
}


def enabled() -> bool:
    """Whether this deployment signs in with WeChat: an appid is configured (production also requires the secret)."""
    return bool(current_app.config["WECHAT_APPID"])


def _unavailable(why: str) -> WechatRefused:
    log_event("wechat_unavailable", why=why)
    return WechatRefused(*UNAVAILABLE, status=503, retry_after=BUSY_RETRY_SECONDS)


def openid_for(code: object) -> str:
    """The openid of the WeChat user whose mini-program obtained `code` (single use, five minutes), or a refusal:
    401/403/429 for what the user can act on, 503 when WeChat is busy, unreachable, slow or answers nonsense."""
    if not isinstance(code, str) or not code.strip() or len(code) > CODE_MAX_LENGTH:
        raise DomainError("invalid_identity", "缺少微信登录凭证", fields={"code": "必填：wx.login 得到的 code"})
    config = current_app.config
    try:
        answer = requests.get(config["WECHAT_CODE2SESSION_URL"], timeout=config["WECHAT_TIMEOUT_SECONDS"],
                              params={"appid": config["WECHAT_APPID"], "secret": config["WECHAT_SECRET"],
                                      "js_code": code, "grant_type": "authorization_code"})
    except requests.RequestException as exc:
        raise _unavailable(type(exc).__name__) from None  # the exception's text holds the URL, secret and all
    if answer.status_code != 200:
        raise _unavailable(f"http_{answer.status_code}")
    try:
        body = answer.json()  # WeChat answers text/plain: read the body whatever its type says
    except ValueError:
        raise _unavailable("not_json") from None
    if not isinstance(body, dict):
        raise _unavailable("not_json")
    errcode = body.get("errcode") or 0
    if errcode in ERRCODES:
        status, stable, message, retry_after = ERRCODES[errcode]
        raise WechatRefused(stable, message, status=status, retry_after=retry_after)
    openid = body.get("openid")
    if errcode or not isinstance(openid, str) or not openid or len(openid) > OPENID_MAX_LENGTH:
        # 40013 invalid appid, 40125 invalid secret…: this deployment's configuration, not the citizen's doing.
        raise _unavailable(f"errcode_{errcode}" if isinstance(errcode, int) else "no_openid")
    return openid
