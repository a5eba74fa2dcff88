from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from minga.actors import selectors, services

from .conftest import NOW, PRIVATE_STRINGS, Places, Sample

pytestmark = pytest.mark.django_db


def names(page: selectors.DirectoryPage) -> list[str]:
    return [e.name for e in page.entries]


def test_the_directory_lists_every_organization_by_name(sample: Sample) -> None:
    page = selectors.organization_directory()

    assert names(page) == [
        "Asociación de Tejedoras Warmikuna",
        "Café Quiteño",
        "Cooperativa de Caficultores de Intag",
        "Municipio de Cotacachi",
    ]
    assert (page.count, page.number, page.num_pages) == (4, 1, 1)
    quito = page.entries[1]
    assert (quito.classification_label, quito.size_label, quito.area_name) == (
        "Empresa privada",
        "Pequeña",
        "QUITO",
    )


def test_filtering_by_a_canton_includes_its_parishes(sample: Sample, places: Places) -> None:
    assert names(selectors.organization_directory(territory=places.cotacachi)) == [
        "Asociación de Tejedoras Warmikuna",
        "Cooperativa de Caficultores de Intag",
        "Municipio de Cotacachi",
    ]
    assert names(selectors.organization_directory(territory=places.apuela)) == [
        "Cooperativa de Caficultores de Intag"
    ]
    assert names(selectors.organization_directory(territory=places.pichincha)) == ["Café Quiteño"]


def test_filtering_by_classification(sample: Sample, places: Places) -> None:
    page = selectors.organization_directory(territory=places.imbabura, classification="public_body")

    assert names(page) == ["Municipio de Cotacachi"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("cafe", ["Café Quiteño", "Cooperativa de Caficultores de Intag"]),
        ("CAFÉ ALTURA", ["Cooperativa de Caficultores de Intag"]),
        ("warmikuna", ["Asociación de Tejedoras Warmikuna"]),
        ("1760001550001", ["Municipio de Cotacachi"]),
        ("tostaduria", ["Café Quiteño"]),
        ("nadie", []),
        (
            "   ",
            [
                "Asociación de Tejedoras Warmikuna",
                "Café Quiteño",
                "Cooperativa de Caficultores de Intag",
                "Municipio de Cotacachi",
            ],
        ),
    ],
)
def test_search_ignores_case_and_accents_and_looks_at_names_summaries_and_identifiers(
    sample: Sample, query: str, expected: list[str]
) -> None:
    assert names(selectors.organization_directory(query=query)) == expected


def test_pagination_splits_the_ordered_list_and_clamps_the_page(places: Places) -> None:
    for i in range(25):
        services.organization_create(
            actor=None,
            now=NOW,
            name=f"Asociación {i:02d}",
            classification="associative",
            area_id=places.apuela.pk,
        )

    first = selectors.organization_directory(page=1, per_page=10)
    last = selectors.organization_directory(page=3, per_page=10)
    beyond = selectors.organization_directory(page=99, per_page=10)

    assert names(first) == [f"Asociación {i:02d}" for i in range(10)]
    assert (first.count, first.num_pages, first.has_next, first.has_previous) == (
        25,
        3,
        True,
        False,
    )
    assert names(last) == [f"Asociación {i:02d}" for i in range(20, 25)]
    assert (last.has_next, last.has_previous) == (False, True)
    assert beyond.number == 3


def test_a_directory_page_takes_a_fixed_number_of_queries(places: Places) -> None:
    for i in range(30):
        services.organization_create(
            actor=None,
            now=NOW,
            name=f"Org {i}",
            classification="community",
            area_id=places.apuela.pk,
        )

    with CaptureQueriesContext(connection) as queries:
        selectors.organization_directory(territory=places.cotacachi, query="org", per_page=20)

    assert len(queries) == 2  # the count and the page, with the territory joined in


def test_the_territory_choices_are_where_organizations_are_and_above(sample: Sample) -> None:
    assert [t.code for t in selectors.territories_with_organizations()] == [
        "10",
        "1003",
        "100350",
        "100351",
        "17",
        "1701",
    ]


def test_an_organizations_detail_has_its_identifiers_posts_members_and_area_trail(
    sample: Sample,
) -> None:
    detail = selectors.organization_detail(organization_id=sample.assoc.pk)

    assert detail is not None
    assert [p.label for p in detail.posts] == ["Presidencia"]
    assert [(m.person_name, m.post_label, m.start_date) for m in detail.memberships] == [
        ("Rosa Quilumbaquín", "Presidencia", date(2023, 3, 1))
    ]
    assert [t.code for t in detail.area_trail] == ["10", "1003", "100350"]
    assert selectors.organization_detail(organization_id=999999) is None


def test_a_persons_public_record_has_no_private_field(sample: Sample) -> None:
    person = selectors.person_public(person_id=sample.person.pk)

    assert person is not None
    assert (person.name, person.summary, person.biography, person.area_name) == (
        "Rosa Quilumbaquín",
        "Dirigente",
        "Tejedora desde niña.",
        "COTACACHI",
    )
    assert [m.organization_name for m in person.memberships] == [
        "Asociación de Tejedoras Warmikuna"
    ]
    for private in ("email", "birth_date", "gender", "contact_details", "identifiers"):
        assert not hasattr(person, private)
    for text in PRIVATE_STRINGS:
        assert text not in repr(person)


def test_the_popolo_document_has_the_four_collections_and_no_private_data(sample: Sample) -> None:
    doc = selectors.popolo_document()

    assert sorted(doc) == ["memberships", "organizations", "persons", "posts"]
    assert doc["persons"] == [
        {
            "id": f"person/{sample.person.pk}",
            "name": "Rosa Quilumbaquín",
            "given_name": None,
            "family_name": None,
            "other_names": [],
            "summary": "Dirigente",
            "biography": "Tejedora desde niña.",
            "area_id": "territory/100350",
        }
    ]
    coop = next(o for o in doc["organizations"] if o["name"].startswith("Cooperativa"))
    assert coop["identifiers"] == [{"scheme": "EC-RUC", "identifier": "1792060346001"}]
    assert coop["classification"] == "cooperative"
    assert coop["area_id"] == "territory/100351"
    assert doc["memberships"] == [
        {
            "id": f"membership/{sample.membership.pk}",
            "person_id": f"person/{sample.person.pk}",
            "organization_id": f"organization/{sample.assoc.pk}",
            "role": "presidenta",
            "post_id": f"post/{sample.post.pk}",
            "on_behalf_of_id": None,
            "start_date": "2023-03-01",
            "end_date": None,
        }
    ]
    assert [p["label"] for p in doc["posts"]] == ["Presidencia"]
    for text in PRIVATE_STRINGS:
        assert text not in str(doc)


def test_the_organizations_rows_carry_the_ruc_and_territory(sample: Sample) -> None:
    rows = {r["name"]: r for r in selectors.organization_rows()}

    assert rows["Municipio de Cotacachi"]["ruc"] == "1760001550001"
    assert rows["Municipio de Cotacachi"]["territory_code"] == "100350"
    assert rows["Café Quiteño"]["size"] == "small"
    assert set(rows["Café Quiteño"]) == set(selectors.ORGANIZATION_CSV_COLUMNS)


def test_fold_lowers_and_strips_accents_and_punctuation() -> None:
    assert selectors.fold("  Asociación  Ñaupa-Kawsay, S.A. ") == "asociacion naupa kawsay s a"
