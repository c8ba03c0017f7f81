"""Identity rules: resident IDs, residence permits and credit codes as real people and firms hold them; names."""
import datetime as dt
import random

import pytest
from stdnum.cn import ric, uscc

from app.demo import enterprise_code, person_id, resident_id
from app.domain.identity import id_hash, mask_id_number, mask_name, normalize_id_number, normalize_name, parse_kind
from app.errors import DomainError

TODAY = dt.date(2026, 11, 20)


def _accepts(kind, number, today=TODAY):
    try:
        normalize_id_number(kind, number, today)
    except DomainError:
        return False
    return True


def _refusal(kind, number, today=TODAY) -> str:
    with pytest.raises(DomainError) as refused:
        normalize_id_number(kind, number, today)
    assert refused.value.code == "invalid_id_number"
    return refused.value.message


def _checked(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


def _credit_code(body17: str) -> str:
    return body17 + uscc.calc_check_digit(body17 + "0")


@pytest.mark.parametrize("number, who", [
    (resident_id("441702", dt.date(1965, 3, 12), 213), "江城区居民，1965年生；4417xx 自1988年起才有"),
    (resident_id("440303", dt.date(1958, 8, 8), 51), "深圳罗湖区居民，1958年生；4403xx 自1979年起"),
    (resident_id("441703", dt.date(2001, 1, 9), 17), "历史地址码：阳东区 441703 只在1988–1991年使用"),
    (resident_id("440300", dt.date(1985, 6, 1), 88), "地级市本级代码"),
    ("11010519491231002X", "GB 11643 的示例号码"),
    (resident_id("810000", dt.date(1983, 7, 1), 35), "香港居民居住证"),
    (resident_id("820000", dt.date(1990, 2, 28), 72), "澳门居民居住证"),
    (resident_id("830000", dt.date(1975, 10, 10), 9), "台湾居民居住证"),
    (resident_id("650102", dt.date(1900, 1, 1), 1), "1900年1月1日出生"),
    (resident_id("441702", TODAY, 2), "今天出生的婴儿"),
])
def test_genuine_numbers_are_accepted_whatever_the_birth_year(number, who):
    assert normalize_id_number("person", number, TODAY) == number, who


@pytest.mark.parametrize("number, problem", [
    (resident_id("441702", TODAY + dt.timedelta(days=1), 5), "出生日期不可能"),
    (resident_id("441702", dt.date(1899, 12, 31), 5), "出生日期不可能"),
    (_checked("44170219900230123"), "出生日期不存在"),
    (resident_id("441799", dt.date(1990, 1, 1), 5), "地址码"),
    (resident_id("999999", dt.date(1990, 1, 1), 5), "地址码"),
    (resident_id("840000", dt.date(1990, 1, 1), 5), "地址码"),
    ("11010519491231002X".replace("X", "1"), "校验位错误"),
    ("1101051949123100", "应为18位"),
    ("44170219900101123X5", "应为18位"),
    ("ABCDEFGHIJKLMNOPQR", "前17位应为数字"),
    ("", "应为18位"),
])
def test_impossible_numbers_are_refused_with_the_reason(number, problem):
    assert problem in _refusal("person", number)


def test_many_generated_numbers_and_their_altered_twins():
    rng = random.Random(11)
    good = [person_id(rng) for _ in range(300)]
    assert all(_accepts("person", number) for number in good)
    altered = [number[:-1] + ("0" if number[-1] != "0" else "1") for number in good]
    assert not any(_accepts("person", number) for number in altered)


def test_lower_case_x_and_stray_spaces_are_normalised():
    assert normalize_id_number("person", " 110105 19491231 002x ", TODAY) == "11010519491231002X"


@pytest.mark.parametrize("number", [
    "91110000600037341L", _credit_code("91441702MA4UXXXX0"), _credit_code("92441702MA5AB1234"),
    _credit_code("12441700007012345"), _credit_code("51441700MJ0000001"), _credit_code("Y1441702000000001"),
    _credit_code("N2441702MF0000001"), _credit_code("A1100000MB0000001"),
])
def test_credit_codes_of_every_registration_authority(number):
    assert normalize_id_number("enterprise", number, TODAY) == number


@pytest.mark.parametrize("number, problem", [
    (_credit_code("01441702MA4UXXXX0"), "登记管理部门"),
    (_credit_code("B1441702MA4UXXXX0"), "登记管理部门"),
    (_credit_code("95441702MA4UXXXX0"), "机构类别"),
    ("91110000600037341X", "校验位错误"),
    (_credit_code("9144170AMA4UXXXX0"), "不允许的字符"),
    ("91441702MA4UXXXXI" + "1", "不允许的字符"),
    ("9111000060003734", "应为18位"),
])
def test_bad_credit_codes_are_refused(number, problem):
    assert problem in _refusal("enterprise", number)


def test_generated_credit_codes_are_accepted():
    rng = random.Random(12)
    assert all(_accepts("enterprise", enterprise_code(rng)) for _ in range(100))


@pytest.mark.parametrize("kind, raw, stored", [
    ("person", "王守信", "王守信"),
    ("person", " 王 守信 ", "王守信"),
    ("person", "阿依古丽·买买提", "阿依古丽·买买提"),
    ("person", "阿依古丽•买买提", "阿依古丽·买买提"),
    ("person", "阿依古丽・买买提", "阿依古丽·买买提"),
    ("person", "JOHN  SMITH", "JOHN SMITH"),
    ("person", "𠮷野家", "𠮷野家"),
    ("person", "王〇", "王〇"),
    ("enterprise", "阳江市海陵五金制品有限公司", "阳江市海陵五金制品有限公司"),
    ("enterprise", "阳江（漠阳）A&B科技有限公司", "阳江（漠阳）A&B科技有限公司"),
    ("enterprise", "广东省第1建筑工程公司阳江分公司-江城项目部", "广东省第1建筑工程公司阳江分公司-江城项目部"),
    ("enterprise", "海陵、闸坡联合水产合作社", "海陵、闸坡联合水产合作社"),
])
def test_names_as_documents_show_them(kind, raw, stored):
    assert normalize_name(kind, raw) == stored


@pytest.mark.parametrize("kind, raw", [
    ("person", '=HYPERLINK("http://evil.example/","点我")'),
    ("enterprise", '=HYPERLINK("http://evil.example/","点我")'),
    ("person", "@SUM(1+1)"), ("enterprise", "@SUM(1+1)"),
    ("enterprise", "+86阳江公司"), ("enterprise", "-阳江公司"),
    ("person", "王\x07五"), ("person", "王五\u202e"), ("enterprise", "阳江\x00公司"),
    ("person", "王5"), ("person", "王<b>五</b>"),
    ("person", ""), ("person", "   "), ("person", "·王五"),
    ("person", "王" * 51), ("enterprise", "阳" * 101),
])
def test_names_no_document_shows_are_refused(kind, raw):
    with pytest.raises(DomainError) as refused:
        normalize_name(kind, raw)
    assert refused.value.code == "invalid_name"


def test_hash_is_keyed_and_kind_specific():
    number = "11010519491231002X"
    first = id_hash("person", number, "a-key")
    assert len(first) == 64 and number not in first
    assert id_hash("enterprise", number, "a-key") != first
    assert id_hash("person", number, "another-key") != first


@pytest.mark.parametrize("kind, name, masked", [
    ("person", "王五", "王*"), ("person", "王守信", "王*信"), ("person", "欧阳守信", "欧**信"),
    ("person", "A", "A"), ("person", "阿依古丽·买买提", "阿依古丽·买*提"),
    ("enterprise", "阳江市某某有限公司", "阳江市某某有限公司"),
])
def test_name_masking(kind, name, masked):
    assert mask_name(kind, name) == masked


def test_id_masking_keeps_three_and_four():
    assert mask_id_number("11010519491231002X") == "110***********002X"


@pytest.mark.parametrize("word, kind", [("person", "person"), ("个人", "person"), ("企业", "enterprise"),
                                        ("ENTERPRISE", "enterprise"), ("个体工商户", "enterprise")])
def test_kind_words(word, kind):
    assert parse_kind(word) == kind
