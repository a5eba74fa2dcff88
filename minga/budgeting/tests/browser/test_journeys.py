"""Journeys in Chromium, with the axe-core WCAG 2.2 AA check on every page visited."""

import json

import pytest
from django.test import Client

from minga.accounts.middleware import SESSION_KEY
from minga.budgeting import views
from minga.budgeting.models import Ballot, Project, Result
from minga.cli import main as minga_main

from ..helpers import AT, JointCouncil, World, cedula
from ..test_services import vote_scenario

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, live_server, user, *, second_factor: bool = False) -> None:
    client = Client()
    client.force_login(user)
    if second_factor:
        session = client.session
        session[SESSION_KEY] = True
        session.save()
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def test_a_resident_proposes_and_an_official_reviews(page, axe, live_server, monkeypatch):
    world = World()
    monkeypatch.setattr(views, "_now", lambda: AT["proposals"])
    sign_in(page, live_server, world.resident)

    page.goto("/budgeting/")
    axe(page)
    page.get_by_role("link", name="Presupuesto participativo 2026").click()
    axe(page)
    page.get_by_role("link", name="Proponer un proyecto").click()
    axe(page)
    page.get_by_label("Presupuesto").select_option(label="Apuela")
    page.get_by_label("Título").fill("Biblioteca comunitaria")
    page.get_by_label("Descripción:", exact=True).fill("Libros y mesas para la escuela.")
    page.get_by_label("Costo estimado").fill("900")
    page.get_by_label("Ubicación").select_option(label="Apuela")
    page.get_by_label("Categoría").select_option(label="Vías")
    page.get_by_role("button", name="Enviar propuesta").click()
    assert page.locator("#id_estimated_cost_error").inner_text() == (
        "El costo estimado supera el presupuesto (500)."
    )
    axe(page)
    page.get_by_label("Costo estimado").fill("250")
    page.get_by_role("button", name="Enviar propuesta").click()
    page.get_by_role("heading", name="Biblioteca comunitaria").wait_for()
    axe(page)

    page.context.clear_cookies()
    monkeypatch.setattr(views, "_now", lambda: AT["review"])
    sign_in(page, live_server, world.official, second_factor=True)
    page.goto("/budgeting/pp-2026/review/")
    axe(page)
    page.get_by_role("link", name="Biblioteca comunitaria").click()
    axe(page)
    page.get_by_label("Viable", exact=True).check()
    page.get_by_label("Motivo").fill("Hay local disponible.")
    page.get_by_label("Costo ajustado (opcional)").fill("300")
    page.get_by_role("button", name="Guardar revisión").click()
    page.get_by_text("Revisión guardada.").wait_for()
    axe(page)

    project = Project.objects.get(title="Biblioteca comunitaria")
    assert (project.status, project.cost_cents, project.reviewed_by) == (
        "feasible",
        30_000,
        world.official,
    )


def test_an_official_takes_the_councils_priority_needs_and_a_resident_proposes_under_one(
    page, axe, live_server, monkeypatch
):
    world = World()
    council = JointCouncil(world.t["cotacachi"], world.official, "Consejo Cantonal de Cotacachi")
    council.declare("Agua potable para Apuela", "water", world.t["apuela"])
    monkeypatch.setattr(views, "_now", lambda: AT["proposals"])
    sign_in(page, live_server, world.official, second_factor=True)

    page.goto("/budgeting/pp-2026/")
    axe(page)
    page.get_by_role("button", name="Tomar las categorías de las necesidades prioritarias").click()
    page.get_by_text("1 categoría añadida desde las necesidades prioritarias.").wait_for()
    axe(page)
    assert page.get_by_text("ya es una categoría").count() == 1

    page.context.clear_cookies()
    sign_in(page, live_server, world.resident)
    page.goto("/budgeting/pp-2026/propose/")
    axe(page)
    page.get_by_role("link", name="Agua potable para Apuela").wait_for()
    page.get_by_label("Presupuesto").select_option(label="Apuela")
    page.get_by_label("Título").fill("Tanque en Apuela")
    page.get_by_label("Descripción:", exact=True).fill("Agua para 40 familias.")
    page.get_by_label("Costo estimado").fill("200")
    page.get_by_label("Ubicación").select_option(label="Apuela")
    page.get_by_label("Categoría").select_option(
        label="Agua y saneamiento — Apuela (necesidad prioritaria)"
    )
    page.get_by_role("button", name="Enviar propuesta").click()
    page.get_by_role("heading", name="Tanque en Apuela").wait_for()
    axe(page)
    page.get_by_role("link", name="Agua potable para Apuela").click()
    page.get_by_role("heading", name="Sesión de prioridades").wait_for()

    project = Project.objects.get(title="Tanque en Apuela")
    assert project.category.source_decision.text == "Agua potable para Apuela"


def test_a_resident_votes_with_the_budget_bar_and_changes_the_ballot(
    page, axe, live_server, monkeypatch
):
    world = World(ballot_kind="knapsack")
    monkeypatch.setattr(views, "_now", lambda: AT["voting"])
    sign_in(page, live_server, world.resident)

    page.goto("/budgeting/pp-2026/")
    page.get_by_role("link", name="Verificar mi cédula para votar").click()
    page.wait_for_url("**/verify/")
    axe(page)
    page.get_by_label("Número de cédula").fill("1000000001")
    page.get_by_role("button", name="Verificar").click()
    assert (
        "el dígito verificador es 1, pero debería ser 8."
        in page.locator("#id_identifier_error").inner_text()
    )
    axe(page)
    page.get_by_label("Número de cédula").fill(cedula(1))
    page.get_by_role("button", name="Verificar").click()
    page.get_by_role("link", name="Votar en Cotacachi urbana").click()
    axe(page)
    bar = page.locator("#budget-bar")
    assert "0 proyectos elegidos: 0 de 1\xa0000" in bar.inner_text()
    page.get_by_label("Agua potable barrio norte — USD 600").check()
    page.wait_for_function(
        "document.querySelector('#budget-bar').innerText.includes('600 de 1\xa0000')"
    )
    page.get_by_label("Puente peatonal — USD 500").check()
    page.wait_for_function("document.querySelector('#budget-bar.over') !== null")
    assert "Su selección supera el presupuesto." in page.locator("#budget-bar").inner_text()
    axe(page)
    page.get_by_label("Puente peatonal — USD 500").uncheck()
    page.get_by_label("Tanque comunitario — USD 300").check()
    page.wait_for_function(
        "document.querySelector('#budget-bar').innerText.includes('900 de 1\xa0000')"
    )
    page.get_by_role("button", name="Votar").click()
    page.get_by_role("heading", name="Su voto fue registrado").wait_for()
    axe(page)
    code = page.locator("#receipt-code").inner_text()

    page.get_by_role("link", name="Cambiar mi voto").click()
    assert page.get_by_label("Agua potable barrio norte — USD 600").is_checked()
    page.get_by_label("Agua potable barrio norte — USD 600").uncheck()
    page.get_by_label("Adoquinado calle Bolívar — USD 400").check()
    page.get_by_role("button", name="Cambiar mi voto").click()
    page.get_by_role("heading", name="Su voto fue registrado").wait_for()
    assert page.locator("#receipt-code").inner_text() == code

    page.goto("/budgeting/pp-2026/check/")
    page.get_by_label("Código de comprobante").fill(code)
    page.get_by_role("button", name="Comprobar").click()
    page.get_by_role("heading", name="Su papeleta está en la urna").wait_for()
    axe(page)

    ballot = Ballot.objects.get()
    assert sorted(ballot.projects.values_list("pk", flat=True)) == sorted(
        [world.p2.pk, world.p3.pk]
    )


def test_results_are_published_and_the_published_file_recounts_the_same(
    page, axe, live_server, monkeypatch, tmp_path, capsys
):
    world = World()
    vote_scenario(world)
    monkeypatch.setattr(views, "_now", lambda: AT["results"])
    sign_in(page, live_server, world.official, second_factor=True)

    for path in ("/budgeting/processes/new/", "/budgeting/pp-2026/census/"):
        page.goto(path)
        axe(page)
    page.goto("/budgeting/pp-2026/paper/")
    page.get_by_label("Archivo CSV").set_input_files(
        files=[{"name": "mesa.csv", "mimeType": "text/csv", "buffer": b"cedula\n1\n"}]
    )
    page.get_by_role("button", name="Subir").click()
    assert "faltan las columnas presupuesto, proyectos" in page.locator("#file-errors").inner_text()
    axe(page)
    page.goto("/budgeting/pp-2026/results/")
    axe(page)
    page.get_by_role("button", name="Calcular y publicar los resultados").click()
    page.get_by_text("Resultados calculados y publicados.").wait_for()
    axe(page)
    page.get_by_text("Ver los datos en una tabla").first.click()
    axe(page)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Papeletas anónimas de Cotacachi urbana (.pb)").click()
    path = tmp_path / "urbana.pb"
    download_info.value.save_as(path)
    status = minga_main(
        [
            "pb",
            "tally",
            str(path),
            "--rule",
            "mes",
            "--sat",
            "cost",
            "--completion",
            "add1",
            "--json",
        ]
    )

    result = Result.objects.get(budget=world.urbana)
    assert status == 0
    assert json.loads(capsys.readouterr().out)["selected"] == result.selected
    assert result.selected == [str(world.p1.pk), str(world.p2.pk)]

    page.goto(f"/budgeting/projects/{world.p1.pk}/")
    axe(page)
