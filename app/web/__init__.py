"""Server-rendered front ends for people with a browser, siblings under one parent: the administrators' console now,
the citizen pages and the staff scanner next. They share one base layout, one page sign-in and one set of labels."""
import mimetypes

from flask import Flask

from app.http.errors import HTML_BLUEPRINTS
from app.web import assets, citizen, console, docs, home, public, scanner
from app.web.helpers import template_helpers

FRONT_ENDS = (home.bp, citizen.bp, public.bp, scanner.bp, console.bp)
# Browsers compile WebAssembly as it streams in only when it is served as such (the scanner's decoder).
mimetypes.add_type("application/wasm", ".wasm")
mimetypes.add_type("application/manifest+json", ".webmanifest")


def register(app: Flask) -> None:
    app.context_processor(template_helpers)
    for blueprint in FRONT_ENDS:
        app.register_blueprint(blueprint)
        HTML_BLUEPRINTS.add(blueprint.name)
    app.register_blueprint(docs.bp)
    assets.register(app)
