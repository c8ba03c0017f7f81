"""Identity QR tokens, through the service: signature, key rotation, age, shape, and what they carry."""
import datetime as dt
import hashlib
import io

import pytest
import zxingcpp
from itsdangerous import TimestampSigner
from PIL import Image

from app.services import qrcodes
from app.services.qrcodes import TokenRefused

NOW = dt.datetime(2026, 11, 20, 8, 30, tzinfo=dt.UTC)
REF = "ABCDEFGH"


def _refusal(token, now=NOW):
    with pytest.raises(TokenRefused) as refused:
        qrcodes.verify(token, now)
    return refused.value.code


def test_round_trip(app):
    code = qrcodes.issue(REF, NOW)
    verified = qrcodes.verify(code.token, NOW + dt.timedelta(seconds=30))
    assert verified.subject_ref == REF
    assert verified.token_key.startswith(REF) and len(verified.token_key) == 14
    assert verified.expires_at == NOW + dt.timedelta(seconds=60) == code.expires_at
    assert (code.ttl, code.refresh_in) == (60, 45)


def test_every_code_is_different(app):
    tokens = {qrcodes.issue(REF, NOW).token for _ in range(50)}
    assert len(tokens) == 50


def test_token_is_qr_alphanumeric_and_fits_version_3_m(app):
    """41 characters of the QR alphanumeric set: version 3-M holds 61 of them."""
    token = qrcodes.issue(REF, NOW).token
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567.") and len(token) == 41
    image = Image.open(io.BytesIO(qrcodes.render_png(token, scale=1)))
    assert (image.width - 8 - 17) / 4 <= 3  # modules = 17 + 4 × version, plus a 4-module quiet zone each side
    decoded = zxingcpp.read_barcodes(image)
    assert [(symbol.text, symbol.extra["ECLevel"]) for symbol in decoded] == [(token, "M")]


def test_token_carries_no_personal_data(app):
    """Only key reference, opaque subject reference, nonce, time and signature."""
    token = qrcodes.issue(REF, NOW).token
    head, stamp, signature = token.split(".")
    assert head[2:10] == REF
    assert len(head) == 16 and len(stamp) == 7 and len(signature) == 16
    assert qrcodes._b32_to_b64(stamp)  # the middle part is only itsdangerous's timestamp


def test_every_altered_character_is_refused(app):
    """Whatever single character changes — key, subject, nonce, time or signature — the code is refused."""
    token = qrcodes.issue(REF, NOW).token
    for position, char in enumerate(token):
        if char == ".":
            continue
        for replacement in "A7":
            if replacement != char:
                altered = token[:position] + replacement + token[position + 1:]
                assert _refusal(altered) in ("token_bad_signature", "token_malformed"), (position, altered)


def test_a_second_spelling_of_the_same_time_is_malformed(app):
    """The time's 7 base32 characters carry 35 bits for 32: flipping a spare bit decodes to the same bytes and would
    pass the signature, so it is refused and each code has exactly one accepted spelling."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    token = qrcodes.issue(REF, NOW).token
    head, stamp, signature = token.split(".")
    respelled = stamp[:-1] + alphabet[alphabet.index(stamp[-1]) ^ 1]
    assert _refusal(f"{head}.{respelled}.{signature}") == "token_malformed"


def test_altered_subject_reference_is_a_bad_signature(app):
    token = qrcodes.issue(REF, NOW).token
    assert _refusal(token[:2] + "ZZZZZZZZ" + token[10:]) == "token_bad_signature"


@pytest.mark.parametrize("token", ["", "hello", "ABC.DEF.GHI", "https://example.com/?q=1", "😀" * 10, "A" * 512])
def test_foreign_strings_are_malformed(app, token):
    assert _refusal(token) == "token_malformed"


def test_truncated_token_is_malformed(app):
    token = qrcodes.issue(REF, NOW).token
    for cut in (1, 5, 17, 30):
        assert _refusal(token[:-cut]) == "token_malformed"


def test_lower_case_reading_of_a_genuine_code_verifies(app):
    """Some scanners lower-case alphanumeric codes; base32 does not care."""
    token = qrcodes.issue(REF, NOW).token
    assert qrcodes.verify(token.lower(), NOW).subject_ref == REF


def test_expiry_at_the_ttl(app):
    token = qrcodes.issue(REF, NOW).token
    assert qrcodes.verify(token, NOW + dt.timedelta(seconds=60)).subject_ref == REF
    assert _refusal(token, NOW + dt.timedelta(seconds=61)) == "token_expired"


def test_ttl_comes_from_configuration(app):
    app.config["QR_TTL_SECONDS"] = 20
    code = qrcodes.issue(REF, NOW)
    assert code.ttl == 20 and code.refresh_in == 10
    assert _refusal(code.token, NOW + dt.timedelta(seconds=21)) == "token_expired"


def test_future_dated_code_is_refused_beyond_the_clock_leeway(app):
    assert qrcodes.verify(qrcodes.issue(REF, NOW + dt.timedelta(seconds=4)).token, NOW).subject_ref == REF
    assert _refusal(qrcodes.issue(REF, NOW + dt.timedelta(seconds=30)).token) == "token_expired"


def test_code_signed_under_another_salt_is_refused(app):
    """The same key used for another purpose cannot mint identity codes."""
    key = app.config["QR_SIGNING_KEYS"][-1]
    payload = qrcodes.key_reference(key) + REF + "NONCE2"
    for signer in (TimestampSigner(key, salt="another-purpose", digest_method=hashlib.sha256,
                                   algorithm=qrcodes._TruncatedHMAC(hashlib.sha256)),
                   TimestampSigner(key, salt=qrcodes.SALT)):
        value, stamp, signature = signer.sign(payload).split(b".")
        forged = f"{value.decode()}.{qrcodes._b64_to_b32(stamp)}.{qrcodes._b64_to_b32(signature)[:16]}"
        assert _refusal(forged, dt.datetime.now(dt.UTC)) == "token_bad_signature"


def test_key_rotation_keeps_live_codes_valid(app):
    """The newest key signs; older keys still verify until they are removed."""
    app.config["QR_SIGNING_KEYS"] = ["old-key"]
    old_token = qrcodes.issue(REF, NOW).token
    app.config["QR_SIGNING_KEYS"] = ["old-key", "new-key"]
    new_token = qrcodes.issue(REF, NOW).token
    assert new_token[:2] == qrcodes.key_reference("new-key") != old_token[:2]
    assert qrcodes.verify(old_token, NOW).subject_ref == REF
    assert qrcodes.verify(new_token, NOW).subject_ref == REF
    app.config["QR_SIGNING_KEYS"] = ["new-key"]
    assert _refusal(old_token) == "token_bad_signature"
    assert qrcodes.verify(new_token, NOW).subject_ref == REF


def test_a_code_from_another_deployment_is_refused(app):
    app.config["QR_SIGNING_KEYS"] = ["their-key"]
    theirs = qrcodes.issue(REF, NOW).token
    app.config["QR_SIGNING_KEYS"] = ["our-key"]
    assert _refusal(theirs) == "token_bad_signature"
