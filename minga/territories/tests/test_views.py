import re
from pathlib import Path

import pytest
from django.urls import reverse

from minga.territories import sections

pytestmark = pytest.mark.django_db


def test_the_list_shows_the_top_level_territories_of_each_country(client, small_country):
    response = client.get(reverse("territories:list"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "País EC" in html
    assert '<a href="/territories/EC/10/">IMBABURA</a>' in html
    assert '<a href="/territories/EC/03/">CAÑAR</a>' in html
    assert "COTACACHI" not in html


def test_a_search_lists_matching_territories_ignoring_accents(client, small_country):
    response = client.get(reverse("territories:list"), {"q": "cañar"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "1 territorio para «cañar»" in html
    assert '<td><a href="/territories/EC/03/">CAÑAR</a></td>' in html


def test_a_too_short_search_is_refused_with_its_error_shown(client, small_country):
    response = client.get(reverse("territories:list"), {"q": "á"})

    html = response.content.decode()
    assert response.status_code == 400
    assert 'aria-invalid="true"' in html
    assert "Escriba al menos 2 letras o cifras." in html
    assert "Resultados de la búsqueda" not in html


def test_the_territory_page_has_its_breadcrumb_facts_children_and_map(client, demo):
    response = client.get(reverse("territories:detail", args=["EC", "1003"]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>COTACACHI</h1>" in html
    breadcrumb = re.search(r'<nav class="breadcrumb".*?</nav>', html, re.S).group(0)
    assert re.findall(r">([^<>]+)</a>", breadcrumb) == ["Territorios", "IMBABURA", "COTACACHI"]
    assert "11 subdivisiones (Parroquia)" in html
    assert (
        html.count('href="/territories/EC/1003') == 12
    )  # 11 children, and itself in the breadcrumb
    assert '<svg class="map" viewBox="0 0 1000 ' in html
    assert 'role="img" aria-labelledby="map-title map-desc"' in html
    assert '<title id="map-title">Contorno de COTACACHI</title>' in html
    assert html.count('<path class="self"') == 1
    assert html.count('<path class="child"') == 11
    assert "Contorno aproximado, dibujado a mano para la demostración (no oficial)" in html


def test_a_province_without_its_own_outline_is_drawn_from_its_children(client, demo):
    html = client.get(reverse("territories:detail", args=["EC", "10"])).content.decode()

    assert '<svg class="map map-only-children"' in html
    assert (
        '<desc id="map-desc">Mapa de IMBABURA dibujado con el contorno de 1 subdivisión.</desc>'
        in html
    )
    assert html.count('<path class="child"') == 1
    assert "1 subdivisión (Cantón)" in html


def test_a_territory_without_any_outline_has_no_map(client, small_country):
    html = client.get(reverse("territories:detail", args=["EC", "1003"])).content.decode()

    assert "<svg" not in html
    assert "<h1>COTACACHI</h1>" in html


def test_an_unknown_territory_is_a_404(client, small_country):
    assert client.get(reverse("territories:detail", args=["EC", "9999"])).status_code == 404


def test_other_capabilities_add_sections_to_the_territory_page(client, small_country, settings):
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [Path(__file__).parent / "templates"]}]
    section = sections.Section(
        slug="test-section",
        title="Lo que pasa aquí",
        template="territories_tests/section.html",
        context=lambda t: {"count": 3} if t.code == "10" else None,
    )
    sections.register(section)
    try:
        with_section = client.get(reverse("territories:detail", args=["EC", "10"]))
        without = client.get(reverse("territories:detail", args=["EC", "03"]))
    finally:
        sections.unregister("test-section")

    assert '<h2 id="section-test-section">Lo que pasa aquí</h2>' in with_section.content.decode()
    assert "<p>3 procesos en IMBABURA</p>" in with_section.content.decode()
    assert "section-test-section" not in without.content.decode()


def test_registering_another_section_under_a_taken_slug_is_refused():
    first = sections.Section(slug="dup", title="A", template="a.html", context=lambda t: None)
    sections.register(first)
    try:
        with pytest.raises(sections.DuplicateSection):
            sections.register(
                sections.Section(slug="dup", title="B", template="b.html", context=lambda t: None)
            )
    finally:
        sections.unregister("dup")


def test_the_territories_dataset_downloads_as_csv(client, small_country):
    response = client.get("/open-data/territories.csv")

    body = b"".join(response.streaming_content).decode()
    assert response.status_code == 200
    assert body.splitlines()[:3] == [
        "country_code,level,code,name,parent_code",
        "EC,provincia,03,CAÑAR,",
        "EC,canton,0301,AZOGUES,03",
    ]


def test_the_territories_dataset_downloads_as_json(client, small_country):
    body = client.get("/open-data/territories.json").json()

    assert body["columns"] == ["country_code", "level", "code", "name", "parent_code"]
    assert len(body["rows"]) == 7
