"""Lists paged by key: a venue's scans, a citizen's redemptions and the audit log, at any depth, on both databases."""
import datetime as dt

from app.db.paging import EPOCH, MICROSECOND
from app.domain.dates import utcnow
from app.extensions import db
from app.services import accounts, audit, citizens, scanning
from tests.live_server import STAFF_PASSWORD
from tests.test_stats import Counter

T0 = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)


def walk(fetch) -> list:
    """Every item, following `after` from page 1 to the last page."""
    items, page = [], fetch(None)
    items += page.items
    while page.after:
        page = fetch(page.after)
        items += page.items
    return items


def test_a_venues_history_by_key_is_the_same_list_as_by_page_number(catalogue):
    counter = Counter(catalogue)
    for second in range(75):  # pairs of attempts share an instant: the id orders them
        counter.attempt("BUS", T0 + dt.timedelta(seconds=second // 2), "token_expired")
    counter.attempt("LIB", T0, "not_listed")
    db.session.commit()
    staff_id = counter.staff_of("BUS").id
    by_key = walk(lambda after: scanning.history(staff_id, 1, after))
    by_number = [item for number in (1, 2, 3) for item in scanning.history(staff_id, number).items]
    assert [item.id for item in by_key] == [item.id for item in by_number]
    assert len(by_key) == 75 and {item.venue_id for item in by_key} == {catalogue["BUS"].id}
    assert [(item.at, item.id) for item in by_key] == sorted(((item.at, item.id) for item in by_key), reverse=True)
    assert scanning.history(staff_id, 3).after is None


def test_the_staff_api_hands_back_after_and_refuses_a_made_up_one(client, catalogue):
    staff = accounts.create_account("gate_bus", STAFF_PASSWORD, "staff", "test", venue_id=catalogue["BUS"].id)
    login = client.post("/api/v1/staff/login", json={"username": "gate_bus", "password": STAFF_PASSWORD}).get_json()
    headers = {"Authorization": f"Bearer {login['access_token']}"}
    for second in range(31):
        scanning.verify("not a code", staff.id, "", T0 + dt.timedelta(seconds=second), T0.date())
    first = client.get("/api/v1/scan/history", headers=headers).get_json()
    assert len(first["items"]) == 30 and first["next"] == 2 and first["after"]
    rest = client.get(f"/api/v1/scan/history?after={first['after']}", headers=headers).get_json()
    assert [item["at"] for item in rest["items"]] == ["2026-11-20T10:00:00+08:00"]
    assert rest["after"] is None and rest["next"] is None
    assert client.get("/api/v1/scan/history?after=yesterday", headers=headers).status_code == 400


def test_a_citizens_redemptions_and_the_audit_log_page_by_key(catalogue):
    counter = Counter(catalogue)
    wang = counter.subject("王守信")
    for minute in range(45):
        counter.redeem("XY-XING-01", wang, T0 + dt.timedelta(minutes=minute))
    for _ in range(55):
        audit.record("admin:1", "entry.extend", "entry", 1)
    db.session.commit()
    redeemed = walk(lambda after: citizens.redemptions(wang.id, 1, after))
    assert [item.redeemed_at for item in redeemed] == [T0 + dt.timedelta(minutes=late) for late in range(44, -1, -1)]
    logged = walk(lambda after: audit.events(None, "entry.", None, utcnow(), 1, after))
    assert len({event.id for event in logged}) == 55


def test_the_admin_audit_api_pages_by_key(client, catalogue):
    accounts.create_account("audit_admin", STAFF_PASSWORD, "admin", "test")
    login = client.post("/api/v1/admin/login", json={"username": "audit_admin", "password": STAFF_PASSWORD}).get_json()
    headers = {"Authorization": f"Bearer {login['access_token']}"}
    for _ in range(60):
        audit.record("admin:1", "entry.extend", "entry", 1)
    db.session.commit()
    first = client.get("/api/v1/admin/audit?action=entry.", headers=headers).get_json()
    rest = client.get(f"/api/v1/admin/audit?action=entry.&after={first['after']}", headers=headers).get_json()
    assert len(first["items"]) + len(rest["items"]) == 60 and rest["after"] is None
    assert {item["id"] for item in first["items"]}.isdisjoint(item["id"] for item in rest["items"])


def test_a_cursor_naming_an_id_beyond_the_column_still_pages(catalogue):
    counter = Counter(catalogue)
    for _ in range(3):
        counter.attempt("BUS", T0, "token_expired")
    db.session.commit()
    page = scanning.history(counter.staff_of("BUS").id, 1, f"{(T0 - EPOCH) // MICROSECOND}.99999999999")
    assert len(page.items) == 3
