"""The OpenAPI schema: valid, warning-free, served offline, and covering the whole contract."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

# Every path the contract names (api/v1 prefix), with the methods it promises.
CONTRACT = {
    "/api/v1/auth/token/": {"post"},
    "/api/v1/me/": {"get"},
    "/api/v1/me/preferences/": {"get", "patch"},
    "/api/v1/me/calendar-token/": {"post"},
    "/api/v1/programs/": {"get"},
    "/api/v1/programs/{id}/": {"get"},
    "/api/v1/programs/{id}/insights/": {"get"},
    "/api/v1/modules/": {"get"},
    "/api/v1/assignments/": {"get"},
    "/api/v1/cohorts/": {"get"},
    "/api/v1/cohorts/{id}/": {"get"},
    "/api/v1/cohorts/{id}/progress/": {"get"},
    "/api/v1/cohorts/{id}/progress.csv": {"get"},
    "/api/v1/cohorts/{id}/roster/": {"post"},
    "/api/v1/cohorts/{id}/matrix/": {"get"},
    "/api/v1/enrollments/": {"get"},
    "/api/v1/enrollments/{id}/": {"get"},
    "/api/v1/enrollments/{id}/progress/": {"get"},
    "/api/v1/enrollments/{id}/pause/": {"post"},
    "/api/v1/enrollments/{id}/help/": {"post"},
    "/api/v1/enrollments/{id}/mentor-suggestions/": {"get"},
    "/api/v1/mentors/": {"get"},
    "/api/v1/mentors/{id}/": {"get"},
    "/api/v1/pairings/": {"get", "post"},
    "/api/v1/progress-logs/": {"get", "post"},
    "/api/v1/progress-logs/{id}/": {"get", "patch", "delete"},
    "/api/v1/submissions/": {"get", "post"},
    "/api/v1/submissions/{id}/": {"get"},
    "/api/v1/submissions/{id}/review/": {"post"},
    "/api/v1/reviews/queue/": {"get"},
    "/api/v1/sessions/": {"get", "post"},
    "/api/v1/sessions/{id}/": {"get"},
    "/api/v1/notifications/": {"get"},
    "/api/v1/notifications/{id}/read/": {"post"},
}


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(public=True)


def test_schema_is_valid_openapi(schema):
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")


def test_schema_generates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))


@pytest.mark.parametrize(("path", "methods"), sorted(CONTRACT.items()))
def test_every_contract_path_is_documented(schema, path, methods):
    assert path in schema["paths"]
    assert methods <= set(schema["paths"][path])


def test_lists_are_paginated_and_filterable(schema):
    listing = schema["paths"]["/api/v1/submissions/"]["get"]
    names = {parameter["name"] for parameter in listing["parameters"]}
    assert {"page", "page_size", "ordering", "enrollment", "status", "cohort"} <= names
    progress = schema["paths"]["/api/v1/cohorts/{id}/progress/"]["get"]
    assert "pace" in {parameter["name"] for parameter in progress["parameters"]}
    body = listing["responses"]["200"]["content"]["application/json"]["schema"]
    assert body["$ref"].endswith("PaginatedSubmissionList")


def test_every_operation_documents_its_errors(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert "400" in codes, (method, path)
            if path != "/api/v1/auth/token/":
                assert {"401", "403", "404"} <= codes, (method, path)
    roster = schema["paths"]["/api/v1/cohorts/{id}/roster/"]["post"]
    assert "413" in roster["responses"]
    assert "multipart/form-data" in roster["requestBody"]["content"]


@pytest.mark.django_db
def test_schema_and_swagger_ui_are_served_offline(client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    assert "/api/v1/cohorts/{id}/matrix/" in response.json()["paths"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower() and "unpkg" not in html.lower()


@pytest.mark.django_db
def test_swagger_ui_needs_no_inline_code_under_the_csp(client):
    html = client.get("/api/docs/").content.decode()
    assert "<style" not in html
    assert "<script>" not in html
    script_src = [line for line in html.splitlines() if "script=" in line]
    assert script_src, "the init script is served from its own URL"
    init = client.get("/api/docs/?script=")
    assert init.status_code == 200
    assert "SwaggerUIBundle" in init.content.decode()
    csp = client.get("/api/docs/").headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in csp
