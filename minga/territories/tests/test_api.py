import pytest

pytestmark = pytest.mark.django_db

BASE = "/api/v1/territories"


def test_the_list_is_paginated_and_searchable(client, small_country):
    response = client.get(f"{BASE}/", {"q": "cotacachi", "page_size": 1})

    assert response.status_code == 200
    assert response.json() == {
        "count": 2,
        "page": 1,
        "page_size": 1,
        "results": [
            {
                "country_code": "EC",
                "level": "canton",
                "code": "1003",
                "name": "COTACACHI",
                "parent_code": "10",
                "depth": 1,
                "has_geometry": False,
                "url": "/territories/EC/1003/",
            }
        ],
    }
    second = client.get(f"{BASE}/", {"q": "cotacachi", "page_size": 1, "page": 2}).json()
    assert [r["code"] for r in second["results"]] == ["100350"]


def test_the_list_filters_by_country_level_and_parent(client, small_country):
    codes = lambda **q: [r["code"] for r in client.get(f"{BASE}/", q).json()["results"]]  # noqa: E731

    assert codes(country="ec", level="provincia") == ["03", "10"]
    assert codes(parent="1003") == ["100351", "100350"]
    assert codes(country="PE") == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"page": 0}, "page"),
        ({"page_size": 500}, "page_size"),
        ({"country": "ECU"}, "country"),
        ({"q": "x" * 101}, "q"),
    ],
)
def test_bad_list_parameters_get_a_422_naming_the_field(client, small_country, query, field):
    response = client.get(f"{BASE}/", query)

    assert response.status_code == 422
    assert response.json()["field"] == field


def test_a_page_past_the_end_is_a_404_naming_the_page(client, small_country):
    response = client.get(f"{BASE}/", {"page": 9})

    assert response.status_code == 404
    assert response.json() == {"message": "page 9 is past the last page", "field": "page"}


def test_the_detail_has_the_parent_chain_and_the_children(client, small_country):
    body = client.get(f"{BASE}/EC/1003").json()

    assert (body["name"], body["level"], body["level_name"], body["parent_code"]) == (
        "COTACACHI",
        "canton",
        "Cantón",
        "10",
    )
    assert [(a["code"], a["parent_code"]) for a in body["ancestors"]] == [("10", None)]
    assert [(c["code"], c["parent_code"]) for c in body["children"]] == [
        ("100351", "1003"),
        ("100350", "1003"),
    ]


def test_an_unknown_code_is_a_404_with_a_message_and_the_field(client, small_country):
    response = client.get(f"{BASE}/EC/9999")

    assert response.status_code == 404
    assert response.json() == {
        "message": "no territory with code '9999' in country 'EC'",
        "field": "code",
    }


def test_the_geometry_is_a_geojson_feature(client, demo):
    body = client.get(f"{BASE}/EC/1003/geometry").json()

    assert body["type"] == "Feature"
    assert body["geometry"]["type"] == "Polygon"
    assert body["properties"] == {
        "country_code": "EC",
        "code": "1003",
        "name": "COTACACHI",
        "level": "canton",
        "source": "Contorno aproximado, dibujado a mano para la demostración (no oficial)",
    }


def test_a_territory_without_geometry_answers_404_for_its_geometry(client, demo):
    response = client.get(f"{BASE}/EC/10/geometry")

    assert response.status_code == 404
    assert response.json() == {"message": "territory '10' has no geometry", "field": "code"}
