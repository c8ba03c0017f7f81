"""Small builders shared by the tests: listed subjects and logged-in clients."""
import datetime as dt
import random
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import g

from app.demo import enterprise_code, person_id
from app.domain.codes import Sealed
from app.domain.identity import mask_name
from app.errors import DomainError
from app.extensions import db
from app.models import CodeBatch
from app.models.codes import ONLINE
from app.services import imports, qrcodes, subjects
from wsgi import create_app


@dataclass
class Identity:
    kind: str
    name: str
    number: str

    def login_body(self) -> dict:
        number_field = "uscc" if self.kind == "enterprise" else "id_number"
        return {"provider": "dev", "kind": self.kind, "name": self.name, number_field: self.number}

    def subject(self):
        return subjects.find_subject(self.kind, self.number)


def identity(seed: int, kind: str = "person", name: str = "张守信") -> Identity:
    rng = random.Random(seed)
    return Identity(kind, name, person_id(rng) if kind == "person" else enterprise_code(rng))


def list_identity(who: Identity, today: dt.date, category: str = "P02", grade: str = "",
                  recognized_on: dt.date | None = None) -> Identity:
    """Put an identity on a list through the import service."""
    day = recognized_on or today - dt.timedelta(days=100)
    data = ("kind,name,id_number,category,recognized_on,grade\n"
            f"{who.kind},{who.name},{who.number},{category},{day},{grade}\n")
    report = imports.import_list("t.csv", data.encode(), "test", today)
    assert report.created == 1, report.errors
    return who


def login(client, who: Identity) -> dict:
    """Log in through the dev provider; returns the Authorization header."""
    response = client.post("/api/v1/auth/login", json=who.login_body())
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def code_of(who: Identity, at: dt.datetime) -> str:
    """A genuine code of the identity's subject valid from `at` whatever their standing (issuing would refuse): what
    a phone holding an earlier code shows."""
    subject = who.subject()
    tag = qrcodes.open_batch(subject.id, ONLINE, at, at + dt.timedelta(days=1))
    sealed = Sealed(subject.kind, subject.grade, (1,), mask_name(subject.kind, subject.name))
    return qrcodes.mint(tag, sealed, at, qrcodes.ttl()).token


def subject_of_code(token: str) -> int | None:
    """The subject a code's batch tag stands for (None for no format-1 code)."""
    claimed = qrcodes.claim(token)
    return claimed and db.session.scalar(sa.select(CodeBatch.subject_id)
                                         .where(CodeBatch.tag == claimed.batch_tag.hex()))


def race(database_url: str, work: Callable[..., str], arguments: list[tuple]) -> list[str]:
    """Run `work(*args)` for every args at the same instant, each in a thread with its own app and connections.

    Returns the sorted outcomes: what `work` returned, a domain error's code, or the repr of anything else (so a
    crash in a thread fails the caller's assertion instead of dying silently).
    """
    apps = [create_app("test", SQLALCHEMY_DATABASE_URI=database_url) for _ in arguments]
    barrier, outcomes = threading.Barrier(len(arguments), timeout=20), []

    def run(worker_app, args):
        with worker_app.app_context():
            try:
                barrier.wait()
                outcomes.append(work(*args))
            except DomainError as error:
                outcomes.append(error.code)
            except Exception as error:  # reported through the outcomes
                outcomes.append(repr(error))
            finally:
                db.session.remove()
                db.engine.dispose()

    threads = [threading.Thread(target=run, args=(worker_app, args))
               for worker_app, args in zip(apps, arguments, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(outcomes)


def console_csrf(client, path: str = "/admin/login") -> str:
    """The form token of a console page; the test's app context outlives requests, so Flask-WTF's cache goes."""
    g.pop("csrf_token", None)
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def console_login(client, username: str, password: str):
    response = client.post("/admin/login", data={"username": username, "password": password,
                                                 "csrf_token": console_csrf(client)})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def citizen_pages(app, who: Identity):
    """A browser of its own signed in to the citizen pages (/m/) as `who`."""
    browser = app.test_client()
    g.pop("csrf_token", None)
    signed_in = browser.post("/m/login", data={"csrf_token": page_csrf(browser, "/m/login"), "kind": who.kind,
                                                "name": who.name, "id_number": who.number})
    assert signed_in.status_code == 302, signed_in.get_data(as_text=True)[:300]
    return browser


def page_csrf(browser, path: str) -> str:
    """The form token of a page of the citizen pages or the console."""
    g.pop("csrf_token", None)
    return re.search(r'name="csrf_token" value="([^"]+)"', browser.get(path).get_data(as_text=True)).group(1)
