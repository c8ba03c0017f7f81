"""The scanner client's texts and history rows, without a server: every reason code has words for staff and the
citizen, and history items of either server shape show names, titles and Beijing time."""
import re
from pathlib import Path

import pytest

from scanner_client import messages
from scanner_client.history import beijing_time, row

pytestmark = pytest.mark.nodb
API_MD = Path(__file__).resolve().parents[1] / ".." / "shared" / "API.md"


def _api_reason_codes() -> set[str]:
    text = API_MD.read_text(encoding="utf-8")
    paragraph = text[text.index("Reason codes"):].split("\n\n")[0]
    return set(re.findall(r"`([a-z_]+)`", paragraph)) - {"reason", "error"}


@pytest.mark.skipif(not API_MD.is_file(), reason=f"API.md is not at {API_MD.resolve()}")
def test_every_reason_code_of_the_api_has_a_title_and_words_for_the_citizen():
    codes = _api_reason_codes()
    assert "token_expired" in codes and "grade_too_low" in codes
    assert codes <= set(messages.REASONS)


def test_the_reason_table_is_plain_data():
    for code, entry in messages.REASONS.items():
        assert set(entry) == {"title", "tell", "hint"}, code
        assert entry["title"] and entry["tell"] and isinstance(entry["hint"], str), code
    # List decisions can be objected to; a stale code is fixed by refreshing it.
    for code in ("not_listed", "listing_expired", "listing_suspended", "excluded_dishonest", "grade_too_low"):
        assert messages.REASONS[code]["hint"] == messages.OBJECTION_HINT
    assert messages.REASONS["token_expired"]["hint"] == ""
    assert messages.reason("something_new")["title"] == "未通过（something_new）"


NEW_SHAPE = {"id": 9, "action": "redeem", "at": "2026-11-21T09:30:05+08:00", "valid": True, "reason": None,
             "device": "东门闸机 2", "measure": {"id": 4, "title": "公交乘车5折"},
             "staff": {"id": 7, "display_name": "王售票"}, "subject": {"kind": "person", "name_masked": "王*信"}}
OLD_SHAPE = {"id": 8, "action": "verify", "at": "2026-11-21T01:29:58.123456", "valid": False, "reason": "token_used",
             "device": "", "measure_id": 4, "staff_id": 7, "subject": None}


def test_history_rows_show_titles_and_names_when_the_server_sends_them():
    assert row(NEW_SHAPE) == {"at": "2026-11-21 09:30:05", "action": "核销", "result": "已核销",
                              "subject": "王*信（个人）", "measure": "公交乘车5折", "staff": "王售票",
                              "device": "东门闸机 2"}


def test_history_rows_fall_back_to_ids_and_take_times_without_an_offset_as_utc():
    assert row(OLD_SHAPE) == {"at": "2026-11-21 09:29:58", "action": "核验", "result": "该二维码已使用过",
                              "subject": "", "measure": "措施 #4", "staff": "#7", "device": ""}
    assert row({**OLD_SHAPE, "measure_id": None})["measure"] == ""


@pytest.mark.parametrize("value, shown", [
    ("2026-11-20T16:00:00Z", "2026-11-21 00:00:00"),
    ("2026-11-20T16:00:00+00:00", "2026-11-21 00:00:00"),
    ("2026-11-21T00:00:00+08:00", "2026-11-21 00:00:00"),
    ("not a time", "not a time"),
    (None, ""),
])
def test_times_are_shown_in_beijing_time(value, shown):
    assert beijing_time(value) == shown
