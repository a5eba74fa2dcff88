"""Parameter changes and new categories, proposed by officials and decided by the programme's
board in a recorded vote: services, the programme page and the API."""

import json
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone

from minga.accounts import services as accounts
from minga.councils import services as councils
from minga.ledger import selectors as ledger
from minga.socialincome import models, selectors, services, views

from .board import board_vote, make_board
from .conftest import NOW, World, categories, record
from .test_services import refused

pytestmark = pytest.mark.django_db

APRIL = date(2026, 4, 1)
# The pages and the API read the clock: it is set a few days after the fixtures' NOW.
CLOCK = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)


@pytest.fixture
def governed(world: World) -> World:
    world.programme.board = make_board(world)
    world.programme.save(update_fields=["board"])
    return world


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> datetime:
    fixed = SimpleNamespace(now=lambda: CLOCK)
    monkeypatch.setattr(views, "timezone", fixed)
    monkeypatch.setattr("minga.socialincome.api.timezone", fixed)
    return CLOCK


def propose_respite(world: World, **overrides: Any) -> models.ParameterChange:
    arguments: dict[str, Any] = {
        "actor": world.official,
        "programme": world.programme,
        "code": "respite",
        "name": "Respiro familiar",
        "eligibility": "member_65_plus",
        "allotments": {1: 800, 2: 600, 3: 400, 4: 200},
        "summary": "Nueva categoría: respiro familiar",
        "effective_date": APRIL,
        "now": NOW,
    }
    arguments.update(overrides)
    return services.category_propose(**arguments)


# --- services: new categories -----------------------------------------------------------------


def test_a_new_category_exists_only_after_the_board_approves_it(governed):
    change = propose_respite(governed)

    assert change.status == "proposed"
    assert "respite" not in categories(governed.programme)
    assert selectors.entitlements(programme=governed.programme, period=APRIL)
    assert all(
        e.category.code != "respite"
        for e in selectors.entitlements(programme=governed.programme, period=APRIL)
    )


def test_an_approved_category_gets_its_own_ledger_and_issues_from_its_effective_month(governed):
    change = propose_respite(governed)
    motion = board_vote(governed, governed.programme.board, title="Respiro", yes=True)

    decided = services.parameter_change_decide(
        actor=governed.official, change=change, motion=motion, now=NOW
    )

    assert decided.status == "approved"
    respite = categories(governed.programme)["respite"]
    assert respite.name == "Respiro familiar"
    assert respite.ledger == 600_000_000 + respite.pk
    assert ledger.account_get(account_id=int(respite.fund_account_id)) is not None
    march = services.month_issue(
        actor=governed.official, programme=governed.programme, period=date(2026, 3, 1), now=NOW
    )
    april = services.month_issue(
        actor=governed.official, programme=governed.programme, period=APRIL, now=NOW
    )
    assert "respite" not in march.per_category
    # Only H1 (an elder, band 1) is eligible: 800 hundredths of an hour.
    assert april.per_category["respite"] == 800
    assert selectors.identity(category=respite).holds
    assert selectors.recorded_totals(category=respite) == selectors.identity(category=respite)


def test_a_provider_is_accredited_and_paid_in_an_approved_category(governed):
    change = propose_respite(governed)
    motion = board_vote(governed, governed.programme.board, title="Respiro", yes=True)
    services.parameter_change_decide(actor=governed.official, change=change, motion=motion, now=NOW)
    respite = categories(governed.programme)["respite"]
    services.month_issue(
        actor=governed.official, programme=governed.programme, period=APRIL, now=NOW
    )
    services.accreditation_create(
        actor=governed.official,
        programme=governed.programme,
        organization=governed.cooperative,
        category=respite,
        hourly_rate=100,
        valid_from=APRIL,
        now=NOW,
    )
    later = datetime(2026, 4, 3, 12, 0, tzinfo=UTC)

    recorded = record(governed, code="respite", hours="3", day=date(2026, 4, 2), now=later)
    services.service_confirm(actor=governed.resident, service=recorded.service, now=later)

    assert selectors.identity(category=respite) == selectors.Identity("respite", 800, 300, 0, 500)


def test_a_rejected_category_creates_nothing(governed):
    change = propose_respite(governed)
    motion = board_vote(governed, governed.programme.board, title="Respiro", yes=False)

    decided = services.parameter_change_decide(
        actor=governed.official, change=change, motion=motion, now=NOW
    )

    assert decided.status == "rejected"
    assert "respite" not in categories(governed.programme)
    assert "eligibility:respite" not in selectors.parameters_at(
        programme=governed.programme, on=APRIL
    )


def test_a_new_category_needs_an_allotment_in_every_band(world):
    refused(
        services.ParameterInvalid,
        "falta este parámetro",
        lambda: propose_respite(world, allotments={1: 800, 2: 600, 3: 400}),
        field="allotment:4:respite",
    )


def test_a_new_category_gives_a_higher_band_no_more_than_a_lower_one(world):
    refused(
        services.ParameterInvalid,
        "una banda más alta no recibe más que la anterior",
        lambda: propose_respite(world, allotments={1: 800, 2: 900, 3: 400, 4: 200}),
        field="allotment:2:respite",
    )


def test_a_category_code_already_in_the_programme_is_refused(world):
    refused(
        services.CategoryExists,
        "El programa ya tiene esta categoría.",
        lambda: propose_respite(world, code="homecare"),
        field="category:homecare",
    )


def test_a_category_already_proposed_is_not_proposed_twice(world):
    propose_respite(world)

    refused(
        services.CategoryExists,
        "Ya hay una propuesta pendiente que añade esta categoría.",
        lambda: propose_respite(world),
        field="category:respite",
    )


def test_a_category_code_with_capitals_or_spaces_is_refused(world):
    refused(
        services.InvalidInput,
        "solo minúsculas, dígitos y guiones",
        lambda: propose_respite(world, code="Respiro familiar"),
        field="code",
    )


def test_an_unknown_parameter_is_refused_by_its_key(world):
    refused(
        services.ParameterInvalid,
        "no es un parámetro de este programa",
        lambda: services.parameter_change_propose(
            actor=world.official,
            programme=world.programme,
            summary="Error",
            values={"allotment:9:homecare": 100},
            effective_date=APRIL,
            now=NOW,
        ),
        field="allotment:9:homecare",
    )


# --- services: the board's decision -------------------------------------------------------------


def proposal_form(world: World, summary: str) -> dict[str, str]:
    """The official's proposal form as the page fills it: every parameter in force."""
    return {
        "action": "propose",
        "summary": summary,
        "effective_date": "2026-04-01",
        **{
            f"param_{line.key.replace(':', '__')}": str(line.value)
            for line in selectors.parameter_lines(programme=world.programme, on=CLOCK.date())
        },
    }


def allotment_change(world: World, amount: int = 2500) -> models.ParameterChange:
    return services.parameter_change_propose(
        actor=world.official,
        programme=world.programme,
        summary="Más horas de cuidado en el hogar",
        values={"allotment:1:homecare": amount},
        effective_date=APRIL,
        now=NOW,
    )


def test_an_open_motion_does_not_decide_a_change(governed):
    change = allotment_change(governed)
    meeting = councils.meeting_create(
        actor=governed.official,
        council=governed.programme.board,
        title="Sesión",
        starts_at=datetime(2026, 3, 20, 15, 0, tzinfo=UTC),
        now=NOW,
    )
    motion = councils.motion_create(
        actor=governed.official, meeting=meeting, title="Sin votar", now=NOW
    )

    refused(
        services.MotionOpen,
        "La votación de la moción no ha terminado.",
        lambda: services.parameter_change_decide(
            actor=governed.official, change=change, motion=motion, now=NOW
        ),
        field="motion",
    )


def test_one_motion_decides_one_change(governed):
    first = allotment_change(governed)
    second = allotment_change(governed, 2400)
    motion = board_vote(governed, governed.programme.board, title="Más horas", yes=True)
    services.parameter_change_decide(actor=governed.official, change=first, motion=motion, now=NOW)

    refused(
        services.MotionUsed,
        "Esa moción ya decidió otra propuesta.",
        lambda: services.parameter_change_decide(
            actor=governed.official, change=second, motion=motion, now=NOW
        ),
        field="motion",
    )


def test_a_change_is_put_to_the_board_as_a_motion_of_its_meeting(governed):
    change = allotment_change(governed)
    meeting = councils.meeting_create(
        actor=governed.official,
        council=governed.programme.board,
        title="Sesión ordinaria",
        starts_at=datetime(2026, 3, 20, 15, 0, tzinfo=UTC),
        now=NOW,
    )

    motion = services.parameter_change_put_to_board(
        actor=governed.official, change=change, meeting=meeting, now=NOW
    )

    assert motion.meeting_id == meeting.pk
    assert motion.title == "Cambio de parámetros: Más horas de cuidado en el hogar"
    assert motion.text == (
        f"Propuesta n.º {change.pk}, vigente desde 2026-04-01:\nallotment:1:homecare = 2500"
    )
    assert motion.closed_at is None


def test_a_change_cannot_be_put_to_another_councils_meeting(governed):
    change = allotment_change(governed)
    other = councils.council_create(
        actor=governed.official,
        territory=governed.canton,
        name="Otro consejo",
        government_seats=1,
        civil_seats=1,
        first_chair_side="government",
        now=NOW,
    )
    councils.term_create(
        actor=governed.official, council=other, start_date=date(2026, 1, 1), now=NOW
    )
    meeting = councils.meeting_create(
        actor=governed.official,
        council=other,
        title="Sesión",
        starts_at=datetime(2026, 3, 20, 15, 0, tzinfo=UTC),
        now=NOW,
    )

    with pytest.raises(services.MotionNotOfBoard) as info:
        services.parameter_change_put_to_board(
            actor=governed.official, change=change, meeting=meeting, now=NOW
        )

    assert info.value.field == "meeting"
    assert info.value.message == "La sesión no es del directorio del programa."


# --- the programme page -----------------------------------------------------------------------


def login(client: Any, user: Any) -> Any:
    client.force_login(user)
    session = client.session
    session["minga_2fa_verified"] = True
    session.save()
    return client


MANAGE = "/socialincome/cotacachi-cuidados/manage/"


def test_the_programme_page_offers_every_parameter_with_its_value(client, governed, clock):
    login(client, governed.official)

    body = client.get(MANAGE).content.decode()

    assert "Proponer un cambio de parámetros" in body
    assert 'name="param_allotment__1__homecare"' in body
    assert 'value="2000"' in body
    assert 'name="param_eligibility__childcare"' in body
    assert "Proponer una nueva categoría" in body


def test_an_official_proposes_a_change_from_the_programme_page(client, governed, clock):
    login(client, governed.official)
    form = proposal_form(governed, summary="Más horas de cuidado en el hogar")
    form["param_allotment__1__homecare"] = "2500"

    response = client.post(MANAGE, form, follow=True)

    assert response.status_code == 200
    change = models.ParameterChange.objects.get(status="proposed")
    assert change.values == {"allotment:1:homecare": 2500}
    assert change.effective_date == APRIL
    assert f"Propuesta n.º {change.pk} registrada" in response.content.decode()


def test_a_bad_parameter_value_is_refused_by_its_field_and_nothing_is_proposed(
    client, governed, clock
):
    login(client, governed.official)
    form = proposal_form(governed, summary="Error")
    form["param_allotment__4__homecare"] = "9000"
    form["param_eligibility__childcare"] = "children"

    response = client.post(MANAGE, form)

    assert response.status_code == 400
    body = response.content.decode()
    assert "regla desconocida &#x27;children&#x27;" in body
    assert 'id="id_param_eligibility__childcare-error"' in body
    assert models.ParameterChange.objects.filter(status="proposed").count() == 0


def test_a_proposal_that_breaks_the_bands_is_refused_by_the_field_at_fault(client, governed, clock):
    login(client, governed.official)
    form = proposal_form(governed, summary="Error")
    form["param_allotment__4__homecare"] = "9000"

    response = client.post(MANAGE, form)

    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="id_param_allotment__4__homecare-error"' in body
    assert "una banda más alta no recibe más que la anterior" in body
    assert models.ParameterChange.objects.filter(status="proposed").count() == 0


def test_a_proposal_dated_in_the_past_is_refused(client, governed, clock):
    login(client, governed.official)

    response = client.post(
        MANAGE,
        {
            "action": "propose",
            "summary": "Tarde",
            "effective_date": "2026-03-01",
            "param_allotment__1__homecare": "2500",
        },
    )

    assert response.status_code == 400
    assert "La fecha de vigencia no puede ser pasada." in response.content.decode()
    assert models.ParameterChange.objects.filter(status="proposed").count() == 0


def test_an_official_proposes_a_category_and_records_the_boards_approval(client, governed, clock):
    login(client, governed.official)
    posted = client.post(
        MANAGE,
        {
            "action": "propose_category",
            "code": "respite",
            "name": "Respiro familiar",
            "eligibility": "member_65_plus",
            "allotment_1": "800",
            "allotment_2": "600",
            "allotment_3": "400",
            "allotment_4": "200",
            "summary": "Nueva categoría",
            "effective_date": "2026-04-01",
        },
    )
    change = models.ParameterChange.objects.get(status="proposed")
    motion = board_vote(governed, governed.programme.board, title="Respiro", yes=True)
    page = client.get(MANAGE).content.decode()

    decided = client.post(
        MANAGE, {"action": "decide", "change": change.pk, f"c{change.pk}-motion": motion.pk}
    )

    assert posted.status_code == 302
    assert f'name="c{change.pk}-motion"' in page
    assert decided.status_code == 302
    change.refresh_from_db()
    assert change.status == "approved"
    assert change.motion_id == motion.pk
    assert categories(governed.programme)["respite"].name == "Respiro familiar"


def test_a_bad_category_proposal_names_the_band_at_fault(client, governed, clock):
    login(client, governed.official)

    response = client.post(
        MANAGE,
        {
            "action": "propose_category",
            "code": "respite",
            "name": "Respiro familiar",
            "eligibility": "member_65_plus",
            "allotment_1": "800",
            "allotment_2": "900",
            "allotment_3": "400",
            "allotment_4": "200",
            "summary": "Nueva categoría",
            "effective_date": "2026-04-01",
        },
    )

    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="id_allotment_2-error"' in body
    assert "una banda más alta no recibe más que la anterior" in body
    assert not models.ParameterChange.objects.filter(status="proposed").exists()


def test_a_motion_that_is_not_a_closed_motion_of_the_board_is_refused(client, governed, clock):
    login(client, governed.official)
    change = allotment_change(governed)

    response = client.post(
        MANAGE, {"action": "decide", "change": change.pk, f"c{change.pk}-motion": "999999"}
    )

    assert response.status_code == 400
    assert (
        "Escoja una opción válida. 999999 no es una de las opciones disponibles."
        in response.content.decode()
    )
    change.refresh_from_db()
    assert change.status == "proposed"


def test_an_official_puts_a_proposal_to_the_next_board_meeting(client, governed, clock):
    login(client, governed.official)
    change = allotment_change(governed)
    meeting = councils.meeting_create(
        actor=governed.official,
        council=governed.programme.board,
        title="Sesión ordinaria",
        starts_at=datetime(2026, 3, 20, 15, 0, tzinfo=UTC),
        now=NOW,
    )

    response = client.post(
        MANAGE,
        {"action": "put_to_board", "change": change.pk, f"c{change.pk}-meeting": meeting.pk},
        follow=True,
    )

    assert response.status_code == 200
    assert "en el orden del día de «Sesión ordinaria»" in response.content.decode()
    assert [m.title for m in meeting.motions.all()] == [
        "Cambio de parámetros: Más horas de cuidado en el hogar"
    ]


def test_an_official_of_another_territory_cannot_propose(client, governed, clock):
    login(client, governed.other_official)

    response = client.post(
        MANAGE,
        {"action": "propose", "summary": "X", "effective_date": "2026-04-01"},
    )

    assert response.status_code == 403
    assert not models.ParameterChange.objects.filter(status="proposed").exists()


def test_the_open_books_show_proposed_and_rejected_changes(client, governed):
    allotment_change(governed)
    rejected = allotment_change(governed, 1800)
    motion = board_vote(governed, governed.programme.board, title="Menos horas", yes=False)
    services.parameter_change_decide(
        actor=governed.official, change=rejected, motion=motion, now=NOW
    )

    body = client.get("/socialincome/cotacachi-cuidados/").content.decode()

    assert "Propuestas de cambio" in body
    assert "<td>Propuesto</td>" in body
    assert "<td>Rechazado</td>" in body
    assert "<code>allotment:1:homecare</code> = 1800" in body


# --- the API ------------------------------------------------------------------------------------


def token(user: Any, role: str) -> str:
    issued = accounts.token_create(actor=user, user=user, role=role, now=timezone.now())
    return f"Bearer {issued.clear}"


CHANGES = "/api/v1/socialincome/programmes/cotacachi-cuidados/changes"


def post(client: Any, url: str, payload: dict[str, Any], auth: str) -> Any:
    return client.post(
        url, data=json.dumps(payload), content_type="application/json", HTTP_AUTHORIZATION=auth
    )


def test_the_api_proposes_a_change_and_records_the_boards_decision(client, governed, clock):
    auth = token(governed.official, "official")

    proposed = post(
        client,
        CHANGES,
        {
            "summary": "Más horas",
            "effective_date": "2026-04-01",
            "values": {"allotment:1:homecare": 2500},
        },
        auth,
    )
    change_id = proposed.json()["id"]
    motion = board_vote(governed, governed.programme.board, title="Más horas", yes=True)
    decided = post(client, f"{CHANGES}/{change_id}/decision", {"motion_id": motion.pk}, auth)
    listed = client.get(CHANGES).json()

    assert proposed.status_code == 201
    assert proposed.json()["status"] == "proposed"
    assert decided.status_code == 200
    assert decided.json()["status"] == "approved"
    assert decided.json()["motion_id"] == motion.pk
    assert (listed[0]["id"], listed[0]["status"]) == (change_id, "approved")
    assert (
        selectors.parameters_at(programme=governed.programme, on=APRIL)["allotment:1:homecare"]
        == 2500
    )


def test_the_api_proposes_a_new_category(client, governed, clock):
    auth = token(governed.official, "official")

    response = post(
        client,
        CHANGES,
        {
            "summary": "Respiro",
            "effective_date": "2026-04-01",
            "values": {
                "category:respite": "Respiro familiar",
                "eligibility:respite": "any_household",
                "allotment:1:respite": 400,
                "allotment:2:respite": 300,
                "allotment:3:respite": 200,
                "allotment:4:respite": 100,
            },
        },
        auth,
    )

    assert response.status_code == 201
    assert response.json()["values"]["category:respite"] == "Respiro familiar"


def test_the_api_refuses_a_bad_value_naming_the_key_and_changes_nothing(client, governed, clock):
    auth = token(governed.official, "official")

    response = post(
        client,
        CHANGES,
        {
            "summary": "Error",
            "effective_date": "2026-04-01",
            "values": {"eligibility:childcare": "children"},
        },
        auth,
    )

    assert response.status_code == 400
    assert response.json() == {
        "message": "regla desconocida 'children'",
        "field": "eligibility:childcare",
    }
    assert not models.ParameterChange.objects.filter(status="proposed").exists()


def test_the_api_refuses_an_unknown_motion_and_an_open_one(client, governed, clock):
    auth = token(governed.official, "official")
    change = allotment_change(governed)
    meeting = councils.meeting_create(
        actor=governed.official,
        council=governed.programme.board,
        title="Sesión",
        starts_at=datetime(2026, 3, 20, 15, 0, tzinfo=UTC),
        now=NOW,
    )
    open_motion = councils.motion_create(
        actor=governed.official, meeting=meeting, title="Sin votar", now=NOW
    )

    unknown = post(client, f"{CHANGES}/{change.pk}/decision", {"motion_id": 999999}, auth)
    still_open = post(
        client, f"{CHANGES}/{change.pk}/decision", {"motion_id": open_motion.pk}, auth
    )

    assert unknown.status_code == 404
    assert unknown.json() == {"message": "no such motion", "field": "motion_id"}
    assert still_open.status_code == 400
    assert still_open.json() == {
        "message": "La votación de la moción no ha terminado.",
        "field": "motion_id",
    }
    change.refresh_from_db()
    assert change.status == "proposed"


def test_the_api_refuses_an_official_of_another_territory_and_a_delegate(client, governed, clock):
    payload = {
        "summary": "Más horas",
        "effective_date": "2026-04-01",
        "values": {"allotment:1:homecare": 2500},
    }

    other = post(client, CHANGES, payload, token(governed.other_official, "official"))
    delegate = post(client, CHANGES, payload, token(governed.delegate, "delegate"))

    assert other.status_code == 403
    assert other.json()["field"] == "slug"
    assert delegate.status_code in (401, 403)
    assert not models.ParameterChange.objects.filter(status="proposed").exists()


def test_the_api_refuses_a_malformed_date_naming_the_field(client, governed, clock):
    response = post(
        client,
        CHANGES,
        {"summary": "X", "effective_date": "abril", "values": {"allotment:1:homecare": 1}},
        token(governed.official, "official"),
    )

    assert response.status_code == 422
    assert response.json()["field"] == "effective_date"


def test_every_proposal_is_open_data_with_its_status_and_motion(client, governed):
    pending = allotment_change(governed)
    rejected = allotment_change(governed, 1800)
    motion = board_vote(governed, governed.programme.board, title="Menos horas", yes=False)
    services.parameter_change_decide(
        actor=governed.official, change=rejected, motion=motion, now=NOW
    )

    rows = json.loads(client.get("/open-data/socialincome-parameter-changes.json").content.decode())

    mine = {r["change"]: r for r in rows["rows"]}
    assert mine[pending.pk]["status"] == "proposed"
    assert mine[pending.pk]["values"] == {"allotment:1:homecare": 2500}
    assert mine[pending.pk]["motion"] is None
    assert mine[rejected.pk]["status"] == "rejected"
    assert mine[rejected.pk]["motion"] == motion.pk
