import pytest

from minga.territories.demo import load

from ..conftest import NOW


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_resident_browses_from_the_list_to_cotacachi_and_sees_its_map(page, axe, audit_cleanup):
    load(now=NOW)

    page.goto("/territories/")
    axe(page)
    page.get_by_label("Buscar un territorio por nombre").fill("cotacachi")
    page.get_by_role("button", name="Buscar").click()
    axe(page)
    page.get_by_role("link", name="COTACACHI").first.click()

    assert page.get_by_role("heading", level=1).inner_text() == "COTACACHI"
    assert page.get_by_role("img", name="Contorno de COTACACHI").is_visible()
    assert page.locator("svg.map path.child").count() == 11
    axe(page)
    page.get_by_role("navigation", name="Pertenece a").get_by_role("link", name="IMBABURA").click()
    assert page.get_by_role("heading", level=1).inner_text() == "IMBABURA"
