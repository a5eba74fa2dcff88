"""The census and paper ballots through the API: an official of the process's territory sends
the same CSV files as on the pages (multipart `file`); a bad file changes nothing and the answer
lists every bad line."""

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from minga.accounts.services import role_assign
from minga.budgeting import services
from minga.budgeting.models import Ballot, VoterRecord
from minga.core.roles import Role

from .helpers import AT, DAY, T0, World, cedula, census_csv, make_official, make_user
from .test_priority_needs import bearer
from .test_services import counts

pytestmark = pytest.mark.django_db

CENSUS = "/api/v1/budgeting/processes/pp-2026/census"
PAPER = "/api/v1/budgeting/processes/pp-2026/paper-ballots"


def upload(text: str | bytes, name: str = "archivo.csv") -> dict[str, Any]:
    data = text.encode() if isinstance(text, str) else text
    return {"file": SimpleUploadedFile(name, data, content_type="text/csv")}


def at(monkeypatch: pytest.MonkeyPatch, phase: str) -> None:
    monkeypatch.setattr(timezone, "now", lambda: AT[phase])


def paper_csv(lines: list[tuple[int, str, str]]) -> str:
    return "cedula,presupuesto,proyectos\n" + "".join(
        f"{cedula(n)},{code},{projects}\n" for n, code, projects in lines
    )


def test_an_official_imports_the_census_through_the_api_once(monkeypatch):
    world = World()
    at(monkeypatch, "review")
    headers = bearer(world.official)
    text = census_csv([(cedula(1), "100350"), (cedula(50), "100358")])

    first = Client().post(CENSUS, upload(text), **headers)
    again = Client().post(CENSUS, upload(text), **headers)

    assert (first.status_code, first.json()) == (200, {"added": 1, "census_size": 14})
    assert (again.status_code, again.json()) == (200, {"added": 0, "census_size": 14})


def test_a_bad_census_file_is_refused_by_line_through_the_api_and_imports_nothing(monkeypatch):
    world = World()
    at(monkeypatch, "review")
    headers = bearer(world.official)
    before = counts()
    text = census_csv([(cedula(60), "100350"), ("1000000001", "100350"), (cedula(61), "999999")])

    response = Client().post(CENSUS, upload(text), **headers)

    assert response.status_code == 400
    assert response.json() == {
        "message": "No se guardó nada: el archivo tiene errores.",
        "field": "file",
        "errors": [
            {"line": 3, "message": "cedula: el dígito verificador es 1, pero debería ser 8."},
            {"line": 4, "message": "parroquia: no existe el territorio «999999»."},
        ],
    }
    assert counts() == before


def test_a_census_file_not_in_utf8_is_refused_through_the_api(monkeypatch):
    world = World()
    at(monkeypatch, "review")
    headers = bearer(world.official)
    before = counts()

    response = Client().post(
        CENSUS, upload("cedula,parroquia\nPeñaherrera,100350\n".encode("latin-1")), **headers
    )

    assert response.status_code == 400
    assert response.json()["errors"] == [{"line": 1, "message": "El archivo debe estar en UTF-8."}]
    assert counts() == before


def test_a_census_file_too_large_is_refused_before_it_is_read(monkeypatch):
    world = World()
    at(monkeypatch, "review")
    headers = bearer(world.official)
    before = counts()
    monkeypatch.setattr(services, "MAX_CSV_BYTES", 20)

    response = Client().post(CENSUS, upload(census_csv([(cedula(60), "100350")])), **headers)

    assert response.status_code == 400
    assert response.json() == {
        "message": "El archivo es demasiado grande.",
        "field": "file",
        "errors": [{"line": 1, "message": "archivo demasiado grande"}],
    }
    assert counts() == before


def test_an_official_uploads_paper_ballots_through_the_api(monkeypatch):
    world = World()
    at(monkeypatch, "voting")
    text = paper_csv(
        [(2, "100350", f"{world.p1.pk};{world.p3.pk}"), (11, "100351", str(world.p5.pk))]
    )

    response = Client().post(PAPER, upload(text, "mesa-1.csv"), **bearer(world.official))

    body = response.json()
    assert response.status_code == 201
    assert (body["filename"], body["ballots_count"], len(body["file_sha256"])) == (
        "mesa-1.csv",
        2,
        64,
    )
    assert VoterRecord.objects.filter(channel="paper").count() == 2
    assert Ballot.objects.filter(channel="paper").count() == 2


def test_paper_ballots_with_a_bad_line_record_nothing_through_the_api(monkeypatch):
    world = World()
    at(monkeypatch, "voting")
    headers = bearer(world.official)
    before = counts()
    text = paper_csv([(2, "100350", str(world.p1.pk)), (5, "100350", "uno")])

    response = Client().post(PAPER, upload(text), **headers)

    assert response.status_code == 400
    assert response.json()["field"] == "file"
    assert [e["line"] for e in response.json()["errors"]] == [3]
    assert counts() == before


def test_paper_ballots_outside_the_voting_phases_are_refused_whole(monkeypatch):
    world = World()
    at(monkeypatch, "review")
    headers = bearer(world.official)
    before = counts()

    response = Client().post(PAPER, upload(paper_csv([(2, "100350", str(world.p1.pk))])), **headers)

    assert response.status_code == 400
    assert response.json()["errors"] == []
    assert response.json()["message"].startswith("El proceso está en la fase «Revisión técnica»")
    assert counts() == before


@pytest.mark.parametrize("url", [CENSUS, PAPER])
def test_the_upload_apis_need_a_file_a_token_and_an_official_of_the_territory(url, monkeypatch):
    world = World()
    at(monkeypatch, "voting")
    official = bearer(world.official)
    other = bearer(make_official("ibarra", world.t["ibarra"]))
    operator = make_user("operadora")
    role_assign(
        actor="test",
        user=operator,
        role=Role.OPERATOR,
        active_from=T0 - 20 * DAY,
        now=T0 - 20 * DAY,
    )
    not_official = bearer(operator, "operator")
    before = counts()
    text = census_csv([(cedula(70), "100350")])

    answers = [
        Client().post(url, upload(text)),
        Client().post(url, upload(text), **not_official),
        Client().post(url, upload(text), **other),
        Client().post(url.replace("pp-2026", "nada"), upload(text), **official),
        Client().post(url, {}, **official),
    ]

    assert [(a.status_code, a.json()["field"]) for a in answers] == [
        (401, "Authorization"),
        (401, "Authorization"),
        (403, "Authorization"),
        (404, "slug"),
        (422, "file"),
    ]
    assert counts() == before
