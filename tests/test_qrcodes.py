"""Identity codes at the server (app/services/qrcodes.py and the issuing in app/services/citizens.py): the configured
keys and their rotation, the window with the servers' leeway, the Beijing day's seal, batches, and the QR image."""
import base64
import datetime as dt
import io

import pytest
import sqlalchemy as sa
import zxingcpp
from PIL import Image

from app.domain import codes
from app.domain.codes import CodeRefused, Sealed
from app.domain.dates import LOCAL_TZ
from app.extensions import db
from app.models import CodeBatch, ListEntry
from app.services import citizens, qrcodes
from tests.helpers import identity, list_identity

NOW = dt.datetime(2026, 11, 20, 8, 30, tzinfo=dt.UTC)
TAG = "0123456789abcdef"
SEALED = Sealed("person", "A", (3,), "冯*生")


def _seed(byte: int) -> bytes:
    return bytes([byte]) * 32


def _refusal(token, now=NOW):
    with pytest.raises(CodeRefused) as refused:
        qrcodes.check(qrcodes.claim(token), now)
    return refused.value.code


def _beijing(day: dt.date, hour: int, minute: int, second: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=LOCAL_TZ).astimezone(dt.UTC)


def test_round_trip(app):
    code = qrcodes.mint(TAG, SEALED, NOW, 60)
    claimed = qrcodes.claim(code.token)
    qrcodes.check(claimed, NOW + dt.timedelta(seconds=30))
    assert claimed.batch_tag.hex() == TAG and len(claimed.token_key) == 16
    assert (code.not_before, code.expires_at) == (NOW, NOW + dt.timedelta(seconds=60))
    assert (code.ttl, code.refresh_in) == (60, 45)
    day = codes.day_number(dt.date(2026, 11, 20))
    assert codes.open_sealed(claimed, qrcodes.seal_key(day)) == SEALED


def test_every_code_is_different_and_a_batchs_codes_share_only_the_tag(app):
    tokens = [qrcodes.mint(TAG, SEALED, NOW, 60).token for _ in range(50)]
    assert len(set(tokens)) == 50
    claims = [qrcodes.claim(token) for token in tokens]
    assert {claim.batch_tag.hex() for claim in claims} == {TAG}
    assert len({claim.code_id for claim in claims}) == len({claim.sealed for claim in claims}) == 50


def test_the_png_decodes_to_exactly_the_token_at_version_8_m_or_lower(app):
    largest = Sealed("enterprise", "AAA", (1, 2, 3, 4), "广东省阳江市江城区某某有限公司")
    token = qrcodes.mint(TAG, largest, NOW, 60).token
    image = Image.open(io.BytesIO(qrcodes.render_png(token, scale=1)))
    assert (image.width - 8 - 17) / 4 <= 8  # modules = 17 + 4 × version, plus a 4-module quiet zone each side
    decoded = zxingcpp.read_barcodes(image)
    assert [(symbol.text, symbol.extra["ECLevel"]) for symbol in decoded] == [(token, "M")]


def test_the_window_with_the_servers_leeway(app):
    token = qrcodes.mint(TAG, SEALED, NOW, 60).token
    for seconds in (-5, 0, 64.9):
        qrcodes.check(qrcodes.claim(token), NOW + dt.timedelta(seconds=seconds))
    assert _refusal(token, NOW - dt.timedelta(seconds=6)) == "token_expired"
    assert _refusal(token, NOW + dt.timedelta(seconds=65)) == "token_expired"


def test_ttl_comes_from_configuration(app):
    app.config["QR_TTL_SECONDS"] = 20
    code = qrcodes.mint_windows(TAG, SEALED, NOW, NOW + dt.timedelta(hours=1))[0]
    assert code.ttl == 20 and code.refresh_in == 10
    assert _refusal(code.token, NOW + dt.timedelta(seconds=25)) == "token_expired"


def test_windows_are_consecutive_and_the_last_ends_with_the_batch(app):
    issued = qrcodes.mint_windows(TAG, SEALED, NOW + dt.timedelta(seconds=0.7), NOW + dt.timedelta(seconds=150))
    assert [(code.not_before - NOW).seconds for code in issued] == [0, 60, 120]
    assert [code.ttl for code in issued] == [60, 60, 30] and issued[-1].expires_at == NOW + dt.timedelta(seconds=150)
    assert all(earlier.expires_at == later.not_before for earlier, later in zip(issued, issued[1:], strict=False))


def test_key_rotation_keeps_live_codes_valid(app):
    """The newest key signs; older keys still verify until they are removed."""
    app.config["CODE_SIGNING_KEYS"] = [_seed(1)]
    old = qrcodes.mint(TAG, SEALED, NOW, 60).token
    app.config["CODE_SIGNING_KEYS"] = [_seed(1), _seed(2)]
    new = qrcodes.mint(TAG, SEALED, NOW, 60).token
    assert qrcodes.claim(new).key_id == codes.key_id(codes.public_key(_seed(2))) != qrcodes.claim(old).key_id
    qrcodes.check(qrcodes.claim(old), NOW)
    qrcodes.check(qrcodes.claim(new), NOW)
    app.config["CODE_SIGNING_KEYS"] = [_seed(2)]
    assert _refusal(old) == "token_bad_signature"
    qrcodes.check(qrcodes.claim(new), NOW)


def test_a_code_from_another_deployment_is_refused(app):
    app.config["CODE_SIGNING_KEYS"] = [_seed(7)]
    theirs = qrcodes.mint(TAG, SEALED, NOW, 60).token
    app.config["CODE_SIGNING_KEYS"] = [_seed(8)]
    assert _refusal(theirs) == "token_bad_signature"


def test_a_code_is_sealed_with_the_key_of_the_beijing_day_it_starts_in(app):
    day = dt.date(2026, 11, 20)
    late, early = _beijing(day, 23, 59, 30), _beijing(day + dt.timedelta(days=1), 0, 0, 10)
    for start, sealed_on in ((late, day), (early, day + dt.timedelta(days=1))):
        claimed = qrcodes.claim(qrcodes.mint(TAG, SEALED, start, 60).token)
        assert codes.open_sealed(claimed, qrcodes.seal_key(codes.day_number(sealed_on))) == SEALED
    assert qrcodes.seal_key(1) != qrcodes.seal_key(2)
    app.config["CODE_SEAL_SECRET"] = base64.urlsafe_b64decode("A" * 43 + "=")
    assert qrcodes.seal_key(1) == codes.seal_key(bytes(32), 1)


@pytest.mark.parametrize("token", ["", "hello", "XY1:", "A" * 512, "😀" * 10, "\x00" * 160])
def test_foreign_strings_claim_nothing(app, token):
    assert qrcodes.claim(token) is None


# ---- issuing -----------------------------------------------------------------------------------------------------

def _batches(subject_id):
    return db.session.scalars(sa.select(CodeBatch).where(CodeBatch.subject_id == subject_id)
                              .order_by(CodeBatch.id)).all()


def test_single_codes_come_from_one_online_batch_per_beijing_day(app, catalogue, today):
    who = list_identity(identity(301, name="冯守生"), today, grade="A")
    subject = who.subject()
    morning, evening = _beijing(today, 9, 0), _beijing(today, 20, 0)
    first, second = (citizens.issue_code(subject.id, today, now) for now in (morning, evening))
    assert qrcodes.claim(first.token).batch_tag == qrcodes.claim(second.token).batch_tag
    (batch,) = _batches(subject.id)
    midnight = _beijing(today + dt.timedelta(days=1), 0, 0)
    assert (batch.kind, batch.issued_at, batch.valid_until) == ("online", morning, midnight)
    claimed = qrcodes.claim(second.token)
    opened = codes.open_sealed(claimed, qrcodes.seal_key(codes.day_number(today)))
    assert opened == Sealed("person", "A", (subject.entries[0].category_id,), "冯*生")


def test_the_last_minute_of_the_day_opens_the_next_days_batch(app, catalogue, today):
    """A code that ends after midnight belongs to a batch valid to the end of the day it ends in."""
    subject = list_identity(identity(302), today).subject()
    citizens.issue_code(subject.id, today, _beijing(today, 23, 58, 0))
    late = citizens.issue_code(subject.id, today, _beijing(today, 23, 59, 30))
    assert late.ttl == 60
    tomorrow = today + dt.timedelta(days=1)
    after = citizens.issue_code(subject.id, tomorrow, _beijing(tomorrow, 0, 0, 10))
    assert [batch.valid_until for batch in _batches(subject.id)] == [_beijing(tomorrow, 0, 0),
                                                                    _beijing(tomorrow, 0, 0) + dt.timedelta(days=1)]
    assert qrcodes.claim(late.token).batch_tag == qrcodes.claim(after.token).batch_tag


def test_a_batch_never_outlives_the_entries_it_names(app, catalogue, today):
    subject = list_identity(identity(303), today).subject()
    db.session.execute(sa.update(ListEntry).where(ListEntry.subject_id == subject.id).values(expires_on=today))
    db.session.commit()
    late = citizens.issue_code(subject.id, today, _beijing(today, 23, 59, 30))
    assert (late.ttl, late.expires_at) == (30, _beijing(today + dt.timedelta(days=1), 0, 0))
    issued, valid_until = citizens.issue_codes(subject.id, 12, today, _beijing(today, 21, 0))
    assert valid_until == _beijing(today + dt.timedelta(days=1), 0, 0) and len(issued) == 180
    assert [batch.valid_until for batch in _batches(subject.id)] == [valid_until, valid_until]


def test_each_request_for_codes_is_a_new_offline_batch(app, catalogue, today):
    subject = list_identity(identity(304), today, category="P03").subject()
    now = _beijing(today, 10, 0)
    first, until = citizens.issue_codes(subject.id, 12, today, now)
    second, _ = citizens.issue_codes(subject.id, 1, today, now)
    assert (len(first), len(second), until) == (720, 60, now + dt.timedelta(hours=12))
    assert {qrcodes.claim(code.token).batch_tag for code in first} != {qrcodes.claim(code.token).batch_tag
                                                                       for code in second}
    assert [(batch.kind, batch.valid_until) for batch in _batches(subject.id)] == [
        ("offline", until), ("offline", now + dt.timedelta(hours=1))]


def test_codes_for_the_night_take_a_new_batch_at_beijing_midnight(app, catalogue, today):
    """SPEC: nothing links a citizen's codes across days — the phone's codes of one night carry two batch tags."""
    subject = list_identity(identity(305), today).subject()
    now = _beijing(today, 20, 0)
    issued, until = citizens.issue_codes(subject.id, 12, today, now)
    midnight = _beijing(today + dt.timedelta(days=1), 0, 0)
    before = {qrcodes.claim(code.token).batch_tag for code in issued if code.not_before < midnight}
    after = {qrcodes.claim(code.token).batch_tag for code in issued if code.not_before >= midnight}
    assert len(before) == len(after) == 1 and before != after
    assert len(issued) == 720 and until == now + dt.timedelta(hours=12)
    assert all(one.expires_at == two.not_before for one, two in zip(issued, issued[1:], strict=False))
    assert [batch.valid_until for batch in _batches(subject.id)] == [midnight, until]
