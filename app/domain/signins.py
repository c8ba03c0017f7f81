"""Sign-in sessions in words: why one ended, and its device ("安卓手机 · Chrome", "iPhone · 微信") from the
User-Agent, so a citizen can tell their sessions apart (only these words are kept, never the User-Agent itself)."""

# Why a session ended before its time, as a page's `?why=` names it: timed out, or revoked — signed out on this
# device, from another of the same person's devices, by the credit office, or with its account (disabled, or its
# password reset).
EXPIRED = "expired"
DISABLED = "disabled"
PASSWORD_RESET = "password"
ENDED_BY = ("logout", "device", "admin", DISABLED, PASSWORD_RESET)
ENDED_WORDS = {EXPIRED: "登录已过期，请重新登录", "logout": "您已退出登录，如需继续请重新登录",
               "device": "您已在其他设备上被退出，请重新登录", "admin": "您的登录已由工作人员结束，请重新登录",
               DISABLED: "账号已被停用，此前的登录均已结束", PASSWORD_RESET: "账号密码已被重置，请用新密码重新登录"}
DEVICE_LENGTH = 40
# First match wins: apps that embed a browser before the browsers they are built on, Edge before Chrome.
_DEVICES = (("HarmonyOS", "鸿蒙手机"), ("OpenHarmony", "鸿蒙手机"), ("iPhone", "iPhone"), ("iPad", "iPad"),
            ("Android", "安卓"), ("Windows", "Windows 电脑"), ("Macintosh", "苹果电脑"), ("CrOS", "电脑"),
            ("Linux", "电脑"))
_APPS = (("miniProgram", "微信小程序"), ("MiniProgramEnv", "微信小程序"), ("MicroMessenger", "微信"),
         ("AlipayClient", "支付宝"), ("DingTalk", "钉钉"), ("baiduboxapp", "百度"), ("Quark", "夸克"),
         ("UCBrowser", "UC 浏览器"), ("QQBrowser", "QQ 浏览器"), (" QQ/", "QQ"), ("HuaweiBrowser", "华为浏览器"),
         ("HeyTapBrowser", "OPPO 浏览器"), ("VivoBrowser", "vivo 浏览器"), ("MiuiBrowser", "小米浏览器"),
         ("SamsungBrowser", "三星浏览器"), ("Edg", "Edge"), ("Firefox", "Firefox"), ("FxiOS", "Firefox"),
         ("CriOS", "Chrome"), ("Chrome", "Chrome"), ("Safari", "Safari"))


def describe(user_agent: str) -> str:
    """"安卓手机 · Chrome"; what cannot be told reads "未知设备" or "浏览器"."""
    device = next((words for marker, words in _DEVICES if marker in user_agent), "未知设备")
    if device == "安卓":
        device = "安卓手机" if "Mobile" in user_agent else "安卓平板"
    app = next((words for marker, words in _APPS if marker in user_agent), "浏览器")
    return f"{device} · {app}"[:DEVICE_LENGTH]
