"""The citizen API (what the mini-program calls). It depends on the core (`app`), never the reverse: `wsgi.create_app`
hands `register` to the application factory."""
from flask import Flask

from app.extensions import api, csrf
from app.services.wechat_client import WechatRefused
from miniprogram_api import cases, me, wechat


def register(app: Flask) -> None:
    app.register_error_handler(WechatRefused, wechat.refused)
    for blueprint in (me.blp, cases.blp, wechat.blp):
        api.register_blueprint(blueprint)
        csrf.exempt(blueprint)  # bearer-token API: no cookies, so no cross-site request forgery
