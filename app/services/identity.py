"""Identity numbers: check-digit validation, keyed hashing for lookup, and masking for display."""
import hashlib
import hmac
import secrets
from functools import lru_cache

from flask import current_app
from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError

from app.errors import DomainError
from app.models import ENTERPRISE, PERSON

_KIND_WORDS = {"person": PERSON, "个人": PERSON, "enterprise": ENTERPRISE, "企业": ENTERPRISE,
               "个体工商户": ENTERPRISE}
_PROBLEMS = {InvalidChecksum: "校验位错误", InvalidLength: "应为18位", InvalidComponent: "出生日期或组成部分无效"}
QR_REF_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def parse_kind(raw: str) -> str:
    """Map `person`/`个人`/`enterprise`/`企业` to the stored kind, or refuse."""
    kind = _KIND_WORDS.get((raw or "").strip().lower())
    if kind is None:
        raise DomainError("invalid_kind", "主体类型应为 person/个人 或 enterprise/企业")
    return kind


@lru_cache(maxsize=8192)
def _known_birthplace(region: str, birth_year: int) -> bool:
    """Whether a region code existed in a birth year (stdnum's table search, cached: imports repeat few regions)."""
    try:
        ric.get_birth_place(f"{region}{birth_year:04d}01010000")
    except InvalidComponent:
        return False
    return True


def _validate_resident_id(number: str) -> str:
    """ric.validate, step for step, with its per-call region-table search cached by region and year."""
    number = ric.compact(number)
    if len(number) != 18:
        raise InvalidLength()
    if not number[:-1].isdigit():
        raise InvalidFormat()
    if number[-1] != ric.calc_check_digit(number):
        raise InvalidChecksum()
    if not _known_birthplace(number[:6], ric.get_birth_date(number).year):
        raise InvalidComponent()
    return number


def normalize_id_number(kind: str, raw: str) -> str:
    """Return the canonical ID number, or refuse one whose format or check digit is wrong."""
    number = (raw or "").strip().upper()
    try:
        return _validate_resident_id(number) if kind == PERSON else uscc.validate(number)
    except ValidationError as exc:
        label = "居民身份证号码" if kind == PERSON else "统一社会信用代码"
        raise DomainError("invalid_id_number", f"{label}无效：{_PROBLEMS.get(type(exc), '格式错误')}") from None


def id_hash(kind: str, number: str) -> str:
    """Keyed hash used to find a subject by ID number without storing the number."""
    key = current_app.config["ID_HASH_KEY"].encode()
    return hmac.new(key, f"{kind}:{number}".encode(), hashlib.sha256).hexdigest()


def mask_id_number(number: str) -> str:
    """Keep the first 3 and last 4 characters: enough to tell two numbers apart, not to recover one."""
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def mask_name(kind: str, name: str) -> str:
    """Mask a person's name (张*、张*丰); enterprise names are public registration data and stay whole."""
    if kind == ENTERPRISE or len(name) < 2:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def new_qr_ref() -> str:
    """An opaque random reference that stands for the subject inside QR codes."""
    return "".join(secrets.choice(QR_REF_ALPHABET) for _ in range(8))
