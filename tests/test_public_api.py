"""The public catalogue and the error contract of API.md, through HTTP."""
import pytest
import sqlalchemy as sa

from app.errors import DomainError
from app.extensions import db
from app.models import Measure


def _codes(response):
    return [item["code"] for item in response.get_json()["items"]]


def test_healthz_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_catalogue_lists_published_current_measures_only(client, catalogue):
    """Withdrawn and not-yet-approved measures stay out of the public list."""
    codes = _codes(client.get("/api/v1/measures"))
    assert "XY-YUE-01" in codes and "XY-PI-01" in codes
    assert "XY-YOU-03" not in codes  # withdrawn
    assert "XY-XING-03" not in codes  # pending approval


def test_measure_has_the_api_md_fields(client, catalogue):
    measure = next(item for item in client.get("/api/v1/measures").get_json()["items"] if item["code"] == "XY-YUE-01")
    assert {"id", "code", "title", "scenario", "provider", "kinds", "categories", "min_grade", "benefit",
            "description", "valid_from", "valid_to", "status"} <= set(measure)
    assert measure["provider"]["name"] == "阳江市图书馆"
    assert measure["benefit"]["caps"] == {"books": 5, "extra_loan_days": 60}
    assert [tier["books"] for tier in measure["benefit"]["tiers"]] == [3, 4, 5]


@pytest.mark.parametrize("query, expected_in, expected_out", [
    ("scenario=reading", "XY-YUE-01", "XY-XING-01"),
    ("scenario=信易行", "XY-XING-01", "XY-YUE-01"),
    ("kind=enterprise", "XY-PI-01", "XY-XING-01"),
    ("kind=person", "XY-XING-01", "XY-PI-01"),
    ("scenario=loan&kind=enterprise", "XY-DAI-01", "XY-DAI-02"),
])
def test_catalogue_filters(client, catalogue, query, expected_in, expected_out):
    codes = _codes(client.get(f"/api/v1/measures?{query}"))
    assert expected_in in codes and expected_out not in codes


@pytest.mark.parametrize("query, field", [("kind=robot", "kind"), ("scenario=nowhere", "scenario")])
def test_bad_filters_are_400_with_field_messages(client, catalogue, query, field):
    response = client.get(f"/api/v1/measures?{query}")
    assert response.status_code == 400
    assert field in response.get_json()["error"]["fields"]


def test_measure_detail_shows_withdrawn_but_hides_pending(client, catalogue):
    ids = dict(db.session.execute(sa.select(Measure.code, Measure.id)).all())
    assert client.get(f"/api/v1/measures/{ids['XY-YUE-01']}").get_json()["code"] == "XY-YUE-01"
    withdrawn = client.get(f"/api/v1/measures/{ids['XY-YOU-03']}").get_json()
    assert withdrawn["code"] == "XY-YOU-03" and withdrawn["status"] == "withdrawn"
    pending = client.get(f"/api/v1/measures/{ids['XY-XING-03']}")
    assert pending.status_code == 404 and pending.get_json()["error"]["code"] == "measure_not_found"


def test_categories_carry_kind_and_department(client, catalogue):
    items = client.get("/api/v1/categories").get_json()["items"]
    assert len(items) == 18
    tax = next(item for item in items if item["code"] == "E02")
    assert tax == {"code": "E02", "name": "A级纳税人企业", "kind": "enterprise", "department": "市税务局",
                   "department_code": "SWJ"}


@pytest.mark.parametrize("method, path, status, code", [
    ("get", "/no/such/page", 404, "not_found"),
    ("get", "/api/v1/measures/999999", 404, "measure_not_found"),
    ("get", "/api/v1/measures/abc", 404, "not_found"),
    ("post", "/api/v1/measures", 405, "method_not_allowed"),
    ("delete", "/healthz", 405, "method_not_allowed"),
])
def test_framework_errors_have_the_api_shape(client, catalogue, method, path, status, code):
    response = getattr(client, method)(path)
    assert response.status_code == status
    assert response.is_json
    error = response.get_json()["error"]
    assert error["code"] == code and error["message"]


def test_unexpected_exception_is_a_json_500_and_rolls_back(app, client):
    """A bug still answers in the API shape, without leaking the exception."""
    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = client.get("/boom")
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "internal_error"
    assert "secret" not in response.get_data(as_text=True)


def test_domain_error_defaults_to_422(app, client):
    @app.get("/refuse")
    def refuse():
        raise DomainError("grade_too_low", "信用等级不足")

    response = client.get("/refuse")
    assert response.status_code == 422
    assert response.get_json() == {"error": {"code": "grade_too_low", "message": "信用等级不足"}}


def test_openapi_describes_the_public_endpoints_and_error_shape(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert {"/healthz", "/api/v1/measures", "/api/v1/measures/{measure_id}", "/api/v1/categories"} <= set(spec["paths"])
    error = spec["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    parameters = {parameter["name"] for parameter in spec["paths"]["/api/v1/measures"]["get"]["parameters"]}
    assert parameters == {"scenario", "kind"}
