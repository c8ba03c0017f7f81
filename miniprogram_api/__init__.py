"""The citizen API (what the mini-program calls). It depends on the core (`app`), never the reverse: `wsgi.create_app`
hands `register` to the application factory."""
from flask import Flask

from app.extensions import api, csrf
from miniprogram_api import cases, me


def register(app: Flask) -> None:
    for blueprint in (me.blp, cases.blp):
        api.register_blueprint(blueprint)
        csrf.exempt(blueprint)  # bearer-token API: no cookies, so no cross-site request forgery
