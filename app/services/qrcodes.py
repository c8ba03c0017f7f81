"""Identity QR codes: short-lived itsdangerous-signed tokens that carry no personal data and fit QR version 3-M.

A token is `KKSSSSSSSSNNNNNN.TTTTTTT.GGGGGGGGGGGGGGGG`: key reference (2), the subject's opaque reference (8) and a
random nonce (6), then itsdangerous's timestamp and an 80-bit HMAC-SHA256 signature. itsdangerous writes the last two
in URL-safe base64; they are carried in base32 instead so the whole token uses the QR alphanumeric alphabet
(upper case, digits, '.'), which keeps the code at version 3 for a webcam at arm's length.
"""
import base64
import datetime as dt
import hashlib
import io
import re
import secrets
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import zxingcpp
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner
from itsdangerous.encoding import base64_decode, base64_encode
from itsdangerous.signer import HMACAlgorithm
from PIL import Image

from app.domain.identity import QR_REF_ALPHABET
from app.errors import DomainError

SALT = "xinyi.identity-qr"
SIGNATURE_BYTES = 10
NONCE_LENGTH = 6
# A token minted up to this far in the future is accepted: app servers' clocks may differ by a little.
CLOCK_LEEWAY_SECONDS = 5
MAX_TOKEN_LENGTH = 512
_SHAPE = re.compile(r"([A-Z2-7]{2})([A-Z2-7]{8})([A-Z2-7]{6})\.([A-Z2-7]{7})\.([A-Z2-7]{16})")


class TokenRefused(DomainError):
    """A scanned string that is not a live identity code; `code` is the API.md reason."""


class _TruncatedHMAC(HMACAlgorithm):
    """HMAC-SHA256 cut to 80 bits: forging one takes 2^80 online guesses within a code's 60-second life."""

    def get_signature(self, key: bytes, value: bytes) -> bytes:
        return super().get_signature(key, value)[:SIGNATURE_BYTES]


class _ClockSigner(TimestampSigner):
    """TimestampSigner that reads the time it is given, so issuing and verifying take `now` like every rule."""

    def __init__(self, key: str, timestamp: int) -> None:
        super().__init__(key, salt=SALT, algorithm=_TruncatedHMAC(hashlib.sha256), digest_method=hashlib.sha256)
        self._timestamp = timestamp

    def get_timestamp(self) -> int:
        return self._timestamp


@dataclass(frozen=True)
class IssuedCode:
    token: str
    expires_at: dt.datetime
    ttl: int
    refresh_in: int


@dataclass(frozen=True)
class VerifiedCode:
    """A genuine, live code: whose it is (opaque reference) and its single-use key."""

    subject_ref: str
    token_key: str
    issued_at: dt.datetime
    expires_at: dt.datetime


@lru_cache(maxsize=64)
def key_reference(key: str) -> str:
    """Two base32 characters naming a signing key without revealing it."""
    return base64.b32encode(hashlib.sha256(key.encode()).digest())[:2].decode()


def _b64_to_b32(part: bytes) -> str:
    return base64.b32encode(base64_decode(part)).decode().rstrip("=")


# RFC 4648 base32 letters as the digits int(..., 32) reads: decoding in C rather than base64.b32decode's Python loop.
_BASE32_AS_DIGITS = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "0123456789abcdefghijklmnopqrstuv")


def _b32_to_b64(part: str) -> bytes:
    """Inverse of _b64_to_b32 for a part of the token's alphabet; stray padding bits are refused as malformed."""
    size, spare = divmod(5 * len(part), 8)
    value = int(part.translate(_BASE32_AS_DIGITS), 32)
    if value & ((1 << spare) - 1):
        raise ValueError("non-canonical base32")
    return base64_encode((value >> spare).to_bytes(size, "big"))


def _ttl() -> int:
    return current_app.config["QR_TTL_SECONDS"]


def refresh_interval(ttl: int) -> int:
    """When the client should fetch a new code: a quarter of the life (at least 10 s) before it ends."""
    return max(1, ttl - max(10, ttl // 4))


def issue(subject_ref: str, now: dt.datetime) -> IssuedCode:
    """Mint a code for a subject reference with the newest key; the caller has checked the subject is listed."""
    key = current_app.config["QR_SIGNING_KEYS"][-1]
    timestamp = int(now.timestamp())
    nonce = "".join(secrets.choice(QR_REF_ALPHABET) for _ in range(NONCE_LENGTH))
    value, stamp, signature = _ClockSigner(key, timestamp).sign(key_reference(key) + subject_ref + nonce).split(b".")
    token = f"{value.decode()}.{_b64_to_b32(stamp)}.{_b64_to_b32(signature)}"
    ttl = _ttl()
    return IssuedCode(token, dt.datetime.fromtimestamp(timestamp + ttl, dt.UTC), ttl, refresh_interval(ttl))


def verify(token: str, now: dt.datetime) -> VerifiedCode:
    """Check shape, key, signature and age; refuse with token_malformed, token_bad_signature or token_expired."""
    match = _SHAPE.fullmatch(token.strip().upper())
    if match is None:
        raise TokenRefused("token_malformed", "不是本平台的身份二维码")
    key_ref, subject_ref, nonce, stamp, signature = match.groups()
    keys = {key_reference(key): key for key in current_app.config["QR_SIGNING_KEYS"]}
    if key_ref not in keys:
        raise TokenRefused("token_bad_signature", "二维码签名无效")
    ttl = _ttl()
    signer = _ClockSigner(keys[key_ref], int(now.timestamp()) + CLOCK_LEEWAY_SECONDS)
    try:
        signed = b".".join([(key_ref + subject_ref + nonce).encode(), _b32_to_b64(stamp), _b32_to_b64(signature)])
    except ValueError:
        raise TokenRefused("token_malformed", "不是本平台的身份二维码") from None
    try:
        _, issued = signer.unsign(signed, max_age=ttl + CLOCK_LEEWAY_SECONDS, return_timestamp=True)
    except SignatureExpired:
        raise TokenRefused("token_expired", "二维码已过期，请刷新后重新出示") from None
    except BadSignature:
        raise TokenRefused("token_bad_signature", "二维码签名无效") from None
    return VerifiedCode(subject_ref, subject_ref + nonce, issued, issued + dt.timedelta(seconds=ttl))


class Claim(NamedTuple):
    """What a well-formed scanned string says it is, before any check: whose code, and its single-use key."""

    subject_ref: str
    token_key: str


def claim(token: str) -> Claim | None:
    """The parts a token names (unverified), read with the same pattern `verify` uses, so a verified code agrees."""
    match = _SHAPE.fullmatch(token.strip().upper())
    return Claim(match.group(2), match.group(2) + match.group(3)) if match else None


def render_png(token: str, scale: int = 8) -> bytes:
    """The token as a QR code (level M, quiet zone included) in a 1-bit PNG; zxing-cpp does it in under 1 ms."""
    symbol = zxingcpp.create_barcode(token, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    image = Image.fromarray(np.asarray(symbol.to_image(scale=1))).convert("1")
    buffer = io.BytesIO()
    image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST).save(buffer, "PNG")
    return buffer.getvalue()
