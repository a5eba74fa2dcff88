"""The public sees the composition; a delegate casts a ranked ballot; the count sheet is
published. The axe-core WCAG 2.2 AA check runs on every page visited."""

import pytest
from django.conf import settings
from django.test import Client

from minga.councils import selectors, services

from ..conftest import NOW
from ..helpers import cast, designate_government, electorate, open_with_candidates


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
