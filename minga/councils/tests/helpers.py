"""Helpers of the councils tests: a snapshot of everything the app stores, to assert that a
refused action changed nothing, and a whole election run through the services."""

from typing import Any

from minga.core.models import AuditEvent
from minga.councils import models, services

from .conftest import NOW, World, make_delegate, make_organization

MODELS = (
    models.Council,
    models.Term,
    models.Seat,
    models.Mandate,
    models.Election,
    models.Nomination,
    models.RollEntry,
    models.Ballot,
    models.Meeting,
    models.AgendaItem,
    models.Attendance,
    models.Motion,
    models.Vote,
    models.Decision,
)


def snapshot() -> dict[str, Any]:
    """Every row of every councils table, plus the audit log's length."""
    state: dict[str, Any] = {m.__name__: sorted(map(repr, m.objects.values())) for m in MODELS}
    state["audit"] = AuditEvent.objects.count()
    return state


def designate_government(world: World, term: Any, persons: list[Any]) -> list[Any]:
    seats = list(term.seats.filter(side="government").order_by("number"))
    return [
        services.seat_designate(
            actor=world.official,
            seat=seat,
            person=person,
            start_date=term.start_date,
            reference=f"Resolución {i}",
            now=NOW,
        )
        for i, (seat, person) in enumerate(zip(seats, persons, strict=False), start=1)
    ]


def electorate(world: World, count: int) -> list[tuple[Any, Any]]:
    """`count` cooperatives of the canton, each with its delegate."""
    out = []
    for i in range(count):
        org = make_organization(f"Cooperativa {i + 1:02d}", world.parish)
        out.append((org, make_delegate(f"delegado{i + 1:02d}", org)))
    return out


def open_with_candidates(
    world: World, term: Any, voters: list[tuple[Any, Any]], candidates: list[Any]
) -> Any:
    """An election whose candidates, nominated by the first organisation, have accepted."""
    election = services.election_open(actor=world.official, term=term, now=NOW)
    org, delegate = voters[0]
    for person in candidates:
        nomination = services.nomination_create(
            actor=delegate, election=election, organization=org, person=person, now=NOW
        )
        services.nomination_accept(actor=world.official, nomination=nomination, now=NOW)
    return services.election_voting_open(actor=world.official, election=election, now=NOW)


def cast(election: Any, voters: list[tuple[Any, Any]], ballots: list[list[int]]) -> None:
    for (org, delegate), prefs in zip(voters, ballots, strict=True):
        services.ballot_cast(
            actor=delegate, election=election, organization=org, preferences=prefs, now=NOW
        )


def elect_civil(world: World, term: Any) -> Any:
    """The term's three government seats designated (Persona A, B, C) and its civil seats
    elected by ten cooperatives: candidates D=1, E=2, F=3, G=4, H=5; D, F and G are elected
    (seed 7). Returns the counted election."""
    designate_government(world, term, world.persons[:3])
    voters = electorate(world, 10)
    election = open_with_candidates(world, term, voters, world.persons[3:8])
    cast(election, voters, [[1, 2]] * 4 + [[3]] * 3 + [[4]] * 2 + [[5, 4]])
    return services.election_count(actor=world.official, election=election, seed=7, now=NOW)


def elect_civil_small(world: World, term: Any) -> Any:
    """As elect_civil, with four cooperatives and four candidates (D=1, E=2, F=3, G=4): the
    ballots [1, 2], [1, 2], [3], [4] elect D, F and G (seed 7), and E is next in line for a
    recount without D. Fewer writes, for tests that need a counted election but not its
    arithmetic."""
    designate_government(world, term, world.persons[:3])
    voters = electorate(world, 4)
    election = open_with_candidates(world, term, voters, world.persons[3:7])
    cast(election, voters, [[1, 2], [1, 2], [3], [4]])
    return services.election_count(actor=world.official, election=election, seed=7, now=NOW)
