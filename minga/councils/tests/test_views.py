import pytest
from django.urls import reverse

from minga.councils import selectors, services
from minga.councils.models import Council, Side

from .conftest import NOW, make_user
from .helpers import (
    cast,
    designate_government,
    elect_civil,
    electorate,
    open_with_candidates,
    snapshot,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def counted(world, term):
    designate_government(world, term, world.persons[:3])
    voters = electorate(world, 4)
    election = open_with_candidates(world, term, voters, world.persons[3:7])
    cast(election, voters[:3], [[1, 2], [3], [4, 1]])
    return election, voters


def login(client, user):
    client.force_login(user)
    session = client.session
    session["minga_2fa_verified"] = True  # officials pass their second factor first
    session.save()


def test_the_public_sees_the_composition_with_its_vacancies(client, world, term):
    designate_government(world, term, world.persons[:2])

    response = client.get(reverse("councils:detail", args=[term.council_id]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Persona A" in html and "Persona B" in html
    assert html.count("<strong>Vacante</strong>") == 4
    assert "Designar" not in html


def test_the_council_list_links_each_council(client, council):
    response = client.get(reverse("councils:list"))

    assert reverse("councils:detail", args=[council.pk]) in response.content.decode()


def test_an_official_constitutes_a_council_and_a_refused_form_names_the_field(client, world):
    login(client, world.official)
    url = reverse("councils:create")
    data = {
        "territory": world.canton.pk,
        "name": "Consejo de Cuidados",
        "government_seats": 2,
        "civil_seats": 3,
        "first_chair_side": Side.CIVIL,
        "term_length_months": 24,
        "quorum_rule": "parity",
        "majority_rule": "simple",
    }
    before = snapshot()

    refused = client.post(url, data)

    assert refused.status_code == 400
    html = refused.content.decode()
    assert 'id="id_civil_seats-error"' in html
    assert 'aria-describedby="id_civil_seats-error"' in html
    assert "Paridad: el consejo debe tener tantos puestos" in html
    assert snapshot() == before
    created = client.post(url, {**data, "civil_seats": 2})
    council = Council.objects.get(name="Consejo de Cuidados")
    assert created.url == reverse("councils:detail", args=[council.pk])


def test_an_official_of_another_territory_cannot_manage_the_council(client, world, council):
    login(client, world.other_official)

    response = client.get(reverse("councils:term_create", args=[council.pk]))

    assert response.status_code == 403


def test_a_delegate_casts_a_ranked_ballot_with_one_select_per_rank(client, world, counted):
    election, voters = counted
    org, delegate = voters[3]
    login(client, delegate)
    url = reverse("councils:ballot", args=[election.pk])

    page = client.get(url)
    gap = client.post(url, {"organization": org.pk, "rank_1": "2", "rank_3": "1"})
    cast_response = client.post(url, {"organization": org.pk, "rank_1": "2", "rank_2": "1"})

    assert page.status_code == 200
    assert page.content.decode().count('<select name="rank_') == 4  # one per candidate
    assert gap.status_code == 400
    assert "Preferencia 3: la preferencia 2 está vacía." in gap.content.decode()
    assert cast_response.status_code == 302
    assert sorted(selectors.ballots_of(election=election)) == [[1, 2], [2, 1], [3], [4, 1]]
    assert client.get(url).status_code == 403  # one ballot per organisation


def test_the_count_sheet_and_blt_are_published_after_the_count(client, world, counted):
    election, _voters = counted
    login(client, world.official)

    client.post(reverse("councils:count", args=[election.pk]))
    client.logout()
    page = client.get(reverse("councils:election", args=[election.pk]))
    blt = client.get(reverse("councils:election_blt", args=[election.pk]))

    html = page.content.decode()
    assert "Etapas del escrutinio" in html
    assert "Primeras preferencias" in html
    assert blt.status_code == 200
    assert blt.content.decode().splitlines()[0] == "4 3"


def test_the_blt_file_is_not_published_before_the_count(client, counted):
    election, _voters = counted

    assert client.get(reverse("councils:election_blt", args=[election.pk])).status_code == 404


def test_a_meeting_reaches_quorum_and_the_motion_shows_every_members_vote(client, world, counted):
    election, _voters = counted
    services.election_count(actor=world.official, election=election, seed=1, now=NOW)
    login(client, world.official)
    council = election.term.council
    client.post(
        reverse("councils:meeting_create", args=[council.pk]),
        {"title": "Sesión", "starts_at": "2026-10-05T15:00", "agenda": "Uno\nDos"},
    )
    meeting = selectors.meetings_of(council=council).get()
    members = selectors.members_at(meeting=meeting)
    client.post(
        reverse("councils:attendance", args=[meeting.pk]),
        {"present": [m.pk for m in members[:2] + members[3:5]]},
    )
    client.post(reverse("councils:motion_create", args=[meeting.pk]), {"title": "Moción A"})
    motion = selectors.motions_of(meeting=meeting).get()

    response = client.post(
        reverse("councils:motion_votes", args=[motion.pk]),
        {f"motion{motion.pk}-vote_{m.pk}": "yes" for m in members[:2] + members[3:5]},
    )
    page = client.get(reverse("councils:meeting", args=[meeting.pk]))

    assert response.status_code == 302
    html = page.content.decode()
    assert "Hay quórum" in html
    assert "Aprobada" in html
    assert html.count("A favor") == 4


def test_a_delegate_without_a_pending_ballot_is_refused(client, world, counted):
    election, _voters = counted
    login(client, make_user("nadie"))

    assert client.get(reverse("councils:ballot", args=[election.pk])).status_code == 403


def test_the_terms_history_lists_every_mandate_with_dates(client, world, term):
    [mandate] = designate_government(world, term, world.persons[:1])

    response = client.get(reverse("councils:terms", args=[term.council_id]))

    assert "Persona A" in response.content.decode()
    assert mandate.start_date.isoformat() in response.content.decode()
    assert NOW.tzinfo is not None


def test_the_count_sheet_says_in_words_how_a_tie_was_broken(client, world, term):
    # elect_civil: E and H tie on 1 vote at stage 2; E had fewer at stage 1 and is excluded.
    election = elect_civil(world, term)

    html = client.get(reverse("councils:election", args=[election.pk])).content.decode()

    assert "Exclusión de 2 (empate decidido por los votos de la etapa 1)" in html
    assert "earlier stage" not in html
