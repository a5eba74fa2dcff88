import pytest

from minga.territories.selectors import (
    territories_open_data_rows,
    territories_updated_at,
    territory_ancestors,
    territory_by_code,
    territory_children,
    territory_countries,
    territory_descendants,
    territory_is_within,
    territory_roots,
    territory_search,
)

from .conftest import NOW

pytestmark = pytest.mark.django_db


def get(code):
    territory = territory_by_code(country_code="EC", code=code)
    assert territory is not None
    return territory


def test_a_territory_is_found_by_country_and_code_in_any_case_of_country(small_country):
    assert get("1003").name == "COTACACHI"
    assert territory_by_code(country_code="ec", code="1003") == get("1003")
    assert territory_by_code(country_code="PE", code="1003") is None
    assert territory_by_code(country_code="EC", code="9999") is None


def test_ancestors_run_from_the_root_to_the_direct_parent(small_country):
    assert [t.code for t in territory_ancestors(get("100351"))] == ["10", "1003"]
    assert territory_ancestors(get("10")) == []


def test_children_are_the_direct_subdivisions_by_name(small_country):
    assert [t.code for t in territory_children(get("1003"))] == ["100351", "100350"]
    assert [t.code for t in territory_children(get("100351"))] == []


def test_descendants_are_everything_under_a_territory_and_nothing_else(small_country):
    assert [t.code for t in territory_descendants(get("10"))] == ["1003", "100350", "100351"]
    assert [t.code for t in territory_descendants(get("0301"))] == ["030150"]


def test_a_territory_is_within_itself_and_its_ancestors_only(small_country):
    parish, canton, province, other = get("100350"), get("1003"), get("10"), get("03")

    assert territory_is_within(parish, canton)
    assert territory_is_within(parish, province)
    assert territory_is_within(canton, canton)
    assert not territory_is_within(canton, parish)
    assert not territory_is_within(parish, other)


def test_a_code_prefix_is_not_mistaken_for_an_ancestor(db, now):
    from minga.territories.services import territories_import

    territories_import(
        country_code="XA",
        rows=[("a", "1", "Uno", ""), ("a", "10", "Diez", ""), ("b", "100", "Cien", "10")],
        levels=[("a", "A"), ("b", "B")],
        actor="t",
        now=now,
    )
    one = territory_by_code(country_code="XA", code="1")
    hundred = territory_by_code(country_code="XA", code="100")

    assert not territory_is_within(hundred, one)
    assert list(territory_descendants(one)) == []


def test_search_ignores_case_and_accents(small_country):
    assert [t.code for t in territory_search(query="canar")] == ["03"]
    assert [t.code for t in territory_search(query="Cotacachí")] == ["1003", "100350"]
    assert [t.code for t in territory_search(query="azogues", level="parroquia")] == ["030150"]
    assert [t.code for t in territory_search(query="", parent_code="1003")] == [
        "100351",
        "100350",
    ]
    assert list(territory_search(query="cotacachi", country_code="PE")) == []


def test_roots_and_countries(small_country):
    assert [(t.code, t.children_count) for t in territory_roots()] == [("03", 1), ("10", 1)]
    assert territory_countries() == ["EC"]


def test_the_open_data_rows_list_every_territory_with_its_parent_code(small_country):
    rows = list(territories_open_data_rows())

    assert rows[:3] == [
        {
            "country_code": "EC",
            "level": "provincia",
            "code": "03",
            "name": "CAÑAR",
            "parent_code": "",
        },
        {
            "country_code": "EC",
            "level": "canton",
            "code": "0301",
            "name": "AZOGUES",
            "parent_code": "03",
        },
        {
            "country_code": "EC",
            "level": "parroquia",
            "code": "030150",
            "name": "AZOGUES",
            "parent_code": "0301",
        },
    ]
    assert len(rows) == 7
    assert territories_updated_at() == NOW
