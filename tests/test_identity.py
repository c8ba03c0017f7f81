"""ID numbers: validation agrees with python-stdnum, hashing is keyed, masking keeps only what display needs."""
import random

import pytest
from stdnum.cn import ric, uscc

from app.errors import DomainError
from app.services.demo import enterprise_code, person_id
from app.services.identity import id_hash, mask_id_number, mask_name, normalize_id_number, parse_kind


def _accepts(kind, number):
    try:
        normalize_id_number(kind, number)
    except DomainError:
        return False
    return True


def test_resident_id_validation_agrees_with_stdnum(app):
    """The cached path must accept exactly what ric.validate accepts."""
    rng = random.Random(11)
    good = [person_id(rng) for _ in range(300)] + ["11010519491231002X", "110105194912310021"]
    altered = [number[:-1] + ("0" if number[-1] != "0" else "1") for number in good[:100]]
    odd = ["441704199001011236", "441702199002301234", "4417021990010112", "44170219900101123X5", "ABCDEFGHIJKLMNOPQR",
           " 11010519491231002x ", ""]
    for number in good + altered + odd:
        assert _accepts("person", number) == ric.is_valid(number), number


def test_uscc_validation_uses_stdnum(app):
    rng = random.Random(12)
    for number in [enterprise_code(rng) for _ in range(50)] + ["91110000600037341L", "91110000600037341X"]:
        assert _accepts("enterprise", number) == uscc.is_valid(number)


@pytest.mark.parametrize("number, problem", [
    ("11010519491231002X".replace("X", "1"), "校验位错误"),
    ("1101051949123100", "应为18位"),
])
def test_refusal_says_what_is_wrong(app, number, problem):
    with pytest.raises(DomainError) as refused:
        normalize_id_number("person", number)
    assert refused.value.code == "invalid_id_number" and problem in refused.value.message


def test_lower_case_x_is_normalised(app):
    assert normalize_id_number("person", "11010519491231002x") == "11010519491231002X"


def test_hash_is_keyed_and_kind_specific(app):
    number = "11010519491231002X"
    first = id_hash("person", number)
    assert len(first) == 64 and number not in first
    app.config["ID_HASH_KEY"] = "another-key"
    assert id_hash("person", number) != first


@pytest.mark.parametrize("kind, name, masked", [
    ("person", "王五", "王*"), ("person", "王守信", "王*信"), ("person", "欧阳守信", "欧**信"),
    ("person", "A", "A"), ("enterprise", "阳江市某某有限公司", "阳江市某某有限公司"),
])
def test_name_masking(kind, name, masked):
    assert mask_name(kind, name) == masked


def test_id_masking_keeps_three_and_four():
    assert mask_id_number("11010519491231002X") == "110***********002X"


@pytest.mark.parametrize("word, kind", [("person", "person"), ("个人", "person"), ("企业", "enterprise"),
                                        ("ENTERPRISE", "enterprise"), ("个体工商户", "enterprise")])
def test_kind_words(word, kind):
    assert parse_kind(word) == kind
