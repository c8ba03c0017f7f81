"""Personal data: no plaintext ID number of a person anywhere in the database, the logs or the import report.

An enterprise's unified social credit code is public registration data: it is kept once, to be published (公示)."""
import logging
import os
import random
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.demo import enterprise_code, person_id
from app.extensions import db
from app.models import Subject
from app.services import imports
from tests.conftest import POSTGRES_URL


def _import_sample(today, count=50):
    rng = random.Random(7)
    numbers = [person_id(rng) for _ in range(count)] + [enterprise_code(rng) for _ in range(5)]
    rows = [f"person,某人,{number},P02,{today}" for number in numbers[:count]]
    rows += [f"enterprise,某公司{index},{number},E02,{today}" for index, number in enumerate(numbers[count:])]
    rows.append(f"person,坏号码,{numbers[0][:-1]}0,P02,{today}")  # a refused row: its number must not leak either
    data = ("kind,name,id_number,category,recognized_on\n" + "\n".join(rows)).encode()
    report = imports.import_list("sample.csv", data, "test", today)
    assert report.created == count + 5
    return numbers, report


def _every_value_in_the_database() -> str:
    chunks = []
    for table in db.metadata.sorted_tables:
        chunks.extend(repr(tuple(row)) for row in db.session.execute(sa.select(table)))
    return "\n".join(chunks)


def test_no_plaintext_id_in_any_table(catalogue, today):
    numbers, _ = _import_sample(today)
    dump = _every_value_in_the_database()
    persons, enterprises = numbers[:-5], numbers[-5:]
    for number in persons:
        assert number not in dump
        assert number[:17] not in dump
    assert numbers[0][:3] + "*" * 11 + numbers[0][-4:] in dump  # only the masked form is kept
    assert all(dump.count(code) == 1 for code in enterprises)  # the public code, in its one column


@pytest.mark.skipif(bool(POSTGRES_URL), reason="a SQLite file; on PostgreSQL the table scan above holds")
def test_no_plaintext_id_in_the_database_file(app, catalogue, today):
    """The raw SQLite file and its write-ahead log hold no person's ID number."""
    numbers, _ = _import_sample(today)
    db.session.remove()
    db.engine.dispose()
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    raw = b"".join(Path(candidate).read_bytes() for candidate in (path, path + "-wal") if os.path.exists(candidate))
    assert raw
    for number in numbers[:-5]:
        assert number.encode() not in raw


def test_no_id_in_logs_or_report(catalogue, today, caplog):
    caplog.set_level(logging.DEBUG)
    numbers, report = _import_sample(today)
    text = caplog.text + repr(report.as_dict())
    for number in numbers:
        assert number not in text


@pytest.mark.parametrize("kind", ["list", "dishonesty"])
def test_an_enterprise_listed_before_its_code_was_kept_gets_it_from_the_same_file_again(catalogue, today, kind):
    """The 公示 publishes an enterprise's code once an import has named it again: a re-import that changes no entry
    (the usual case) must still keep it."""
    code = enterprise_code(random.Random(11))
    listed = f"kind,name,id_number,category,recognized_on\nenterprise,某老企业,{code},E02,{today}\n".encode()
    assert imports.import_list("old.csv", listed, "test", today).created == 1
    if kind == "list":
        db.session.execute(sa.update(Subject).values(credit_code=None))  # as kept before migration c4d5e6f7a8b9
        db.session.commit()
        again = imports.import_list("old.csv", listed, "test", today)
        assert (again.created, again.unchanged) == (0, 1)
    else:
        record = f"kind,id_number,name,recorded_on,authority\nenterprise,{code},某老企业,{today},某局\n".encode()
        assert imports.import_dishonesty("d.csv", record, "test", today).created == 1
        db.session.execute(sa.update(Subject).values(credit_code=None))
        db.session.commit()
        assert imports.import_dishonesty("d.csv", record, "test", today).unchanged == 1
    db.session.expire_all()
    assert db.session.scalar(sa.select(Subject.credit_code)) == code
