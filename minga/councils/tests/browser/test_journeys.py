"""The journeys of issue 5: an official constitutes a council; organisations nominate and vote;
the count is published (and a vacancy is filled by recount); a meeting reaches quorum and passes
a motion; the public sees composition and votes. The axe-core WCAG 2.2 AA check runs on every
page visited."""

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from minga.accounts.middleware import SESSION_KEY
from minga.councils import selectors, services

from ..conftest import NOW
from ..helpers import (
    cast,
    designate_government,
    elect_civil_small,
    electorate,
    open_with_candidates,
)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_public_sees_the_composition_a_delegate_votes_and_the_count_is_published(
    page, axe, live_server, world, term
):
    designate_government(world, term, world.persons[:3])
    voters = electorate(world, 4)
    election = open_with_candidates(world, term, voters, world.persons[3:7])
    cast(election, voters[:3], [[1, 2], [3], [4, 1]])
    org, delegate = voters[3]

    # The public sees the composition, vacancies included.
    page.goto(f"/councils/{term.council_id}/")
    assert page.get_by_role("heading", level=1).inner_text() == term.council.name
    assert page.get_by_role("table", name="Gobierno local").get_by_text("Persona A").is_visible()
    assert page.get_by_role("table", name="Sociedad civil").get_by_text("Vacante").count() == 3
    axe(page)

    # A delegate casts a ranked ballot, choosing a candidate per rank with selects.
    client = Client()
    client.force_login(delegate)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page.goto(f"/councils/elections/{election.pk}/")
    page.get_by_role("link", name="Votar").click()
    axe(page)
    page.get_by_label("Preferencia 1").select_option("2")
    page.get_by_label("Preferencia 3").select_option("1")
    page.get_by_role("button", name="Depositar la papeleta").click()
    assert page.get_by_text("Preferencia 3: la preferencia 2 está vacía.").is_visible()
    axe(page)
    page.get_by_label("Preferencia 2").select_option("4")
    page.get_by_label("Preferencia 3").select_option("")
    page.get_by_role("button", name="Depositar la papeleta").click()
    assert page.get_by_text(f"Papeleta de {org.name} depositada.").is_visible()
    assert sorted(selectors.ballots_of(election=election)) == [[1, 2], [2, 4], [3], [4, 1]]

    # The count is published, stage by stage, with the ballots as BLT.
    services.election_count(actor=world.official, election=election, seed=11, now=NOW)
    page.goto(f"/councils/elections/{election.pk}/")
    sheet = page.get_by_role("table", name="Etapas del escrutinio")
    assert sheet.get_by_role("row").count() == 1 + len(
        election.__class__.objects.get(pk=election.pk).count_sheet["stages"]
    )
    assert page.get_by_role("link", name="Descargar las papeletas anónimas (BLT)").is_visible()
    axe(page)


def sign_in(page, live_server, user):
    """Signs the browser in as `user`, with the second factor passed (as the TOTP step leaves
    the session): the session is made by the test client and handed to the browser."""
    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = True
    session.save()
    page.context.clear_cookies()
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session.session_key,
                "url": live_server.url,
            }
        ]
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_official_constitutes_a_council_opens_a_term_and_designates_a_seat(
    page, axe, live_server, world
):
    sign_in(page, live_server, world.official)

    page.goto("/councils/")
    axe(page)
    page.get_by_role("link", name="Constituir un consejo").click()
    axe(page)
    page.get_by_label("Territorio").select_option(label="COTACACHI (1003)")
    page.get_by_label("Nombre").fill("Consejo de Cuidados de Cotacachi")
    page.get_by_label("Puestos del gobierno").fill("2")
    page.get_by_label("Puestos de la sociedad civil").fill("3")
    page.get_by_label("Presidencia del primer periodo").select_option("civil")
    page.get_by_role("button", name="Constituir").click()
    assert page.get_by_text("Paridad: el consejo debe tener tantos puestos").is_visible()
    assert page.get_by_label("Puestos de la sociedad civil").get_attribute("aria-invalid") == "true"
    axe(page)
    page.get_by_label("Puestos de la sociedad civil").fill("2")
    page.get_by_role("button", name="Constituir").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Consejo de Cuidados de Cotacachi"
    axe(page)

    page.get_by_role("link", name="Abrir un nuevo periodo").click()
    page.get_by_label("Inicio").fill("2026-01-01")
    axe(page)
    page.get_by_role("button", name="Abrir el periodo").click()
    assert page.get_by_text("Periodo 1 abierto.").is_visible()
    assert page.get_by_text("Vacante", exact=True).count() == 4
    page.get_by_role("table", name="Gobierno local").get_by_role(
        "link", name="Designar puesto 1"
    ).click()
    axe(page)
    page.get_by_label("Persona designada").select_option(label="Persona A")
    page.get_by_label("Desde").fill("2026-01-01")
    page.get_by_label("Acto de designación (resolución, oficio)").fill("Resolución 2026-001")
    page.get_by_role("button", name="Designar").click()

    government = page.get_by_role("table", name="Gobierno local")
    assert government.get_by_role("row").nth(1).inner_text().split("\t")[:2] == ["1", "Persona A"]
    assert page.get_by_text("Vacante", exact=True).count() == 3
    axe(page)
    council = selectors.councils_list().get(name="Consejo de Cuidados de Cotacachi")
    assert (council.government_seats, council.civil_seats, council.first_chair_side) == (
        2,
        2,
        "civil",
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_organisations_nominate_and_vote_the_count_is_published_and_a_vacancy_is_recounted(
    page, axe, live_server, world, term
):
    designate_government(world, term, world.persons[:3])
    voters = electorate(world, 3)
    (org, delegate), others = voters[0], voters[1:]

    # The official opens the election.
    sign_in(page, live_server, world.official)
    page.goto(f"/councils/{term.council_id}/")
    page.get_by_role("button", name="Abrir la elección").click()
    axe(page)
    election = selectors.election_of_term(term=term)

    # An organisation's delegate nominates a person (the others are nominated the same way,
    # through the service, to keep the test short).
    sign_in(page, live_server, delegate)
    page.goto(f"/councils/elections/{election.pk}/")
    page.get_by_role("link", name="Nominar una candidatura").click()
    axe(page)
    page.get_by_label("Organización que nomina").select_option(label=org.name)
    page.get_by_label("Persona nominada").select_option(label=world.persons[3].name)
    page.get_by_role("button", name="Nominar").click()
    assert page.get_by_text("Nominación registrada; falta la aceptación.").is_visible()
    axe(page)
    for person in world.persons[4:7]:
        nomination = services.nomination_create(
            actor=delegate, election=election, organization=org, person=person, now=NOW
        )
        services.nomination_accept(actor=world.official, nomination=nomination, now=NOW)

    # The official records the written acceptance and opens the vote.
    sign_in(page, live_server, world.official)
    page.goto(f"/councils/elections/{election.pk}/")
    page.get_by_role("button", name=f"Aceptar {world.persons[3].name}").click()
    assert page.get_by_text("Nominación aceptada.").is_visible()
    page.get_by_role("button", name="Cerrar nominaciones y abrir la votación").click()
    assert page.get_by_text("Votación abierta.").is_visible()
    axe(page)

    # The organisations' delegates cast their ranked ballots.
    cast(election, others, [[2], [3, 1]])
    sign_in(page, live_server, delegate)
    page.goto(f"/councils/elections/{election.pk}/ballot/")
    page.get_by_label("Preferencia 1").select_option("1")
    page.get_by_label("Preferencia 2").select_option("2")
    page.get_by_role("button", name="Depositar la papeleta").click()
    assert page.get_by_text(f"Papeleta de {org.name} depositada.").is_visible()

    # The official counts; the count sheet and the ballots are published.
    sign_in(page, live_server, world.official)
    page.goto(f"/councils/elections/{election.pk}/")
    page.get_by_role("button", name="Cerrar la votación y escrutar").click()
    assert page.get_by_text("Escrutinio publicado.").is_visible()
    page.context.clear_cookies()
    page.goto(f"/councils/elections/{election.pk}/")
    election.refresh_from_db()
    sheet = page.get_by_role("table", name="Etapas del escrutinio")
    assert sheet.get_by_role("row").count() == 1 + len(election.count_sheet["stages"])
    blt = page.request.get(f"/councils/elections/{election.pk}/ballots.blt").text()
    assert blt.splitlines()[:4] == ["4 3", "1 1 2 0", "1 2 0", "1 3 1 0"]
    axe(page)

    # A civil member leaves; the official fills the seat by recount, seeing the sheet first.
    departed = selectors.composition(term=term).civil[0].mandate
    services.mandate_end(
        actor=world.official, mandate=departed, end_date=departed.start_date, reason="R", now=NOW
    )
    sign_in(page, live_server, world.official)
    page.goto(f"/councils/{term.council_id}/")
    page.get_by_role("table", name="Sociedad civil").get_by_role(
        "link", name="Llenar por recuento puesto 1"
    ).click()
    assert page.get_by_role("table", name="Etapas del recuento").is_visible()
    axe(page)
    page.get_by_label("Fecha en que ocupa el puesto").fill(departed.start_date.isoformat())
    page.get_by_role("button", name="Llenar el puesto con este recuento").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Recuento del puesto civil")
    axe(page)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_meeting_reaches_quorum_and_passes_a_motion_and_the_public_sees_the_votes(
    page, axe, live_server, world, term
):
    elect_civil_small(world, term)
    meeting = services.meeting_create(
        actor=world.official,
        council=term.council,
        title="Sesión ordinaria de octubre",
        starts_at=NOW.replace(month=10, day=5),
        agenda=["Agua potable"],
        now=NOW,
    )
    members = selectors.members_at(meeting=meeting)  # civil seats 1-3, then government 1-3

    sign_in(page, live_server, world.official)
    page.goto(f"/councils/meetings/{meeting.pk}/")
    axe(page)
    page.evaluate("window.__same_page = true")  # gone if the page reloads
    for m in members[:2] + members[3:5]:
        page.get_by_label(f"{m.person.name} ({m.get_side_display()})").check()
    page.get_by_role("button", name="Guardar asistencia").click()
    expect(page.get_by_text("Asistencia registrada.")).to_be_visible()
    expect(page.locator("#quorum-status")).to_contain_text("Hay quórum: 4 de 6")
    page.get_by_label("Moción").fill("Priorizar el agua potable en Apuela")
    page.get_by_role("button", name="Presentar la moción").click()
    expect(
        page.get_by_text("Moción presentada: Priorizar el agua potable en Apuela.")
    ).to_be_visible()
    axe(page)
    votes = page.get_by_role("group", name="Votación nominal: Priorizar el agua potable en Apuela")
    for m, choice in zip(
        members[:2] + members[3:5], ["A favor", "A favor", "A favor", "En contra"], strict=True
    ):
        votes.get_by_label(m.person.name).select_option(label=choice)
    page.get_by_role("button", name="Registrar los votos y cerrar la votación").click()
    expect(page.get_by_text("Votación registrada: Aprobada.")).to_be_visible()
    assert page.evaluate("window.__same_page === true")  # HTMX: no full reload
    axe(page)

    # The passed motion becomes a priority need; the minutes are published.
    page.get_by_role("link", name="Publicar la decisión").click()
    page.get_by_label("Decisión").fill("Agua potable para Apuela")
    page.get_by_label("Es una necesidad prioritaria").check()
    page.get_by_label("Categoría de servicio").select_option("water")
    page.get_by_label("Territorio").select_option(label="APUELA (100351)")
    axe(page)
    page.get_by_role("button", name="Publicar").click()
    assert page.get_by_text("Decisión publicada.").is_visible()
    page.get_by_label("Acta").fill("Se aprobó priorizar el agua potable en Apuela.")
    page.get_by_role("button", name="Publicar el acta").click()
    assert page.get_by_text("Acta publicada.").is_visible()

    # The public sees the composition, the votes by name, the decision and the territory page.
    page.context.clear_cookies()
    page.goto(f"/councils/{term.council_id}/")
    assert page.get_by_role("table", name="Sociedad civil").get_by_text("Persona D").is_visible()
    assert page.get_by_text("Necesidad prioritaria").is_visible()
    axe(page)
    page.get_by_role("link", name="Sesión ordinaria de octubre").click()
    table = page.get_by_role("table", name="Votación nominal: Priorizar el agua potable en Apuela")
    assert table.get_by_role("row").count() == 5
    assert (
        table.get_by_role("row", name=f"{members[4].person.name}")
        .inner_text()
        .endswith("En contra")
    )
    assert page.get_by_text("Se aprobó priorizar el agua potable en Apuela.").is_visible()
    assert page.get_by_role("button").count() == 0  # the public gets no forms
    axe(page)
    page.goto("/territories/EC/100351/")
    assert page.get_by_role("table", name="Necesidades prioritarias decididas para APUELA")
    assert page.get_by_text("Agua potable para Apuela").is_visible()
    axe(page)
