"""Journey: browsing and searching organisations (filter, search, open an organisation page),
with the axe-core WCAG 2.2 AA check on every page visited."""

from typing import Any

import pytest

from minga.actors.tests.conftest import Sample

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_browsing_and_searching_organizations(page: Any, axe: Any, sample: Sample) -> None:
    page.goto("/actors/")
    axe(page)
    count = page.locator("#result-count")
    assert "4 organizaciones encontradas" in count.inner_text()

    # Choosing a classification filters at once (HTMX), without reloading the page.
    page.select_option("#id_classification", "cooperative")
    page.wait_for_function(
        "document.querySelector('#result-count').innerText.includes('1 organización')"
    )
    assert page.locator("#results tbody tr").count() == 1
    assert "classification=cooperative" in page.url
    axe(page)

    # Searching with the box narrows the results; clearing the filter widens them again.
    page.select_option("#id_classification", "")
    page.wait_for_function(
        "document.querySelector('#result-count').innerText.includes('4 organizaciones')"
    )
    page.fill("#id_q", "municipio")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_function(
        "document.querySelector('#result-count').innerText.includes('1 organización')"
    )
    axe(page)

    page.click("#results a:has-text('Municipio de Cotacachi')")
    page.wait_for_url("**/actors/organizations/*/")
    assert page.locator("h1").inner_text() == "Municipio de Cotacachi"
    assert "1760001550001" in page.content()
    axe(page)


def test_the_directory_works_without_javascript(
    _playwright_browser: Any, live_server: Any, sample: Sample, axe: Any
) -> None:
    context = _playwright_browser.new_context(
        locale="es-EC", base_url=live_server.url, java_script_enabled=False
    )
    page = context.new_page()
    try:
        page.goto("/actors/")
        page.fill("#id_q", "tejedoras")
        page.click("form[role=search] button[type=submit]")
        page.wait_for_url("**/actors/?q=tejedoras*")
        assert "1 organización encontrada" in page.locator("#result-count").inner_text()
        page.click("#results a:has-text('Warmikuna')")
        assert page.locator("h1").inner_text() == "Asociación de Tejedoras Warmikuna"
        page.click("#main a[href^='/actors/people/']")
        assert page.locator("h1").inner_text() == "Rosa Quilumbaquín"
        assert "rosa@example.org" not in page.content()
    finally:
        context.close()
