"""The results page and API in the reader's language: each explanation rebuilt from its figures
in Spanish or English, and every amount with that language's separators."""

import pytest
from django.test import Client

from minga.budgeting import services, views

from .helpers import AT, World
from .test_services import vote_scenario

pytestmark = pytest.mark.django_db

NBSP = "\xa0"


@pytest.fixture
def published(monkeypatch) -> World:
    world = World()
    vote_scenario(world)
    services.results_compute(actor=world.official, process=world.process, now=AT["results"])
    monkeypatch.setattr(views, "_now", lambda: AT["results"])
    return world


def client_in(language: str) -> Client:
    client = Client()
    client.cookies["django_language"] = language
    return client


def test_the_results_page_explains_in_spanish_with_spanish_amounts(published):
    page = client_in("es").get("/budgeting/pp-2026/results/").text

    assert (
        "<td>Su mejor resultado fueron 4,00 votos efectivos (ronda 1), insuficientes frente a "
        "los proyectos elegidos. En la ronda 3 a sus partidarios les quedaban USD 236, menos "
        "que su coste de USD 500.</td>"
    ) in page
    assert (
        "Seleccionado en la ronda 1 del Método de Partes Iguales: cada partidario con fondos "
        "suficientes pagó USD 100 (6,00 votos efectivos)."
    ) in page
    assert f"Presupuesto USD 1{NBSP}000; asignado USD 1{NBSP}000; 10 votantes." in page


def test_the_results_page_explains_in_english_with_english_amounts(published):
    page = client_in("en").get("/budgeting/pp-2026/results/").text

    assert (
        "<td>Its best result was 4.00 effective votes (round 1), not enough against the projects "
        "chosen. In round 3 its supporters had USD 236 left, less than its cost of USD 500.</td>"
    ) in page
    assert (
        "Selected in round 1 of the Method of Equal Shares: each supporter with enough funds "
        "paid USD 100 (6.00 effective votes)."
    ) in page
    assert "USD 1,000" in page and f"1{NBSP}000" not in page


def test_the_process_page_writes_costs_with_the_languages_separators(published):
    spanish = client_in("es").get("/budgeting/pp-2026/").text
    english = client_in("en").get("/budgeting/pp-2026/").text

    assert f"<caption>Cotacachi urbana: USD 1{NBSP}000</caption>" in spanish
    assert "<caption>Cotacachi urbana: USD 1,000</caption>" in english


def test_the_api_text_follows_the_requests_language_and_keeps_the_figures(published):
    url = "/api/v1/budgeting/processes/pp-2026/results"

    spanish = Client().get(url).json()
    english = Client().get(url, HTTP_ACCEPT_LANGUAGE="en").json()

    p4 = str(published.p4.pk)
    es_urbana = next(r for r in spanish if r["budget_name"] == "Cotacachi urbana")
    en_urbana = next(r for r in english if r["budget_name"] == "Cotacachi urbana")
    assert es_urbana["explanations"][p4]["text"] == (
        "Su mejor resultado fueron 4,00 votos efectivos (ronda 1), insuficientes frente a los "
        "proyectos elegidos. En la ronda 3 a sus partidarios les quedaban USD 236, menos que su "
        "coste de USD 500."
    )
    assert en_urbana["explanations"][p4]["text"] == (
        "Its best result was 4.00 effective votes (round 1), not enough against the projects "
        "chosen. In round 3 its supporters had USD 236 left, less than its cost of USD 500."
    )
    figures = {k: v for k, v in en_urbana["explanations"][p4].items() if k != "text"}
    assert figures == {
        "project_id": p4,
        "selected": False,
        "reason": "mes-unaffordable",
        "position": None,
        "round": 1,
        "price_per_supporter": None,
        "effective_votes": "4",
        "unaffordable_round": 3,
        "money_left": "236",
        "cost": "500",
        "remaining_budget": None,
    }
