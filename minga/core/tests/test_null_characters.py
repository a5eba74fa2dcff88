"""A NUL character anywhere in a request is refused with 400 naming the field, before any view
(PostgreSQL cannot hold one; found by the API fuzz test: GET /api/v1/territories/?level=%00)."""

import json

import pytest


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/territories/?level=%00", "level"),
        ("/api/v1/territories/?le%00vel=x", "level"),
        ("/budgeting/?q=a%00b", "q"),
    ],
)
def test_a_null_character_in_a_query_parameter_is_refused_naming_it(client, path, field):
    response = client.get(path)

    assert response.status_code == 400
    if path.startswith("/api/"):
        assert response.json()["field"] == field
        assert "U+0000" in response.json()["message"]
    else:
        assert response.content.decode().startswith(f"{field}: ")


@pytest.mark.django_db
def test_a_null_character_in_a_form_or_json_body_is_refused(client):
    form = client.post("/accounts/login/", {"username": "a\x00b", "password": "x"})
    body = client.post(
        "/api/v1/ledger/transfers",
        data=json.dumps([{"id": "1", "note": "a\x00"}]),
        content_type="application/json",
    )

    assert form.status_code == 400 and form.content.decode().startswith("username: ")
    assert body.status_code == 400 and body.json()["field"] == "body"


@pytest.mark.django_db
def test_requests_without_null_characters_go_through(client):
    assert client.get("/api/v1/territories/?level=canton").status_code == 200
