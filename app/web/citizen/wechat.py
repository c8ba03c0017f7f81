"""首页's 微信一键登录 card: the citizen unbinds the WeChat accounts that sign in as them in the mini-program."""
from flask import flash, g, redirect, url_for

from app.services import wechat
from app.web.citizen.access import requires


@requires()
def unbind():
    """解除微信绑定 (audited): the next sign-in in the mini-program proves the identity again."""
    ended = wechat.unbind(g.session.subject_id)
    flash("已解除微信绑定。下次在小程序登录时，需要重新核验一次身份" if ended else "没有绑定的微信", "ok")
    return redirect(url_for("citizen.home", _anchor="wechat"))
