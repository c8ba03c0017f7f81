"""Who a subject is: what a valid ID number and name are (for every surface alike), keyed hashing, and masking."""
import datetime as dt
import hashlib
import hmac
import re
import unicodedata
from functools import lru_cache

from stdnum import numdb
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError

from app.errors import DomainError

PERSON, ENTERPRISE = "person", "enterprise"
SUBJECT_KINDS = (PERSON, ENTERPRISE)
KIND_NAMES = {PERSON: "个人", ENTERPRISE: "企业"}
_KIND_WORDS = {"person": PERSON, "个人": PERSON, "enterprise": ENTERPRISE, "企业": ENTERPRISE,
               "个体工商户": ENTERPRISE}

# Residence permits of Hong Kong, Macao and Taiwan residents (港澳台居民居住证) carry these in place of an address code.
RESIDENCE_PERMIT_REGIONS = {"810000": "香港", "820000": "澳门", "830000": "台湾"}
EARLIEST_BIRTH = dt.date(1900, 1, 1)

# GB 32100-2015 annex A: registration authority (登记管理部门) → the entity categories (机构类别) it registers.
REGISTRATION_AUTHORITIES = {
    "1": "1239", "2": "19", "3": "1234569", "4": "19", "5": "1239", "6": "129", "7": "129", "8": "19", "9": "123",
    "A": "19", "N": "1239", "Y": "1",
}
_USCC_ALPHABET = frozenset("0123456789ABCDEFGHJKLMNPQRTUWXY")

PERSON_NAME_LENGTH = 50
ENTERPRISE_NAME_LENGTH = 100
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f\u3007"
_PERSON_NAME = re.compile(f"[{_HAN}·A-Za-z ]+")
_ENTERPRISE_NAME = re.compile(f"[{_HAN}·A-Za-z0-9 （）()&\\-、]+")
# What people type for the middle dot of minority and foreign names (买买提·艾力): the ID card prints U+00B7.
_MIDDLE_DOTS = str.maketrans({"•": "·", "・": "·", "･": "·", "∙": "·", "‧": "·", "\u3000": " "})
_SPACE_BESIDE_HAN = re.compile(f"(?<=[{_HAN}·]) | (?=[{_HAN}·])")
FORMULA_LEADS = ("=", "+", "-", "@")
# A Hong Kong identity card number: one or two letters, six digits and a check digit, often in brackets (A123456(7)).
_HONG_KONG_ID = re.compile(r"[A-Z]{1,2}[0-9]{6}\(?[0-9A]\)?")
HONG_KONG_ID_HINT = "香港身份证号码不能用于登录，请填写港澳居民居住证号码（810000 开头的 18 位号码）"
CHOOSE_KIND_HINTS = {PERSON: "这是企业的统一社会信用代码，请选择“企业”",
                     ENTERPRISE: "这是个人的居民身份证号码，请选择“个人”"}
NAME_MISMATCH = "姓名/名称与证件号码不匹配，请按证件上的姓名或营业执照上的名称填写"
MIDDLE_DOT_HINT = "姓名与证件号码不匹配：请按证件上的姓名填写，包括间隔号（·）"


def parse_kind(raw: str) -> str:
    """Map `person`/`个人`/`enterprise`/`企业` to the stored kind, or refuse."""
    kind = _KIND_WORDS.get((raw or "").strip().lower())
    if kind is None:
        raise DomainError("invalid_kind", "主体类型应为 person/个人 或 enterprise/企业")
    return kind


def _invalid(kind: str, problem: str) -> DomainError:
    label = "居民身份证号码" if kind == PERSON else "统一社会信用代码"
    return DomainError("invalid_id_number", f"{label}无效：{problem}，请对照证件逐位核对")


@lru_cache(maxsize=8192)
def known_address_code(code: str) -> bool:
    """Whether six digits are, or ever were, an administrative division code (any year), or a residence permit's.

    The address code is that of the registered residence when the number was issued, so it may be younger than its
    holder (a Yangjiang citizen born in 1965 holds a 4417xx number, a code that exists since 1988).
    """
    if code in RESIDENCE_PERMIT_REGIONS:
        return True
    return any(props.get("county") for _, props in numdb.get("cn/loc").info(code))


def _resident_id(number: str, today: dt.date) -> str:
    if len(number) != 18:
        raise _invalid(PERSON, "应为18位")
    if not number[:17].isdigit() or number[17] not in "0123456789X":
        raise _invalid(PERSON, "前17位应为数字，末位为数字或 X")
    if number[-1] != ric.calc_check_digit(number):
        raise _invalid(PERSON, "校验位错误")
    try:
        birth = ric.get_birth_date(number)
    except ValidationError:
        raise _invalid(PERSON, "出生日期不存在") from None
    if birth < EARLIEST_BIRTH or birth > today:
        raise _invalid(PERSON, "出生日期不可能（早于1900年或晚于今天）")
    if not known_address_code(number[:6]):
        raise _invalid(PERSON, "地址码不是（也从来不是）行政区划代码")
    return number


def _credit_code(number: str) -> str:
    if len(number) != 18:
        raise _invalid(ENTERPRISE, "应为18位")
    categories = REGISTRATION_AUTHORITIES.get(number[0])
    if categories is None or number[1] not in categories:
        raise _invalid(ENTERPRISE, "登记管理部门代码或机构类别代码不存在")
    if not number[2:8].isdigit() or not set(number[8:]) <= _USCC_ALPHABET:
        raise _invalid(ENTERPRISE, "含有不允许的字符")
    if number[-1] != uscc.calc_check_digit(number):
        raise _invalid(ENTERPRISE, "校验位错误")
    return number


def _typed_number(raw: str) -> str:
    """A number as typed, without spaces, full-width digits and letters made ASCII (４４１７ → 4417), x as X."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", raw or "")).upper()


def normalize_id_number(kind: str, raw: str, today: dt.date) -> str:
    """The canonical ID number (resident ID, HK/Macao/Taiwan residence permit, or credit code), or invalid_id_number."""
    number = _typed_number(raw)
    return _resident_id(number, today) if kind == PERSON else _credit_code(number)


def sign_in_hint(kind: str, raw: str, today: dt.date) -> str | None:
    """What to do instead, for a refused number a person signing in often types: a Hong Kong identity card, or a
    valid number of the other kind (a credit code with 个人 chosen, an ID number with 企业); None otherwise."""
    number = _typed_number(raw)
    if kind == PERSON and _HONG_KONG_ID.fullmatch(number):
        return HONG_KONG_ID_HINT
    other = ENTERPRISE if kind == PERSON else PERSON
    try:
        normalize_id_number(other, number, today)
    except DomainError:
        return None
    return CHOOSE_KIND_HINTS[kind]


def name_mismatch(on_record: str, typed: str) -> str:
    """What a person whose name does not match the number's is told: the middle dot when only it is missing (the
    letters typed are theirs), never anything of the name on record."""
    undotted = on_record.replace("·", "")
    if undotted != on_record and typed.replace("·", "").replace(" ", "") == undotted.replace(" ", ""):
        return MIDDLE_DOT_HINT
    return NAME_MISMATCH


def normalize_name(kind: str, raw: str) -> str:
    """A name as an ID card or a business licence can show it, trimmed; invalid_name otherwise.

    Persons: Chinese characters, the middle dot, Latin letters and spaces (minority and foreign names), 1–50
    characters. Enterprises also digits and （）()&-、, up to 100. Nothing that a spreadsheet would run as a formula.
    """
    name = _SPACE_BESIDE_HAN.sub("", " ".join((raw or "").translate(_MIDDLE_DOTS).split()))
    person = kind == PERSON
    limit, pattern = (PERSON_NAME_LENGTH, _PERSON_NAME) if person else (ENTERPRISE_NAME_LENGTH, _ENTERPRISE_NAME)
    if not name or len(name) > limit:
        raise DomainError("invalid_name", f"{'姓名' if person else '名称'}应为 1–{limit} 个字符")
    if name.startswith(FORMULA_LEADS) or name.startswith("·") or name.endswith("·"):
        raise DomainError("invalid_name", f"{'姓名' if person else '名称'}不能以 = + - @ 或间隔号开头")
    if not pattern.fullmatch(name):
        allowed = "汉字、间隔号“·”、英文字母和空格" if person else "汉字、英文字母、数字、空格和（）()·&-、"
        raise DomainError("invalid_name", f"{'姓名' if person else '名称'}只能包含{allowed}")
    return name


def id_hash(kind: str, number: str, key: str) -> str:
    """Keyed hash used to find a subject by ID number without storing the number."""
    return hmac.new(key.encode(), f"{kind}:{number}".encode(), hashlib.sha256).hexdigest()


def mask_id_number(number: str) -> str:
    """Keep the first 3 and last 4 characters: enough to tell two numbers apart, not to recover one."""
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def _mask(name: str) -> str:
    """张* 张*丰 欧**信: the first and the last character stay."""
    if len(name) < 2:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_name(kind: str, name: str) -> str:
    """Mask a person's name (张*、张*丰) so its owner still knows it; enterprise names are public registration data.

    A name with a middle dot keeps what comes before the last dot and masks the part after it as a Han name is
    masked (阿依古丽·买*提, 约翰·史*斯); when that part is one character, all but the first character and the dots.
    """
    if kind == ENTERPRISE:
        return name
    first, dot, last = name.rpartition("·")
    if not dot:
        return _mask(name)
    if len(last) >= 2:
        return f"{first}·{_mask(last)}"
    return name[0] + "".join(char if char == "·" else "*" for char in name[1:])
