from typing import Any

import pytest
from django.test import Client

from .conftest import PRIVATE_STRINGS, Places, Sample

pytestmark = pytest.mark.django_db

API = "/api/v1/actors"


def get(client: Client, path: str, **params: Any) -> tuple[int, Any]:
    response = client.get(API + path, params)
    return response.status_code, response.json()


def test_the_organizations_list_filters_searches_and_paginates(
    client: Client, sample: Sample
) -> None:
    status, body = get(client, "/organizations", territory="1003", q="cafe", per_page=1)

    assert status == 200
    assert (body["count"], body["page"], body["num_pages"], body["per_page"]) == (1, 1, 1, 1)
    assert [r["name"] for r in body["results"]] == ["Cooperativa de Caficultores de Intag"]
    assert body["results"][0]["area_name"] == "APUELA"

    status, body = get(client, "/organizations", classification="private_firm")
    assert [r["name"] for r in body["results"]] == ["Café Quiteño"]
    assert body["results"][0]["size"] == "small"


@pytest.mark.parametrize(
    ("params", "status", "field", "message"),
    [
        (
            {"classification": "guild"},
            400,
            "classification",
            "unknown classification 'guild'; one of community, associative, cooperative, "
            "social_enterprise, private_firm, public_body, council, consortium",
        ),
        ({"territory": "9999"}, 404, "territory", "no territory with code '9999'"),
        ({"page": "0"}, 422, "page", "Input should be greater than or equal to 1"),
        ({"per_page": "101"}, 422, "per_page", "Input should be less than or equal to 100"),
        (
            {"page": "x"},
            422,
            "page",
            "Input should be a valid integer, unable to parse string as an integer",
        ),
    ],
)
def test_bad_list_input_is_refused_naming_the_field(
    client: Client, places: Places, params: dict[str, str], status: int, field: str, message: str
) -> None:
    got_status, body = get(client, "/organizations", **params)

    assert got_status == status
    assert (body["field"], body["message"]) == (field, message)


def test_an_organization_comes_with_identifiers_posts_and_members(
    client: Client, sample: Sample
) -> None:
    status, body = get(client, f"/organizations/{sample.assoc.pk}")
    _, muni = get(client, f"/organizations/{sample.municipality.pk}")

    assert status == 200
    assert body["name"] == "Asociación de Tejedoras Warmikuna"
    assert body["area_code"] == "100350"
    assert [p["label"] for p in body["posts"]] == ["Presidencia"]
    assert [m["person_name"] for m in body["memberships"]] == ["Rosa Quilumbaquín"]
    assert muni["identifiers"] == [{"scheme": "EC-RUC", "identifier": "1760001550001"}]


def test_a_person_has_public_fields_only(client: Client, sample: Sample) -> None:
    response = client.get(f"{API}/people/{sample.person.pk}")

    body = response.json()
    assert sorted(body) == [
        "area_id",
        "area_name",
        "biography",
        "family_name",
        "given_name",
        "id",
        "memberships",
        "name",
        "other_names",
        "summary",
    ]
    for private in PRIVATE_STRINGS:
        assert private not in response.content.decode()


def test_missing_objects_are_404_with_the_field(client: Client, places: Places) -> None:
    assert get(client, "/organizations/999") == (
        404,
        {"message": "no organization with id 999", "field": "organization_id"},
    )
    assert get(client, "/people/999") == (
        404,
        {"message": "no person with id 999", "field": "person_id"},
    )


def test_memberships_of_an_organization_or_a_person(client: Client, sample: Sample) -> None:
    status, by_org = get(client, "/memberships", organization=sample.assoc.pk)
    _, by_person = get(client, "/memberships", person=sample.person.pk)
    _, none = get(client, "/memberships", organization=sample.coop.pk)
    refused = get(client, "/memberships")

    assert status == 200
    assert [(m["person_name"], m["role"]) for m in by_org] == [("Rosa Quilumbaquín", "presidenta")]
    assert by_person == by_org
    assert none == []
    assert refused == (
        400,
        {"message": "give organization or person (or both)", "field": "organization"},
    )
