"""The desktop counter's own format-1 reader (scanner_client/offline.py) against the server's app/domain/codes.py:
the same tokens, made with the server's encoder and keys, parse, verify and open identically, and every altered one
fails identically."""
import dataclasses
import datetime as dt
import random

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.domain import codes as server
from scanner_client import offline as client

pytestmark = pytest.mark.nodb

SEEDS = (bytes(range(32)), bytes(range(100, 132)))
SECRET = bytes(range(7, 39))
DAY = server.day_number(dt.date(2026, 11, 21))
NOT_BEFORE = int(dt.datetime(2026, 11, 21, 1, 30, tzinfo=dt.UTC).timestamp())
SUBJECTS = (
    server.Sealed("person", "AA", (3,), "冯*生"),
    server.Sealed("person", None, (1, 2, 17, 65535), "王*"),
    server.Sealed("enterprise", "AAA", (12, 13), "阳江市某某某某某有限公司分公司"),  # cut to 24 bytes
    server.Sealed("enterprise", "D", (9,), ""),
    server.Sealed("person", "A", (4, 5, 6), "A*"),
)


def _token(sealed=SUBJECTS[0], seed=SEEDS[0], day=DAY, code_id=b"\x01" * 8, lifetime=60) -> str:
    payload = server.Payload(code_id, NOT_BEFORE, lifetime, b"\xba" * 8, day, sealed)
    return server.encode(payload, seed, server.seal_key(SECRET, day))


def _server_keys() -> dict[int, bytes]:
    return {server.key_id(server.public_key(seed)): server.public_key(seed) for seed in SEEDS}


def _client_keys() -> dict[int, Ed25519PublicKey]:
    return {client.key_id(public): Ed25519PublicKey.from_public_bytes(public) for public in _server_keys().values()}


def _outcome(reader, token, keys, seal):
    """What one implementation makes of a token: (fields, opened) or the refusal code at the step that refused."""
    refusal = server.CodeRefused if reader is server else client.Refused
    try:
        parsed = reader.parse(token)
    except refusal as refused:
        return "parse", refused.code
    fields = dataclasses.asdict(parsed) | {"token_key": parsed.token_key, "expires_at": parsed.expires_at}
    try:
        reader.check_signature(parsed, keys)
    except refusal as refused:
        return "signature", refused.code, fields
    try:
        opened = dataclasses.asdict(reader.open_sealed(parsed, seal))
    except refusal as refused:
        return "open", refused.code, fields
    return "ok", fields, opened


def _same(token, seal=None):
    seal = seal if seal is not None else server.seal_key(SECRET, DAY)
    mine, theirs = _outcome(client, token, _client_keys(), seal), _outcome(server, token, _server_keys(), seal)
    assert mine == theirs, token
    return mine


@pytest.mark.parametrize("sealed", SUBJECTS)
def test_genuine_codes_read_the_same(sealed):
    for seed in SEEDS:  # rotation: the old key and the new one both verify
        step, fields, opened = _same(_token(sealed, seed))
        assert step == "ok" and opened["categories"] == sealed.categories
        assert opened["kind"] == sealed.kind and opened["grade"] == sealed.grade
        assert opened["name"] == server.fit_name(sealed.name) and len(opened["name"].encode()) <= 24
        assert fields["token_key"] == "01" * 8 and fields["expires_at"] == NOT_BEFORE + 60


def test_case_and_surrounding_space_do_not_matter():
    token = _token()
    assert _same(f"  {token.lower()}\n")[0] == "ok"
    assert _same(token)[1] == _same(token.lower())[1]


def test_every_byte_altered_fails_the_same_way():
    """One bit flipped in each byte of the binary payload, signature included: never accepted, same refusal."""
    data = server.b45decode(_token()[len(server.PREFIX):])
    seen = set()
    for position in range(len(data)):
        for bit in (0x01, 0x80):
            altered = bytearray(data)
            altered[position] ^= bit
            outcome = _same(server.PREFIX + server.b45encode(bytes(altered)))
            assert outcome[0] != "ok", position
            seen.add(outcome[:2])
    assert {("parse", "token_malformed"), ("signature", "token_bad_signature")} <= seen


def test_every_character_altered_fails_the_same_way():
    """Each character replaced by another of the alphabet (values past a byte's range included), dropped or doubled."""
    token = _token(SUBJECTS[2])
    rng = random.Random(23)
    for position in range(len(token)):
        replacement = rng.choice([char for char in client.BASE45 if char != token[position]])
        for altered in (token[:position] + replacement + token[position + 1:], token[:position] + token[position + 1:],
                        token[:position] + token[position] + token[position:]):
            assert _same(altered)[0] != "ok"


@pytest.mark.parametrize("token", [
    "", "XY1:", "XY2:" + _token()[4:], _token()[4:], "https://example.org/" + _token(), _token() + "00", _token()[:-3],
    "XY1:" + "0" * 200, "XY1:" + ":" * 160, "XY1:" + "中" * 160, "XY1:_" + _token()[5:], None, 42, b"XY1:00",
    "KKSSSSSSSSNNNNNN.TTTTTTT.GGGGGGGGGGGGGGGG",
])
def test_not_codes_are_malformed_in_both(token):
    assert _same(token) == ("parse", "token_malformed")


def test_random_strings_of_code_length_fail_the_same_way():
    rng = random.Random(45)
    for _ in range(300):
        length = rng.randrange(client.MIN_TOKEN_LENGTH - 4, client.MAX_TOKEN_LENGTH - 2)
        _same(client.PREFIX + "".join(rng.choice(client.BASE45) for _ in range(length)))


def test_an_unknown_key_and_another_servers_key_are_bad_signatures():
    stranger = bytes(range(200, 232))
    assert _same(_token(seed=stranger))[:2] == ("signature", "token_bad_signature")
    only_new = {key: value for key, value in _client_keys().items()
                if key == client.key_id(server.public_key(SEEDS[1]))}
    with pytest.raises(client.Refused, match="token_bad_signature"):
        client.check_signature(client.parse(_token(seed=SEEDS[0])), only_new)


def test_another_days_seal_key_does_not_open_the_same_code():
    """A code sealed on another day, opened with this day's key: both refuse it or read the same bytes."""
    for code_number in range(40):
        token = _token(SUBJECTS[code_number % len(SUBJECTS)], day=DAY + 1, code_id=code_number.to_bytes(8, "big"))
        outcome = _same(token)
        assert outcome[0] in ("open", "ok")
    assert _same(_token(day=DAY + 1), seal=server.seal_key(SECRET, DAY + 1))[0] == "ok"


@pytest.mark.parametrize("offset, lifetime, leeway", [
    (-6, 60, 5), (-5, 60, 5), (0, 60, 5), (64, 60, 5), (65, 60, 5), (59, 60, 0), (60, 60, 0), (-1, 60, 0),
])
def test_the_validity_window_has_the_same_edges(offset, lifetime, leeway):
    parsed_client = client.parse(_token(lifetime=lifetime))
    parsed_server = server.parse(_token(lifetime=lifetime))
    now = NOT_BEFORE + offset
    try:
        server.check_window(parsed_server, dt.datetime.fromtimestamp(now, dt.UTC), leeway)
    except server.CodeRefused as refused:
        with pytest.raises(client.Refused, match=refused.code):
            client.check_window(parsed_client, now, leeway)
    else:
        client.check_window(parsed_client, now, leeway)
        assert -leeway <= offset < lifetime + leeway
