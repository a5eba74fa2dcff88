"""The API, the open data, and a recount of the published file with `minga pb tally`."""

import csv
import io
import json

import pytest
from django.test import Client

from minga.budgeting import services
from minga.budgeting.models import Result
from minga.cli import main as minga_main

from .helpers import AT, World
from .test_services import vote_scenario

pytestmark = pytest.mark.django_db


@pytest.fixture
def published() -> World:
    world = World()
    vote_scenario(world)
    services.results_compute(actor=world.official, process=world.process, now=AT["results"])
    return world


def test_the_api_lists_processes_with_their_budgets(published):
    response = Client().get("/api/v1/budgeting/processes")

    assert response.status_code == 200
    [process] = response.json()
    assert process["slug"] == "pp-2026"
    assert process["rule"] == "mes" and process["completion"] == "add1"
    assert [(b["name"], b["amount_cents"]) for b in process["budgets"]] == [
        ("Apuela", 50_000),
        ("Cotacachi urbana", 100_000),
    ]


def test_an_unknown_process_is_a_404_naming_the_field():
    response = Client().get("/api/v1/budgeting/processes/nada")

    assert response.status_code == 404
    assert response.json() == {"message": "no process 'nada'", "field": "slug"}


def test_the_api_gives_projects_and_results_with_explanations(published):
    client = Client()

    projects = client.get("/api/v1/budgeting/processes/pp-2026/projects").json()
    results = client.get("/api/v1/budgeting/processes/pp-2026/results").json()

    assert len(projects) == 5
    assert {p["title"] for p in projects if p["selected"]} == {
        "Agua potable barrio norte",
        "Adoquinado calle Bolívar",
        "Canal de riego",
    }
    urbana = next(r for r in results if r["budget_name"] == "Cotacachi urbana")
    assert urbana["selected"] == [str(published.p1.pk), str(published.p2.pk)]
    assert urbana["greedy_selected"] == [str(published.p1.pk), str(published.p3.pk)]
    assert urbana["voters"] == 10
    assert urbana["votes"] == {
        str(published.p1.pk): 6,
        str(published.p2.pk): 4,
        str(published.p3.pk): 5,
        str(published.p4.pk): 4,
    }
    explanation = urbana["explanations"][str(published.p4.pk)]
    assert explanation["selected"] is False and explanation["text"]


def test_results_before_publication_are_a_404():
    World()

    response = Client().get("/api/v1/budgeting/processes/pp-2026/results")

    assert response.status_code == 404
    assert response.json()["field"] == "slug"


def test_the_published_ballots_download_and_recount_with_minga_pb_tally(
    published, tmp_path, capsys
):
    result = Result.objects.get(budget=published.urbana)
    url = f"/api/v1/budgeting/processes/pp-2026/budgets/{published.urbana.pk}/ballots.pb"

    response = Client().get(url)
    path = tmp_path / "urbana.pb"
    path.write_bytes(response.content)
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

    assert response.status_code == 200
    assert response.content.decode() == result.pb_file
    assert status == 0
    assert json.loads(capsys.readouterr().out) == {
        "selected": result.selected,
        "cost": 1000,
        "budget": 1000,
    }


def test_ballots_of_an_unknown_budget_are_a_404(published):
    response = Client().get("/api/v1/budgeting/processes/pp-2026/budgets/999999999/ballots.pb")

    assert response.status_code == 404
    assert response.json()["field"] == "budget_id"


def _open_data(slug: str) -> list[dict[str, str]]:
    response = Client().get(f"/open-data/{slug}.csv")
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.getvalue().decode())))


def test_open_data_publishes_processes_projects_results_and_ballots(published):
    processes = _open_data("budgeting-processes")
    projects = _open_data("budgeting-projects")
    results = _open_data("budgeting-results")
    ballots = _open_data("budgeting-ballots")

    assert [row["budget_name"] for row in processes] == ["Apuela", "Cotacachi urbana"]
    assert len(projects) == 5
    assert sum(row["selected"] == "True" for row in results) == 3
    assert len(ballots) == 11
    assert set(ballots[0]) == {"process", "budget_id", "voter_id", "projects"}


def test_ballots_are_not_in_the_open_data_before_the_results():
    world = World()
    vote_scenario(world)

    assert _open_data("budgeting-ballots") == []


def test_the_open_data_json_has_the_results_with_their_explanations(published):
    response = Client().get("/open-data/budgeting-results.json")

    rows = response.json()["rows"]
    assert {row["explanation"] != "" for row in rows} == {True}


def test_a_slug_with_a_nul_character_is_refused_not_a_server_error():
    # Refused before any view (minga.core.middleware.RefuseNullCharacters).
    response = Client().get("/api/v1/budgeting/processes/a%00b/projects")

    assert response.status_code == 400
    assert response.json()["field"] == "path"


def test_the_open_data_explanations_are_in_the_readers_language(published):
    def open_data(language):
        client = Client(headers={"accept-language": language})
        return client.get("/open-data/budgeting-results.json").json()["rows"]

    def api(language):
        client = Client(headers={"accept-language": language})
        results = client.get("/api/v1/budgeting/processes/pp-2026/results").json()
        return {
            (r["budget_id"], int(pid)): e["text"]
            for r in results
            for pid, e in r["explanations"].items()
        }

    for language in ("es", "en"):
        rows = open_data(language)
        assert {(r["budget_id"], r["project_id"]): r["explanation"] for r in rows} == api(language)
    spanish, english = open_data("es"), open_data("en")
    assert all(s["explanation"] != e["explanation"] for s, e in zip(spanish, english, strict=True))
