"""Identity codes at the server (format 1, docs/offline-codes.md): the keys from configuration, batches, minting a
batch's codes, checking a scanned string online, and the QR image."""
import datetime as dt
import io
import secrets
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import sqlalchemy as sa
import zxingcpp
from flask import current_app
from PIL import Image

from app.db.prepared import Prepared, raw_connection
from app.domain import codes
from app.domain.codes import Parsed, Payload, Sealed
from app.domain.dates import local_date
from app.models import CodeBatch

# A code is accepted this far outside its window: app servers' clocks may differ by a little.
CLOCK_LEEWAY_SECONDS = 5
# The longest scanned string a request may carry (422 beyond); a code itself is at most codes.MAX_TOKEN_LENGTH.
MAX_TOKEN_LENGTH = 512


@dataclass(frozen=True)
class IssuedCode:
    """One signed code and its window; `ttl` is its life in seconds, `refresh_in` when to fetch the next one."""

    token: str
    not_before: dt.datetime
    expires_at: dt.datetime
    ttl: int
    refresh_in: int


@lru_cache(maxsize=8)
def _public_keys(seeds: tuple[bytes, ...]) -> dict[int, bytes]:
    return {codes.key_id(public): public for public in map(codes.public_key, seeds)}


def public_keys() -> dict[int, bytes]:
    """The public key of every listed signing key, by key id: all of them verify."""
    return _public_keys(tuple(current_app.config["CODE_SIGNING_KEYS"]))


def seal_key(day: int) -> bytes:
    """The seal key of a day number (days since 1970-01-01 of a Beijing date)."""
    return codes.seal_key(current_app.config["CODE_SEAL_SECRET"], day)


def ttl() -> int:
    return int(current_app.config["QR_TTL_SECONDS"])


def refresh_interval(lifetime: int) -> int:
    """When the client should fetch a new code: a quarter of the life (at least 10 s) before it ends."""
    return max(1, lifetime - max(10, lifetime // 4))


_INSERT_BATCH = Prepared(sa.insert(CodeBatch), column_keys=["tag", "subject_id", "kind", "issued_at", "valid_until"])


def open_batch(subject_id: int, kind: str, now: dt.datetime, valid_until: dt.datetime) -> str:
    """Record a new batch of the subject's codes and return its random tag (16 hex digits)."""
    tag = secrets.token_hex(codes.ID_BYTES)
    with raw_connection() as connection:
        _INSERT_BATCH.run(connection, tag=tag, subject_id=subject_id, kind=kind, issued_at=now,
                          valid_until=valid_until)
        connection.commit()
    return tag


def mint(tag: str, sealed: Sealed, start: dt.datetime, lifetime: int) -> IssuedCode:
    """A code of the batch `tag`, valid from `start` (whole seconds) for `lifetime` seconds, signed with the newest
    key and sealed with the key of the Beijing day it starts in."""
    not_before = int(start.timestamp())
    day = codes.day_number(local_date(start))
    payload = Payload(secrets.token_bytes(codes.ID_BYTES), not_before, lifetime, bytes.fromhex(tag), day, sealed)
    token = codes.encode(payload, current_app.config["CODE_SIGNING_KEYS"][-1], seal_key(day))
    return IssuedCode(token, dt.datetime.fromtimestamp(not_before, dt.UTC),
                      dt.datetime.fromtimestamp(not_before + lifetime, dt.UTC), lifetime, refresh_interval(lifetime))


def mint_windows(tag: str, sealed: Sealed, now: dt.datetime, valid_until: dt.datetime) -> list[IssuedCode]:
    """Consecutive windows of the configured life from now until `valid_until`, each its own code."""
    life, start = ttl(), int(now.timestamp())
    end = int(valid_until.timestamp())
    return [mint(tag, sealed, dt.datetime.fromtimestamp(at, dt.UTC), min(life, end - at))
            for at in range(start, end, life)]


def claim(token: str) -> Parsed | None:
    """What a scanned string says it is (batch tag, code id), before any check; None when it is no format-1 code."""
    try:
        return codes.parse(token)
    except codes.CodeRefused:
        return None


def check(parsed: Parsed, now: dt.datetime) -> None:
    """Signature, then window; raises CodeRefused with token_bad_signature or token_expired."""
    codes.check_signature(parsed, public_keys())
    codes.check_window(parsed, now, CLOCK_LEEWAY_SECONDS)


def render_png(token: str, scale: int = 8) -> bytes:
    """The token as a QR code (level M, quiet zone included) in a 1-bit PNG; zxing-cpp does it in under 1 ms."""
    symbol = zxingcpp.create_barcode(token, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    image = Image.fromarray(np.asarray(symbol.to_image(scale=1))).convert("1")
    buffer = io.BytesIO()
    image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST).save(buffer, "PNG")
    return buffer.getvalue()
