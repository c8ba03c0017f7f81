"""Identity codes, format 1 (docs/offline-codes.md): an Ed25519-signed payload whose personal part is sealed to the
counters, base45-encoded into one QR alphanumeric segment. Pure: keys and times are passed in."""
import datetime as dt
import hashlib
import hmac
import struct
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from app.domain.grades import GRADES
from app.domain.identity import ENTERPRISE, PERSON
from app.domain.refusals import REFUSALS
from app.errors import DomainError

PREFIX = "XY1:"
VERSION = 1
KEY_BYTES = 32  # an Ed25519 seed or public key, and the seal secret
ID_BYTES = 8  # code id and batch tag
SEAL_KEY_BYTES = 16
SIGNATURE_BYTES = 64
MAX_CATEGORIES = 4
MAX_NAME_BYTES = 24
# A phone asks for codes covering this many hours (GET /api/v1/me/codes); signing keys outlive the longest batch.
DEFAULT_BATCH_HOURS, MAX_BATCH_HOURS = 12, 24
_HEAD = struct.Struct(">BB8sIH8sBB")  # version, key_id, code_id, not_before, lifetime, batch_tag, seal_day, L
_KINDS = {PERSON: 1, ENTERPRISE: 2}
_KIND_OF = {number: kind for kind, number in _KINDS.items()}
_MIN_SEALED = 3 + 2 + 1  # kind, grade, n, one category, m (an empty name)
_MAX_SEALED = 3 + 2 * MAX_CATEGORIES + 1 + MAX_NAME_BYTES
_MIN_BYTES = _HEAD.size + _MIN_SEALED + SIGNATURE_BYTES
_MAX_BYTES = _HEAD.size + _MAX_SEALED + SIGNATURE_BYTES
# Token lengths in characters: base45 writes 2 bytes as 3 characters and a last odd byte as 2.
MIN_TOKEN_LENGTH = len(PREFIX) + _MIN_BYTES // 2 * 3 + _MIN_BYTES % 2 * 2
MAX_TOKEN_LENGTH = len(PREFIX) + _MAX_BYTES // 2 * 3 + _MAX_BYTES % 2 * 2
_EPOCH = dt.date(1970, 1, 1)

BASE45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
# Each ASCII character's base45 digit, 255 for a character outside the alphabet.
_BASE45_DIGITS = bytes(BASE45.find(chr(code)) % 256 for code in range(256))
_BASE45_PAIRS = [low + high for high in BASE45 for low in BASE45]  # the two digits of 0 … 2024, least significant first


class CodeRefused(DomainError):
    """A scanned string that is not a genuine live code; `code` is the API.md reason."""

    def __init__(self, code: str) -> None:
        super().__init__(code, REFUSALS[code].title)


def b45encode(data: bytes) -> str:
    """RFC 9285: each 2 bytes as 3 characters (least significant first), a last odd byte as 2."""
    pairs = len(data) // 2
    values = struct.unpack(f">{pairs}H", data[:2 * pairs])
    out = [_BASE45_PAIRS[value % 2025] + BASE45[value // 2025] for value in values]
    if len(data) % 2:
        out.append(_BASE45_PAIRS[data[-1]])
    return "".join(out)


def b45decode(text: str) -> bytes:
    """RFC 9285's inverse; ValueError for a foreign character, a stray length or a value past its bytes (so every
    byte string has exactly one spelling)."""
    size, rest = divmod(len(text), 3)
    if rest == 1 or not text.isascii():
        raise ValueError("base45 length or character")
    digits = text.encode().translate(_BASE45_DIGITS)
    if b"\xff" in digits:
        raise ValueError("base45 character")
    whole = 3 * size
    values = [low + 45 * middle + 2025 * high
              for low, middle, high in zip(digits[0:whole:3], digits[1:whole:3], digits[2:whole:3], strict=True)]
    if rest:
        values.append(digits[-2] + 45 * digits[-1])
    try:
        return struct.pack(f">{size}H{rest // 2}B", *values)
    except struct.error:
        raise ValueError("base45 value") from None


@dataclass(frozen=True)
class Sealed:
    """The clear block a counter opens: who the code stands for, as staff may see it."""

    kind: str
    grade: str | None
    categories: tuple[int, ...]
    name: str


@dataclass(frozen=True)
class Payload:
    """What the server signs into one code; `seal_day` is the full day number of the seal key used."""

    code_id: bytes
    not_before: int
    lifetime: int
    batch_tag: bytes
    seal_day: int
    sealed: Sealed


@dataclass(frozen=True)
class Parsed:
    """A well-formed token, not yet checked: its fields, the signed bytes and the signature."""

    key_id: int
    code_id: bytes
    not_before: int
    lifetime: int
    batch_tag: bytes
    seal_day: int  # the day number mod 256
    sealed: bytes
    signed: bytes
    signature: bytes

    @property
    def expires_at(self) -> int:
        return self.not_before + self.lifetime

    @property
    def token_key(self) -> str:
        """The single-use key stored with a redemption: the code id's 16 hex digits."""
        return self.code_id.hex()


def day_number(day: dt.date) -> int:
    """Days since 1970-01-01 of a (Beijing) date: which seal key a day uses."""
    return (day - _EPOCH).days


@lru_cache(maxsize=32)  # a batch's hundreds of codes share one or two days
def seal_key(secret: bytes, day: int) -> bytes:
    """The AES-128 key sealing the codes of one day number: HMAC-SHA256(secret, "seal" ‖ day)[:16]."""
    return hmac.new(secret, b"seal" + day.to_bytes(4, "big"), hashlib.sha256).digest()[:SEAL_KEY_BYTES]


def day_of_seal(seal_day: int, around: int) -> int:
    """The full day number nearest `around` whose low byte is a code's `seal_day`."""
    return around + (seal_day - around + 128) % 256 - 128


@lru_cache(maxsize=16)
def _private(seed: bytes) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(seed)


@lru_cache(maxsize=16)
def _public(raw: bytes) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(raw)


def public_key(seed: bytes) -> bytes:
    """The 32-byte Ed25519 public key of a signing seed."""
    return _private(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(public: bytes) -> int:
    """A signing key's one-byte name in codes: the first byte of SHA-256 of its public key."""
    return hashlib.sha256(public).digest()[0]


@lru_cache(maxsize=16)
def _signing_key_id(seed: bytes) -> int:
    return key_id(public_key(seed))


def fit_name(name: str) -> str:
    """The name cut to MAX_NAME_BYTES of UTF-8 at a character boundary."""
    data = name.encode()
    return data[:MAX_NAME_BYTES].decode(errors="ignore") if len(data) > MAX_NAME_BYTES else name


def _crypt(key: bytes, code_id: bytes, data: bytes) -> bytes:
    """AES-128-CTR with the counter block code_id ‖ 0⁶⁴ (encrypting and decrypting are the same)."""
    return Cipher(algorithms.AES(key), modes.CTR(code_id + bytes(8))).encryptor().update(data)


def _clear_block(sealed: Sealed) -> bytes:
    if not 1 <= len(sealed.categories) <= MAX_CATEGORIES:
        raise ValueError("a code names 1 to 4 categories")
    name = fit_name(sealed.name).encode()
    grade = 0 if sealed.grade is None else GRADES.index(sealed.grade) + 1
    return (bytes([_KINDS[sealed.kind], grade, len(sealed.categories)])
            + b"".join(category.to_bytes(2, "big") for category in sealed.categories)
            + bytes([len(name)]) + name)


def encode(payload: Payload, signing_seed: bytes, seal: bytes) -> str:
    """The token for a payload, signed with the seed and sealed with the day's seal key."""
    if len(payload.code_id) != ID_BYTES or len(payload.batch_tag) != ID_BYTES:
        raise ValueError("code id and batch tag are 8 bytes")
    sealed = _crypt(seal, payload.code_id, _clear_block(payload.sealed))
    signed = _HEAD.pack(VERSION, _signing_key_id(signing_seed), payload.code_id, payload.not_before,
                        payload.lifetime, payload.batch_tag, payload.seal_day % 256, len(sealed)) + sealed
    return PREFIX + b45encode(signed + _private(signing_seed).sign(signed))


def parse(token: object) -> Parsed:
    """The fields of a well-formed format-1 token (any string, in either case); else token_malformed."""
    if not isinstance(token, str) or not MIN_TOKEN_LENGTH <= len(text := token.strip()) <= MAX_TOKEN_LENGTH:
        raise CodeRefused("token_malformed")
    text = text.upper()
    if not text.startswith(PREFIX):
        raise CodeRefused("token_malformed")
    try:
        data = b45decode(text[len(PREFIX):])
    except ValueError:
        raise CodeRefused("token_malformed") from None
    version, key, code_id, not_before, lifetime, batch_tag, seal_day, length = _HEAD.unpack_from(data)
    end = _HEAD.size + length
    if version != VERSION or not _MIN_SEALED <= length <= _MAX_SEALED or len(data) != end + SIGNATURE_BYTES:
        raise CodeRefused("token_malformed")
    return Parsed(key, code_id, not_before, lifetime, batch_tag, seal_day, data[_HEAD.size:end], data[:end],
                  data[end:])


def check_signature(parsed: Parsed, public_keys: dict[int, bytes]) -> None:
    """Pass if a listed key signed every byte before the signature; else token_bad_signature."""
    public = public_keys.get(parsed.key_id)
    if public is None:
        raise CodeRefused("token_bad_signature")
    try:
        _public(public).verify(parsed.signature, parsed.signed)
    except InvalidSignature:
        raise CodeRefused("token_bad_signature") from None


def check_window(parsed: Parsed, now: dt.datetime, leeway: int) -> None:
    """Pass from not_before − leeway until just before expires_at + leeway; else token_expired."""
    moment = now.timestamp()
    if not parsed.not_before - leeway <= moment < parsed.expires_at + leeway:
        raise CodeRefused("token_expired")


def open_sealed(parsed: Parsed, seal: bytes) -> Sealed:
    """The clear block under the day's seal key; token_malformed when it does not read as one (a wrong key)."""
    clear = _crypt(seal, parsed.code_id, parsed.sealed)
    kind, grade, count = clear[0], clear[1], clear[2]
    name_at = 3 + 2 * count
    if kind not in _KIND_OF or grade > len(GRADES) or not 1 <= count <= MAX_CATEGORIES or name_at >= len(clear):
        raise CodeRefused("token_malformed")
    size = clear[name_at]
    if size > MAX_NAME_BYTES or name_at + 1 + size != len(clear):
        raise CodeRefused("token_malformed")
    try:
        name = clear[name_at + 1:].decode()
    except UnicodeDecodeError:
        raise CodeRefused("token_malformed") from None
    categories = tuple(int.from_bytes(clear[at:at + 2], "big") for at in range(3, name_at, 2))
    return Sealed(_KIND_OF[kind], GRADES[grade - 1] if grade else None, categories, name)
