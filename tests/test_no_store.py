"""Cache-Control: no-store on every answer that may hold personal data — each console page, form answer and error
page, both exports, every administration API answer (errors included); the console's static files alone are cached.
Evidence downloads are held to it in test_upload_limits."""
import pytest

from app.domain.dates import utcnow
from app.services import accounts, complaints, objections
from tests.helpers import console_csrf, console_login, identity, list_identity

PASSWORD = "store-pass"


@pytest.fixture
def cases(catalogue, today):
    """A listed citizen with an objection and a complaint; the ids of the subject and the two cases."""
    accounts.create_account("store_admin", PASSWORD, "admin", "test")
    who = list_identity(identity(91, name="何守信"), today)
    subject_id = who.subject().id
    objection = objections.file_objection(subject_id, "other", "请核实我的名单信息。", None, None, [], utcnow())
    complaint = complaints.file_complaint(subject_id, "suggestion", "建议延长时间。", None, None, None, [], utcnow())
    return subject_id, objection.id, complaint.id


def test_every_console_page_and_export_is_no_store(app, cases):
    subject_id, objection_id, complaint_id = cases
    console = app.test_client()
    answers = {"/admin/login": console.get("/admin/login")}
    console_login(console, "store_admin", PASSWORD)
    pages = ["/admin/", "/admin/dashboard", "/admin/objections", "/admin/complaints", "/admin/subjects",
             f"/admin/subjects/{subject_id}", f"/admin/objections/{objection_id}", f"/admin/complaints/{complaint_id}",
             "/admin/import", "/admin/import/template.csv", "/admin/measures", "/admin/measures/new", "/admin/venues",
             "/admin/accounts", "/admin/scans", "/admin/audit",
             "/admin/export/redemptions.csv?start=2026-01-01&end=2026-12-31",
             "/admin/objections/999999", "/admin/export/redemptions.csv?start=2026-12-31&end=2026-01-01"]
    answers.update((page, console.get(page)) for page in pages)
    answers["search"] = console.post("/admin/subjects", data={"q": "何守信",
                                                              "csrf_token": console_csrf(console, "/admin/subjects")})
    assert {page: answer.status_code for page, answer in answers.items()
            if answer.status_code not in (200, 302)} == {"/admin/objections/999999": 404,
                                                         pages[-1]: 422}
    assert {page: answer.headers.get("Cache-Control") for page, answer in answers.items()
            if answer.headers.get("Cache-Control") != "no-store"} == {}
    assert console.get("/admin/static/console.css").headers.get("Cache-Control") != "no-store"


def test_every_administration_api_answer_is_no_store(client, cases):
    subject_id, objection_id, complaint_id = cases
    login = client.post("/api/v1/admin/login", json={"username": "store_admin", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {login.get_json()['access_token']}"}
    paths = ["/api/v1/admin/objections", f"/api/v1/admin/objections/{objection_id}",
             f"/api/v1/admin/objections/{objection_id}/if-upheld", "/api/v1/admin/complaints",
             f"/api/v1/admin/complaints/{complaint_id}", "/api/v1/admin/subjects?q=何守信",
             f"/api/v1/admin/subjects/{subject_id}", "/api/v1/admin/stats?start=2026-11-01&end=2026-11-30",
             "/api/v1/admin/export/redemptions.csv?start=2026-11-01&end=2026-11-30", "/api/v1/admin/audit",
             "/api/v1/admin/measures", "/api/v1/admin/venues", "/api/v1/admin/accounts",
             "/api/v1/admin/objections/999999", "/api/v1/admin/subjects/999999"]
    answers = {"login": login, **{path: client.get(path, headers=headers) for path in paths},
               "unauthenticated": client.get("/api/v1/admin/objections")}
    assert [answer.status_code for answer in answers.values()] == [200] * 14 + [404, 404, 401]
    assert {path: answer.headers.get("Cache-Control") for path, answer in answers.items()
            if answer.headers.get("Cache-Control") != "no-store"} == {}
