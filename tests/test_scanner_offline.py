"""The desktop counter's own format-1 reader (scanner_client/offline.py) against the server's app/domain/codes.py:
the same tokens, made with the server's encoder and keys, parse, verify and open identically, and every altered one
fails identically."""
import base64
import dataclasses
import datetime as dt
import http.server
import os
import random
import socket
import stat
import threading
import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.domain import codes as server
from scanner_client import bundle as bundles
from scanner_client import messages
from scanner_client import offline as client
from scanner_client.api import StaffApi
from scanner_client.core import Scanner
from scanner_client.outbox import Outbox

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


def test_the_clients_copies_of_the_formats_constants_and_the_upload_item_are_the_servers():
    """The client may not import app/, so it keeps its own copies; they must not drift (every grade and kind
    byte, the limits, and the fields of an offline item as POST /scan/offline takes them)."""
    from app.domain.grades import GRADES
    from app.services.offline import OfflineItem as ServerItem
    from scanner_client.outbox import OfflineItem as ClientItem

    assert client.GRADES == GRADES and client.KINDS == server._KIND_OF
    assert (client.PREFIX, client.VERSION, client.BASE45, client.SIGNATURE_BYTES) == (
        server.PREFIX, server.VERSION, server.BASE45, server.SIGNATURE_BYTES)
    assert (client.MAX_CATEGORIES, client.MAX_NAME_BYTES, client.MIN_TOKEN_LENGTH, client.MAX_TOKEN_LENGTH) == (
        server.MAX_CATEGORIES, server.MAX_NAME_BYTES, server.MIN_TOKEN_LENGTH, server.MAX_TOKEN_LENGTH)
    assert client._HEAD.format == server._HEAD.format
    assert [field.name for field in dataclasses.fields(ClientItem)] == [
        field.name for field in dataclasses.fields(ServerItem)]
    for grade in (None, *GRADES):  # every grade byte opens the same
        assert _same(_token(server.Sealed("person", grade, (1,), "王*")))[2]["grade"] == grade


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


# ---- the decision from a bundle --------------------------------------------------------------------------------

def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _benefits(percent: int) -> dict:
    plain = {"pay_percent": percent, "summary": f"按{percent // 10}折收费"}
    return {grade: plain for grade in ("", *client.GRADES)} | {"AAA": {"pay_percent": 0, "summary": "免费"}}


def _answer(server_time: float = NOT_BEFORE + 10, deny=(), full=True, measures=None) -> dict:
    """A bundle as docs/offline-codes.md shows it: the bus company with a measure for every listed person and one for
    category 3 at grade A or better."""
    moment = dt.datetime.fromtimestamp(server_time, dt.UTC).isoformat()
    return {
        "format": 1, "version": int(server_time * 1000), "full": full, "server_time": moment,
        "max_age_seconds": 86400, "ttl": 60, "leeway": 5, "venue": {"id": 1, "name": "公交", "scenario": "travel"},
        "signing_keys": [{"key_id": key, "public_key": _b64(public)} for key, public in _server_keys().items()],
        "seal_keys": [{"day": day, "key": _b64(server.seal_key(SECRET, day))} for day in (DAY - 1, DAY, DAY + 1)],
        "measures": measures if measures is not None else [
            {"id": 1, "code": "XY-XING-01", "title": "公交5折", "kinds": ["person"], "category_ids": [],
             "min_grade": None, "valid_from": "2025-01-01", "valid_to": None, "benefits": _benefits(50)},
            {"id": 2, "code": "XY-XING-02", "title": "志愿者免费", "kinds": ["person"], "category_ids": [3],
             "min_grade": "A", "valid_from": "2025-01-01", "valid_to": "2027-12-31", "benefits": _benefits(0)},
        ],
        "deny": list(deny), "lifted": []}


def _bundle(tmp_path, answer=None, offset=0.0) -> bundles.Bundle:
    return bundles.save(str(tmp_path / bundles.BUNDLE_NAME), answer or _answer(), offset,
                        {"login": bundles.verifier("gate", "pass-1")})


def _decide(bundle, token, at=NOT_BEFORE + 10, used=()):
    return bundle.decide(token, lambda key: key in used, clock=at - bundle.offset)


def test_a_listed_persons_code_is_granted_with_this_venues_measures_and_benefits(tmp_path):
    bundle = _bundle(tmp_path)
    verdict = _decide(bundle, _token(SUBJECTS[0]))  # grade AA, category 3
    assert (verdict.valid, verdict.reason) == (True, None)
    assert verdict.subject == {"kind": "person", "name_masked": "冯*生", "grade": "AA"}
    assert [(m["id"], m["benefit"]["summary"]) for m in verdict.measures] == [(1, "按5折收费"), (2, "按0折收费")]
    assert verdict.token_key == "01" * 8
    only_first = _decide(bundle, _token(SUBJECTS[4]))  # grade A, categories 4-6: not the volunteers' measure
    assert [m["id"] for m in only_first.measures] == [1]


def test_refusals_use_the_online_reason_codes(tmp_path):
    tag = (b"\xba" * 8).hex()
    until = dt.datetime.fromtimestamp(NOT_BEFORE + 3600, dt.UTC).isoformat()
    bundle = _bundle(tmp_path, _answer(deny=[{"reason": "listing_suspended", "until": until, "tags": [tag]}]))
    assert _decide(bundle, _token()).reason == "listing_suspended"
    assert _decide(bundle, _token()).subject["name_masked"] == "冯*生"  # staff see whom they refuse, as online
    plain = _bundle(tmp_path)
    assert _decide(plain, _token(), used={"01" * 8}).reason == "token_used"
    assert _decide(plain, _token(), at=NOT_BEFORE + 70).reason == "token_expired"
    assert _decide(plain, _token(seed=bytes(32))).reason == "token_bad_signature"
    assert _decide(plain, "https://example.org/").reason == "token_malformed"
    assert _decide(plain, _token(SUBJECTS[2])).reason == "no_applicable_measure"  # an enterprise at a bus counter
    strict = _answer(measures=[{"id": 3, "code": "X", "title": "AA 以上", "kinds": ["person"], "category_ids": [9],
                                "min_grade": "AA", "valid_from": "2025-01-01", "valid_to": None,
                                "benefits": _benefits(80)}])
    assert _decide(_bundle(tmp_path, strict), _token(SUBJECTS[1])).reason == "grade_too_low"  # no grade
    ended = _answer(measures=[dict(_answer()["measures"][0], valid_to="2026-11-20")])
    assert _decide(_bundle(tmp_path, ended), _token()).reason == "no_applicable_measure"


def test_time_is_the_servers_by_the_offset_measured_at_sync(tmp_path):
    """This computer's clock is an hour slow: decided by it alone the code would not be valid yet."""
    bundle = _bundle(tmp_path, offset=3600.0)
    assert bundle.decide(_token(), lambda key: False, clock=NOT_BEFORE + 10 - 3600).valid
    assert bundle.decide(_token(), lambda key: False, clock=NOT_BEFORE + 10).reason == "token_expired"


def test_a_clock_turned_back_does_not_revive_codes_older_than_the_bundle(tmp_path):
    bundle = _bundle(tmp_path, _answer(server_time=NOT_BEFORE + 3600))
    assert bundle.now(clock=NOT_BEFORE) == NOT_BEFORE + 3600
    assert bundle.decide(_token(), lambda key: False, clock=NOT_BEFORE + 10).reason == "token_expired"


def test_a_bundle_past_its_max_age_or_without_the_codes_day_decides_nothing(tmp_path):
    bundle = _bundle(tmp_path)
    assert bundle.stale(clock=NOT_BEFORE + 10 + 86401) and not bundle.stale(clock=NOT_BEFORE + 10 + 86399)
    with pytest.raises(client.CannotDecide):
        bundle.decide(_token(), lambda key: False, clock=NOT_BEFORE + 10 + 86401)
    with pytest.raises(client.CannotDecide):
        _decide(bundle, _token(day=DAY + 2))


def test_the_bundle_file_is_the_users_alone_and_checks_the_password_offline(tmp_path):
    _bundle(tmp_path)
    path = tmp_path / bundles.BUNDLE_NAME
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert "pass-1" not in path.read_text(encoding="utf-8")
    again = bundles.load(str(path))
    assert again.admits("gate", "pass-1") and not again.admits("gate", "pass-2")
    assert not again.admits("other", "pass-1")
    assert _decide(again, _token()).valid


def test_a_delta_lifts_and_adds_tags_and_forgets_expired_ones(tmp_path):
    hour = lambda n: dt.datetime.fromtimestamp(NOT_BEFORE + n * 3600, dt.UTC).isoformat()  # noqa: E731
    full = _answer(deny=[{"reason": "listing_suspended", "until": hour(2), "tags": ["aa" * 8, "bb" * 8]},
                         {"reason": "not_listed", "until": hour(1), "tags": ["cc" * 8]}])
    delta = _answer(server_time=NOT_BEFORE + 3600 + 60, full=False,
                    deny=[{"reason": "excluded_dishonest", "until": hour(5), "tags": ["dd" * 8, "bb" * 8]}])
    delta["lifted"] = ["aa" * 8]
    merged = bundles.Bundle.from_stored({"offset": 0, "bundle": bundles.merged(full, delta)})
    assert merged.denied == {bytes.fromhex("bb" * 8): "excluded_dishonest",
                             bytes.fromhex("dd" * 8): "excluded_dishonest"}
    assert bundles.merged(full, _answer(deny=[]))["deny"] == []  # a full answer replaces the deny-list


# ---- the counter without its server ---------------------------------------------------------------------------

def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens here once the probe closes


def _offline_scanner(tmp_path, answer=None, offset=None) -> Scanner:
    """A counter whose server is gone, with a bundle synced just now (by the codes' clock)."""
    offset = NOT_BEFORE + 10 - time.time() if offset is None else offset
    _bundle(tmp_path, answer, offset)
    api = StaffApi(f"http://127.0.0.1:{_closed_port()}", timeout=1)
    api.remember("gate", "pass-1")
    return Scanner(api, Outbox(str(tmp_path / "outbox.sqlite3")), device="gate-1",
                   bundle_file=str(tmp_path / bundles.BUNDLE_NAME))


def test_unreachable_server_the_counter_decides_confirms_and_remembers_the_code(tmp_path):
    scanner = _offline_scanner(tmp_path)
    token = _token()
    decision = scanner.verify(token, "frame-1")
    assert (decision.valid, decision.offline, decision.attempt_id) == (True, True, None)
    assert decision.as_json()["offline"] is True and decision.as_json()["bundle_age_seconds"] >= 0
    confirmed = scanner.confirm(decision, 1)
    assert confirmed.valid and confirmed.redemption["measure_id"] == 1 and confirmed.redemption["id"] is None
    assert confirmed.redemption["benefit"]["summary"] == "按5折收费" and not confirmed.pending
    again = scanner.verify(token, "frame-2")
    assert (again.valid, again.reason, again.offline) == (False, "token_used", True)
    assert scanner.confirm(decision, 2).reason == "token_used"  # one code, one redemption, whichever measure
    items = scanner.outbox.offline_pending("gate")
    assert [(i.action, i.valid, i.reason, i.measure_id) for i in items] == [
        ("verify", True, None, None), ("redeem", True, None, 1), ("verify", False, "token_used", None),
        ("redeem", False, "token_used", 2)]
    assert {item.device for item in items} == {"gate-1"} and len({item.idempotency_key for item in items}) == 4
    decided = dt.datetime.fromisoformat(items[0].decided_at).timestamp()
    assert NOT_BEFORE + 10 <= decided < NOT_BEFORE + 20  # the server's clock, not this computer's
    assert scanner.outbox.pending_count() == 0  # nothing for /scan/redeem: offline redemptions go to /scan/offline


class _FailingServer(http.server.BaseHTTPRequestHandler):
    """A server that is up but cannot decide: a 503 at once, or no answer for 3 s (past ONLINE_ANSWER_SECONDS)."""

    def do_POST(self):  # noqa: N802 (the http.server name)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.server.mode == "silent":
            time.sleep(3)
        body = b'{"error": {"code": "service_unavailable", "message": "..."}}'
        self.send_response(503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("mode", ["503", "silent"])
def test_a_server_answering_5xx_or_not_within_the_limit_is_decided_offline(tmp_path, mode):
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FailingServer)
    httpd.mode, httpd.daemon_threads = mode, True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        scanner = _offline_scanner(tmp_path)
        scanner.api.server = f"http://127.0.0.1:{httpd.server_address[1]}"
        scanner.api.timeout = 10  # only the bundle's limit can cut the silent server short
        started = time.monotonic()
        decision = scanner.verify(_token(), "frame")
        assert time.monotonic() - started < 2.5
        assert (decision.valid, decision.reason, decision.offline) == (True, None, True)
        assert [item.action for item in scanner.outbox.offline_pending("gate")] == ["verify"]
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_code_this_counter_redeemed_online_is_used_offline_too(tmp_path):
    scanner = _offline_scanner(tmp_path)
    token = _token()
    scanner.outbox.add(token, 1)  # confirmed online just before the network went
    assert scanner.verify(token, "frame").reason == "token_used"


def test_the_single_use_lookup_reads_indexes_not_the_whole_outbox(tmp_path):
    """Confirmations and offline items are kept for good, and every offline decision asks redeemed_here."""
    outbox = Outbox(str(tmp_path / "outbox.sqlite3"))
    # the statement of Outbox.redeemed_here
    plan = " ".join(row[-1] for row in outbox.db.execute(
        "EXPLAIN QUERY PLAN SELECT EXISTS (SELECT 1 FROM offline_items WHERE token_key = ? AND action = 'redeem' "
        "AND valid) OR EXISTS (SELECT 1 FROM confirmations WHERE token = ? AND state != 'refused')", ("k", "t")))
    assert "SCAN" not in plan.replace("SCAN CONSTANT ROW", ""), plan
    assert outbox.redeemed_here("k", "t") is False


def test_without_a_usable_bundle_nothing_is_decided(tmp_path):
    stale = _offline_scanner(tmp_path, offset=NOT_BEFORE + 10 - time.time() + 86400 * 2)
    decision = stale.verify(_token(), "frame")
    assert (decision.valid, decision.reason, decision.offline) == (False, "offline_data_expired", True)
    assert messages.reason_text("offline_data_expired") == "离线数据已过期，请联网同步"
    assert stale.outbox.offline_pending_count() == 0
    (tmp_path / bundles.BUNDLE_NAME).unlink()
    bare = Scanner(stale.api, stale.outbox, bundle_file=str(tmp_path / bundles.BUNDLE_NAME))
    assert bare.verify(_token(), "frame").reason == "server_unreachable"
