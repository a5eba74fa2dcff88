"""A programme board made through the councils services: a joint council of one government seat
and one citizen-user seat (elected by the cooperatives), and a recorded vote on a motion."""

from datetime import date, datetime
from typing import Any

from minga.actors import services as actors
from minga.councils import selectors as councils_selectors
from minga.councils import services as councils

from .conftest import NOW, World


def make_board(world: World) -> Any:
    council = councils.council_create(
        actor=world.official,
        territory=world.canton,
        name="Directorio del ingreso social para el cuidado",
        government_seats=1,
        civil_seats=1,
        first_chair_side="government",
        now=NOW,
    )
    term = councils.term_create(
        actor=world.official, council=council, start_date=date(2026, 1, 1), now=NOW
    )
    official_person = actors.person_create(actor=None, now=NOW, name="Rosa Quilumbaquí")
    user_person = actors.person_create(actor=None, now=NOW, name="Manuel Cabascango")
    seat = term.seats.get(side="government")
    councils.seat_designate(
        actor=world.official,
        seat=seat,
        person=official_person,
        start_date=term.start_date,
        now=NOW,
    )
    election = councils.election_open(actor=world.official, term=term, now=NOW)
    nomination = councils.nomination_create(
        actor=world.delegate,
        election=election,
        organization=world.cooperative,
        person=user_person,
        now=NOW,
    )
    councils.nomination_accept(actor=world.official, nomination=nomination, now=NOW)
    election = councils.election_voting_open(actor=world.official, election=election, now=NOW)
    councils.ballot_cast(
        actor=world.delegate,
        election=election,
        organization=world.cooperative,
        preferences=[1],
        now=NOW,
    )
    councils.election_count(actor=world.official, election=election, seed=7, now=NOW)
    return council


def board_vote(world: World, council: Any, *, title: str, yes: bool) -> Any:
    """A meeting of the board with both members present and a motion voted by name."""
    meeting = councils.meeting_create(
        actor=world.official,
        council=council,
        title="Sesión del directorio",
        starts_at=datetime(2026, 3, 10, 15, 0, tzinfo=NOW.tzinfo),
        now=NOW,
    )
    term = councils_selectors.term_on(council=council, on=date(2026, 3, 10))
    assert term is not None
    members = list(councils_selectors.mandates_open(term=term))
    councils.meeting_attendance_record(
        actor=world.official, meeting=meeting, present=members, now=NOW
    )
    motion = councils.motion_create(actor=world.official, meeting=meeting, title=title, now=NOW)
    choice = "yes" if yes else "no"
    return councils.motion_votes_record(
        actor=world.official,
        motion=motion,
        votes={m.pk: choice for m in members},
        now=NOW,
    )
