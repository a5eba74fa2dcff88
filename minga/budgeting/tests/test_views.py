"""The pages: each renders, refuses whom it must, and shows bad input with the field or line
named while nothing changes."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from minga.accounts.middleware import SESSION_KEY
from minga.budgeting import services, views
from minga.budgeting.forms import MAX_UNITS
from minga.budgeting.models import (
    Ballot,
    Budget,
    Category,
    CensusEntry,
    Process,
    Project,
    VoterRecord,
)
from minga.core.models import AuditEvent

from .helpers import AT, World, cedula, make_official, make_user
from .test_services import vote_scenario

pytestmark = pytest.mark.django_db


def at(monkeypatch, phase: str) -> None:
    monkeypatch.setattr(views, "_now", lambda: AT[phase])


def signed_in(user, *, second_factor: bool = False) -> Client:
    client = Client()
    client.force_login(user)
    if second_factor:
        session = client.session
        session[SESSION_KEY] = True
        session.save()
    return client


def test_the_list_and_process_pages_render_for_anyone(monkeypatch):
    world = World()
    at(monkeypatch, "proposals")

    listing = Client().get("/budgeting/")
    page = Client().get("/budgeting/pp-2026/")

    assert listing.status_code == 200 and "Presupuesto participativo 2026" in listing.text
    assert page.status_code == 200
    assert "Proponer un proyecto" in page.text
    assert "Agua potable barrio norte" in page.text
    assert world.process.title in page.text


def test_a_resident_proposes_through_the_form(monkeypatch):
    world = World()
    at(monkeypatch, "proposals")
    client = signed_in(world.resident)

    response = client.post(
        "/budgeting/pp-2026/propose/",
        {
            "budget": world.apuela.pk,
            "title": "Biblioteca",
            "description": "Libros para la escuela.",
            "estimated_cost": 120,
            "location": world.t["apuela"].pk,
            "category": world.roads.pk,
        },
    )

    project = Project.objects.get(title="Biblioteca")
    assert (
        response.status_code == 302 and response["Location"] == f"/budgeting/projects/{project.pk}/"
    )
    assert project.estimated_cost_cents == 12_000


def test_a_proposal_over_the_budget_shows_the_error_on_its_field(monkeypatch):
    world = World()
    at(monkeypatch, "proposals")
    client = signed_in(world.resident)

    response = client.post(
        "/budgeting/pp-2026/propose/",
        {
            "budget": world.apuela.pk,
            "title": "Carretera",
            "description": "Muy cara.",
            "estimated_cost": 900,
            "location": world.t["apuela"].pk,
            "category": world.roads.pk,
        },
    )

    assert response.status_code == 400
    assert 'id="id_estimated_cost_error"' in response.text
    assert "El costo estimado supera el presupuesto (500)." in response.text
    assert not Project.objects.filter(title="Carretera").exists()


def test_the_review_pages_are_for_officials_of_the_territory_only(monkeypatch):
    world = World()
    at(monkeypatch, "review")
    outsider = make_official("ibarreno", world.t["ibarra"])

    assert signed_in(world.resident).get("/budgeting/pp-2026/review/").status_code == 403
    assert (
        signed_in(outsider, second_factor=True).get("/budgeting/pp-2026/review/").status_code == 403
    )
    assert (
        signed_in(world.official, second_factor=True).get("/budgeting/pp-2026/review/").status_code
        == 200
    )


def test_an_official_reviews_through_the_form(monkeypatch):
    world = World()
    at(monkeypatch, "review")
    client = signed_in(world.official, second_factor=True)

    response = client.post(
        f"/budgeting/projects/{world.p4.pk}/review/",
        {"decision": "unfeasible", "reason": "Zona de riesgo.", "adjusted_cost": ""},
    )

    world.p4.refresh_from_db()
    assert response.status_code == 302
    assert (world.p4.status, world.p4.review_reason) == ("unfeasible", "Zona de riesgo.")


def test_a_review_without_a_reason_is_refused_on_the_page_and_changes_nothing(monkeypatch):
    world = World()
    at(monkeypatch, "review")
    client = signed_in(world.official, second_factor=True)
    world.p4.refresh_from_db()
    before = (world.p4.status, world.p4.review_reason, world.p4.adjusted_cost_cents)

    response = client.post(
        f"/budgeting/projects/{world.p4.pk}/review/",
        {"decision": "unfeasible", "reason": "", "adjusted_cost": "0"},
    )

    world.p4.refresh_from_db()
    assert response.status_code == 400
    assert 'id="id_reason_error"' in response.text
    assert 'id="id_adjusted_cost_error"' in response.text
    assert (world.p4.status, world.p4.review_reason, world.p4.adjusted_cost_cents) == before


def test_a_cedula_outside_the_census_is_refused_on_the_page(monkeypatch):
    world = World()
    at(monkeypatch, "voting")
    client = signed_in(world.resident)

    response = client.post("/budgeting/pp-2026/verify/", {"identifier": cedula(99)})

    assert response.status_code == 400
    assert "Esa cédula no está en el censo de este proceso." in response.text
    assert VoterRecord.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "shown"),
    [
        (
            f"cedula,parroquia\n{cedula(70)},100350\n123,100350\n".encode(),
            "línea 3: cedula: debe tener 10 dígitos; tiene 3.",
        ),
        # Read by the same code as the API's uploads (services.csv_upload_text).
        ("cedula,parroquia\nPeñaherrera,1\n".encode("latin-1"), "El archivo debe estar en UTF-8."),
    ],
)
def test_a_bad_census_file_is_refused_on_the_page_and_imports_nothing(monkeypatch, data, shown):
    world = World()
    at(monkeypatch, "review")
    client = signed_in(world.official, second_factor=True)
    before = CensusEntry.objects.count()

    response = client.post(
        "/budgeting/pp-2026/census/", {"file": SimpleUploadedFile("censo.csv", data)}
    )

    assert response.status_code == 400
    assert shown in response.text
    assert CensusEntry.objects.count() == before


def test_a_resident_verifies_votes_without_javascript_and_changes_the_ballot(monkeypatch):
    world = World()
    at(monkeypatch, "voting")
    client = signed_in(world.resident)

    claimed = client.post("/budgeting/pp-2026/verify/", {"identifier": cedula(1)})
    recalculated = client.post(
        f"/budgeting/pp-2026/vote/{world.urbana.pk}/",
        {"project": [world.p1.pk, world.p2.pk], "action": "recalculate"},
    )
    cast = client.post(
        f"/budgeting/pp-2026/vote/{world.urbana.pk}/",
        {"project": [world.p1.pk], "action": "cast"},
    )
    receipt = client.get(cast["Location"])
    changed = client.post(
        f"/budgeting/pp-2026/vote/{world.urbana.pk}/",
        {"project": [world.p3.pk], "action": "cast"},
    )

    assert claimed.status_code == 302
    assert "2 proyectos elegidos: 1\xa0000 de 1\xa0000" in recalculated.text
    assert Ballot.objects.count() == 1 and VoterRecord.objects.count() == 1
    assert cast.status_code == 302 and changed.status_code == 302
    assert receipt.status_code == 200 and "Su voto fue registrado" in receipt.text
    assert [p.pk for p in Ballot.objects.get().projects.all()] == [world.p3.pk]


def test_the_budget_bar_partial_adds_up_the_ticked_projects(monkeypatch):
    world = World()
    at(monkeypatch, "voting")

    response = Client().get(
        f"/budgeting/pp-2026/vote/{world.urbana.pk}/bar/",
        {"project": [world.p1.pk, world.p4.pk]},
    )

    assert response.status_code == 200
    assert "2 proyectos elegidos: 1\xa0100 de 1\xa0000" in response.text
    assert 'style="width: 100%"' in response.text


def test_a_knapsack_ballot_over_budget_is_shown_refused(monkeypatch):
    world = World(ballot_kind="knapsack")
    at(monkeypatch, "voting")
    client = signed_in(world.resident)
    client.post("/budgeting/pp-2026/verify/", {"identifier": cedula(1)})

    response = client.post(
        f"/budgeting/pp-2026/vote/{world.urbana.pk}/",
        {"project": [world.p1.pk, world.p4.pk], "action": "cast"},
    )

    assert response.status_code == 400
    assert "Su selección cuesta 1\xa0100 y supera el presupuesto de 1\xa0000." in response.text
    assert Ballot.objects.count() == 0


def test_voting_sends_an_unverified_resident_to_verify_first(monkeypatch):
    world = World()
    at(monkeypatch, "voting")

    response = signed_in(make_user("nuevo")).get(f"/budgeting/pp-2026/vote/{world.urbana.pk}/")

    assert response.status_code == 302 and response["Location"] == "/budgeting/pp-2026/verify/"


def test_an_official_publishes_the_results_and_the_page_shows_charts(monkeypatch):
    world = World()
    vote_scenario(world)
    at(monkeypatch, "results")
    client = signed_in(world.official, second_factor=True)

    published = client.post("/budgeting/pp-2026/results/")
    page = Client().get("/budgeting/pp-2026/results/")
    pb_file = Client().get(f"/budgeting/pp-2026/ballots/{world.urbana.pk}.pb")

    assert published.status_code == 302
    assert page.status_code == 200
    assert page.text.count('<svg class="pb-chart"') == 4
    assert "Resultado proporcional y resultado codicioso" in page.text
    assert pb_file.status_code == 200 and pb_file.text.startswith("META\n")


def test_a_resident_may_not_publish_results(monkeypatch):
    world = World()
    vote_scenario(world)
    at(monkeypatch, "results")

    response = signed_in(world.resident).post("/budgeting/pp-2026/results/")

    assert response.status_code == 403
    world.process.refresh_from_db()
    assert world.process.results_published_at is None


def test_a_receipt_is_checked_against_the_ballot_box(monkeypatch):
    world = World()
    at(monkeypatch, "voting")
    entry = services.census_claim(
        actor=world.resident, process=world.process, identifier=cedula(1), now=AT["voting"]
    )
    code = services.ballot_cast(
        actor=world.resident,
        entry=entry,
        budget=world.urbana,
        project_ids=[world.p2.pk],
        now=AT["voting"],
    )

    found = Client().get("/budgeting/pp-2026/check/", {"receipt": code})
    missing = Client().get("/budgeting/pp-2026/check/", {"receipt": "AAAA-BBBB"})

    assert "Su papeleta está en la urna" in found.text and "Adoquinado calle Bolívar" in found.text
    assert "Ninguna papeleta de este proceso tiene ese código." in missing.text


def test_an_official_records_progress_on_the_project_page(monkeypatch):
    world = World()
    vote_scenario(world)
    services.results_compute(actor=world.official, process=world.process, now=AT["results"])
    at(monkeypatch, "implementation")
    client = signed_in(world.official, second_factor=True)

    bad = client.post(
        f"/budgeting/projects/{world.p1.pk}/update/",
        {
            "update_date": AT["implementation"].date().isoformat(),
            "status": "in_progress",
            "progress_percent": 150,
            "spent": 10,
            "note": "x",
        },
    )
    good = client.post(
        f"/budgeting/projects/{world.p1.pk}/update/",
        {
            "update_date": AT["implementation"].date().isoformat(),
            "status": "in_progress",
            "progress_percent": 30,
            "spent": 100,
            "note": "Obra iniciada.",
        },
    )
    page = Client().get(f"/budgeting/projects/{world.p1.pk}/")

    huge = client.post(
        f"/budgeting/projects/{world.p1.pk}/update/",
        {
            "update_date": AT["implementation"].date().isoformat(),
            "status": "in_progress",
            "progress_percent": 30,
            "spent": 10**20,  # beyond what the database holds in cents
            "note": "x",
        },
    )
    assert bad.status_code == 400 and 'id="id_progress_percent_error"' in bad.text
    assert huge.status_code == 400 and 'id="id_spent_error"' in huge.text
    assert good.status_code == 302
    assert "Obra iniciada." in page.text and "Línea de tiempo de la ejecución" in page.text


def _new_process_data(world: World, budgets: str) -> dict[str, object]:
    return {
        "territory": world.t["cotacachi"].pk,
        "slug": "pp-2027",
        "title": "Presupuesto participativo 2027",
        "description": "",
        "proposals_open_at": "2027-01-10T08:00",
        "review_open_at": "2027-02-10T08:00",
        "voting_open_at": "2027-03-10T08:00",
        "voting_close_at": "2027-03-24T18:00",
        "implementation_open_at": "2027-04-01T08:00",
        "rule": "mes",
        "satisfaction": "cost",
        "completion": "add1",
        "ballot_kind": "approval",
        "min_projects": 1,
        "max_projects": "",
        "eligibility": "own_territory",
        "budgets": budgets,
        "categories": "Agua\nVías\n",
    }


def _open_process(monkeypatch, world: World, budgets: str):
    """Cotacachi's official posts the new-process form with these budget lines."""
    at(monkeypatch, "review")
    client = signed_in(world.official, second_factor=True)
    return client.post("/budgeting/processes/new/", _new_process_data(world, budgets))


def test_an_official_opens_a_process_with_its_budgets_and_categories(monkeypatch):
    world = World()

    response = _open_process(
        monkeypatch, world, "100350;Cotacachi urbana;80000\n100351;Apuela;40000\n"
    )

    process = Process.objects.get(slug="pp-2027")
    assert response.status_code == 302 and response["Location"] == "/budgeting/pp-2027/"
    assert [(b.name, b.amount_cents) for b in process.budgets.order_by("name")] == [
        ("Apuela", 4_000_000),
        ("Cotacachi urbana", 8_000_000),
    ]
    assert sorted(process.categories.values_list("name", flat=True)) == ["Agua", "Vías"]


def test_a_new_process_with_a_bad_budget_line_creates_nothing(monkeypatch):
    world = World()

    response = _open_process(
        monkeypatch, world, "100350;Cotacachi urbana;80000\n100150;Ibarra;40000\n"
    )

    assert response.status_code == 400
    assert (
        "línea 2: El territorio del presupuesto debe estar dentro del territorio del proceso."
        in response.text
    )
    assert not Process.objects.filter(slug="pp-2027").exists()


@pytest.mark.parametrize(
    ("amount", "error"),
    [
        # "²" passes str.isdigit() but int() cannot read it.
        ("4²", "línea 2: el monto debe ser un número entero."),
        # Its cents overflow the database's 64-bit integers.
        (str(10**20), "línea 2: el monto es demasiado grande."),
        # The first amount whose cents do not fit.
        (str(MAX_UNITS + 1), "línea 2: el monto es demasiado grande."),
        # Longer than int() reads (sys.get_int_max_str_digits), with and without leading zeros.
        ("1" * 5000, "línea 2: el monto es demasiado grande."),
        ("0" * 5000 + str(MAX_UNITS + 1), "línea 2: el monto es demasiado grande."),
    ],
)
def test_a_budget_amount_the_database_cannot_hold_is_refused_naming_its_line(
    monkeypatch, amount, error
):
    world = World()
    before = [m.objects.count() for m in (Process, Budget, Category, AuditEvent)]

    response = _open_process(
        monkeypatch, world, f"100350;Cotacachi urbana;80000\n100351;Apuela;{amount}\n"
    )

    assert response.status_code == 400
    assert error in response.text
    assert not Process.objects.filter(slug="pp-2027").exists()
    assert [m.objects.count() for m in (Process, Budget, Category, AuditEvent)] == before


def test_the_largest_budget_amount_the_database_holds_is_accepted(monkeypatch):
    world = World()

    response = _open_process(monkeypatch, world, f"100350;Cotacachi urbana;00{MAX_UNITS}\n")

    assert response.status_code == 302
    assert Process.objects.get(slug="pp-2027").budgets.get().amount_cents == MAX_UNITS * 100


def test_a_resident_may_not_open_a_process(monkeypatch):
    world = World()
    at(monkeypatch, "review")

    response = signed_in(world.resident).get("/budgeting/processes/new/")

    assert response.status_code == 403
