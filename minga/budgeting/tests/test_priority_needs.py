"""Categories taken from the priority needs that the joint councils declared: which needs bear
on a process, the categories' names and sources, idempotence, refusals that change nothing, and
the pages and API that show which need a category answers."""

import pytest
from django.test import Client
from django.utils import timezone, translation

from minga.accounts.services import token_create
from minga.budgeting import services, views
from minga.budgeting.models import Category
from minga.core.models import AuditEvent
from minga.core.opendata import dataset

from .helpers import (
    AT,
    COUNCIL_AT,
    DAY,
    T0,
    JointCouncil,
    World,
    cedula,
    claim,
    make_official,
    make_user,
)
from .test_views import signed_in

pytestmark = pytest.mark.django_db


class Needs:
    """The World's process (Cotacachi) with needs declared by its canton's council and by the
    province's, one of them for another canton."""

    def __init__(self, world: World) -> None:
        t = world.t
        canton = JointCouncil(t["cotacachi"], world.official, "Consejo Cantonal de Cotacachi")
        province = JointCouncil(
            t["imbabura"], make_official("prefectura", t["imbabura"]), "Consejo de Imbabura"
        )
        self.apuela_water = canton.declare("Agua potable para Apuela", "water", t["apuela"])
        self.canton_care = canton.declare(
            "Cuidado de personas mayores en Cotacachi", "care", t["cotacachi"]
        )
        self.province_roads = province.declare(
            "Caminos vecinales de Imbabura", "mobility", t["imbabura"]
        )
        self.ibarra_health = province.declare("Salud en Ibarra", "health", t["ibarra"])
        self.canton = canton


@pytest.fixture
def world():
    return World()


@pytest.fixture
def needs(world):
    return Needs(world)


def take(world, at=AT["proposals"], actor=None):
    return services.priority_needs_take(
        actor=actor or world.official, process=world.process, now=at
    )


def state(world):
    return (
        sorted(Category.objects.filter(process=world.process).values_list("name", flat=True)),
        AuditEvent.objects.count(),
    )


# --- the service ------------------------------------------------------------------------------


def test_the_needs_of_the_territory_its_parishes_and_its_province_become_categories(world, needs):
    created = take(world)

    assert [(c.name, c.source_decision_id) for c in created] == [
        ("Agua y saneamiento — Apuela", needs.apuela_water.pk),
        ("Cuidados — Cotacachi", needs.canton_care.pk),
        ("Movilidad — Imbabura", needs.province_roads.pk),
    ]
    # Ibarra is another canton of the province: its need is not Cotacachi's.
    assert not Category.objects.filter(source_decision=needs.ibarra_health).exists()
    event = AuditEvent.objects.order_by("-seq").first()
    assert event.action == "budgeting.category.take_priority_needs"
    assert [c["decision"] for c in event.after["categories"]] == [
        needs.apuela_water.pk,
        needs.canton_care.pk,
        needs.province_roads.pk,
    ]


def test_taking_the_needs_twice_adds_nothing_and_records_nothing(world, needs):
    take(world)
    before = state(world)

    again = take(world, at=AT["proposals"] + DAY)

    assert again == []
    assert state(world) == before


def test_a_need_declared_later_is_taken_on_the_next_take(world, needs):
    take(world)
    later = needs.canton.declare(
        "Huertos comunitarios en Quiroga", "food", world.t["quiroga"], at=AT["proposals"] + DAY
    )

    created = take(world, at=AT["proposals"] + 2 * DAY)

    assert [(c.name, c.source_decision_id) for c in created] == [
        ("Alimentación — Quiroga", later.pk)
    ]


def test_a_need_published_after_now_is_not_taken_yet(world, needs):
    needs.canton.declare(
        "Huertos comunitarios en Quiroga", "food", world.t["quiroga"], at=AT["proposals"] + DAY
    )

    created = take(world, at=AT["proposals"])

    assert "Alimentación — Quiroga" not in [c.name for c in created]


def test_a_name_already_in_use_gets_the_date_then_the_number_of_the_decision(world, needs):
    services.category_create(
        actor=world.official,
        process=world.process,
        name="agua y saneamiento — apuela",
        now=AT["proposals"],
    )
    second = needs.canton.declare("Alcantarillado en Apuela", "water", world.t["apuela"])

    created = take(world)

    names = {c.source_decision_id: c.name for c in created}
    day = COUNCIL_AT.date().isoformat()
    assert names[needs.apuela_water.pk] == f"Agua y saneamiento — Apuela ({day})"
    assert names[second.pk] == f"Agua y saneamiento — Apuela ({day}, {second.pk})"


def test_categories_are_named_in_the_platforms_language_whoever_takes_them(world, needs):
    with translation.override("en"):
        created = take(world)

    assert created[0].name == "Agua y saneamiento — Apuela"


def test_only_an_official_of_the_process_may_take_the_needs(world, needs):
    ibarra_official = make_official("ibarra", world.t["ibarra"])
    before = state(world)

    for actor in (world.resident, ibarra_official):
        with pytest.raises(services.NotAllowed) as refused:
            take(world, actor=actor)
        assert refused.value.message == (
            "Solo un/a funcionario/a del territorio del proceso puede hacer esto."
        )

    assert state(world) == before


def test_the_needs_are_taken_before_the_proposals_close(world, needs):
    before = state(world)

    with pytest.raises(services.WrongPhase) as refused:
        take(world, at=AT["review"])

    assert refused.value.message == (
        "El proceso está en la fase «Revisión técnica»; esto se hace en la fase "
        "«Por comenzar, Propuestas»."
    )
    assert state(world) == before


def test_taking_them_before_the_process_opens_is_allowed(world, needs):
    created = take(world, at=T0 - DAY)

    assert len(created) == 3


def test_a_territory_without_priority_needs_is_refused_with_a_reason(world):
    before = state(world)

    with pytest.raises(services.NoPriorityNeeds) as refused:
        take(world)

    assert refused.value.message == (
        "Ningún consejo paritario ha declarado necesidades prioritarias para Cotacachi o sus "
        "parroquias."
    )
    assert state(world) == before


def test_a_proposal_can_be_filed_under_a_need_and_the_pb_file_names_its_category(world, needs):
    water = take(world)[0]

    project = services.project_propose(
        actor=world.resident,
        process=world.process,
        budget=world.apuela,
        title="Tanque en Apuela",
        description="Agua para 40 familias.",
        estimated_cost_cents=20_000,
        location=world.t["apuela"],
        category=water,
        now=AT["proposals"],
    )

    assert project.category.source_decision == needs.apuela_water


# --- the pages --------------------------------------------------------------------------------


def at(monkeypatch, phase):
    monkeypatch.setattr(views, "_now", lambda: AT[phase])


def meeting_url(needs):
    return f"/councils/meetings/{needs.canton.meeting.pk}/"


def need_url(needs):
    """Where Apuela's water need links: its motion on the meeting page."""
    return f"{meeting_url(needs)}#motion-{needs.apuela_water.motion_id}"


def test_the_official_sees_the_needs_and_takes_them_from_the_process_page(
    monkeypatch, world, needs
):
    at(monkeypatch, "proposals")
    client = signed_in(world.official, second_factor=True)

    page = client.get("/budgeting/pp-2026/")
    response = client.post("/budgeting/pp-2026/categories/priority-needs/")
    after = client.get("/budgeting/pp-2026/")

    assert "Necesidades prioritarias de los consejos paritarios" in page.text
    assert "Agua potable para Apuela" in page.text and "Salud en Ibarra" not in page.text
    assert 'action="/budgeting/pp-2026/categories/priority-needs/"' in page.text
    assert response.status_code == 302 and response["Location"] == "/budgeting/pp-2026/"
    assert "3 categorías añadidas desde las necesidades prioritarias." in after.text
    assert "<strong>Agua y saneamiento — Apuela</strong>" in after.text
    assert f'<a href="{need_url(needs)}">Agua potable para Apuela</a>' in after.text
    # The link lands on the motion that decided the need.
    meeting_page = client.get(meeting_url(needs))
    assert f'<h3 id="motion-{needs.apuela_water.motion_id}">' in meeting_page.text
    assert "ya es una categoría" in after.text


def test_taking_them_again_from_the_page_says_so(monkeypatch, world, needs):
    at(monkeypatch, "proposals")
    client = signed_in(world.official, second_factor=True)
    client.post("/budgeting/pp-2026/categories/priority-needs/")

    response = client.post("/budgeting/pp-2026/categories/priority-needs/", follow=True)

    assert "Todas las necesidades prioritarias ya eran categorías de este proceso." in (
        response.text
    )
    assert Category.objects.filter(source_decision__isnull=False).count() == 3


def test_a_refused_take_shows_the_reason_on_the_process_page(monkeypatch, world):
    at(monkeypatch, "proposals")
    client = signed_in(world.official, second_factor=True)
    before = state(world)

    response = client.post("/budgeting/pp-2026/categories/priority-needs/")

    assert response.status_code == 400
    assert (
        '<p class="error" role="alert" id="process-error">Ningún consejo paritario ha declarado '
        "necesidades prioritarias para Cotacachi o sus parroquias.</p>"
    ) in response.text
    assert state(world) == before


def test_a_resident_may_not_take_the_needs_nor_sees_the_button(monkeypatch, world, needs):
    at(monkeypatch, "proposals")
    client = signed_in(world.resident)
    before = state(world)

    page = client.get("/budgeting/pp-2026/")
    response = client.post("/budgeting/pp-2026/categories/priority-needs/")

    assert "categories/priority-needs" not in page.text
    assert response.status_code == 403
    assert state(world) == before


def test_the_proposal_form_says_which_categories_answer_a_need(monkeypatch, world, needs):
    take(world)
    at(monkeypatch, "proposals")

    page = signed_in(world.resident).get("/budgeting/pp-2026/propose/")

    assert ">Agua y saneamiento — Apuela (necesidad prioritaria)</option>" in page.text
    assert ">Agua</option>" in page.text
    assert f'<a href="{need_url(needs)}">Agua potable para Apuela</a>' in page.text


def test_the_project_and_results_pages_link_the_need_a_project_answers(monkeypatch, world, needs):
    water = take(world)[0]
    project = services.project_propose(
        actor=world.resident,
        process=world.process,
        budget=world.apuela,
        title="Tanque en Apuela",
        description="Agua para 40 familias.",
        estimated_cost_cents=20_000,
        location=world.t["apuela"],
        category=water,
        now=AT["proposals"],
    )
    services.project_review(
        actor=world.official,
        project=project,
        feasible=True,
        reason="Viable.",
        now=AT["review"],
    )
    # A ballot in each budget (the voting library cannot yet count a budget nobody voted in).
    for n, budget, chosen in ((11, world.apuela, project), (1, world.urbana, world.p1)):
        voter = make_user(f"votante-{n}")
        entry = claim(voter, world.process, cedula(n))
        services.ballot_cast(
            actor=voter, entry=entry, budget=budget, project_ids=[chosen.pk], now=AT["voting"]
        )
    services.results_compute(actor=world.official, process=world.process, now=AT["results"])
    at(monkeypatch, "results")

    detail = Client().get(f"/budgeting/projects/{project.pk}/")
    results = Client().get("/budgeting/pp-2026/results/")

    link = f'<a href="{need_url(needs)}">Agua potable para Apuela</a>'
    assert "Responde a una necesidad prioritaria del consejo paritario:" in detail.text
    assert link in detail.text
    assert (
        "<li><strong>Agua y saneamiento — Apuela</strong>: USD 200 asignados. Responde a: " + link
    ) in results.text


# --- the API ----------------------------------------------------------------------------------


def bearer(user, role="official"):
    token = token_create(actor=None, user=user, role=role, now=T0 - 10 * DAY).clear
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_the_api_takes_the_needs_once_and_lists_the_categories_with_their_source(
    world, needs, monkeypatch
):
    monkeypatch.setattr(timezone, "now", lambda: AT["proposals"])
    headers = bearer(world.official)
    url = "/api/v1/budgeting/processes/pp-2026/categories/priority-needs"

    first = Client().post(url, **headers)
    second = Client().post(url, **headers)
    listing = Client().get("/api/v1/budgeting/processes/pp-2026/categories")

    assert first.status_code == 201
    assert [c["name"] for c in first.json()] == [
        "Agua y saneamiento — Apuela",
        "Cuidados — Cotacachi",
        "Movilidad — Imbabura",
    ]
    assert second.status_code == 200 and second.json() == []
    by_name = {c["name"]: c for c in listing.json()}
    assert by_name["Agua"]["priority_need"] is None
    need = by_name["Agua y saneamiento — Apuela"]["priority_need"]
    assert need == {
        "decision_id": needs.apuela_water.pk,
        "text": "Agua potable para Apuela",
        "service_category": "water",
        "territory_code": "100351",
        "council_id": needs.canton.council.pk,
        "council": "Consejo Cantonal de Cotacachi",
        "published_at": COUNCIL_AT.isoformat().replace("+00:00", "Z"),
        "url": need_url(needs),
    }


def test_the_api_refuses_whom_it_must_and_names_the_reason(world, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: AT["proposals"])
    url = "/api/v1/budgeting/processes/pp-2026/categories/priority-needs"
    other_headers = bearer(make_official("ibarra", world.t["ibarra"]))
    headers = bearer(world.official)
    before = state(world)

    anonymous = Client().post(url)
    other = Client().post(url, **other_headers)
    no_needs = Client().post(url, **headers)
    missing = Client().post("/api/v1/budgeting/processes/nada/categories/priority-needs", **headers)

    assert anonymous.status_code == 401
    assert other.status_code == 403
    assert other.json() == {
        "message": "only an official of the process's territory may do this",
        "field": "Authorization",
    }
    assert no_needs.status_code == 400
    assert no_needs.json()["message"] == (
        "Ningún consejo paritario ha declarado necesidades prioritarias para Cotacachi o sus "
        "parroquias."
    )
    assert missing.status_code == 404 and missing.json()["field"] == "slug"
    assert state(world) == before


def test_the_api_projects_name_the_need_their_category_answers(world, needs):
    water = take(world)[0]
    project = services.project_propose(
        actor=world.resident,
        process=world.process,
        budget=world.apuela,
        title="Tanque en Apuela",
        description="Agua para 40 familias.",
        estimated_cost_cents=20_000,
        location=world.t["apuela"],
        category=water,
        now=AT["proposals"],
    )

    rows = {p["id"]: p for p in Client().get("/api/v1/budgeting/processes/pp-2026/projects").json()}

    assert rows[project.pk]["category_id"] == water.pk
    assert rows[project.pk]["category_decision_id"] == needs.apuela_water.pk
    assert rows[world.p1.pk]["category_decision_id"] is None


def test_the_open_data_projects_name_the_need_their_category_answers(world, needs):
    water = take(world)[0]
    project = services.project_propose(
        actor=world.resident,
        process=world.process,
        budget=world.apuela,
        title="Tanque en Apuela",
        description="Agua para 40 familias.",
        estimated_cost_cents=20_000,
        location=world.t["apuela"],
        category=water,
        now=AT["proposals"],
    )

    projects = dataset("budgeting-projects")
    rows = {r["project_id"]: r for r in projects.rows()}

    assert projects.columns[-1] == "category_decision_id"
    assert rows[project.pk]["category_decision_id"] == needs.apuela_water.pk
    assert rows[world.p1.pk]["category_decision_id"] is None
