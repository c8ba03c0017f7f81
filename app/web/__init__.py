"""Server-rendered front ends for people with a browser, siblings under one parent: the administrators' console now,
the citizen pages and the staff scanner next. They share one base layout, one page sign-in and one set of labels."""
from flask import Flask

from app.http.errors import HTML_BLUEPRINTS
from app.web import citizen, console, home
from app.web.helpers import template_helpers

FRONT_ENDS = (home.bp, citizen.bp, console.bp)


def register(app: Flask) -> None:
    app.context_processor(template_helpers)
    for blueprint in FRONT_ENDS:
        app.register_blueprint(blueprint)
        HTML_BLUEPRINTS.add(blueprint.name)
