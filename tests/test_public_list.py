"""守信激励对象公示 (/public/list and its CSV) over HTTP, and once in Chromium on a phone.

Set SAVE_H5_SCREENSHOTS=<folder> to keep the page's screenshots (docs/h5/public-list*.png are the committed ones).
"""
import csv
import datetime as dt
import io
import random
import re

import pytest
import sqlalchemy as sa

from app import demo
from app.demo import enterprise_code, person_id
from app.domain.dates import chinese_date, today, utcnow
from app.domain.identity import mask_id_number
from app.domain.lists import listing_expiry, refusal_of
from app.extensions import db
from app.models import ListCategory, ListEntry, Subject
from app.services import dishonesty, imports, lists, objections, subjects
from app.services.dishonesty import is_excluded
from app.services.objections import entries_under_objection
from tests.browser import PHONE, axe_violations, requires_chromium, snap, watch_for_policy_violations
from tests.live_server import LiveServer

SHOTS = "SAVE_H5_SCREENSHOTS"
RECOGNIZED_DAYS_AGO = 100


def _import(rows: list[tuple[str, str, str, str]]) -> None:
    """(kind, name, number, category) rows, all recognised RECOGNIZED_DAYS_AGO days ago."""
    day = today() - dt.timedelta(days=RECOGNIZED_DAYS_AGO)
    data = "kind,name,id_number,category,recognized_on\n" + "".join(
        f"{kind},{name},{number},{category},{day}\n" for kind, name, number, category in rows)
    report = imports.import_list("t.csv", data.encode(), "test", today())
    assert report.refused == 0, report.errors


def _entry(number: str, kind: str = "person") -> ListEntry:
    return subjects.find_subject(kind, number).entries[0]


@pytest.fixture
def people(catalogue):
    """Listed enterprises and persons, and one of each way off the 公示: suspended, objected to, expired, revoked."""
    rng = random.Random(21)
    numbers = {key: person_id(rng) for key in ("honour", "medic1", "medic2", "medic3", "police", "suspended",
                                                 "objecting", "expired", "revoked")}
    numbers |= {key: enterprise_code(rng) for key in ("hardware", "trading", "blocked", "disputed")}
    _import([
        ("enterprise", "阳江市守信五金有限公司", numbers["hardware"], "E02"),
        ("enterprise", "阳江市明德贸易有限公司", numbers["trading"], "E01"),
        ("enterprise", "阳江市失信建材有限公司", numbers["blocked"], "E02"),
        ("enterprise", "阳江市争议物流有限公司", numbers["disputed"], "E05"),
        ("person", "王守信", numbers["honour"], "P02"),
        ("person", "李医生", numbers["medic1"], "P01"),
        ("person", "张护士", numbers["medic2"], "P01"),
        ("person", "陈大夫", numbers["medic3"], "P01"),
        ("person", "赵警官", numbers["police"], "P04"),
        ("person", "钱暂停", numbers["suspended"], "P03"),
        ("person", "孙异议", numbers["objecting"], "P03"),
        ("person", "吴撤销", numbers["revoked"], "P03"),
    ])
    for key, kind in (("suspended", "person"), ("blocked", "enterprise")):
        dishonesty.add_record(subjects.find_subject(kind, numbers[key]), today() - dt.timedelta(days=5), "市人民法院",
                              "拒不履行生效判决", "test", today())
    for key, kind in (("objecting", "person"), ("disputed", "enterprise")):
        entry = _entry(numbers[key], kind)
        objections.file_objection(entry.subject_id, "wrong_entry", "认定日期有误，请核实", entry.id, None, [],
                                  utcnow())
    lists.revoke_entry(_entry(numbers["revoked"]).id, "荣誉被撤销", "test")
    expired = subjects.new_subject("person", numbers["expired"], "周过期")
    recognized = today() - dt.timedelta(days=800)
    db.session.add(ListEntry(subject=expired, recognized_on=recognized, expires_on=listing_expiry(recognized),
                             category=db.session.scalar(sa.select(ListCategory).where(ListCategory.code == "P03"))))
    db.session.commit()
    return numbers


def _csv(client, query: str = "") -> list[list[str]]:
    response = client.get(f"/public/list.csv{query}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def _text(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_enterprises_with_name_code_category_recognition_and_validity(client, people):
    page = _text(client, "/public/list")
    recognized = today() - dt.timedelta(days=RECOGNIZED_DAYS_AGO)
    article = re.search(r'<article class="card subject">\s*<h3>阳江市守信五金有限公司</h3>.*?</article>', page, re.S)
    assert article, page
    for shown in (people["hardware"], "A级纳税人企业", "市税务局", chinese_date(recognized),
                  chinese_date(listing_expiry(recognized))):
        assert shown in article.group(0), shown
    assert "阳江市明德贸易有限公司" in page
    assert "王守信" not in page and "王*信" not in page  # persons have their own view


def test_persons_only_as_counts_or_masked_honour(client, people):
    page = _text(client, "/public/list?kind=person")
    counts = dict(re.findall(r'category=(P\d\d)">[^<]+</a>.*?<td class="num">(\d+)</td>', page, re.S))
    assert counts["P01"] == "3" and counts["P02"] == "1" and counts["P04"] == "1" and counts["P03"] == "0"
    assert "<h3>王*信</h3>" in page and "道德模范、诚信之星、阳江好人" in page  # an honour: masked name with it
    assert "<h3>3 人</h3>" in page  # the three medics recognised the same day: one count, no names
    for name in ("王守信", "李医生", "李*生", "张护士", "张*士", "陈大夫", "陈*夫", "赵警官", "赵*官"):
        assert name not in page, name
    rows = _csv(client, "?kind=person")
    assert rows[0] == ["名单类别", "报送单位", "荣誉称号", "姓名（部分隐去）", "人数", "认定日期", "有效期至"]
    by_category = {(row[0], row[3]): row[4] for row in rows[1:]}
    assert by_category == {("道德模范、诚信之星、阳江好人", "王*信"): "1",
                           ("驰援湖北参与抗击新冠肺炎疫情的医务人员", ""): "3",
                           ("公安系统英雄模范、特级优秀人民警察", ""): "1"}


def test_suspended_under_objection_expired_and_revoked_are_not_shown(client, people):
    hidden = ("钱暂停", "钱*停", "孙异议", "孙*议", "周过期", "周*期", "吴撤销", "吴*销", "阳江市失信建材有限公司",
              "阳江市争议物流有限公司")
    everything = (_text(client, "/public/list") + _text(client, "/public/list?kind=person")
                  + _text(client, "/public/list?kind=person&category=P03") + str(_csv(client))
                  + str(_csv(client, "?kind=person")))
    for name in hidden:
        assert name not in everything, name
    assert sorted(row[0] for row in _csv(client)[1:]) == sorted(["阳江市明德贸易有限公司", "阳江市守信五金有限公司"])


def test_what_is_shown_is_what_the_list_rule_allows(client):
    """The 公示's SQL agrees with refusal_of and the open objections on the demo's mix of subjects."""
    demo.seed(today(), listed_count=200)
    objections.file_objection(_first_listed("enterprise").subject_id, "wrong_entry", "名称有误，请更正",
                              _first_listed("enterprise").id, None, [], utcnow())
    day = today()
    allowed = set()
    for subject in db.session.scalars(sa.select(Subject).where(Subject.kind == "enterprise")):
        disputed, blocked = entries_under_objection(subject.id), is_excluded(subject.id, day)
        allowed |= {(subject.name, entry.category.name, entry.recognized_on.isoformat()) for entry in subject.entries
                    if refusal_of(blocked, [entry], day) is None and entry.id not in disputed}
    shown = {(row[0], row[2], row[4]) for row in _csv(client)[1:]}
    assert shown == allowed and len(shown) > 10


def _first_listed(kind: str) -> ListEntry:
    return db.session.scalar(sa.select(ListEntry).join(Subject).where(Subject.kind == kind).order_by(ListEntry.id))


def test_search_by_enterprise_name_is_literal_and_filters_the_csv_too(client, people):
    page = _text(client, "/public/list?q=五金")
    assert "阳江市守信五金有限公司" in page and "阳江市明德贸易有限公司" not in page
    assert 'value="五金"' in page  # the search box keeps what was typed
    assert [row[0] for row in _csv(client, "?q=五金")[1:]] == ["阳江市守信五金有限公司"]
    assert "没有找到符合条件的企业" in _text(client, "/public/list?q=%25")  # % is a character, not a wildcard
    by_category = _text(client, "/public/list?category=E01")
    assert "阳江市明德贸易有限公司" in by_category and "阳江市守信五金有限公司" not in by_category


def test_pages_of_twenty_keep_the_search(client, catalogue):
    rng = random.Random(5)
    names = [f"阳江市五金{index:02d}有限公司" for index in range(25)]
    _import([("enterprise", name, enterprise_code(rng), "E02") for name in names]
            + [("enterprise", "阳江市别的贸易有限公司", enterprise_code(rng), "E02")])
    first = _text(client, "/public/list?q=五金")
    shown = re.findall(r"<h3>(阳江市五金\d\d有限公司)</h3>", first)
    assert shown == names[:20]
    following = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    assert "q=%E4%BA%94%E9%87%91" in following and "page=2" in following
    second = _text(client, following)
    assert re.findall(r"<h3>(阳江市五金\d\d有限公司)</h3>", second) == names[20:]
    assert 'rel="next"' not in second and 'rel="prev"' in second
    assert len(_csv(client, "?q=五金")) == 1 + 25  # the open data holds every page


def test_a_page_reads_the_same_few_statements_however_many_rows(client, people, app):
    """Aggregates and the page in the database: no statement per row shown."""
    statements = []

    def seen(_connection, _cursor, statement, *_):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        for url in ("/public/list", "/public/list?kind=person", "/public/list?q=守信"):
            statements.clear()
            _text(client, url)
            assert len([sql for sql in statements if sql.lstrip().upper().startswith("SELECT")]) == 2, url
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)


def test_csv_cells_never_run_as_formulas(client, catalogue):
    rng = random.Random(9)
    formula = subjects.new_subject("enterprise", enterprise_code(rng), "=HYPERLINK(\"http://x\",\"点我\")")
    category = db.session.scalar(sa.select(ListCategory).where(ListCategory.code == "E02"))
    recognized = today() - dt.timedelta(days=3)
    db.session.add(ListEntry(subject=formula, category=category, recognized_on=recognized,
                             expires_on=listing_expiry(recognized)))
    db.session.commit()
    rows = _csv(client)
    assert rows[0] == ["企业名称", "统一社会信用代码", "名单类别", "报送单位", "认定日期", "有效期至"]
    assert rows[1][0] == "'=HYPERLINK(\"http://x\",\"点我\")"
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_no_id_number_of_a_person_anywhere(client, people):
    persons = [key for key in people if key not in ("hardware", "trading", "blocked", "disputed")]
    everything = "".join(_text(client, url) for url in (
        "/public/list", "/public/list?kind=person", "/public/list?kind=person&category=P02",
        "/public/list?kind=person&category=P01"))
    everything += str(_csv(client)) + str(_csv(client, "?kind=person"))
    for key in persons:
        number = people[key]
        for form in (number, number[:17], number[-6:], mask_id_number(number)):
            assert form not in everything, (key, form)


def test_public_answers_may_be_cached_and_odd_queries_get_a_page(client, people):
    for url in ("/public/list?kind=person", "/public/list.csv"):
        response = client.get(url)
        assert response.headers["Cache-Control"] == "public, max-age=300", url
        assert "Set-Cookie" not in response.headers
    assert client.get("/m/measures").headers["Cache-Control"] == "no-store"  # a citizen page stays personal
    refused = client.get("/public/list?page=0", headers={"Accept": "text/html"})
    assert refused.status_code == 400 and refused.headers["Cache-Control"] == "no-store"
    assert "回到公示名单" in refused.get_data(as_text=True)
    assert "阳江市明德贸易有限公司" in _text(client, "/public/list?utm_source=wechat&category=")


def test_the_front_door_links_to_the_list(client):
    assert 'href="/public/list"><b>守信激励对象公示</b>' in _text(client, "/")


# ---- in Chromium, on a phone ------------------------------------------------------------------------------------


@pytest.fixture
def live(app, database_url, tmp_path):
    demo.seed(today(), listed_count=300)
    server = LiveServer(database_url, tmp_path / "server.log")
    server.start()
    yield server
    server.kill()


@requires_chromium
def test_on_a_phone(browser, live):
    pytest.importorskip("playwright.sync_api")
    context = browser.new_context(base_url=live.url, locale="zh-CN", **PHONE)
    context.set_default_timeout(15_000)
    phone = context.new_page()
    refused = watch_for_policy_violations(phone)
    try:
        phone.goto("/")
        with phone.expect_navigation():
            phone.get_by_role("link", name="守信激励对象公示").click()
        assert phone.url.endswith("/public/list")
        assert phone.locator("article.subject").count() == 20
        _fits_and_passes_axe(phone)
        snap(phone, SHOTS, "public-list")
        phone.get_by_label("企业名称").fill("五金")
        with phone.expect_navigation():
            phone.get_by_role("button", name="查询").click()
        names = phone.locator("article.subject h3").all_inner_texts()
        assert names and all("五金" in name for name in names)
        with phone.expect_navigation():
            phone.get_by_role("link", name="个人").click()
        honour = phone.get_by_role("rowheader").filter(has_text="道德模范、诚信之星、阳江好人")
        assert honour.get_by_text("荣誉称号").is_visible()
        assert phone.locator("article.subject h3", has_text="*").count() >= 1  # honour holders, masked
        _fits_and_passes_axe(phone)
        snap(phone, SHOTS, "public-list-persons")
    finally:
        context.close()
    assert refused == []


def _fits_and_passes_axe(phone) -> None:
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390, phone.url
    assert axe_violations(phone) == [], phone.url
