import pytest

from minga.accounts.services import token_create
from minga.councils import selectors

from .conftest import NOW
from .helpers import cast, designate_government, electorate, open_with_candidates, snapshot

pytestmark = pytest.mark.django_db
BASE = "/api/v1/councils"


@pytest.fixture
def official_token(world):
    return token_create(actor=None, user=world.official, role="official", now=NOW).clear


def auth(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_reads_are_public_and_show_the_composition(client, world, term):
    designate_government(world, term, world.persons[:1])

    body = client.get(f"{BASE}/councils/{term.council_id}").json()

    assert body["government_seats"] == body["civil_seats"] == 3
    assert body["composition"]["vacancies"] == 5
    seats = body["composition"]["seats"]
    assert [(s["side"], s["number"], s["person"]) for s in seats[:2]] == [
        ("government", 1, "Persona A"),
        ("government", 2, None),
    ]


def test_writes_need_a_token_or_a_session(client, council):
    before = snapshot()

    response = client.post(
        f"{BASE}/councils/{council.pk}/terms",
        {"start_date": "2026-01-01"},
        content_type="application/json",
    )

    assert response.status_code == 401
    assert response.json()["field"] == "Authorization"
    assert snapshot() == before


def test_an_official_opens_a_term_and_a_refusal_names_the_field(client, council, official_token):
    url = f"{BASE}/councils/{council.pk}/terms"

    created = client.post(
        url, {"start_date": "2026-01-01"}, content_type="application/json", **auth(official_token)
    )
    before = snapshot()
    overlap = client.post(
        url, {"start_date": "2027-01-01"}, content_type="application/json", **auth(official_token)
    )
    malformed = client.post(
        url, {"start_date": "enero"}, content_type="application/json", **auth(official_token)
    )

    assert created.status_code == 201
    assert created.json()["end_date"] == "2028-01-01"
    assert overlap.status_code == 400
    assert overlap.json() == {
        "message": "El periodo se superpone con el periodo 1 (del 2026-01-01 al 2028-01-01): "
        "debe empezar el 2028-01-01 o después.",
        "field": "start_date",
    }
    assert malformed.status_code == 422
    assert malformed.json()["field"] == "start_date"
    assert snapshot() == before


def test_a_council_at_parity_is_created_and_one_off_parity_is_refused(
    client, world, official_token
):
    payload = {
        "territory_code": "1003",
        "name": "Junta",
        "government_seats": 2,
        "civil_seats": 2,
        "first_chair_side": "civil",
    }
    before = snapshot()

    refused = client.post(
        f"{BASE}/councils",
        {**payload, "civil_seats": 1},
        content_type="application/json",
        **auth(official_token),
    )
    unknown = client.post(
        f"{BASE}/councils",
        {**payload, "territory_code": "9999"},
        content_type="application/json",
        **auth(official_token),
    )
    outside = client.post(
        f"{BASE}/councils",
        {**payload, "territory_code": "1001"},
        content_type="application/json",
        **auth(official_token),
    )

    assert (refused.status_code, refused.json()["field"]) == (400, "civil_seats")
    assert (unknown.status_code, unknown.json()["field"]) == (404, "territory_code")
    assert (outside.status_code, outside.json()["field"]) == (403, "territory_code")
    assert snapshot() == before
    created = client.post(
        f"{BASE}/councils", payload, content_type="application/json", **auth(official_token)
    )
    assert created.status_code == 201
    assert created.json()["first_chair_side"] == "civil"


def test_a_delegate_casts_a_ballot_by_api_and_a_bad_ballot_names_the_rank(client, world, term):
    voters = electorate(world, 2)
    election = open_with_candidates(world, term, voters, world.persons[3:6])
    org, delegate = voters[1]
    token = token_create(actor=None, user=delegate, role="delegate", now=NOW).clear
    url = f"{BASE}/elections/{election.pk}/ballots"
    before = snapshot()

    bad = client.post(
        url,
        {"organization_id": org.pk, "preferences": [2, 2]},
        content_type="application/json",
        **auth(token),
    )
    other = client.post(
        url,
        {"organization_id": voters[0][0].pk, "preferences": [1]},
        content_type="application/json",
        **auth(token),
    )

    assert bad.json() == {
        "message": "Preferencia 2: esa candidatura ya está en la preferencia 1.",
        "field": "preferences.2",
    }
    assert (other.status_code, other.json()["field"]) == (403, "organization_id")
    assert snapshot() == before
    good = client.post(
        url,
        {"organization_id": org.pk, "preferences": [2, 1]},
        content_type="application/json",
        **auth(token),
    )
    assert good.status_code == 201
    assert selectors.ballots_of(election=election) == [[2, 1]]


def test_the_election_endpoint_publishes_the_count_sheet_and_the_blt(
    client, world, term, official_token
):
    voters = electorate(world, 3)
    election = open_with_candidates(world, term, voters, world.persons[3:6])
    cast(election, voters, [[1], [2, 1], [3, 1]])
    from minga.councils.services import election_count

    election_count(actor=world.official, election=election, seed=5, now=NOW)

    body = client.get(f"{BASE}/elections/{election.pk}").json()
    blt = client.get(f"{BASE}/elections/{election.pk}/ballots.blt")

    assert body["status"] == "counted"
    assert body["seed"] == 5
    assert body["ballots"] == 3
    assert body["count_sheet"]["stages"][0]["action"] == "first preferences"
    assert blt.content.decode().startswith("3 3\n")


def test_an_unknown_council_is_a_404_naming_the_field(client, db):
    response = client.get(f"{BASE}/councils/999999")

    assert response.status_code == 404
    assert response.json() == {"message": "no such council", "field": "council_id"}
