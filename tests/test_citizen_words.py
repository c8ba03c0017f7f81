"""Every refusal says why and what to do next, in plain words (issue 21, point 5): one reason on 首页, 亮码 and 措施,
the objection form preselected from it, sign-in errors that name the fix, error pages and the front door without codes
or jargon, masks a person still recognises, deadlines as the console writes them, and a favicon."""
import datetime as dt
import html
import random
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from flask import g

from app.demo import enterprise_code, resident_id
from app.domain.dates import LOCAL_TZ, today
from app.domain.identity import mask_name
from app.domain.lists import listing_expiry
from app.extensions import db
from app.models import ListCategory, ListEntry
from app.services import dishonesty, objections, subjects
from tests.helpers import Identity, identity, list_identity

PAGES = ("/m/", "/m/code", "/m/measures")
# A reason code as an API speaks it (objection_not_found, not_listed …), or the protocol's name.
CODE_LIKE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b|HTTP")


def _csrf(client, path="/m/login") -> str:
    g.pop("csrf_token", None)
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def _sign_in_form(client, kind: str, name: str, number: str):
    return client.post("/m/login", data={"csrf_token": _csrf(client), "kind": kind, "name": name,
                                         "id_number": number})


def _sign_in(client, who: Identity) -> None:
    response = _sign_in_form(client, who.kind, who.name, who.number)
    assert response.status_code == 302, response.get_data(as_text=True)


def _words(response) -> str:
    """What a page says to the person reading it: the text of its body, without tags."""
    body = response.get_data(as_text=True)
    body = body[body.index("<body"):]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


def _text(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return _words(response)


def _objection_link(client, path: str) -> dict[str, list[str]]:
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'href="(/m/objections/new[^"]*)"[^>]*>对名单有异议<', page)
    assert found, path
    return parse_qs(urlsplit(html.unescape(found.group(1))).query)


def _says_everywhere(client, *words: str) -> None:
    for path in PAGES:
        text = _text(client, path)
        for word in words:
            assert word in text, (path, word)
        assert "在“信易+”中" not in text, path


def test_a_suspension_says_which_record_on_every_page_and_its_objection_names_the_entry(client, catalogue):
    who = list_identity(identity(2101, name="钱守约"), today(), category="P02")
    recorded = today() - dt.timedelta(days=30)
    dishonesty.add_record(who.subject(), recorded, "市人民法院", "拒不履行生效判决", "test", today())
    entry_id = who.subject().entries[0].id
    _sign_in(client, who)
    _says_everywhere(client, "您的守信激励资格已暂停", f"{recorded.year}年{recorded.month}月{recorded.day}日",
                     "市人民法院", "拒不履行生效判决", "完成信用修复后资格自动恢复")
    for path in PAGES:
        assert _objection_link(client, path) == {"type": ["wrongly_suspended"], "entry_id": [str(entry_id)]}, path
    form = client.get(f"/m/objections/new?type=wrongly_suspended&entry_id={entry_id}").get_data(as_text=True)
    assert re.search(r'value="wrongly_suspended"\s+checked', form)
    assert re.search(rf'value="{entry_id}"\s+selected', form)


def test_an_open_objection_on_the_suspension_points_to_its_progress(client, catalogue):
    who = list_identity(identity(2102, name="钱异议"), today(), category="P02")
    dishonesty.add_record(who.subject(), today() - dt.timedelta(days=3), "市税务局", "", "test", today())
    subject = who.subject()
    objections.file_objection(subject.id, "wrongly_suspended", "这条记录不是我的", subject.entries[0].id, None, [],
                              dt.datetime.now(dt.UTC))
    _sign_in(client, who)
    for path in PAGES:
        page = client.get(path).get_data(as_text=True)
        assert "查看异议进度" in page and "您提出的名单异议正在办理" in page, path


def test_an_expired_listing_says_when_and_which_department_renews_it(client, catalogue):
    who = identity(2103, name="赵续期")
    subject = subjects.new_subject("person", who.number, who.name)
    category = db.session.scalar(sa.select(ListCategory).where(ListCategory.code == "P07"))
    recognized = today() - dt.timedelta(days=800)
    entry = ListEntry(subject=subject, category=category, recognized_on=recognized,
                      expires_on=listing_expiry(recognized))
    db.session.add_all([subject, entry])
    db.session.commit()
    ended = entry.expires_on
    _sign_in(client, who)
    _says_everywhere(client, "您的守信激励名单已过有效期", f"已于{ended.year}年{ended.month}月{ended.day}日到期",
                     "请联系报送单位 市妇联 续期")
    assert _objection_link(client, "/m/code") == {"type": ["wrong_entry"], "entry_id": [str(entry.id)]}


def test_not_listed_says_how_to_get_listed_and_objects_as_not_listed(client, catalogue):
    who = identity(2104, name="周未列")
    _sign_in(client, who)
    _says_everywhere(client, "您尚未列入守信激励对象名单", "申请核查补录")
    for path in PAGES:
        assert _objection_link(client, path) == {"type": ["not_listed"]}, path
    form = client.get("/m/objections/new?type=not_listed").get_data(as_text=True)
    assert re.search(r'value="not_listed"\s+checked', form)


def _measure_card(page: str, title: str) -> str:
    start = page.rindex("<article", 0, page.index(f"<h3>{title}</h3>"))
    return page[start:page.index("</article>", start)]


def test_each_measure_a_listed_citizen_cannot_use_says_why(client, catalogue):
    who = list_identity(identity(2105, name="陈等级"), today(), category="P02", grade="B")
    _sign_in(client, who)
    page = html.unescape(client.get("/m/measures").get_data(as_text=True))
    assert "您暂不适用" in _measure_card(page, "守信个人免费健康体检")
    assert "需信用等级 A 及以上，您的等级为 B" in _measure_card(page, "守信个人免费健康体检")
    assert "这项措施只面向企业" in _measure_card(page, "行政审批绿色通道、容缺受理")
    assert "只面向“交通运输系统劳动模范、先进工作者”名单中的对象" in _measure_card(page, "交通运输系统劳动模范免费乘车")
    assert "您可享受" in _measure_card(page, "守信个人乘坐市内公交车5折优惠")
    assert "您暂不适用" not in _measure_card(page, "守信个人乘坐市内公交车5折优惠")


def test_jargon_is_explained_where_it_appears(client, catalogue):
    who = list_identity(identity(2106, name="陈明白"), today(), category="P02", grade="B")
    _sign_in(client, who)
    measures = html.unescape(client.get("/m/measures").get_data(as_text=True))
    assert "容缺受理：主要材料齐全" in _measure_card(measures, "行政审批绿色通道、容缺受理")
    assert "从高到低为 AAA、AA、A、B、C、D" in _measure_card(measures, "守信个人免费健康体检")
    for chip in ("乘车出行 （信易行）", "图书借阅 （信易阅）", "看病就医 （信易医）", "政务办事 （信易批）"):
        assert chip in _text(client, "/m/measures"), chip
    assert "从高到低为 AAA、AA、A、B、C、D" in _text(client, "/m/")


def _refused_sign_in(client, kind: str, name: str, number: str) -> str:
    response = _sign_in_form(client, kind, name, number)
    page = response.get_data(as_text=True)
    assert response.status_code in (401, 422), page
    assert number not in page and number.replace(" ", "") not in page
    assert f'value="{name}"' in page
    return html.unescape(page)


def test_an_id_number_typed_with_spaces_or_full_width_digits_signs_in(client, catalogue):
    number = resident_id("441702", dt.date(1965, 3, 12), 213)
    spaced = f"{number[:6]} {number[6:14]} {number[14:]}"
    assert _sign_in_form(client, "person", "冯海生", spaced).status_code == 302
    client.post("/m/logout", data={"csrf_token": _csrf(client, "/m/")})
    full_width = "".join(chr(ord(char) + 0xFEE0) for char in number)
    assert _sign_in_form(client, "person", "冯海生", full_width).status_code == 302


@pytest.mark.parametrize("number", ["A123456(7)", "A123456（7）", "ab 987654 3"])
def test_a_hong_kong_identity_card_is_told_to_use_the_residence_permit(client, catalogue, number):
    page = _refused_sign_in(client, "person", "陈家明", number)
    assert "香港身份证号码不能用于登录，请填写港澳居民居住证号码（810000 开头的 18 位号码）" in page


def test_a_number_of_the_other_kind_is_told_which_kind_to_choose(client, catalogue):
    credit_code = enterprise_code(random.Random(21))
    assert "这是企业的统一社会信用代码，请选择“企业”" in _refused_sign_in(client, "person", "阳江某公司", credit_code)
    person = resident_id("810000", dt.date(1983, 7, 1), 35)
    assert "这是个人的居民身份证号码，请选择“个人”" in _refused_sign_in(client, "enterprise", "陈家明", person)


def test_a_name_without_its_middle_dot_is_told_to_type_it(client, catalogue):
    who = list_identity(Identity("person", "阿依古丽·买买提", resident_id("650102", dt.date(1992, 5, 20), 46)),
                        today())
    page = _refused_sign_in(client, "person", "阿依古丽买买提", who.number)
    assert "请按证件上的姓名填写，包括间隔号（·）" in page
    other = _refused_sign_in(client, "person", "王五", who.number)
    assert "间隔号" not in other and "阿依古丽" not in other and "与证件号码不匹配" in other
    _sign_in(client, who)
    assert "阿依古丽·买*提" in _text(client, "/m/")


def test_a_middle_dot_name_stays_recognisable_when_masked():
    assert mask_name("person", "阿依古丽·买买提") == "阿依古丽·买*提"
    assert mask_name("person", "约翰·史密斯") == "约翰·史*斯"
    assert mask_name("person", "阿依古丽·买") == "阿***·*"
    assert mask_name("person", "欧阳守信") == "欧**信"


def test_a_citizen_error_page_says_what_happened_and_what_to_do_without_codes(client, catalogue):
    _sign_in(client, list_identity(identity(2107, name="林出错"), today()))
    for path, words in (("/m/objections/999999", "异议不存在"), ("/m/complaints/999999", "不存在"),
                        ("/m/no-such-page", "页面或资源不存在")):
        response = client.get(path, headers={"Accept": "text/html"})
        assert response.status_code == 404 and response.mimetype == "text/html", path
        text = _words(response)
        assert words in text and "回到首页重新进入" in text, path
        assert not CODE_LIKE.search(text), (path, CODE_LIKE.search(text))


def test_the_front_door_speaks_to_citizens_in_words(client):
    text = _text(client, "/")
    assert not CODE_LIKE.search(text) and "API" not in text and "接口" not in text
    assert "开发者" in text and 'href="/api/v1/docs"' in client.get("/").get_data(as_text=True)
    missing = client.get("/no-such-page", headers={"Accept": "text/html"})
    assert missing.status_code == 404 and not CODE_LIKE.search(_words(missing))


def test_a_case_deadline_reads_as_the_end_of_its_last_day(client, catalogue):
    who = list_identity(identity(2108, name="孙期限"), today())
    _sign_in(client, who)
    filed = objections.file_objection(who.subject().id, "other", "请核对我的名单信息", None, None, [],
                                      dt.datetime.now(dt.UTC))
    last = (filed.due_at.astimezone(LOCAL_TZ) - dt.timedelta(seconds=1)).date()
    text = _text(client, f"/m/objections/{filed.id}")
    assert f"{last.month}月{last.day}日 24:00 前（还剩" in text and "00:00 前" not in text


def test_every_page_has_a_favicon_that_is_served(client, catalogue):
    for path in ("/", "/m/login", "/m/measures"):
        page = client.get(path).get_data(as_text=True)
        icon = re.search(r'<link rel="icon" type="image/svg\+xml" href="([^"]+)"', page)
        assert icon, path
        answer = client.get(icon.group(1))
        assert answer.status_code == 200 and answer.mimetype == "image/svg+xml" and b"<svg" in answer.data
    asked = client.get("/favicon.ico", follow_redirects=True)  # where a browser looks when a page names none
    assert asked.status_code == 200 and asked.mimetype == "image/svg+xml"
