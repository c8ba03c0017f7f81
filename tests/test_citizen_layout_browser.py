"""Every citizen page for a citizen of seventy, in Chromium: standard and 长辈版 sizes, 200 % zoom, a 32 px font.

Set SAVE_H5_SCREENSHOTS=docs/h5 to keep a PNG of every page in both modes.
"""
import datetime as dt

import pytest

from app.demo import resident_id
from app.domain.dates import today, utcnow
from app.services import complaints, objections
from tests.browser import PHONE, axe_violations, requires_chromium, snap
from tests.helpers import Identity, list_identity
from tests.live_server import LiveServer
from tests.test_citizen_browser import SHOTS, sign_in

pytestmark = requires_chromium
pytest.importorskip("playwright.sync_api")

# A retired bus driver of seventy: born in 1956 in a district (江城区, 441702) whose code dates from 1988.
RETIRED_DRIVER = Identity("person", "冯海生", resident_id("441702", dt.date(1956, 3, 12), 31))
# The same phone at 200 % page zoom: half the CSS pixels across, each drawn twice as large.
ZOOMED = {**PHONE, "viewport": {"width": 195, "height": 422}, "device_scale_factor": 6}

# What a page is measured by, in the page: text sizes, line heights, tap targets, headings, and anything outside
# the screen sideways (except inside a box that scrolls on its own, such as the scenario chips).
MEASURE = """() => {
  const shown = (el) => { const r = el.getBoundingClientRect(), s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== "hidden" && s.opacity !== "0"; };
  const scrollsAlone = (el) => { for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
    if (["auto", "scroll"].includes(getComputedStyle(p).overflowX)) return true; } return false; };
  const name = (el) => el.tagName.toLowerCase()
    + (typeof el.className === "string" && el.className ? "." + el.className.trim().replace(/\\s+/g, ".") : "")
    + ":" + (el.innerText || el.value || el.getAttribute("aria-label") || "").trim().slice(0, 16);
  const texts = [], targets = [], cut = [];
  for (const el of document.querySelectorAll("body *")) {
    if (!shown(el) || el.closest("svg, option, [hidden]")) continue;
    const style = getComputedStyle(el), box = el.getBoundingClientRect();
    if ([...el.childNodes].some((node) => node.nodeType === 3 && node.textContent.trim())) {
      const size = parseFloat(style.fontSize);
      const line = style.lineHeight === "normal" ? 1.2 : parseFloat(style.lineHeight) / size;
      texts.push({ name: name(el), size, line, heading: /^H[1-3]$/.test(el.tagName) ? el.tagName : "" });
      if (!scrollsAlone(el) && (box.left < -1 || box.right > innerWidth + 1)) cut.push(name(el));
    }
    const control = el.matches("a[href], button, select, textarea, label.picker, fieldset label")
      || el.matches("input:not([type=hidden]):not([type=radio]):not([type=checkbox]):not([type=file])");
    if (control && style.display !== "inline") targets.push({ name: name(el), width: box.width, height: box.height });
  }
  const tabs = [...document.querySelectorAll(".tabs a")].map((a) => a.getBoundingClientRect())
    .filter((r) => r.left < -1 || r.right > innerWidth + 1).length;
  return { texts, targets, cut, tabsOffScreen: tabs, tabCount: document.querySelectorAll(".tabs a").length,
           sideways: document.documentElement.scrollWidth - document.documentElement.clientWidth };
}"""


@pytest.fixture
def live(app, database_url, catalogue, tmp_path):
    server = LiveServer(database_url, tmp_path / "server.log")
    server.env.update(EVIDENCE_DIR=app.config["EVIDENCE_DIR"])
    server.start()
    yield server
    server.kill()


@pytest.fixture
def driver(app, catalogue):
    """冯海生, listed, with an objection and a complaint on file (and so two notices in his inbox)."""
    who = list_identity(RETIRED_DRIVER, today(), category="P01", grade="A")
    subject = who.subject()
    objection = objections.file_objection(subject.id, "wrong_entry", "认定日期应为2025年3月1日，请核实更正。",
                                          subject.entries[0].id, None, [], utcnow())
    complaint = complaints.file_complaint(subject.id, "suggestion", "希望公交车上扫码的设备装得高一些，老人好对准。",
                                          None, None, None, [], utcnow())
    return who, objection.id, complaint.id


def citizen_pages(objection_id: int, complaint_id: int) -> list[tuple[str, str]]:
    return [("home", "/m/"), ("code", "/m/code"), ("measures", "/m/measures"), ("redemptions", "/m/redemptions"),
            ("cases", "/m/cases"), ("objection-form", "/m/objections/new"), ("complaint-form", "/m/complaints/new"),
            ("objection", f"/m/objections/{objection_id}"), ("complaint", f"/m/complaints/{complaint_id}"),
            ("messages", "/m/messages"), ("not-found", "/m/no-such-page")]


PUBLIC_PAGES = [("front-door", "/"), ("login", "/m/login"), ("catalogue", "/m/measures")]


def _open(page, path: str) -> dict:
    response = page.goto(path)
    assert response.status == (404 if "no-such-page" in path else 200), (path, page.inner_text("main"))
    if path == "/m/code":
        page.locator("#qr").wait_for(state="visible")
    return page.evaluate(MEASURE)


def _switch_elder(page, on: bool) -> None:
    pressed = page.locator(".elder-switch button").get_attribute("aria-pressed")
    if (pressed == "true") != on:
        with page.expect_navigation():
            page.get_by_role("button", name="长辈版").click()


def _check_standard(path: str, measured: dict) -> None:
    assert measured["sideways"] <= 0 and measured["cut"] == [], (path, measured["cut"])
    small = [text for text in measured["texts"] if text["size"] < 15 - 0.01]
    assert small == [], (path, small)
    tiny = [target for target in measured["targets"] if target["height"] < 44 - 0.5]
    assert tiny == [], (path, tiny)
    assert measured["tabsOffScreen"] == 0


def _check_elder(path: str, measured: dict) -> None:
    assert measured["sideways"] <= 0 and measured["cut"] == [], (path, measured["cut"])
    small = [text for text in measured["texts"] if text["size"] < 18 - 0.01]
    assert small == [], (path, small)
    headings = [text for text in measured["texts"] if text["heading"] in ("H1", "H2") and text["size"] < 30 - 0.01]
    assert headings == [], (path, headings)
    cramped = [text for text in measured["texts"] if text["line"] < 1.3 - 0.01]
    assert cramped == [], (path, cramped)
    tiny = [target for target in measured["targets"] if min(target["height"], target["width"]) < 60 - 0.5]
    assert tiny == [], (path, tiny)
    assert measured["tabsOffScreen"] == 0


def test_every_page_in_standard_mode_and_in_elder_mode(browser, live, driver):
    """A 390×844 phone: standard sizes first, then 长辈版 switched on from the first screen and kept on every page."""
    who, objection_id, complaint_id = driver
    context = browser.new_context(base_url=live.url, locale="zh-CN", **PHONE)
    page = context.new_page()
    try:
        for name, path in PUBLIC_PAGES:
            _check_standard(path, _open(page, path))
            assert page.locator(".elder-switch button").is_visible()
            assert page.locator(".elder-switch button").bounding_box()["y"] < PHONE["viewport"]["height"]
            assert axe_violations(page) == [], path
            snap(page, SHOTS, name)
        sign_in(page, who)
        for name, path in citizen_pages(objection_id, complaint_id):
            measured = _open(page, path)
            _check_standard(path, measured)
            assert measured["tabCount"] == (0 if name == "not-found" else 5), path
            assert axe_violations(page) == [], path
            snap(page, SHOTS, name)

        page.goto("/m/")
        _switch_elder(page, True)
        assert page.evaluate("document.documentElement.classList.contains('elder')")
        for name, path in [*citizen_pages(objection_id, complaint_id)]:
            measured = _open(page, path)
            _check_elder(path, measured)
            assert axe_violations(page) == [], path
            snap(page, SHOTS, f"{name}-elder")
        page.goto("/m/code")
        figure = page.evaluate("parseFloat(getComputedStyle(document.querySelector('#countdown b')).fontSize)")
        assert figure >= 30  # the seconds left: the figure a person looks for
        page.goto("/")
        assert page.evaluate("document.documentElement.classList.contains('elder')")  # remembered on the front door
        for name, path in PUBLIC_PAGES:
            _check_elder(path, _open(page, path))
            assert axe_violations(page) == [], path
            snap(page, SHOTS, f"{name}-elder")
    finally:
        context.close()


@pytest.mark.parametrize("how", ["zoom-200", "font-32"])
def test_no_page_scrolls_sideways_at_200_percent_or_with_a_32px_browser_font(browser, live, driver, how):
    """200 % page zoom (a 195 px wide window) and the browser's own text size at 32 px: every page fits its width."""
    who, objection_id, complaint_id = driver
    context = browser.new_context(base_url=live.url, locale="zh-CN", **(ZOOMED if how == "zoom-200" else PHONE))
    page = context.new_page()
    if how == "font-32":
        context.new_cdp_session(page).send("Page.setFontSizes", {"fontSizes": {"standard": 32, "fixed": 26}})
    try:
        for _, path in PUBLIC_PAGES:
            measured = _open(page, path)
            assert measured["sideways"] <= 0 and measured["cut"] == [], (path, measured["cut"])
        sign_in(page, who)
        if how == "font-32":  # the text really follows the browser's setting: 17/16 of 32 px
            assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") == pytest.approx(34)
        for name, path in citizen_pages(objection_id, complaint_id):
            measured = _open(page, path)
            assert measured["sideways"] <= 0 and measured["cut"] == [], (path, measured["cut"])
            assert measured["tabCount"] == (0 if name == "not-found" else 5) and measured["tabsOffScreen"] == 0, path
            if name == "home":
                masked = page.locator("dl.facts dd").nth(1)
                assert masked.evaluate("el => el.scrollWidth <= el.clientWidth + 1")  # the masked number whole
                snap(page, SHOTS, f"home-{how}")
    finally:
        context.close()


def test_filing_an_objection_and_a_complaint_without_a_photo(browser, live, driver):
    """No file picked: the browser still sends the empty file field, and both forms file all the same."""
    who, _, _ = driver
    context = browser.new_context(base_url=live.url, locale="zh-CN", **PHONE)
    page = context.new_page()
    try:
        sign_in(page, who)
        page.goto("/m/objections/new?type=not_listed")
        page.get_by_label("情况说明").fill("我在2024年获评市级道德模范，名单里没有这一条，请核实补录。")
        with page.expect_navigation():
            page.get_by_role("button", name="提交异议").click()
        assert "/m/objections/" in page.url and "我在2024年获评市级道德模范" in page.locator("main").inner_text()
        page.goto("/m/complaints/new")
        page.get_by_label("建议").check()
        page.get_by_label("内容").fill("扫码的时候能不能把声音调大一点，柜台太吵听不见。")
        with page.expect_navigation():
            page.get_by_role("button", name="提交").click()
        assert "/m/complaints/" in page.url and "声音调大一点" in page.locator("main").inner_text()
    finally:
        context.close()
