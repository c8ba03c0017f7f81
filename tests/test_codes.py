"""The code format 1 (app/domain/codes.py), pure: base45, round trip, tampering, keys and rotation, the window, seal
keys, and the QR version the tokens need."""
import datetime as dt
import hashlib

import numpy as np
import pytest
import zxingcpp

from app.domain import codes
from app.domain.codes import CodeRefused, Payload, Sealed

SEED = hashlib.sha256(b"test signing seed").digest()
OTHER_SEED = hashlib.sha256(b"another deployment").digest()
SECRET = hashlib.sha256(b"test seal secret").digest()
NOW = dt.datetime(2026, 11, 20, 8, 30, tzinfo=dt.UTC)
NOT_BEFORE = int(NOW.timestamp())
DAY = codes.day_number(dt.date(2026, 11, 20))
TYPICAL = Sealed("person", "A", (3,), "冯*生")
LARGEST = Sealed("enterprise", "AAA", (65535, 2, 3, 4), "广东省阳江市江城区某某某某某有限公司")


def _payload(sealed=TYPICAL, not_before=NOT_BEFORE, code_id=bytes(range(8))):
    return Payload(code_id, not_before, 60, b"BATCHTAG", DAY, sealed)


def _keys(*seeds):
    return {codes.key_id(codes.public_key(seed)): codes.public_key(seed) for seed in seeds}


def _token(payload=None, seed=SEED):
    return codes.encode(payload or _payload(), seed, codes.seal_key(SECRET, DAY))


def _refusal(check, *args):
    with pytest.raises(CodeRefused) as refused:
        check(*args)
    return refused.value.code


def _accepted(token, keys=None):
    parsed = codes.parse(token)
    codes.check_signature(parsed, keys or _keys(SEED))
    return parsed


# ---- base45 ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("data, text", [(b"AB", "BB8"), (b"Hello!!", "%69 VD92EX0"), (b"base-45", "UJCLQE7W581"),
                                        (b"ietf!", "QED8WEX0"), (b"", ""), (b"\x00", "00"), (b"\xff\xff", "FGW")])
def test_base45_is_rfc_9285(data, text):
    assert codes.b45encode(data) == text
    assert codes.b45decode(text) == data


@pytest.mark.parametrize("text", ["A", "ABCD", "GGW", "Z:", "ab8", "BB\x00", "BB8\u00e9"])
def test_base45_refuses_foreign_characters_stray_lengths_and_values_past_their_bytes(text):
    with pytest.raises(ValueError):
        codes.b45decode(text)


# ---- round trip ------------------------------------------------------------------------------------------------

def test_round_trip():
    token = _token()
    assert token.startswith("XY1:") and set(token) <= set(codes.BASE45)
    parsed = _accepted(token)
    assert (parsed.code_id, parsed.not_before, parsed.lifetime, parsed.batch_tag) == (
        bytes(range(8)), int(NOW.timestamp()), 60, b"BATCHTAG")
    assert parsed.expires_at == parsed.not_before + 60 and parsed.seal_day == DAY % 256
    assert parsed.token_key == "0001020304050607"
    assert parsed.key_id == hashlib.sha256(codes.public_key(SEED)).digest()[0]
    codes.check_window(parsed, NOW, 0)
    assert codes.open_sealed(parsed, codes.seal_key(SECRET, DAY)) == TYPICAL


@pytest.mark.parametrize("sealed", [LARGEST, Sealed("person", None, (1, 2), ""), Sealed("enterprise", "D", (7,), "a")])
def test_round_trip_of_every_shape_of_clear_block(sealed):
    parsed = _accepted(_token(_payload(sealed)))
    assert codes.open_sealed(parsed, codes.seal_key(SECRET, DAY)) == Sealed(
        sealed.kind, sealed.grade, sealed.categories, codes.fit_name(sealed.name))


def test_the_name_is_cut_at_24_bytes_on_a_character_boundary():
    assert codes.fit_name("冯*生") == "冯*生"
    assert codes.fit_name(LARGEST.name) == "广东省阳江市江城"  # eight characters of 3 bytes
    assert codes.fit_name("AB" + LARGEST.name) == "AB广东省阳江市江"  # 23 bytes: the next would end at 26
    assert codes.fit_name("A" * 30) == "A" * 24


@pytest.mark.parametrize("categories", [(), (1, 2, 3, 4, 5), (65536,)])
def test_a_code_names_one_to_four_categories_of_two_bytes(categories):
    with pytest.raises((ValueError, OverflowError)):
        _token(_payload(Sealed("person", "A", categories, "冯*生")))


def test_nothing_personal_is_readable_without_the_seal_key():
    token = _token(_payload(Sealed("person", "AAA", (3,), "ABC*XYZ")))
    data = codes.b45decode(token[4:])
    assert b"ABC*XYZ" not in data and "冯".encode() not in codes.b45decode(_token()[4:])


def test_every_code_id_makes_another_token():
    assert _token(_payload(code_id=b"\x00" * 8)) != _token(_payload(code_id=b"\x00" * 7 + b"\x01"))


def test_lower_case_and_a_trailing_newline_read_the_same_code():
    """Scanners that fold case, or type the code with Enter after it, still give the same code."""
    token = _token()
    assert _accepted(token.lower()) == _accepted(token) == _accepted(f" {token}\r\n")


# ---- refused ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("token", [None, b"XY1:", 42, "", "hello", "XY1:", "XY1:" + "0" * 150, "A" * 512,
                                   "https://example.com/?q=1", "😀" * 50, "\x00" * 160, "\ud800" * 160])
def test_foreign_strings_are_malformed(token):
    assert _refusal(codes.parse, token) == "token_malformed"


def test_truncated_lengthened_or_respelled_tokens_are_malformed():
    token = _token()
    for cut in (1, 2, 3, 30):
        assert _refusal(codes.parse, token[:-cut]) == "token_malformed"
    assert _refusal(codes.parse, token + "000") == "token_malformed"
    assert _refusal(codes.parse, "XY2:" + token[4:]) == "token_malformed"
    assert _refusal(codes.parse, token[:10] + "\x00" + token[11:]) == "token_malformed"
    assert _refusal(codes.parse, token[:4] + "GGW" + token[7:]) == "token_malformed"  # 65536: no two bytes


def _with_byte(token, offset, value):
    data = bytearray(codes.b45decode(token[4:]))
    data[offset] = value
    return "XY1:" + codes.b45encode(bytes(data))


def test_every_byte_altered_is_refused():
    """Each field changed — key id, code id, window, batch tag, seal day, sealed block, signature — is a bad
    signature; a changed version or sealed length no longer has the format's shape."""
    token = _token()
    size = len(codes.b45decode(token[4:]))
    for offset in range(size):
        for flip in (0x01, 0x80):
            original = codes.b45decode(token[4:])[offset]
            altered = _with_byte(token, offset, original ^ flip)
            expected = "token_malformed" if offset in (0, 25) else "token_bad_signature"
            assert _refusal(_accepted, altered) == expected, (offset, flip)


def test_a_code_signed_by_another_key_is_refused_even_under_our_key_id():
    theirs = _token(seed=OTHER_SEED)
    assert _refusal(_accepted, theirs) == "token_bad_signature"  # their key id is unknown here
    posing = _with_byte(theirs, 1, codes.key_id(codes.public_key(SEED)))
    assert _refusal(_accepted, posing) == "token_bad_signature"


def test_rotation_newest_signs_every_listed_key_verifies():
    old, new = _token(seed=OTHER_SEED), _token(seed=SEED)
    both = _keys(OTHER_SEED, SEED)
    assert _accepted(old, both).key_id != _accepted(new, both).key_id
    assert _refusal(_accepted, old, _keys(SEED)) == "token_bad_signature"
    assert _accepted(new, _keys(SEED))


# ---- the window ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("offset, leeway, accepted", [
    (-5, 5, True), (-5.001, 5, False), (-0.001, 0, False), (0, 0, True), (59.999, 0, True), (60, 0, False),
    (64.999, 5, True), (65, 5, False), (-3600, 5, False), (3600, 5, False)])
def test_window_edges(offset, leeway, accepted):
    """Valid from not_before − leeway until just before expires_at + leeway."""
    parsed = codes.parse(_token())
    now = NOW + dt.timedelta(seconds=offset)
    if accepted:
        codes.check_window(parsed, now, leeway)
    else:
        assert _refusal(codes.check_window, parsed, now, leeway) == "token_expired"


# ---- seal keys -------------------------------------------------------------------------------------------------

def test_seal_keys_per_day():
    keys = [codes.seal_key(SECRET, day) for day in range(DAY - 1, DAY + 2)]
    assert len(set(keys)) == 3 and {len(key) for key in keys} == {16}
    assert codes.seal_key(SECRET, DAY) == codes.seal_key(SECRET, DAY)
    assert codes.seal_key(hashlib.sha256(b"other").digest(), DAY) != codes.seal_key(SECRET, DAY)


def test_another_days_seal_key_does_not_open_the_code():
    parsed = _accepted(_token())
    assert _refusal(codes.open_sealed, parsed, codes.seal_key(SECRET, DAY + 1)) == "token_malformed"


def test_day_numbers_and_the_seal_day_byte():
    assert codes.day_number(dt.date(1970, 1, 1)) == 0
    assert codes.day_number(dt.date(2026, 11, 20)) == 20_777
    assert codes.parse(_token()).seal_day == 20_777 % 256
    for around in (DAY - 1, DAY, DAY + 1, 255, 256):
        for day in (around - 1, around, around + 1):
            assert codes.day_of_seal(day % 256, around) == day


# ---- the QR symbol ---------------------------------------------------------------------------------------------

def _qr_version(token):
    symbol = zxingcpp.create_barcode(token, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    size = np.asarray(symbol.to_image(scale=1, add_quiet_zones=False)).shape[0]
    return (size - 17) // 4


def test_the_largest_allowed_code_is_version_8_m_and_a_typical_one_7_m():
    largest, typical = _token(_payload(LARGEST)), _token()
    assert (len(largest), _qr_version(largest)) == (codes.MAX_TOKEN_LENGTH, 8) == (193, 8)
    assert (len(typical), _qr_version(typical)) == (159, 7)
    image = zxingcpp.create_barcode(largest, zxingcpp.BarcodeFormat.QRCode, ec_level="M").to_image(scale=4)
    assert [symbol.text for symbol in zxingcpp.read_barcodes(image)] == [largest]
