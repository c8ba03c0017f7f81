"""The whole service: the core and the citizen API, which depends on the core and joins it here (never the reverse).

gunicorn serves `wsgi:create_app()`; `flask --app wsgi` finds `create_app` for the operator commands.
"""
import miniprogram_api
from app import create_app as create_core


def create_app(env_name: str | None = None, **overrides):
    return create_core(env_name, parts=(miniprogram_api.register,), **overrides)
