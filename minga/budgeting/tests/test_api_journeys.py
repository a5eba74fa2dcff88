"""The journeys through the API: a resident proposes, claims their census entry, votes and
checks their receipt; an official reviews, publishes the results and reports progress. Each
endpoint calls the same service as the page; a refusal names the API's field and changes
nothing; residents and officials authenticate with their own tokens or a signed-in session."""

import json
import re
from typing import Any

import pytest
from django.test import Client

from minga.accounts.middleware import SESSION_KEY
from minga.accounts.services import role_assign
from minga.budgeting import services
from minga.budgeting.models import Ballot, Category, CensusEntry, Process, Project, VoterRecord
from minga.budgeting.selectors import public_voter_id, receipt_sha256
from minga.core.models import AuditEvent
from minga.core.roles import Role

from .helpers import AT, DAY, T0, World, cedula, claim, make_official, make_process, make_user
from .test_api_uploads import at
from .test_priority_needs import bearer
from .test_services import counts, vote_scenario

pytestmark = pytest.mark.django_db

BASE = "/api/v1/budgeting/processes/pp-2026"
WRONG_PHASE = "El proceso está en la fase «{now}»; esto se hace en la fase «{needed}»."
NOT_OFFICIAL = {
    "message": "only an official of the process's territory may do this",
    "field": "Authorization",
}
NO_TOKEN = {"message": "a valid API token is required", "field": "Authorization"}
RECEIPT = re.compile(r"^[0-9A-F]{4}(-[0-9A-F]{4}){4}$")


def post(url: str, data: dict[str, Any] | None = None, **headers: Any) -> Any:
    return Client().post(url, json.dumps(data or {}), content_type="application/json", **headers)


def session_post(user: Any, url: str, data: dict[str, Any]) -> Any:
    client = Client()
    client.force_login(user)
    return client.post(url, json.dumps(data), content_type="application/json")


def answer(response: Any) -> tuple[int, str, str]:
    """A refusal's status, message and field (a 422 also lists every field at fault)."""
    body = response.json()
    return response.status_code, body["message"], body["field"]


def resident_bearer(user: Any) -> dict[str, str]:
    """A resident's API token (the user holds the resident role from before the process)."""
    role_assign(
        actor="test", user=user, role=Role.RESIDENT, active_from=T0 - 20 * DAY, now=T0 - 20 * DAY
    )
    return bearer(user, "resident")


def state() -> dict[str, Any]:
    """Everything the journeys' endpoints can change: the row counts (with the audit log), the
    projects' review and implementation fields, the census claims, what each ballot chose and
    when each vote was last cast, and whether results are published."""
    return {
        **counts(),
        "categories": Category.objects.count(),
        "projects": list(
            Project.objects.order_by("pk").values_list(
                "pk",
                "status",
                "review_reason",
                "adjusted_cost_cents",
                "selected",
                "implementation_status",
                "progress_percent",
                "spent_cents",
            )
        ),
        "claims": list(CensusEntry.objects.order_by("pk").values_list("pk", "user_id")),
        "ballots": sorted(Ballot.projects.through.objects.values_list("ballot_id", "project_id")),
        "votes": list(VoterRecord.objects.order_by("pk").values_list("pk", "voted_at")),
        "published": list(Process.objects.order_by("pk").values_list("pk", "results_published_at")),
    }


@pytest.fixture
def world() -> World:
    return World()


# --- a resident proposes ----------------------------------------------------------------------


def proposal(world: World, **change: Any) -> dict[str, Any]:
    data = {
        "budget_id": world.apuela.pk,
        "title": "Casa comunal",
        "description": "Techo nuevo para la casa comunal.",
        "estimated_cost_cents": 20_000,
        "location_code": "100351",
        "category_id": world.roads.pk,
    }
    data.update(change)
    return data


def test_a_resident_proposes_a_project_with_a_resident_token(world, monkeypatch):
    at(monkeypatch, "proposals")
    headers = resident_bearer(world.resident)
    events = AuditEvent.objects.count()

    response = post(f"{BASE}/projects", proposal(world), **headers)

    project = Project.objects.get(title="Casa comunal")
    assert response.status_code == 201
    assert response.json() == {
        "id": project.pk,
        "budget_id": world.apuela.pk,
        "title": "Casa comunal",
        "description": "Techo nuevo para la casa comunal.",
        "category": "Vías",
        "category_id": world.roads.pk,
        "category_decision_id": None,
        "location_code": "100351",
        "estimated_cost_cents": 20_000,
        "cost_cents": 20_000,
        "status": "submitted",
        "review_reason": "",
        "selected": False,
        "implementation_status": "not_started",
        "progress_percent": 0,
        "spent_cents": 0,
    }
    assert (project.author, project.submitted_at) == (world.resident, AT["proposals"])
    assert list(AuditEvent.objects.filter(seq__gt=events).values_list("action", flat=True)) == [
        "budgeting.project.propose"
    ]


def test_a_signed_in_resident_proposes_a_project_with_their_session(world, monkeypatch):
    at(monkeypatch, "proposals")

    response = session_post(world.resident, f"{BASE}/projects", proposal(world, title="Parque"))

    assert (response.status_code, response.json()["title"]) == (201, "Parque")
    assert Project.objects.get(pk=response.json()["id"]).author == world.resident


@pytest.mark.parametrize(
    "phase, change, status, field, message",
    [
        (
            "review",
            {},
            400,
            "slug",
            WRONG_PHASE.format(now="Revisión técnica", needed="Propuestas"),
        ),
        (
            "proposals",
            {"estimated_cost_cents": 60_000},
            400,
            "estimated_cost_cents",
            "El costo estimado supera el presupuesto (500).",
        ),
        (
            "proposals",
            {"estimated_cost_cents": 20_050},
            400,
            "estimated_cost_cents",
            "El monto debe ser en unidades enteras de la moneda.",
        ),
        (
            "proposals",
            {"estimated_cost_cents": 0},
            400,
            "estimated_cost_cents",
            "El monto debe ser mayor que cero.",
        ),
        (
            "proposals",
            {"budget_id": 999_999},
            400,
            "budget_id",
            "no budget 999999 in process 'pp-2026'",
        ),
        (
            "proposals",
            {"category_id": 999_999},
            400,
            "category_id",
            "no category 999999 in process 'pp-2026'",
        ),
        ("proposals", {"location_code": "999999"}, 400, "location_code", "no territory '999999'"),
        (
            "proposals",
            {"location_code": "100350"},
            400,
            "location_code",
            "La ubicación debe estar dentro del territorio del presupuesto (Apuela).",
        ),
        ("proposals", {"title": "  "}, 400, "title", "El título es obligatorio."),
        (
            "proposals",
            {"title": "x" * 201},
            400,
            "title",
            "El título tiene más de 200 caracteres.",
        ),
        ("proposals", {"description": ""}, 400, "description", "La descripción es obligatoria."),
        ("proposals", {"description": None}, 422, "description", "Input should be a valid string"),
        (
            "proposals",
            {"title": "Casa\x00comunal"},
            400,
            "body",
            "body: no se admiten caracteres nulos (U+0000).",
        ),
        (
            "proposals",
            {"budget_id": 2**63},
            422,
            "budget_id",
            "Input should be less than or equal to 9223372036854775807",
        ),
        (
            "proposals",
            {"estimated_cost_cents": 10.5},
            422,
            "estimated_cost_cents",
            "Input should be a valid integer, got a number with a fractional part",
        ),
    ],
)
def test_a_bad_proposal_is_refused_naming_the_field_and_nothing_is_stored(
    world, monkeypatch, phase, change, status, field, message
):
    at(monkeypatch, phase)
    headers = resident_bearer(world.resident)
    before = state()

    response = post(f"{BASE}/projects", proposal(world, **change), **headers)

    assert answer(response) == (status, message, field)
    assert state() == before


def test_a_proposal_without_a_field_is_refused_naming_it(world, monkeypatch):
    at(monkeypatch, "proposals")
    headers = resident_bearer(world.resident)
    data = proposal(world)
    del data["category_id"]
    before = state()

    response = post(f"{BASE}/projects", data, **headers)

    assert answer(response) == (422, "Field required", "category_id")
    assert state() == before


def test_proposing_needs_a_resident_token_or_a_session(world, monkeypatch):
    at(monkeypatch, "proposals")
    official = bearer(world.official)
    resident = resident_bearer(world.resident)
    before = state()

    anonymous = post(f"{BASE}/projects", proposal(world))
    official_token = post(f"{BASE}/projects", proposal(world), **official)
    bad_token = post(f"{BASE}/projects", proposal(world), HTTP_AUTHORIZATION="Bearer nada")
    no_process = post("/api/v1/budgeting/processes/nada/projects", proposal(world), **resident)

    # An official's token acts for the office, not for the person: proposing takes a resident's.
    assert [(r.status_code, r.json()) for r in (anonymous, official_token, bad_token)] == [
        (401, NO_TOKEN)
    ] * 3
    assert (no_process.status_code, no_process.json()) == (
        404,
        {"message": "no process 'nada'", "field": "slug"},
    )
    assert state() == before


# --- an official reviews ----------------------------------------------------------------------


def test_an_official_reviews_a_proposal_with_a_reason_and_an_adjusted_cost(world, monkeypatch):
    at(monkeypatch, "review")
    headers = bearer(world.official)
    url = f"{BASE}/projects/{world.p4.pk}/review"
    data = {
        "feasible": True,
        "reason": "Necesita estudios de suelo.",
        "adjusted_cost_cents": 70_000,
    }

    response = post(url, data, **headers)

    body = response.json()
    assert response.status_code == 200
    assert (body["id"], body["status"], body["review_reason"]) == (
        world.p4.pk,
        "feasible",
        "Necesita estudios de suelo.",
    )
    assert (body["estimated_cost_cents"], body["cost_cents"]) == (50_000, 70_000)
    world.p4.refresh_from_db()
    assert (world.p4.reviewed_by, world.p4.reviewed_at, world.p4.adjusted_cost_cents) == (
        world.official,
        AT["review"],
        70_000,
    )


def test_an_officials_session_writes_only_after_the_second_factor(world, monkeypatch):
    # The pages send an official who has typed only a password to the 2FA step; the API, which
    # that middleware leaves alone, must not take such a half-open session either.
    at(monkeypatch, "review")
    url = f"{BASE}/projects/{world.p4.pk}/review"
    data = {"feasible": False, "reason": "Fuera del presupuesto."}
    client = Client()
    client.force_login(world.official)
    before = state()

    half = client.post(url, json.dumps(data), content_type="application/json")

    assert (half.status_code, half.json()["field"]) == (401, "Authorization")
    assert state() == before
    session = client.session
    session[SESSION_KEY] = True
    session.save()
    both = client.post(url, json.dumps(data), content_type="application/json")
    assert (both.status_code, both.json()["status"]) == (200, "unfeasible")


def test_a_review_is_revised_until_voting_opens(world, monkeypatch):
    at(monkeypatch, "review")
    url = f"{BASE}/projects/{world.p4.pk}/review"

    response = post(url, {"feasible": False, "reason": "Sin terreno."}, **bearer(world.official))

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["cost_cents"]) == ("unfeasible", 50_000)
    world.p4.refresh_from_db()
    assert (world.p4.status, world.p4.review_reason, world.p4.adjusted_cost_cents) == (
        "unfeasible",
        "Sin terreno.",
        None,
    )


@pytest.mark.parametrize(
    "phase, change, status, field, message",
    [
        (
            "voting",
            {},
            400,
            "slug",
            WRONG_PHASE.format(now="Votación", needed="Propuestas, Revisión técnica"),
        ),
        ("review", {"reason": " "}, 400, "reason", "Escriba el motivo de la decisión."),
        (
            "review",
            {"adjusted_cost_cents": 150_000},
            400,
            "adjusted_cost_cents",
            "El costo ajustado supera el presupuesto (1\xa0000).",
        ),
        (
            "review",
            {"adjusted_cost_cents": 70_001},
            400,
            "adjusted_cost_cents",
            "El monto debe ser en unidades enteras de la moneda.",
        ),
        (
            "review",
            {"adjusted_cost_cents": -100},
            400,
            "adjusted_cost_cents",
            "El monto debe ser mayor que cero.",
        ),
        (
            "review",
            {"feasible": "quizás"},
            422,
            "feasible",
            "Input should be a valid boolean, unable to interpret input",
        ),
    ],
)
def test_a_bad_review_is_refused_naming_the_field_and_nothing_changes(
    world, monkeypatch, phase, change, status, field, message
):
    at(monkeypatch, phase)
    headers = bearer(world.official)
    data = {"feasible": False, "reason": "Fuera de competencia.", **change}
    before = state()

    response = post(f"{BASE}/projects/{world.p1.pk}/review", data, **headers)

    assert answer(response) == (status, message, field)
    assert state() == before


def test_reviewing_needs_an_official_of_the_territory_and_a_project_of_the_process(
    world, monkeypatch
):
    at(monkeypatch, "review")
    official = bearer(world.official)
    make_process(world.t["cotacachi"], actor=world.official, slug="pp-otro")
    outsider = bearer(make_official("ibarra", world.t["ibarra"]))
    resident = resident_bearer(world.resident)
    url = f"{BASE}/projects/{world.p1.pk}/review"
    data = {"feasible": False, "reason": "No."}
    before = state()

    answers = [
        post(url, data),
        post(url, data, **resident),
        session_post(world.resident, url, data),
        post(url, data, **outsider),
        post(f"{BASE}/projects/999999/review", data, **official),
        post(url.replace("pp-2026", "pp-otro"), data, **official),
        post(f"{BASE}/projects/0/review", data, **official),
    ]

    assert [(a.status_code, a.json()["field"]) for a in answers] == [
        (401, "Authorization"),
        (401, "Authorization"),
        (403, "Authorization"),
        (403, "Authorization"),
        (404, "project_id"),
        (404, "project_id"),
        (422, "project_id"),
    ]
    assert answers[3].json() == NOT_OFFICIAL
    assert answers[5].json()["message"] == f"no project {world.p1.pk} in process 'pp-otro'"
    assert state() == before


# --- a resident claims their census entry -----------------------------------------------------


def test_a_resident_claims_their_census_entry_and_learns_their_budgets(world, monkeypatch):
    at(monkeypatch, "voting")
    rosa, ana = world.resident, make_user("ana")

    urbana = post(f"{BASE}/census/claim", {"identifier": cedula(1)}, **resident_bearer(rosa))
    apuela = session_post(ana, f"{BASE}/census/claim", {"identifier": cedula(11)})

    assert (urbana.status_code, urbana.json()) == (
        200,
        {
            "budgets": [
                {
                    "id": world.urbana.pk,
                    "name": "Cotacachi urbana",
                    "territory_code": "100350",
                    "amount_cents": 100_000,
                }
            ]
        },
    )
    assert (apuela.status_code, [b["id"] for b in apuela.json()["budgets"]]) == (
        200,
        [world.apuela.pk],
    )
    assert CensusEntry.objects.get(identifier=cedula(1)).user == rosa
    assert CensusEntry.objects.get(identifier=cedula(11)).user == ana


@pytest.mark.parametrize(
    "phase, identifier, status, message",
    [
        ("voting", "1000000001", 400, "Cédula: el dígito verificador es 1, pero debería ser 8."),
        ("voting", cedula(99), 400, "Esa cédula no está en el censo de este proceso."),
        (
            "voting",
            cedula(2),
            400,
            "Esa cédula ya fue verificada por otra cuenta. Acuda a la oficina del proceso.",
        ),
        (
            "results",
            cedula(1),
            400,
            WRONG_PHASE.format(now="Resultados", needed="Propuestas, Revisión técnica, Votación"),
        ),
        ("voting", "1" * 21, 422, "String should have at most 20 characters"),
    ],
)
def test_a_bad_claim_is_refused_naming_the_field_and_nothing_changes(
    world, monkeypatch, phase, identifier, status, message
):
    claim(make_user("ana"), world.process, cedula(2))
    at(monkeypatch, phase)
    headers = resident_bearer(world.resident)
    before = state()

    response = post(f"{BASE}/census/claim", {"identifier": identifier}, **headers)

    field = "slug" if phase == "results" else "identifier"
    assert answer(response) == (status, message, field)
    assert state() == before


def test_an_account_claims_one_entry_per_process(world, monkeypatch):
    at(monkeypatch, "voting")
    headers = resident_bearer(world.resident)
    post(f"{BASE}/census/claim", {"identifier": cedula(1)}, **headers)
    before = state()

    again = post(f"{BASE}/census/claim", {"identifier": cedula(3)}, **headers)

    assert (again.status_code, again.json()) == (
        400,
        {"message": "Su cuenta ya está verificada en este proceso.", "field": "identifier"},
    )
    assert state() == before


def test_claiming_needs_a_resident(world, monkeypatch):
    at(monkeypatch, "voting")
    official = bearer(world.official)
    before = state()

    anonymous = post(f"{BASE}/census/claim", {"identifier": cedula(1)})
    official_token = post(f"{BASE}/census/claim", {"identifier": cedula(1)}, **official)
    missing = session_post(world.resident, f"{BASE}/census/claim", {})

    assert [(r.status_code, r.json()) for r in (anonymous, official_token)] == [(401, NO_TOKEN)] * 2
    assert (missing.status_code, missing.json()["field"]) == (422, "identifier")
    assert state() == before


# --- a resident votes -------------------------------------------------------------------------


@pytest.fixture
def voter(world, monkeypatch) -> dict[str, str]:
    """Rosa, verified as a resident of Cotacachi urbana, with her token, during voting."""
    claim(world.resident, world.process, cedula(1))
    at(monkeypatch, "voting")
    return resident_bearer(world.resident)


def ballot_url(budget: Any) -> str:
    return f"{BASE}/budgets/{budget.pk}/ballot"


def test_a_resident_casts_a_ballot_and_gets_only_their_receipt_code(world, voter):
    events = AuditEvent.objects.count()

    response = post(ballot_url(world.urbana), {"projects": [world.p3.pk, world.p1.pk]}, **voter)

    body = response.json()
    assert response.status_code == 201
    assert set(body) == {"budget_id", "receipt", "voter_id", "projects"}
    assert RECEIPT.match(body["receipt"])
    assert body["budget_id"] == world.urbana.pk
    assert body["voter_id"] == public_voter_id(receipt_sha256(body["receipt"]))
    assert body["projects"] == sorted([world.p1.pk, world.p3.pk])
    ballot = Ballot.objects.get()
    assert (ballot.receipt_sha256, ballot.channel) == (receipt_sha256(body["receipt"]), "online")
    assert sorted(ballot.projects.values_list("pk", flat=True)) == body["projects"]
    assert VoterRecord.objects.get().census_entry.identifier == cedula(1)
    # Ballot secrecy: the audit log says who voted where, never what nor with which code.
    cast = AuditEvent.objects.get(seq__gt=events)
    assert (cast.action, cast.after) == (
        "budgeting.ballot.cast",
        {"process": "pp-2026", "budget": world.urbana.pk},
    )
    logged = json.dumps(list(AuditEvent.objects.values("object_id", "before", "after")))
    assert body["receipt"] not in logged and ballot.receipt_sha256[:16] not in logged


def test_a_resident_changes_their_ballot_with_the_receipt_code(world, voter):
    first = post(ballot_url(world.urbana), {"projects": [world.p1.pk]}, **voter).json()
    before = counts()

    response = post(
        ballot_url(world.urbana),
        {"projects": [world.p2.pk, world.p4.pk], "receipt": f" {first['receipt']} "},
        **voter,
    )

    assert response.status_code == 200
    assert response.json() == {
        "budget_id": world.urbana.pk,
        "receipt": first["receipt"],
        "voter_id": first["voter_id"],
        "projects": sorted([world.p2.pk, world.p4.pk]),
    }
    assert sorted(Ballot.objects.get().projects.values_list("pk", flat=True)) == sorted(
        [world.p2.pk, world.p4.pk]
    )
    assert {k: v for k, v in counts().items() if k != "AuditEvent"} == {
        k: v for k, v in before.items() if k != "AuditEvent"
    }
    assert AuditEvent.objects.last().action == "budgeting.ballot.change"


CHANGE = "Para cambiar su voto, escriba el código de comprobante que recibió al votar."


def bad_ballot(world: World, receipt: str, case: str) -> tuple[str, dict[str, Any], int, str, str]:
    """(url, body, status, field, message) of a refused ballot, cast after `receipt`'s."""
    urbana, p1, p2, p5 = ballot_url(world.urbana), world.p1.pk, world.p2.pk, world.p5.pk
    cases: dict[str, tuple[str, dict[str, Any], int, str, str]] = {
        "again without the code": (urbana, {"projects": [p2]}, 400, "receipt", CHANGE),
        "again with another code": (
            urbana,
            {"projects": [p2], "receipt": "0000-0000-0000-0000-0000"},
            400,
            "receipt",
            CHANGE,
        ),
        "a project twice": (
            urbana,
            {"projects": [p2, p2], "receipt": receipt},
            400,
            "projects",
            "Un proyecto aparece dos veces en la papeleta.",
        ),
        "an unknown project": (
            urbana,
            {"projects": [p1, 999_999], "receipt": receipt},
            400,
            "projects",
            "El proyecto 999999 no está en la papeleta de Cotacachi urbana.",
        ),
        "another budget's project": (
            urbana,
            {"projects": [p5], "receipt": receipt},
            400,
            "projects",
            f"El proyecto {p5} no está en la papeleta de Cotacachi urbana.",
        ),
        "a budget not open to the voter": (
            ballot_url(world.apuela),
            {"projects": [p5]},
            400,
            "budget_id",
            "Usted no puede votar en el presupuesto de Apuela.",
        ),
        "an unknown budget": (
            f"{BASE}/budgets/999999/ballot",
            {"projects": [p2]},
            404,
            "budget_id",
            "no budget 999999 in process 'pp-2026'",
        ),
        "a project id not a number": (
            urbana,
            {"projects": ["dos"], "receipt": receipt},
            422,
            "projects.0",
            "Input should be a valid integer, unable to parse string as an integer",
        ),
        "no projects field": (urbana, {"receipt": receipt}, 422, "projects", "Field required"),
    }
    return cases[case]


@pytest.mark.parametrize(
    "case",
    [
        "again without the code",
        "again with another code",
        "a project twice",
        "an unknown project",
        "another budget's project",
        "a budget not open to the voter",
        "an unknown budget",
        "a project id not a number",
        "no projects field",
    ],
)
def test_a_bad_ballot_is_refused_naming_the_field_and_nothing_changes(world, voter, case):
    cast = post(ballot_url(world.urbana), {"projects": [world.p1.pk]}, **voter).json()
    url, data, status, field, message = bad_ballot(world, cast["receipt"], case)
    before = state()

    response = post(url, data, **voter)

    assert answer(response) == (status, message, field)
    assert state() == before


def test_a_ballot_over_the_budget_of_a_knapsack_process_is_refused(monkeypatch):
    world = World(ballot_kind="knapsack")
    claim(world.resident, world.process, cedula(1))
    at(monkeypatch, "voting")
    headers = resident_bearer(world.resident)
    before = state()

    response = post(ballot_url(world.urbana), {"projects": [world.p1.pk, world.p4.pk]}, **headers)

    assert (response.status_code, response.json()) == (
        400,
        {
            "message": "Su selección cuesta 1\xa0100 y supera el presupuesto de 1\xa0000.",
            "field": "projects",
        },
    )
    assert state() == before


def test_voting_needs_a_claimed_census_entry(world, monkeypatch):
    at(monkeypatch, "voting")
    headers = resident_bearer(world.resident)
    before = state()

    response = post(ballot_url(world.urbana), {"projects": [world.p1.pk]}, **headers)

    assert (response.status_code, response.json()) == (
        400,
        {
            "message": "claim your census entry first: "
            "POST /api/v1/budgeting/processes/pp-2026/census/claim",
            "field": "identifier",
        },
    )
    assert state() == before


def test_voting_after_voting_closed_is_refused(world, voter, monkeypatch):
    at(monkeypatch, "results")
    before = state()

    response = post(ballot_url(world.urbana), {"projects": [world.p1.pk]}, **voter)

    assert (response.status_code, response.json()) == (
        400,
        {"message": WRONG_PHASE.format(now="Resultados", needed="Votación"), "field": "slug"},
    )
    assert state() == before


def test_a_paper_voter_cannot_change_their_vote_online(world, monkeypatch):
    at(monkeypatch, "voting")
    headers = resident_bearer(world.resident)
    claim(world.resident, world.process, cedula(1))
    services.paper_ballots_upload(
        actor=world.official,
        process=world.process,
        csv_text=f"cedula,presupuesto,proyectos\n{cedula(1)},100350,{world.p1.pk}\n",
        filename="mesa.csv",
        now=AT["voting"],
    )
    before = state()

    response = post(ballot_url(world.urbana), {"projects": [world.p2.pk]}, **headers)

    assert (response.status_code, response.json()) == (
        400,
        {
            "message": "Usted ya votó en papel; ese voto no se puede cambiar en línea.",
            "field": "projects",
        },
    )
    assert state() == before


def test_voting_needs_a_resident(world, voter):
    official = bearer(world.official)
    data = {"projects": [world.p1.pk]}
    before = state()

    anonymous = post(ballot_url(world.urbana), data)
    official_token = post(ballot_url(world.urbana), data, **official)

    assert [(r.status_code, r.json()) for r in (anonymous, official_token)] == [(401, NO_TOKEN)] * 2
    assert state() == before


# --- anyone checks a receipt ------------------------------------------------------------------


def test_anyone_with_the_receipt_code_finds_its_ballot_and_later_its_published_name(
    world, voter, monkeypatch
):
    cast = post(ballot_url(world.urbana), {"projects": [world.p1.pk, world.p3.pk]}, **voter).json()

    before_results = post(f"{BASE}/receipt-check", {"receipt": cast["receipt"]})
    services.results_compute(actor=world.official, process=world.process, now=AT["results"])
    after_results = post(f"{BASE}/receipt-check", {"receipt": cast["receipt"]})

    expected = {
        "budget_id": world.urbana.pk,
        "budget_name": "Cotacachi urbana",
        "voter_id": cast["voter_id"],
        "projects": sorted([world.p1.pk, world.p3.pk]),
    }
    assert (before_results.status_code, before_results.json()) == (
        200,
        {**expected, "published": False},
    )
    assert (after_results.status_code, after_results.json()) == (
        200,
        {**expected, "published": True},
    )
    published = Client().get(f"{BASE}/budgets/{world.urbana.pk}/ballots.pb").content.decode()
    assert f"\n{cast['voter_id']};" in published


def test_an_unknown_receipt_code_is_a_404_naming_the_field(world, voter):
    cast = post(ballot_url(world.urbana), {"projects": [world.p1.pk]}, **voter).json()
    make_process(world.t["cotacachi"], actor=world.official, slug="pp-otro")

    unknown = post(f"{BASE}/receipt-check", {"receipt": "0000-0000-0000-0000-0000"})
    other_process = post(
        "/api/v1/budgeting/processes/pp-otro/receipt-check", {"receipt": cast["receipt"]}
    )
    missing = post(f"{BASE}/receipt-check", {})

    not_found = {"message": "no ballot of this process has that receipt code", "field": "receipt"}
    assert (unknown.status_code, unknown.json()) == (404, not_found)
    assert (other_process.status_code, other_process.json()) == (404, not_found)
    assert (missing.status_code, missing.json()["field"]) == (422, "receipt")


# --- an official publishes the results --------------------------------------------------------


def test_an_official_computes_and_publishes_the_results(world, monkeypatch):
    vote_scenario(world)
    at(monkeypatch, "results")
    headers = bearer(world.official)
    events = AuditEvent.objects.count()

    response = post(f"{BASE}/results", **headers)

    body = response.json()
    assert response.status_code == 201
    assert [(b["budget_id"], b["selected"], b["voters"]) for b in body] == [
        (world.apuela.pk, [str(world.p5.pk)], 1),
        (world.urbana.pk, [str(world.p1.pk), str(world.p2.pk)], 10),
    ]
    assert body[1]["greedy_selected"] == [str(world.p1.pk), str(world.p3.pk)]
    assert body == Client().get(f"{BASE}/results").json()
    world.process.refresh_from_db()
    assert world.process.results_published_at == AT["results"]
    assert set(Project.objects.filter(selected=True).values_list("pk", flat=True)) == {
        world.p1.pk,
        world.p2.pk,
        world.p5.pk,
    }
    assert list(AuditEvent.objects.filter(seq__gt=events).values_list("action", flat=True)) == [
        "budgeting.results.publish"
    ]


def test_results_are_published_once_and_not_before_voting_closes(world, monkeypatch):
    vote_scenario(world)
    headers = bearer(world.official)
    at(monkeypatch, "voting")
    before = state()

    early = post(f"{BASE}/results", **headers)
    unchanged = state()
    at(monkeypatch, "results")
    post(f"{BASE}/results", **headers)
    published = state()
    again = post(f"{BASE}/results", **headers)

    assert (early.status_code, early.json()) == (
        400,
        {
            "message": WRONG_PHASE.format(now="Votación", needed="Resultados, Ejecución"),
            "field": "slug",
        },
    )
    assert unchanged == before
    assert (again.status_code, again.json()) == (
        400,
        {"message": "Los resultados de este proceso ya se publicaron.", "field": "slug"},
    )
    assert published != before
    assert state() == published


def test_publishing_the_results_needs_an_official_of_the_territory(world, monkeypatch):
    vote_scenario(world)
    at(monkeypatch, "results")
    outsider = bearer(make_official("ibarra", world.t["ibarra"]))
    resident = resident_bearer(world.resident)
    official = bearer(world.official)
    before = state()

    answers = [
        post(f"{BASE}/results"),
        post(f"{BASE}/results", **resident),
        session_post(world.resident, f"{BASE}/results", {}),
        post(f"{BASE}/results", **outsider),
        post("/api/v1/budgeting/processes/nada/results", **official),
    ]

    assert [(a.status_code, a.json()["field"]) for a in answers] == [
        (401, "Authorization"),
        (401, "Authorization"),
        (403, "Authorization"),
        (403, "Authorization"),
        (404, "slug"),
    ]
    assert answers[3].json() == NOT_OFFICIAL
    assert state() == before


# --- an official reports progress -------------------------------------------------------------


@pytest.fixture
def funded(world, monkeypatch) -> World:
    """Results published (p1, p2 and p5 funded); the implementation phase has begun."""
    vote_scenario(world)
    services.results_compute(actor=world.official, process=world.process, now=AT["results"])
    at(monkeypatch, "implementation")
    return world


def update(**change: Any) -> dict[str, Any]:
    data = {
        "update_date": AT["implementation"].date().isoformat(),
        "status": "in_progress",
        "progress_percent": 40,
        "spent_cents": 25_050,
        "note": "Tubería instalada en la calle principal.",
    }
    data.update(change)
    return data


def test_an_official_records_a_progress_report_on_a_funded_project(funded):
    url = f"{BASE}/projects/{funded.p1.pk}/updates"

    response = post(url, update(), **bearer(funded.official))

    body = response.json()
    assert response.status_code == 201
    assert body == {
        "id": funded.p1.updates.get().pk,
        "project_id": funded.p1.pk,
        "update_date": AT["implementation"].date().isoformat(),
        "status": "in_progress",
        "progress_percent": 40,
        "spent_cents": 25_050,
        "note": "Tubería instalada en la calle principal.",
        "recorded_at": AT["implementation"].isoformat().replace("+00:00", "Z"),
    }
    funded.p1.refresh_from_db()
    assert (
        funded.p1.implementation_status,
        funded.p1.progress_percent,
        funded.p1.spent_cents,
    ) == ("in_progress", 40, 25_050)
    project = Client().get(f"{BASE}/projects").json()
    assert next(p for p in project if p["id"] == funded.p1.pk)["progress_percent"] == 40


@pytest.mark.parametrize(
    "project, change, status, field, message",
    [
        ("p3", {}, 400, "project_id", "Solo se da seguimiento a los proyectos seleccionados."),
        ("p1", {"status": "paused"}, 400, "status", "Estado desconocido: «paused»."),
        ("p1", {"progress_percent": 101}, 400, "progress_percent", "El avance va de 0 a 100 %."),
        (
            "p1",
            {"status": "completed", "progress_percent": 90},
            400,
            "progress_percent",
            "Un proyecto terminado tiene un avance del 100 %.",
        ),
        ("p1", {"spent_cents": -1}, 400, "spent_cents", "El gasto no puede ser negativo."),
        (
            "p1",
            {"update_date": (AT["implementation"] + DAY).date().isoformat()},
            400,
            "update_date",
            "La fecha no puede estar en el futuro.",
        ),
        (
            "p1",
            {"update_date": (AT["voting"]).date().isoformat()},
            400,
            "update_date",
            "La fecha no puede ser anterior al cierre de la votación.",
        ),
        ("p1", {"note": " "}, 400, "note", "Escriba una nota sobre el avance."),
        (
            "p1",
            {"update_date": "ayer"},
            422,
            "update_date",
            "Input should be a valid date or datetime, input is too short",
        ),
        (
            "p1",
            {"spent_cents": 2**63},
            422,
            "spent_cents",
            "Input should be less than or equal to 9223372036854775807",
        ),
    ],
)
def test_a_bad_progress_report_is_refused_naming_the_field_and_nothing_changes(
    funded, project, change, status, field, message
):
    url = f"{BASE}/projects/{getattr(funded, project).pk}/updates"
    headers = bearer(funded.official)
    before = state()

    response = post(url, update(**change), **headers)

    assert answer(response) == (status, message, field)
    assert state() == before


def test_progress_reports_move_forward_in_time(funded):
    headers = bearer(funded.official)
    url = f"{BASE}/projects/{funded.p1.pk}/updates"
    post(url, update(), **headers)
    before = state()

    earlier = post(url, update(update_date=(AT["results"]).date().isoformat()), **headers)

    assert (earlier.status_code, earlier.json()) == (
        400,
        {
            "message": "Ya hay un informe del "
            f"{AT['implementation'].date().isoformat()}: las fechas deben avanzar.",
            "field": "update_date",
        },
    )
    assert state() == before


def test_reporting_progress_needs_an_official_of_the_territory(funded):
    outsider = bearer(make_official("ibarra", funded.t["ibarra"]))
    resident = resident_bearer(funded.resident)
    official = bearer(funded.official)
    url = f"{BASE}/projects/{funded.p1.pk}/updates"
    before = state()

    answers = [
        post(url, update()),
        post(url, update(), **resident),
        session_post(funded.resident, url, update()),
        post(url, update(), **outsider),
        post(f"{BASE}/projects/999999/updates", update(), **official),
    ]

    assert [(a.status_code, a.json()["field"]) for a in answers] == [
        (401, "Authorization"),
        (401, "Authorization"),
        (403, "Authorization"),
        (403, "Authorization"),
        (404, "project_id"),
    ]
    assert state() == before


# --- the language of refusals -----------------------------------------------------------------


def test_a_refusal_is_written_in_the_requests_language(world, monkeypatch):
    at(monkeypatch, "voting")
    headers = bearer(world.official)
    before = state()

    response = post(
        f"{BASE}/projects/{world.p1.pk}/review",
        {"feasible": False, "reason": "Tarde."},
        HTTP_ACCEPT_LANGUAGE="en",
        **headers,
    )

    assert answer(response) == (
        400,
        "The process is in the “Voting” phase; this is done in the “Proposals, Technical review” "
        "phase.",
        "slug",
    )
    assert state() == before


# --- the schema -------------------------------------------------------------------------------


def test_the_openapi_schema_describes_the_journeys_with_their_authentication(client):
    schema = client.get("/api/v1/openapi.json").json()

    paths = schema["paths"]
    journeys = {
        ("post", "/processes/{slug}/projects"): "TokenAuth",
        ("post", "/processes/{slug}/projects/{project_id}/review"): "TokenAuth",
        ("post", "/processes/{slug}/census/claim"): "TokenAuth",
        ("post", "/processes/{slug}/budgets/{budget_id}/ballot"): "TokenAuth",
        ("post", "/processes/{slug}/results"): "TokenAuth",
        ("post", "/processes/{slug}/projects/{project_id}/updates"): "TokenAuth",
    }
    for (method, path), scheme in journeys.items():
        operation = paths[f"/api/v1/budgeting{path}"][method]
        assert {next(iter(s)) for s in operation["security"]} == {scheme, "VerifiedSessionAuth"}, (
            path
        )
    check = paths["/api/v1/budgeting/processes/{slug}/receipt-check"]["post"]
    assert "security" not in check
