"""Offline decisions on identity codes, format 1 (docs/offline-codes.md): the client's own base45, parse, Ed25519
check and AES-CTR opening (held to the server's app/domain/codes.py by tests/test_scanner_offline.py), and the
decision from the counter bundle, so a counter decides with the network gone."""
import datetime as dt
import hashlib
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

PREFIX = "XY1:"
VERSION = 1
SIGNATURE_BYTES = 64
MAX_CATEGORIES = 4
MAX_NAME_BYTES = 24
GRADES = ("D", "C", "B", "A", "AA", "AAA")  # lowest first, as the code's grade byte counts them
KINDS = {1: "person", 2: "enterprise"}
_HEAD = struct.Struct(">BB8sIH8sBB")  # version, key_id, code_id, not_before, lifetime, batch_tag, seal_day, L
_MIN_SEALED = 3 + 2 + 1  # kind, grade, n, one category, m (an empty name)
_MAX_SEALED = 3 + 2 * MAX_CATEGORIES + 1 + MAX_NAME_BYTES
_MIN_BYTES = _HEAD.size + _MIN_SEALED + SIGNATURE_BYTES
_MAX_BYTES = _HEAD.size + _MAX_SEALED + SIGNATURE_BYTES
MIN_TOKEN_LENGTH = len(PREFIX) + _MIN_BYTES // 2 * 3 + _MIN_BYTES % 2 * 2
MAX_TOKEN_LENGTH = len(PREFIX) + _MAX_BYTES // 2 * 3 + _MAX_BYTES % 2 * 2
BASE45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_BASE45_VALUE = {char: value for value, char in enumerate(BASE45)}


class Refused(Exception):
    """A code refused offline, with the online reason code."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


# ---- the format ----------------------------------------------------------------------------------------------

def b45decode(text: str) -> bytes:
    """RFC 9285: 3 characters (least significant first) make 2 bytes, a last 2 make 1; one spelling per byte string."""
    size, rest = divmod(len(text), 3)
    if rest == 1:
        raise ValueError("base45 length")
    try:
        digits = [_BASE45_VALUE[char] for char in text]
    except KeyError:
        raise ValueError("base45 character") from None
    out = bytearray()
    for start in range(0, size * 3, 3):
        value = digits[start] + digits[start + 1] * 45 + digits[start + 2] * 2025
        if value > 0xFFFF:
            raise ValueError("base45 value")
        out += value.to_bytes(2, "big")
    if rest:
        value = digits[-2] + digits[-1] * 45
        if value > 0xFF:
            raise ValueError("base45 value")
        out.append(value)
    return bytes(out)


@dataclass(frozen=True)
class Parsed:
    """A well-formed token, not yet checked: its fields, the signed bytes and the signature."""

    key_id: int
    code_id: bytes
    not_before: int
    lifetime: int
    batch_tag: bytes
    seal_day: int  # the Beijing day number mod 256
    sealed: bytes
    signed: bytes
    signature: bytes

    @property
    def expires_at(self) -> int:
        return self.not_before + self.lifetime

    @property
    def token_key(self) -> str:
        """The single-use key: the code id's 16 hex digits, as the server stores it with a redemption."""
        return self.code_id.hex()


@dataclass(frozen=True)
class Sealed:
    """The opened clear block: who the code stands for, as staff may see it."""

    kind: str
    grade: str | None
    categories: tuple[int, ...]
    name: str


def parse(token: object) -> Parsed:
    """The fields of a well-formed format-1 token (any string, in either case); else token_malformed."""
    if not isinstance(token, str) or not MIN_TOKEN_LENGTH <= len(text := token.strip()) <= MAX_TOKEN_LENGTH:
        raise Refused("token_malformed")
    text = text.upper()
    if not text.startswith(PREFIX):
        raise Refused("token_malformed")
    try:
        data = b45decode(text[len(PREFIX):])
    except ValueError:
        raise Refused("token_malformed") from None
    version, key, code_id, not_before, lifetime, batch_tag, seal_day, length = _HEAD.unpack_from(data)
    end = _HEAD.size + length
    if version != VERSION or not _MIN_SEALED <= length <= _MAX_SEALED or len(data) != end + SIGNATURE_BYTES:
        raise Refused("token_malformed")
    return Parsed(key, code_id, not_before, lifetime, batch_tag, seal_day, data[_HEAD.size:end], data[:end],
                  data[end:])


def key_id(public: bytes) -> int:
    """A signing key's one-byte name in codes: the first byte of SHA-256 of its public key."""
    return hashlib.sha256(public).digest()[0]


def check_signature(parsed: Parsed, public_keys: dict[int, Ed25519PublicKey]) -> None:
    """Pass if a listed key signed every byte before the signature; else token_bad_signature."""
    public = public_keys.get(parsed.key_id)
    if public is None:
        raise Refused("token_bad_signature")
    try:
        public.verify(parsed.signature, parsed.signed)
    except InvalidSignature:
        raise Refused("token_bad_signature") from None


def check_window(parsed: Parsed, now: float, leeway: int) -> None:
    """Pass from not_before − leeway until just before expires_at + leeway (Unix seconds); else token_expired."""
    if not parsed.not_before - leeway <= now < parsed.expires_at + leeway:
        raise Refused("token_expired")


def open_sealed(parsed: Parsed, seal: bytes) -> Sealed:
    """The clear block under the day's seal key; token_malformed when it does not read as one (a wrong key)."""
    clear = Cipher(algorithms.AES(seal), modes.CTR(parsed.code_id + bytes(8))).decryptor().update(parsed.sealed)
    kind, grade, count = clear[0], clear[1], clear[2]
    name_at = 3 + 2 * count
    if kind not in KINDS or grade > len(GRADES) or not 1 <= count <= MAX_CATEGORIES or name_at >= len(clear):
        raise Refused("token_malformed")
    size = clear[name_at]
    if size > MAX_NAME_BYTES or name_at + 1 + size != len(clear):
        raise Refused("token_malformed")
    try:
        name = clear[name_at + 1:].decode()
    except UnicodeDecodeError:
        raise Refused("token_malformed") from None
    categories = tuple(int.from_bytes(clear[at:at + 2], "big") for at in range(3, name_at, 2))
    return Sealed(KINDS[kind], GRADES[grade - 1] if grade else None, categories, name)


# ---- the decision --------------------------------------------------------------------------------------------

BEIJING = dt.timezone(dt.timedelta(hours=8))
_RANK = {grade: rank for rank, grade in enumerate(GRADES)}


class CannotDecide(Exception):
    """No offline decision either way: the bundle is too old, or lacks the seal key of the code's day."""


@dataclass(frozen=True)
class Measure:
    """One of this venue's measures as the bundle gives it: who it serves, and the benefit per grade already worked
    out by the server ("" for no grade), so the counter only looks it up."""

    id: int
    code: str
    title: str
    kinds: frozenset[str]
    categories: frozenset[int]  # empty: every list category
    min_grade: str | None
    benefits: dict[str, dict[str, Any]]
    valid_from: dt.date
    valid_to: dt.date | None

    def current(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def reaches(self, grade: str | None) -> bool:
        return self.min_grade is None or (grade is not None and _RANK[grade] >= _RANK[self.min_grade])


@dataclass(frozen=True)
class Keys:
    """What opens and checks codes offline: verifying keys by key id, seal keys by day number mod 256."""

    public: dict[int, Ed25519PublicKey]
    seal: dict[int, bytes]


@dataclass(frozen=True)
class Verdict:
    """An offline decision in the online answer's terms (API.md scan/verify)."""

    valid: bool
    reason: str | None
    subject: dict[str, Any] | None
    measures: list[dict[str, Any]]
    token_key: str | None = None
    expires_at: int | None = None


def decide(token: str, keys: Keys, measures: list[Measure], denied: dict[bytes, str], now: float, leeway: int,
           used: Callable[[str], bool]) -> Verdict:
    """The online verify's answer, decided from the bundle at `now` (server time): format, signature, window, seal,
    single use on this device, the deny-list, then this venue's measures for the subject's kind, grade and
    categories. Raises CannotDecide when the code's day is not among the bundle's seal keys."""
    try:
        parsed = parse(token)
        check_signature(parsed, keys.public)
        check_window(parsed, now, leeway)
    except Refused as refused:
        return Verdict(False, refused.code, None, [])
    seal = keys.seal.get(parsed.seal_day)
    if seal is None:
        raise CannotDecide("no seal key for the code's day")
    try:
        sealed = open_sealed(parsed, seal)
    except Refused as refused:
        return Verdict(False, refused.code, None, [])
    subject = {"kind": sealed.kind, "name_masked": sealed.name, "grade": sealed.grade}
    reason = "token_used" if used(parsed.token_key) else denied.get(parsed.batch_tag)
    offers: list[dict[str, Any]] = []
    if reason is None:
        today = dt.datetime.fromtimestamp(now, BEIJING).date()
        current = [measure for measure in measures if measure.current(today)]
        offers = [{"id": m.id, "code": m.code, "title": m.title, "benefit": m.benefits[sealed.grade or ""]}
                  for m in current if sealed.kind in m.kinds and m.reaches(sealed.grade)
                  and (not m.categories or not m.categories.isdisjoint(sealed.categories))]
        if not offers:
            short = any(sealed.kind in m.kinds and not m.reaches(sealed.grade) for m in current)
            reason = "grade_too_low" if short else "no_applicable_measure"
    return Verdict(reason is None, reason, subject, offers, parsed.token_key, parsed.expires_at)
