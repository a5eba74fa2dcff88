"""The API's schema and docs pages, and the JSON answer to an address under /api/ that does
not exist."""

import re

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db


def test_the_openapi_schema_describes_the_foundation_endpoints(client):
    response = client.get("/api/v1/openapi.json")

    schema = response.json()
    assert response.status_code == 200
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Minga API"
    assert {"/api/v1/territories/", "/api/v1/actors/organizations"} <= set(schema["paths"])


def test_the_api_docs_page_loads_every_file_from_this_site_and_none_from_a_cdn(client):
    response = client.get("/api/v1/docs")

    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert response.status_code == 200
    assert re.findall(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html) == []
    assert "/static/ninja/swagger-ui-bundle.js" in assets
    assert all(a.startswith("/static/") for a in assets), assets
    assert all(finders.find(a.removeprefix("/static/")) for a in assets), assets


def test_an_unknown_api_address_is_answered_in_json_naming_the_path(client):
    response = client.get("/api/v1/nothing-here")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "message": "no API endpoint at /api/v1/nothing-here",
        "field": "path",
    }


def test_an_unknown_page_outside_the_api_is_still_an_html_404(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_a_wrong_method_on_an_api_address_is_answered_in_json_naming_the_method(client):
    response = client.delete("/api/v1/territories/")

    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "message": "method DELETE not allowed here; allowed: GET",
        "field": "method",
    }
    assert response["Allow"] == "GET"
