"""Static files under names that carry their content's hash (citizen.3f9a1c2b.css), cached by browsers for a year:
every `url_for` of a static endpoint builds the hashed name, and the static views serve it. A file changed by a
deployment gets a new name, so no browser keeps an old copy; an unhashed or stale name still works, revalidated."""
import hashlib
import posixpath
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from flask import Flask, current_app, send_from_directory
from werkzeug.security import safe_join

IMMUTABLE = "public, max-age=31536000, immutable"
DIGITS = 8
HASHED = re.compile(rf"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{{{DIGITS}}})(?P<suffix>\.[A-Za-z0-9]+)$")
# A web app manifest is found again by its address when the browser checks an installed app for updates.
KEEP_NAME = (".webmanifest",)


@cache
def _digest_once(path: str) -> str | None:
    return _digest(path)


def _digest(path: str) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:DIGITS]
    except OSError:
        return None


def digest_of(folder: str, filename: str) -> str | None:
    """The file's content hash, read once per process (on every call in debug, where files change under it)."""
    path = safe_join(folder, filename)
    if path is None or filename.endswith(KEEP_NAME):
        return None
    return _digest(path) if current_app.debug else _digest_once(path)


def hashed_name(folder: str, filename: str) -> str:
    """citizen.css → citizen.3f9a1c2b.css (a name without a suffix, or no file at all, stays as it is)."""
    stem, suffix = posixpath.splitext(filename)
    digest = digest_of(folder, filename) if suffix else None
    return f"{stem}.{digest}{suffix}" if digest else filename


def _server(folder: str) -> Callable[[str], Any]:
    def serve(filename: str):
        """The file under its hashed name for a year; under any other name it is revalidated each time."""
        named = HASHED.match(filename)
        real = f"{named['stem']}{named['suffix']}" if named else filename
        path = safe_join(folder, real)
        if named is None or path is None or not Path(path).is_file():
            return send_from_directory(folder, filename)
        response = send_from_directory(folder, real)
        if named["digest"] == digest_of(folder, real):
            response.headers["Cache-Control"] = IMMUTABLE
        return response
    return serve


def register(app: Flask) -> None:
    """Hash the names of every static folder registered so far (the app's and each front end's)."""
    found = {"static": app.static_folder} | {f"{name}.static": blueprint.static_folder
                                             for name, blueprint in app.blueprints.items()}
    folders = {endpoint: folder for endpoint, folder in found.items() if folder is not None}
    for endpoint, folder in folders.items():
        app.view_functions[endpoint] = _server(folder)

    @app.url_defaults
    def hashed_static_names(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint in folders and "filename" in values:
            values["filename"] = hashed_name(folders[endpoint], values["filename"])
