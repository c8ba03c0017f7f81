"""The citizen side of API.md through HTTP: login, sessions, /me, the QR code and redemption history."""
import datetime as dt
import gzip
import io

import pytest
import sqlalchemy as sa
from PIL import Image
from pyzbar import pyzbar

from app.demo import resident_id
from app.domain import codes, dates
from app.extensions import db
from app.models import AccessToken, ListEntry, Subject
from app.services import imports, lists, qrcodes
from tests.helpers import Identity, identity, list_identity, login, subject_of_code

LIBRARY = "XY-YUE-01"


def _me(client, headers):
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _measure(me, code):
    return next((measure for measure in me["measures"] if measure["code"] == code), None)


# ---- login ----------------------------------------------------------------------------------------------

def test_dev_login_answers_with_a_masked_subject(client, catalogue, today):
    who = list_identity(identity(1, name="王守信"), today, grade="AA")
    response = client.post("/api/v1/auth/login", json=who.login_body())
    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 90 * 24 * 3600
    assert body["subject"]["name_masked"] == "王*信"
    assert body["subject"]["id_number_masked"] == who.number[:3] + "*" * 11 + who.number[-4:]
    assert body["subject"]["grade"] == "AA"
    assert who.number not in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"


def test_unlisted_identity_logs_in_and_sees_listed_false(client, catalogue):
    who = identity(2, name="周未列")
    me = _me(client, login(client, who))
    assert me["listed"] is False and me["refusal"] == "not_listed"
    assert me["entries"] == [] and me["measures"] == []


def test_enterprise_logs_in_with_its_uscc(client, catalogue, today):
    who = list_identity(identity(3, kind="enterprise", name="阳江市某某有限公司"), today, category="E02")
    me = _me(client, login(client, who))
    assert me["subject"]["kind"] == "enterprise"
    assert me["subject"]["name_masked"] == "阳江市某某有限公司"
    assert {measure["code"] for measure in me["measures"]} == {"XY-PI-01"}  # enterprise measures only


@pytest.mark.parametrize("body, field, code", [
    ({"provider": "dev", "kind": "person", "name": "张三", "id_number": "110105194912310021"}, "id_number",
     "invalid_identity"),
    ({"provider": "dev", "kind": "person", "name": "", "id_number": "11010519491231002X"}, "name",
     "invalid_identity"),
    ({"provider": "dev", "kind": "robot", "name": "张三", "id_number": "11010519491231002X"}, "kind",
     "invalid_request"),
    ({"provider": "dev", "kind": "enterprise", "name": "某公司", "uscc": "91110000600037341X"}, "uscc",
     "invalid_identity"),
])
def test_bad_identity_is_refused_with_the_field(client, body, field, code):
    """Not the documented shape: 400; the shape, but no identity a person can hold: 422."""
    response = client.post("/api/v1/auth/login", json=body)
    assert response.status_code == (400 if code == "invalid_request" else 422)
    assert response.get_json()["error"]["code"] == code
    assert field in response.get_json()["error"]["fields"]


def _future_born() -> str:
    return resident_id("441702", dates.today() + dt.timedelta(days=1), 7)


@pytest.mark.parametrize("body, field", [
    ({"provider": "dev", "kind": "person", "name": '=HYPERLINK("http://evil.example/","x")',
      "id_number": "11010519491231002X"}, "name"),
    ({"provider": "dev", "kind": "person", "name": "王\x07五", "id_number": "11010519491231002X"}, "name"),
    ({"provider": "dev", "kind": "enterprise", "name": "@SUM(1+1)", "uscc": "91110000600037341L"}, "name"),
])
def test_names_no_document_shows_are_400_with_the_field(client, body, field):
    response = client.post("/api/v1/auth/login", json=body)
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "invalid_identity"
    assert "name" in response.get_json()["error"]["fields"]


def test_a_birth_date_in_the_future_cannot_log_in(client):
    response = client.post("/api/v1/auth/login", json={"provider": "dev", "kind": "person", "name": "未来人",
                                                       "id_number": _future_born()})
    assert response.status_code == 422 and "id_number" in response.get_json()["error"]["fields"]


@pytest.mark.parametrize("name, number", [
    ("冯海生", resident_id("441702", dt.date(1965, 3, 12), 213)),
    ("陈家明", resident_id("810000", dt.date(1983, 7, 1), 35)),
    ("阿依古丽·买买提", resident_id("650102", dt.date(1992, 5, 20), 46)),
])
def test_real_people_log_in_and_see_their_listing(client, catalogue, today, name, number):
    """A Yangjiang citizen born before 1988, a Hong Kong resident's permit, a minority name with its middle dot."""
    who = list_identity(Identity("person", name, number), today)
    me = client.get("/api/v1/me", headers=login(client, who)).get_json()
    assert me["listed"] is True and me["subject"]["id_number_masked"] == number[:3] + "*" * 11 + number[-4:]


@pytest.mark.parametrize("body", [{"provider": "alipay"}, {"provider": 3}, {}, []])
def test_unknown_or_missing_provider_is_400(client, body):
    response = client.post("/api/v1/auth/login", json=body)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] in ("unknown_provider", "invalid_request")


def test_dev_provider_is_off_unless_configured(app, client):
    app.config["DEV_LOGIN"] = False
    response = client.post("/api/v1/auth/login", json=identity(4).login_body())
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "unknown_provider"


def test_name_that_does_not_match_the_id_on_record_is_refused(client, catalogue, today):
    who = list_identity(identity(5, name="李四"), today)
    body = who.login_body() | {"name": "李五"}
    response = client.post("/api/v1/auth/login", json=body)
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "identity_mismatch"


def test_login_is_rate_limited(client):
    body = identity(6).login_body()
    statuses = [client.post("/api/v1/auth/login", json=body).status_code for _ in range(11)]
    assert statuses[:10] == [200] * 10
    assert statuses[10] == 429
    limited = client.post("/api/v1/auth/login", json=body)
    assert limited.get_json()["error"]["code"] == "rate_limited"


# ---- sessions ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("header", [None, "Bearer", "Bearer nonsense", "Basic abc", "bearer "])
def test_me_needs_a_valid_token(client, header):
    response = client.get("/api/v1/me", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] in ("unauthenticated", "invalid_token")


def test_logout_ends_the_token_at_once(client, catalogue):
    headers = login(client, identity(7))
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "invalid_token"


def test_idle_and_absolute_lifetimes(client, catalogue):
    headers = login(client, identity(8))
    token_row = db.session.scalar(sa.select(AccessToken))
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=31)
    db.session.execute(sa.update(AccessToken).values(last_used_at=long_ago))
    db.session.commit()
    assert client.get("/api/v1/me", headers=headers).get_json()["error"]["code"] == "token_expired"

    headers = login(client, identity(8))
    db.session.execute(sa.update(AccessToken).where(AccessToken.id != token_row.id)
                       .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
    db.session.commit()
    assert client.get("/api/v1/me", headers=headers).get_json()["error"]["code"] == "token_expired"


def test_only_a_hash_of_the_token_is_stored(client, catalogue):
    token = login(client, identity(9))["Authorization"].split()[1]
    stored = db.session.scalar(sa.select(AccessToken.token_hash))
    assert token not in stored and len(stored) == 64


# ---- /me ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("grade, books, days", [("AAA", 5, 60), ("AA", 4, 60), ("A", 3, 30), ("", None, None)])
def test_library_benefit_is_worked_out_for_the_grade(client, catalogue, today, grade, books, days):
    """Qingzhou tiers: 3/4/5 books and +30/+60 days by grade, capped at 5 and 60; no listed reader pays a deposit."""
    who = list_identity(identity(10, name="读者"), today, grade=grade)
    benefit = _measure(_me(client, login(client, who)), LIBRARY)["benefit"]
    assert benefit.get("books") == books and benefit.get("extra_loan_days") == days
    assert benefit["deposit_waived"] is True
    assert "tiers" not in benefit and "caps" not in benefit
    assert benefit["summary"].startswith("免押金")


def test_measures_follow_category_and_minimum_grade(client, catalogue, today):
    transport_worker = list_identity(identity(11, name="陈路平"), today, category="P05", grade="B")
    codes = {measure["code"] for measure in _me(client, login(client, transport_worker))["measures"]}
    assert "XY-XING-02" in codes  # only for P05
    assert "XY-YI-02" not in codes  # needs grade A
    teacher = list_identity(identity(12, name="林老师"), today, category="P08", grade="A")
    codes = {measure["code"] for measure in _me(client, login(client, teacher))["measures"]}
    assert "XY-XING-02" not in codes and "XY-YI-02" in codes
    assert "XY-YOU-03" not in codes and "XY-XING-03" not in codes  # withdrawn, pending


def test_entries_show_each_status(client, catalogue, today):
    who = list_identity(identity(13, name="多条目"), today, category="P02")
    list_identity(who, today, category="P03")
    list_identity(who, today, category="P07", recognized_on=today - dt.timedelta(days=700))
    subject = who.subject()
    by_category = {entry.category.code: entry for entry in subject.entries}
    lists.revoke_entry(by_category["P03"].id, "撤销", "admin:1")
    db.session.execute(sa.update(ListEntry).where(ListEntry.id == by_category["P07"].id)
                       .values(expires_on=today - dt.timedelta(days=1)))
    db.session.commit()
    me = _me(client, login(client, who))
    statuses = {entry["category"]["code"]: entry["status"] for entry in me["entries"]}
    assert statuses == {"P02": "active", "P03": "revoked", "P07": "expired"}
    assert me["listed"] is True
    p02 = next(entry for entry in me["entries"] if entry["category"]["code"] == "P02")
    assert p02["recognized_on"] == str(today - dt.timedelta(days=100))
    assert p02["category"]["name"] == "道德模范、诚信之星、阳江好人"


# ---- the QR code -------------------------------------------------------------------------------------------

def test_qrcode_json(client, catalogue, today):
    headers = login(client, list_identity(identity(14), today))
    response = client.get("/api/v1/me/qrcode", headers=headers)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["ttl"] == 60 and body["refresh_in"] == 45
    expires_at = dt.datetime.fromisoformat(body["expires_at"])
    assert expires_at.utcoffset() is not None
    assert 55 <= (expires_at - dt.datetime.now(dt.UTC)).total_seconds() <= 61


def test_qrcode_png_decodes_to_exactly_the_token_at_version_8_or_lower(client, catalogue, today):
    who = list_identity(identity(15), today)
    headers = login(client, who)
    response = client.get("/api/v1/me/qrcode.png", headers=headers)
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.headers["Cache-Control"] == "no-store"
    image = Image.open(io.BytesIO(response.data))
    decoded = pyzbar.decode(image)
    assert len(decoded) == 1
    token = decoded[0].data.decode()
    qrcodes.check(qrcodes.claim(token), dt.datetime.now(dt.UTC))
    assert subject_of_code(token) == who.subject().id
    modules = image.width // 8 - 2 * 4  # scale 8, quiet zone of 4 modules
    assert (modules - 17) % 4 == 0 and (modules - 17) // 4 <= 8


def test_qrcode_token_holds_no_personal_data(client, catalogue, today):
    """Nothing of the person reads from the code: the masked name, grade and categories are sealed, and only the
    server's batch table links the random batch tag to the subject."""
    who = list_identity(identity(16, name="欧阳守信"), today, grade="AAA")
    headers = login(client, who)
    first, second = (client.get("/api/v1/me/qrcode", headers=headers).get_json()["token"] for _ in range(2))
    subject = who.subject()
    data = codes.b45decode(first[len(codes.PREFIX):])
    for secret in (who.number, who.number[-4:], who.name, "欧阳*信", subject.id_masked, subject.id_hash[:8], "AAA"):
        assert secret not in first and secret.encode() not in data
    assert qrcodes.claim(first).batch_tag == qrcodes.claim(second).batch_tag  # one online batch through the day
    assert qrcodes.claim(first).code_id != qrcodes.claim(second).code_id


def _refusal(client, who):
    response = client.get("/api/v1/me/qrcode", headers=login(client, who))
    png = client.get("/api/v1/me/qrcode.png", headers=login(client, who))
    assert response.status_code == png.status_code == 403
    assert response.get_json()["error"]["code"] == png.get_json()["error"]["code"]
    return response.get_json()["error"]["code"]


def test_qrcode_refusals(client, catalogue, today):
    assert _refusal(client, identity(17)) == "not_listed"

    expired = list_identity(identity(18), today)
    db.session.execute(sa.update(ListEntry).values(expires_on=today - dt.timedelta(days=2)))
    db.session.commit()
    assert _refusal(client, expired) == "listing_expired"

    suspended = list_identity(identity(19), today, category="P03")
    db.session.execute(sa.update(ListEntry).where(ListEntry.subject_id == suspended.subject().id)
                       .values(status="suspended"))
    db.session.commit()
    assert _refusal(client, suspended) == "listing_suspended"

    dishonest = list_identity(identity(20, name="失信者"), today, category="P04")
    data = f"kind,id_number,name,recorded_on,authority\nperson,{dishonest.number},失信者,{today},市人民法院\n"
    imports.import_dishonesty("d.csv", data.encode(), "test", today)
    assert _refusal(client, dishonest) == "listing_suspended"

    never_listed = identity(22, name="未列失信者")
    data = f"kind,id_number,name,recorded_on,authority\nperson,{never_listed.number},未列失信者,{today},市人民法院\n"
    imports.import_dishonesty("d2.csv", data.encode(), "test", today)
    assert _refusal(client, never_listed) == "excluded_dishonest"


def test_revoked_only_subject_is_not_listed(client, catalogue, today):
    who = list_identity(identity(21), today)
    lists.revoke_entry(who.subject().entries[0].id, "撤销", "admin:1")
    assert _refusal(client, who) == "not_listed"


# ---- codes for showing offline -----------------------------------------------------------------------------------

def test_codes_for_twelve_hours_by_default(client, catalogue, today):
    """720 consecutive windows of a minute, each its own code of one new batch; small enough for a slow phone."""
    who = list_identity(identity(23), today)
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    response = client.get("/api/v1/me/codes", headers=login(client, who))
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    windows = [(dt.datetime.fromisoformat(code["not_before"]), dt.datetime.fromisoformat(code["expires_at"]))
               for code in body["codes"]]
    assert len(windows) == 720 and windows[0][0] >= before
    assert all(end - start == dt.timedelta(seconds=60) for start, end in windows)
    assert all(earlier[1] == later[0] for earlier, later in zip(windows, windows[1:], strict=False))
    assert dt.datetime.fromisoformat(body["valid_until"]) == windows[-1][1] == windows[0][0] + dt.timedelta(hours=12)
    claims = [qrcodes.claim(code["token"]) for code in body["codes"]]
    days = {dates.local_date(dt.datetime.fromtimestamp(claim.not_before, dt.UTC)) for claim in claims}
    # One batch tag per Beijing day the windows start in: nothing links codes across days.
    assert len({claim.batch_tag for claim in claims}) == len(days) and len({claim.code_id for claim in claims}) == 720
    assert subject_of_code(body["codes"][0]["token"]) == who.subject().id
    for claim, (start, end) in zip(claims, windows, strict=True):
        assert (claim.not_before, claim.expires_at) == (int(start.timestamp()), int(end.timestamp()))
    assert len(gzip.compress(response.data)) <= 120 * 1024


def test_each_code_of_a_batch_passes_only_in_its_window(client, catalogue, today):
    who = list_identity(identity(24), today)
    body = client.get("/api/v1/me/codes?hours=1", headers=login(client, who)).get_json()
    assert len(body["codes"]) == 60
    later = body["codes"][30]
    start = dt.datetime.fromisoformat(later["not_before"])
    qrcodes.check(qrcodes.claim(later["token"]), start + dt.timedelta(seconds=1))
    with pytest.raises(codes.CodeRefused):
        qrcodes.check(qrcodes.claim(later["token"]), start - dt.timedelta(seconds=60))


@pytest.mark.parametrize("hours, status", [("0", 422), ("25", 422), ("-1", 422), ("1.5", 400), ("twelve", 400),
                                           ("", 400)])
def test_codes_hours_out_of_range_is_422_and_not_a_number_400(client, catalogue, today, hours, status):
    who = list_identity(identity(25), today)
    response = client.get(f"/api/v1/me/codes?hours={hours}", headers=login(client, who))
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["code"] == ("hours_out_of_range" if status == 422 else "invalid_request")
    assert "hours" in error["fields"]


def test_codes_refusals_are_those_of_the_single_code(client, catalogue, today):
    assert client.get("/api/v1/me/codes").status_code == 401
    response = client.get("/api/v1/me/codes", headers=login(client, identity(26)))
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "not_listed"
    suspended = list_identity(identity(27), today)
    db.session.execute(sa.update(ListEntry).where(ListEntry.subject_id == suspended.subject().id)
                       .values(status="suspended"))
    db.session.commit()
    response = client.get("/api/v1/me/codes?hours=24", headers=login(client, suspended))
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "listing_suspended"


# ---- redemptions -------------------------------------------------------------------------------------------

def test_redemptions_start_empty_and_page_is_validated(client, catalogue):
    headers = login(client, identity(22))
    assert client.get("/api/v1/me/redemptions", headers=headers).get_json() == {"items": [], "next": None,
                                                                                 "after": None}
    bad = client.get("/api/v1/me/redemptions?page=0", headers=headers)
    assert bad.status_code == 400 and "page" in bad.get_json()["error"]["fields"]


def test_openapi_documents_the_citizen_api_with_bearer_auth(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert {"/api/v1/auth/login", "/api/v1/auth/logout", "/api/v1/me", "/api/v1/me/qrcode",
            "/api/v1/me/qrcode.png", "/api/v1/me/redemptions"} <= set(spec["paths"])
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert spec["paths"]["/api/v1/me"]["get"]["security"] == [{"bearerAuth": []}]
    codes_answer = spec["paths"]["/api/v1/me/codes"]["get"]
    assert codes_answer["parameters"][0]["schema"] == {"type": "integer", "default": 12, "minimum": 1, "maximum": 24}
    assert codes_answer["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Codes"}
    assert set(spec["components"]["schemas"]["WindowCode"]["properties"]) == {"token", "not_before", "expires_at"}


def test_an_enterprise_listed_before_codes_were_kept_gets_its_code_at_sign_in(client, catalogue, today):
    """Signing in proves the number: the 公示 can show the credit code of an enterprise listed before it was kept."""
    who = list_identity(identity(27, kind="enterprise", name="阳江市守信五金有限公司"), today, category="E02")
    db.session.execute(sa.update(Subject).where(Subject.id == who.subject().id).values(credit_code=None))
    db.session.commit()
    login(client, who)
    db.session.expire_all()
    assert who.subject().credit_code == who.number
