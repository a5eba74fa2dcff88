from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from minga.core.models import AuditEvent
from minga.councils import selectors, services
from minga.councils.models import (
    Ballot,
    ElectionStatus,
    Mandate,
    MotionOutcome,
    Office,
    QuorumRule,
    Side,
    Source,
)
from minga.voting import blt as blt_format
from minga.voting import stv

from .conftest import NOW, TERM_START, make_council, make_organization, make_user
from .helpers import (
    cast,
    designate_government,
    elect_civil,
    electorate,
    open_with_candidates,
    snapshot,
)

pytestmark = pytest.mark.django_db


def refused(exc: type[Exception], message: str, call: Any, field: str | None = None) -> None:
    """Runs a refused call: the exact message, the field at fault, and nothing changed."""
    before = snapshot()

    with pytest.raises(exc) as info:
        call()

    assert info.value.message == message  # type: ignore[attr-defined] # CouncilError
    if field is not None:
        assert info.value.field == field  # type: ignore[attr-defined] # CouncilError
    assert snapshot() == before


# --- councils and terms -----------------------------------------------------------------------


def test_a_council_is_constituted_at_parity_with_an_audit_event(world):
    council = make_council(world)

    assert (council.government_seats, council.civil_seats) == (3, 3)
    assert council.term_length_months == 24
    assert council.quorum_rule == QuorumRule.PARITY
    event = AuditEvent.objects.get(action="council.create")
    assert event.actor_label == "oficial"
    assert event.after["territory"] == "EC:1003"


def test_a_council_whose_seats_are_not_at_parity_is_refused(world):
    refused(
        services.ParityViolation,
        "Paridad: el consejo debe tener tantos puestos del gobierno como de la sociedad civil "
        "(3 y 2).",
        lambda: make_council(world, civil_seats=2),
        field="civil_seats",
    )


def test_a_council_with_no_seats_or_an_unknown_side_or_a_taken_name_is_refused(world, council):
    refused(
        services.InvalidInput,
        "El número de puestos debe estar entre 1 y 50.",
        lambda: make_council(world, name="Otro", government_seats=0, civil_seats=0),
        field="government_seats",
    )
    refused(
        services.InvalidInput,
        "Lado desconocido: «ninguno».",
        lambda: make_council(world, name="Otro", first_chair_side="ninguno"),
        field="first_chair_side",
    )
    refused(
        services.CouncilNameTaken,
        "Ya existe un consejo «consejo cantonal de cotacachi» en COTACACHI.",
        lambda: make_council(world, name="consejo cantonal de cotacachi"),
        field="name",
    )
    refused(
        services.InvalidInput,
        "El nombre es obligatorio.",
        lambda: make_council(world, name="   "),
        field="name",
    )


def test_a_term_lasts_two_years_by_default_and_has_its_seats_at_parity(world, council):
    term = services.term_create(
        actor=world.official, council=council, start_date=TERM_START, now=NOW
    )

    assert (term.number, term.start_date, term.end_date) == (1, TERM_START, date(2028, 1, 1))
    assert term.chair_side == Side.GOVERNMENT
    assert [(s.side, s.number) for s in term.seats.order_by("side", "number")] == [
        ("civil", 1),
        ("civil", 2),
        ("civil", 3),
        ("government", 1),
        ("government", 2),
        ("government", 3),
    ]


def test_the_term_length_is_configurable_per_council(world):
    council = make_council(world, term_length_months=48)

    term = services.term_create(
        actor=world.official, council=council, start_date=date(2024, 2, 29), now=NOW
    )

    assert term.end_date == date(2028, 2, 29)
    assert services.add_months(date(2024, 2, 29), 24) == date(2026, 2, 28)


def test_a_government_chair_is_followed_by_a_civil_chair(world, council, term):
    second = services.term_create(
        actor=world.official, council=council, start_date=term.end_date, now=NOW
    )
    third = services.term_create(
        actor=world.official, council=council, start_date=second.end_date, now=NOW
    )

    assert [term.chair_side, second.chair_side, third.chair_side] == [
        Side.GOVERNMENT,
        Side.CIVIL,
        Side.GOVERNMENT,
    ]
    assert second.number == 2


def test_a_term_whose_chair_is_from_the_previous_terms_side_is_refused(world, council, term):
    refused(
        services.ChairSideNotAlternating,
        "La presidencia se alterna: el periodo 1 la tuvo Gobierno local, así que este periodo "
        "corresponde a: Sociedad civil.",
        lambda: services.term_create(
            actor=world.official,
            council=council,
            start_date=term.end_date,
            chair_side=Side.GOVERNMENT,
            now=NOW,
        ),
        field="chair_side",
    )


def test_overlapping_terms_are_refused(world, council, term):
    refused(
        services.TermOverlap,
        "El periodo se superpone con el periodo 1 (del 2026-01-01 al 2028-01-01): debe empezar "
        "el 2028-01-01 o después.",
        lambda: services.term_create(
            actor=world.official, council=council, start_date=date(2027, 6, 1), now=NOW
        ),
        field="start_date",
    )


def test_a_term_whose_seats_are_not_at_parity_is_refused(world, council, term):
    refused(
        services.ParityViolation,
        "Paridad: el periodo debe tener tantos puestos del gobierno como de la sociedad civil "
        "(4 y 3).",
        lambda: services.term_create(
            actor=world.official,
            council=council,
            start_date=term.end_date,
            government_seats=4,
            now=NOW,
        ),
    )


def test_a_term_whose_default_end_is_past_the_calendar_is_refused(world, council):
    refused(
        services.InvalidInput,
        "La fecha de inicio está fuera de rango.",
        lambda: services.term_create(
            actor=world.official, council=council, start_date=date(9999, 6, 1), now=NOW
        ),
        field="start_date",
    )


def test_a_term_that_ends_before_it_starts_is_refused(world, council):
    refused(
        services.InvalidInput,
        "El periodo debe terminar después de empezar.",
        lambda: services.term_create(
            actor=world.official,
            council=council,
            start_date=TERM_START,
            end_date=TERM_START,
            now=NOW,
        ),
        field="end_date",
    )


# --- seats and officers -----------------------------------------------------------------------


def test_officials_designate_the_government_seats(world, term):
    mandates = designate_government(world, term, world.persons[:3])

    assert [(m.seat.number, m.person.name, m.source) for m in mandates] == [
        (1, "Persona A", Source.DESIGNATION),
        (2, "Persona B", Source.DESIGNATION),
        (3, "Persona C", Source.DESIGNATION),
    ]
    assert mandates[0].designated_by == world.official
    composition = selectors.composition(term=term)
    assert composition.vacancies == 3
    assert [r.vacant for r in composition.civil] == [True, True, True]


def test_a_seat_filled_twice_is_refused(world, term):
    [mandate] = designate_government(world, term, world.persons[:1])

    refused(
        services.SeatAlreadyFilled,
        "El puesto Gobierno local 1 del periodo 1 ya está ocupado.",
        lambda: services.seat_designate(
            actor=world.official,
            seat=mandate.seat,
            person=world.persons[5],
            start_date=TERM_START,
            now=NOW,
        ),
        field="seat",
    )


def test_a_person_cannot_hold_two_seats_nor_be_designated_to_a_civil_seat(world, term):
    [mandate] = designate_government(world, term, world.persons[:1])
    second = term.seats.get(side=Side.GOVERNMENT, number=2)
    civil = term.seats.get(side=Side.CIVIL, number=1)

    refused(
        services.PersonAlreadySeated,
        "Persona A ya ocupa un puesto en el periodo 1.",
        lambda: services.seat_designate(
            actor=world.official, seat=second, person=mandate.person, start_date=TERM_START, now=NOW
        ),
    )
    refused(
        services.SeatSideMismatch,
        "Los puestos de la sociedad civil se eligen; solo los del gobierno se designan.",
        lambda: services.seat_designate(
            actor=world.official,
            seat=civil,
            person=world.persons[4],
            start_date=TERM_START,
            now=NOW,
        ),
    )
    refused(
        services.DateOutsideTerm,
        "La fecha debe estar dentro del periodo (del 2026-01-01 al 2028-01-01).",
        lambda: services.seat_designate(
            actor=world.official,
            seat=second,
            person=world.persons[4],
            start_date=date(2028, 1, 1),
            now=NOW,
        ),
    )


def test_a_government_vacancy_is_shown_then_filled_by_a_new_designation(world, term):
    mandates = designate_government(world, term, world.persons[:3])

    services.mandate_end(
        actor=world.official,
        mandate=mandates[1],
        end_date=date(2026, 6, 1),
        reason="Renuncia",
        now=NOW,
    )
    vacant = selectors.composition(term=term)
    services.seat_designate(
        actor=world.official,
        seat=mandates[1].seat,
        person=world.persons[6],
        start_date=date(2026, 6, 1),
        now=NOW,
    )
    filled = selectors.composition(term=term)

    assert [r.vacant for r in vacant.government] == [False, True, False]
    assert [r.mandate.person.name for r in filled.government] == [
        "Persona A",
        "Persona G",
        "Persona C",
    ]
    assert Mandate.objects.filter(seat=mandates[1].seat).count() == 2


def test_a_seat_cannot_be_refilled_before_its_last_holder_left(world, term):
    mandates = designate_government(world, term, world.persons[:1])
    services.mandate_end(
        actor=world.official, mandate=mandates[0], end_date=date(2026, 6, 1), reason="R", now=NOW
    )

    refused(
        services.DateOutsideTerm,
        "El puesto tuvo titular hasta una fecha posterior: elija otra fecha de inicio.",
        lambda: services.seat_designate(
            actor=world.official,
            seat=mandates[0].seat,
            person=world.persons[6],
            start_date=date(2026, 5, 1),
            now=NOW,
        ),
    )


def test_a_mandate_cannot_end_twice(world, term):
    [mandate] = designate_government(world, term, world.persons[:1])
    services.mandate_end(
        actor=world.official, mandate=mandate, end_date=date(2026, 6, 1), reason="R", now=NOW
    )

    refused(
        services.MandateAlreadyEnded,
        "Este mandato ya terminó.",
        lambda: services.mandate_end(
            actor=world.official, mandate=mandate, end_date=date(2026, 7, 1), reason="R", now=NOW
        ),
    )


@pytest.fixture
def seated(world, term):
    """A term with its three government seats designated and its civil seats elected."""
    elect_civil(world, term)  # candidates by name: D=1, E=2, F=3, G=4, H=5
    return term


def test_the_chair_and_vice_chair_come_from_different_sides(world, seated):
    composition = selectors.composition(term=seated)
    chair, vice = composition.government[0].mandate, composition.civil[0].mandate

    services.term_officers_appoint(
        actor=world.official, term=seated, chair=chair, vice_chair=vice, now=NOW
    )

    after = selectors.composition(term=seated)
    assert after.chair.person.name == "Persona A"
    assert after.vice_chair.person.name == chair.person.name.replace("A", "D")
    assert after.chair.office == Office.CHAIR


def test_a_chair_and_vice_chair_from_the_same_side_are_refused(world, seated):
    composition = selectors.composition(term=seated)

    refused(
        services.OfficersSameSide,
        "La presidencia y la vicepresidencia deben ser de lados distintos: una del gobierno y "
        "otra de la sociedad civil.",
        lambda: services.term_officers_appoint(
            actor=world.official,
            term=seated,
            chair=composition.government[0].mandate,
            vice_chair=composition.government[1].mandate,
            now=NOW,
        ),
        field="vice_chair",
    )


def test_a_chair_from_the_side_whose_turn_it_is_not_is_refused(world, seated):
    composition = selectors.composition(term=seated)

    refused(
        services.ChairSideNotAlternating,
        "En el periodo 1 la presidencia corresponde a: Gobierno local.",
        lambda: services.term_officers_appoint(
            actor=world.official,
            term=seated,
            chair=composition.civil[0].mandate,
            vice_chair=composition.government[0].mandate,
            now=NOW,
        ),
        field="chair",
    )


# --- the civil election -----------------------------------------------------------------------


def test_the_election_is_counted_by_stv_and_fills_the_civil_seats(world, seated):
    election = selectors.election_of_term(term=seated)

    assert election.status == ElectionStatus.COUNTED
    assert election.seed == 7
    assert election.quota == "3.00000"  # Droop: floor(10 / (3 + 1)) + 1
    assert election.count_sheet["elected"] == [1, 3, 4]
    assert [
        (n.candidate_number, n.person.name, n.elected_rank)
        for n in selectors.candidates_of(election=election)
    ] == [
        (1, "Persona D", 1),
        (2, "Persona E", None),
        (3, "Persona F", 2),
        (4, "Persona G", 3),
        (5, "Persona H", None),
    ]
    civil = selectors.composition(term=seated).civil
    assert [(r.mandate.person.name, r.mandate.source) for r in civil] == [
        ("Persona D", Source.ELECTION),
        ("Persona F", Source.ELECTION),
        ("Persona G", Source.ELECTION),
    ]


def test_the_published_blt_file_recounts_to_the_same_result(world, seated):
    election = selectors.election_of_term(term=seated)

    parsed = blt_format.parse_blt(election.blt)
    recount = stv.count(parsed, seed=election.seed)

    assert list(recount.elected) == election.count_sheet["elected"]
    assert parsed.candidates == ("Persona D", "Persona E", "Persona F", "Persona G", "Persona H")
    assert parsed.seats == 3
    assert sorted((b.weight, b.preferences) for b in parsed.ballots) == [
        (1, (5, 4)),
        (2, (4,)),
        (3, (3,)),
        (4, (1, 2)),
    ]
    assert parsed.title == "Consejo Cantonal de Cotacachi, 1"


def test_the_ballot_box_is_not_linked_to_who_voted(world, seated):
    election = selectors.election_of_term(term=seated)

    fields = {f.name for f in Ballot._meta.get_fields()}
    events = AuditEvent.objects.filter(action="ballot.cast")

    assert fields == {"id", "election", "preferences"}
    assert events.count() == 10
    assert all("preferences" not in str(e.after) for e in events)
    assert selectors.roll_of(election=election).filter(has_voted=True).count() == 10


def test_a_civil_vacancy_is_filled_by_a_recount_that_excludes_the_departed(world, seated):
    composition = selectors.composition(term=seated)
    departed = composition.civil[0].mandate  # Persona D, candidate 1
    services.mandate_end(
        actor=world.official, mandate=departed, end_date=date(2026, 9, 1), reason="R", now=NOW
    )

    mandate = services.vacancy_fill_by_recount(
        actor=world.official, seat=departed.seat, start_date=date(2026, 9, 1), now=NOW
    )

    # Without D, D's four ballots go to E (4 votes, elected); F and G keep their seats.
    assert (mandate.person.name, mandate.source) == ("Persona E", Source.RECOUNT)
    assert selectors.composition(term=seated).vacancies == 0
    # The recount sheet is published with the mandate.
    assert mandate.recount_sheet["candidates"] == [2]
    assert mandate.recount_sheet["recount"]["withdrawn"] == [1]
    assert mandate.recount_sheet["recount"]["protected"] == [3, 4]
    assert mandate.recount_sheet["recount"]["elected"] == [2, 3, 4]
    event = AuditEvent.objects.filter(action="seat.recount").get()
    assert (event.after["departed"], event.after["recount"]) == (departed.person_id, [2])


def test_a_civil_seat_the_count_never_filled_cannot_be_recounted(world, term):
    voters = electorate(world, 2)
    election = open_with_candidates(world, term, voters, world.persons[3:5])
    cast(election, voters, [[1], [2]])
    services.election_count(actor=world.official, election=election, seed=1, now=NOW)
    never_filled = selectors.composition(term=term).civil[2]
    assert never_filled.vacant

    refused(
        services.NoCandidateLeft,
        "Este puesto nunca tuvo titular: el escrutinio no dejó candidaturas para él. "
        "Queda vacante.",
        lambda: services.vacancy_fill_by_recount(
            actor=world.official, seat=never_filled.seat, start_date=date(2026, 9, 1), now=NOW
        ),
        field="seat",
    )


def test_a_recount_is_refused_for_a_government_seat_or_a_seat_that_is_not_vacant(world, seated):
    composition = selectors.composition(term=seated)

    refused(
        services.SeatSideMismatch,
        "Una vacante del gobierno se llena con una nueva designación, no con un recuento.",
        lambda: services.vacancy_fill_by_recount(
            actor=world.official,
            seat=composition.government[0].seat,
            start_date=date(2026, 9, 1),
            now=NOW,
        ),
    )
    refused(
        services.SeatNotVacant,
        "El puesto no está vacante.",
        lambda: services.vacancy_fill_by_recount(
            actor=world.official,
            seat=composition.civil[0].seat,
            start_date=date(2026, 9, 1),
            now=NOW,
        ),
    )


def test_a_recount_with_no_candidate_left_keeps_the_seat_vacant(world, term):
    voters = electorate(world, 2)
    election = open_with_candidates(world, term, voters, world.persons[3:4])
    cast(election, voters, [[1], [1]])
    services.election_count(actor=world.official, election=election, seed=1, now=NOW)
    mandate = selectors.composition(term=term).civil[0].mandate
    services.mandate_end(
        actor=world.official, mandate=mandate, end_date=date(2026, 9, 1), reason="R", now=NOW
    )

    refused(
        services.NoCandidateLeft,
        "El recuento no deja ninguna candidatura para este puesto: queda vacante.",
        lambda: services.vacancy_fill_by_recount(
            actor=world.official, seat=mandate.seat, start_date=date(2026, 9, 1), now=NOW
        ),
    )


def test_only_an_eligible_organisations_delegate_nominates(world, term):
    election = services.election_open(actor=world.official, term=term, now=NOW)
    [(org, delegate)] = electorate(world, 1)
    firm = make_organization("Empresa Privada", world.parish, classification="private_firm")
    firm_delegate = make_user("firma", "delegate", organization=firm)
    outside = make_organization("Cooperativa de Ibarra", world.other_canton)
    outside_delegate = make_user("ibarra", "delegate", organization=outside)
    person = world.persons[3]

    refused(
        services.NotDelegate,
        "Solo el delegado o la delegada de Cooperativa 01 puede nominar en su nombre.",
        lambda: services.nomination_create(
            actor=world.official, election=election, organization=org, person=person, now=NOW
        ),
        field="organization",
    )
    for other, its_delegate, name in (
        (firm, firm_delegate, "Empresa Privada"),
        (outside, outside_delegate, "Cooperativa de Ibarra"),
    ):
        refused(
            services.OrganizationNotEligible,
            f"{name} no vota en esta elección: solo las organizaciones de la economía popular y "
            "solidaria registradas en COTACACHI.",
            lambda o=other, d=its_delegate: services.nomination_create(
                actor=d, election=election, organization=o, person=person, now=NOW
            ),
        )
    services.nomination_create(
        actor=delegate, election=election, organization=org, person=person, now=NOW
    )
    refused(
        services.AlreadyNominated,
        "Persona D ya está nominado/a en esta elección.",
        lambda: services.nomination_create(
            actor=delegate, election=election, organization=org, person=person, now=NOW
        ),
    )


def test_a_candidate_accepts_their_own_nomination_and_nobody_else_can(world, term):
    election = services.election_open(actor=world.official, term=term, now=NOW)
    [(org, delegate)] = electorate(world, 1)
    person = world.persons[3]
    nomination = services.nomination_create(
        actor=delegate, election=election, organization=org, person=person, now=NOW
    )
    candidate = make_user("candidata")
    # accounts has no service that links an account to a person yet (see docs/councils.md).
    get_user_model().objects.filter(pk=candidate.pk).update(person=person)
    candidate.refresh_from_db()

    refused(
        services.NotTheCandidate,
        "Solo Persona D, o un funcionario o funcionaria del territorio con su aceptación por "
        "escrito, puede aceptar la nominación.",
        lambda: services.nomination_accept(actor=delegate, nomination=nomination, now=NOW),
    )
    accepted = services.nomination_accept(actor=candidate, nomination=nomination, now=NOW)
    assert accepted.accepted_at == NOW
    refused(
        services.NominationAlreadyAccepted,
        "Esta nominación ya fue aceptada.",
        lambda: services.nomination_accept(actor=candidate, nomination=nomination, now=NOW),
    )


def test_voting_cannot_open_without_candidates_and_nominations_close_when_it_opens(world, term):
    election = services.election_open(actor=world.official, term=term, now=NOW)
    voters = electorate(world, 1)

    refused(
        services.NoCandidates,
        "No hay candidaturas aceptadas: no se puede abrir la votación.",
        lambda: services.election_voting_open(actor=world.official, election=election, now=NOW),
    )
    refused(
        services.ElectionExists,
        "El periodo 1 ya tiene su elección.",
        lambda: services.election_open(actor=world.official, term=term, now=NOW),
    )
    election.delete()  # start over through the helper
    opened = open_with_candidates(world, term, voters, world.persons[3:4])
    refused(
        services.ElectionStateInvalid,
        "Las nominaciones de esta elección están cerradas.",
        lambda: services.nomination_create(
            actor=voters[0][1],
            election=opened,
            organization=voters[0][0],
            person=world.persons[4],
            now=NOW,
        ),
    )


def test_one_ballot_per_organisation_cast_by_its_delegate(world, term):
    voters = electorate(world, 3)
    election = open_with_candidates(world, term, voters, world.persons[3:6])
    (org, delegate), (_org2, delegate2) = voters[0], voters[1]

    refused(
        services.NotDelegate,
        "Solo el delegado o la delegada de Cooperativa 01 puede votar en su nombre.",
        lambda: services.ballot_cast(
            actor=delegate2, election=election, organization=org, preferences=[1], now=NOW
        ),
    )
    services.ballot_cast(
        actor=delegate, election=election, organization=org, preferences=[2, 1], now=NOW
    )
    refused(
        services.AlreadyVoted,
        "Cooperativa 01 ya votó: cada organización emite una sola papeleta.",
        lambda: services.ballot_cast(
            actor=delegate, election=election, organization=org, preferences=[1], now=NOW
        ),
    )
    late = make_organization("Cooperativa Tardía", world.parish)
    late_delegate = make_user("tardia", "delegate", organization=late)
    refused(
        services.NotOnRoll,
        "Cooperativa Tardía no está en el padrón de esta elección.",
        lambda: services.ballot_cast(
            actor=late_delegate, election=election, organization=late, preferences=[1], now=NOW
        ),
    )
    assert selectors.ballots_of(election=election) == [[2, 1]]


@pytest.mark.parametrize(
    ("preferences", "message", "field"),
    [
        ([], "La papeleta debe ordenar al menos una candidatura.", "preferences"),
        ([1, 4], "Preferencia 2: «4» no es una candidatura (1 a 3).", "preferences.2"),
        ([2, 1, 2], "Preferencia 3: esa candidatura ya está en la preferencia 1.", "preferences.3"),
        (["1"], "Preferencia 1: «1» no es una candidatura (1 a 3).", "preferences.1"),
        ([1, 2, 3, 1], "La papeleta ordena 4 preferencias pero hay 3 candidaturas.", "preferences"),
    ],
)
def test_a_malformed_ballot_is_refused_naming_the_rank(world, term, preferences, message, field):
    voters = electorate(world, 1)
    election = open_with_candidates(world, term, voters, world.persons[3:6])
    org, delegate = voters[0]

    refused(
        services.BallotInvalid,
        message,
        lambda: services.ballot_cast(
            actor=delegate, election=election, organization=org, preferences=preferences, now=NOW
        ),
        field=field,
    )


def test_an_election_without_ballots_is_not_counted(world, term):
    voters = electorate(world, 1)
    election = open_with_candidates(world, term, voters, world.persons[3:6])

    refused(
        services.NoBallots,
        "No se ha emitido ninguna papeleta: no hay nada que escrutar.",
        lambda: services.election_count(actor=world.official, election=election, now=NOW),
    )
    refused(
        services.InvalidInput,
        "La semilla debe ser un entero entre 0 y 2147483647.",
        lambda: services.election_count(actor=world.official, election=election, seed=-1, now=NOW),
        field="seed",
    )


# --- meetings, motions, decisions -------------------------------------------------------------


def meeting(world, council, title="Sesión ordinaria", agenda=("Prioridades",)):
    return services.meeting_create(
        actor=world.official,
        council=council,
        title=title,
        starts_at=datetime(2026, 10, 5, 15, 0, tzinfo=NOW.tzinfo),
        place="Casa comunal",
        agenda=list(agenda),
        now=NOW,
    )


def present(term, government: int, civil: int) -> list[Mandate]:
    comp = selectors.composition(term=term)
    rows = comp.government[:government] + comp.civil[:civil]
    return [r.mandate for r in rows if r.mandate is not None]


def test_a_meeting_outside_every_term_is_refused(world, council, term):
    refused(
        services.NoTermAtDate,
        "El consejo no tiene un periodo en curso el 2030-01-01.",
        lambda: services.meeting_create(
            actor=world.official,
            council=council,
            title="Sesión",
            starts_at=datetime(2030, 1, 1, 10, 0, tzinfo=NOW.tzinfo),
            now=NOW,
        ),
        field="starts_at",
    )


def test_a_meeting_reaches_quorum_and_a_motion_passes_by_simple_majority(world, council, seated):
    m = meeting(world, council)
    members = present(seated, 2, 2)
    services.meeting_attendance_record(actor=world.official, meeting=m, present=members, now=NOW)
    motion = services.motion_create(
        actor=world.official, meeting=m, title="Priorizar el cuidado infantil", now=NOW
    )

    closed = services.motion_votes_record(
        actor=world.official,
        motion=motion,
        votes={
            members[0].pk: "yes",
            members[1].pk: "yes",
            members[2].pk: "no",
            members[3].pk: "abstain",
        },
        now=NOW,
    )

    assert selectors.meeting_quorum(meeting=m).reached is True
    assert closed.outcome == MotionOutcome.PASSED
    assert [(v.mandate.person.name, v.choice) for v in selectors.votes_of(motion=closed)] == [
        ("Persona D", "no"),
        ("Persona F", "abstain"),
        ("Persona A", "yes"),
        ("Persona B", "yes"),
    ]


def test_without_half_of_each_sides_seats_there_is_no_quorum_and_no_vote(world, council, seated):
    m = meeting(world, council)
    members = present(seated, 3, 1)  # 4 of 6, but only 1 of 3 civil seats
    services.meeting_attendance_record(actor=world.official, meeting=m, present=members, now=NOW)
    motion = services.motion_create(actor=world.official, meeting=m, title="Moción", now=NOW)

    refused(
        services.NoQuorum,
        "No hay quórum: 4 de 6 puestos presentes (gobierno 3, sociedad civil 1). Se requiere "
        "más de la mitad, con al menos la mitad de cada lado.",
        lambda: services.motion_votes_record(
            actor=world.official, motion=motion, votes={members[0].pk: "yes"}, now=NOW
        ),
        field="votes",
    )


def test_while_civil_seats_are_vacant_they_still_count_towards_the_quorum(world, council, seated):
    for row in selectors.composition(term=seated).civil[:2]:
        services.mandate_end(
            actor=world.official,
            mandate=row.mandate,
            end_date=date(2026, 9, 1),
            reason="R",
            now=NOW,
        )
    m = meeting(world, council)
    members = present(seated, 3, 3)  # every member still sitting: 3 government, 1 civil
    services.meeting_attendance_record(actor=world.official, meeting=m, present=members, now=NOW)
    motion = services.motion_create(actor=world.official, meeting=m, title="Moción", now=NOW)

    quorum = selectors.meeting_quorum(meeting=m)

    assert (quorum.seats_total, quorum.present_by_side) == (6, {"government": 3, "civil": 1})
    assert (quorum.reached, quorum.reasons) == (False, ["civil"])
    refused(
        services.NoQuorum,
        "No hay quórum: 4 de 6 puestos presentes (gobierno 3, sociedad civil 1). Se requiere "
        "más de la mitad, con al menos la mitad de cada lado.",
        lambda: services.motion_votes_record(
            actor=world.official, motion=motion, votes={members[0].pk: "yes"}, now=NOW
        ),
        field="votes",
    )


def test_a_double_majority_needs_a_majority_on_each_side(world, seated):
    council = make_council(world, name="Junta del programa de cuidados", majority_rule="double")
    services.term_create(actor=world.official, council=council, start_date=TERM_START, now=NOW)
    term = selectors.term_last(council=council)
    designate_government(world, term, world.persons[:3])
    voters = electorate(world, 0) or [(make_organization("Coop X", world.parish), None)]
    org = voters[0][0]
    delegate = make_user("delegadox", "delegate", organization=org)
    election = services.election_open(actor=world.official, term=term, now=NOW)
    for person in world.persons[3:6]:
        n = services.nomination_create(
            actor=delegate, election=election, organization=org, person=person, now=NOW
        )
        services.nomination_accept(actor=world.official, nomination=n, now=NOW)
    services.election_voting_open(actor=world.official, election=election, now=NOW)
    services.ballot_cast(
        actor=delegate, election=election, organization=org, preferences=[1, 2, 3], now=NOW
    )
    services.election_count(actor=world.official, election=election, seed=3, now=NOW)
    m = meeting(world, council)
    members = present(term, 2, 2)
    services.meeting_attendance_record(actor=world.official, meeting=m, present=members, now=NOW)
    motion = services.motion_create(actor=world.official, meeting=m, title="Moción", now=NOW)

    closed = services.motion_votes_record(
        actor=world.official,
        motion=motion,
        votes={
            members[0].pk: "yes",
            members[1].pk: "yes",
            members[2].pk: "yes",
            members[3].pk: "no",
        },
        now=NOW,
    )

    # 3 to 1 overall, but 1 to 1 on the civil side: no majority there.
    assert closed.outcome == MotionOutcome.REJECTED


def test_votes_are_refused_from_absent_members_unknown_choices_and_on_closed_motions(
    world, council, seated
):
    m = meeting(world, council)
    members = present(seated, 2, 2)
    absent = present(seated, 3, 3)[2]
    services.meeting_attendance_record(actor=world.official, meeting=m, present=members, now=NOW)
    motion = services.motion_create(actor=world.official, meeting=m, title="Moción", now=NOW)

    refused(
        services.VoteInvalid,
        f"Solo votan los miembros presentes (mandato {absent.pk}).",
        lambda: services.motion_votes_record(
            actor=world.official, motion=motion, votes={absent.pk: "yes"}, now=NOW
        ),
        field=f"votes.{absent.pk}",
    )
    refused(
        services.VoteInvalid,
        "Persona A: voto desconocido «quizás» (a favor, en contra o abstención).",
        lambda: services.motion_votes_record(
            actor=world.official, motion=motion, votes={members[0].pk: "quizás"}, now=NOW
        ),
    )
    services.motion_votes_record(
        actor=world.official, motion=motion, votes={members[0].pk: "yes"}, now=NOW
    )
    refused(
        services.MotionClosed,
        "La votación de esta moción ya se cerró.",
        lambda: services.motion_votes_record(
            actor=world.official, motion=motion, votes={members[1].pk: "yes"}, now=NOW
        ),
    )
    refused(
        services.AttendanceLocked,
        "Ya hay votos registrados en esta sesión: la asistencia no puede cambiar.",
        lambda: services.meeting_attendance_record(
            actor=world.official, meeting=m, present=members[:1], now=NOW
        ),
    )


def test_attendance_of_someone_who_is_not_a_member_on_the_day_is_refused(world, council, seated):
    m = meeting(world, council)
    gone = present(seated, 1, 0)[0]
    services.mandate_end(
        actor=world.official, mandate=gone, end_date=date(2026, 9, 1), reason="R", now=NOW
    )
    gone.refresh_from_db()

    refused(
        services.AttendanceInvalid,
        "Persona A no es miembro del consejo en la fecha de la sesión.",
        lambda: services.meeting_attendance_record(
            actor=world.official, meeting=m, present=[gone], now=NOW
        ),
    )


def test_a_passed_motion_is_published_as_a_priority_need_of_a_territory(world, council, seated):
    m = meeting(world, council)
    members = present(seated, 2, 2)
    services.meeting_attendance_record(actor=world.official, meeting=m, present=members, now=NOW)
    motion = services.motion_create(actor=world.official, meeting=m, title="Agua", now=NOW)
    services.motion_votes_record(
        actor=world.official, motion=motion, votes={x.pk: "yes" for x in members}, now=NOW
    )

    refused(
        services.DecisionInvalid,
        "Una necesidad prioritaria lleva una categoría de servicio.",
        lambda: services.decision_publish(
            actor=world.official,
            motion=motion,
            text="Agua potable para Apuela",
            is_priority_need=True,
            territory=world.parish,
            now=NOW,
        ),
        field="service_category",
    )
    refused(
        services.DecisionInvalid,
        "El territorio debe ser COTACACHI o estar dentro de él.",
        lambda: services.decision_publish(
            actor=world.official,
            motion=motion,
            text="Agua potable",
            is_priority_need=True,
            service_category="water",
            territory=world.other_canton,
            now=NOW,
        ),
        field="territory",
    )
    decision = services.decision_publish(
        actor=world.official,
        motion=motion,
        text="Agua potable para Apuela",
        is_priority_need=True,
        service_category="water",
        territory=world.parish,
        now=NOW,
    )

    assert list(selectors.priority_needs(territory=world.canton)) == [decision]
    assert list(selectors.priority_needs(territory=world.other_canton)) == []
    refused(
        services.DecisionExists,
        "Esta moción ya tiene su decisión publicada.",
        lambda: services.decision_publish(
            actor=world.official, motion=motion, text="Otra", now=NOW
        ),
    )


def test_a_rejected_motion_publishes_no_decision_and_minutes_are_published(world, council, seated):
    m = meeting(world, council)
    members = present(seated, 2, 2)
    services.meeting_attendance_record(actor=world.official, meeting=m, present=members, now=NOW)
    motion = services.motion_create(actor=world.official, meeting=m, title="No", now=NOW)
    services.motion_votes_record(
        actor=world.official, motion=motion, votes={x.pk: "no" for x in members}, now=NOW
    )

    refused(
        services.MotionNotPassed,
        "Solo una moción aprobada produce una decisión.",
        lambda: services.decision_publish(actor=world.official, motion=motion, text="X", now=NOW),
    )
    refused(
        services.InvalidInput,
        "El acta es obligatorio.",
        lambda: services.meeting_minutes_publish(
            actor=world.official, meeting=m, minutes=" ", now=NOW
        ),
        field="minutes",
    )
    published = services.meeting_minutes_publish(
        actor=world.official, meeting=m, minutes="Se rechazó la moción.", now=NOW + timedelta(1)
    )
    assert published.minutes_published_at == NOW + timedelta(1)


# --- one seat per person per term, across designation and election ------------------------------


def test_a_person_sitting_in_the_term_can_neither_be_nominated_nor_accept_a_candidacy(world, term):
    [mandate] = designate_government(world, term, world.persons[:1])  # Persona A
    voters = electorate(world, 1)
    org, delegate = voters[0]
    election = services.election_open(actor=world.official, term=term, now=NOW)
    nomination = services.nomination_create(
        actor=delegate, election=election, organization=org, person=world.persons[1], now=NOW
    )
    services.seat_designate(
        actor=world.official,
        seat=term.seats.get(side=Side.GOVERNMENT, number=2),
        person=world.persons[1],  # Persona B, designated after her nomination
        start_date=TERM_START,
        now=NOW,
    )

    refused(
        services.PersonAlreadySeated,
        "Persona A ya ocupa un puesto en el periodo 1: no puede ser candidato/a a un puesto de "
        "la sociedad civil.",
        lambda: services.nomination_create(
            actor=delegate, election=election, organization=org, person=mandate.person, now=NOW
        ),
        field="person",
    )
    refused(
        services.PersonAlreadySeated,
        "Persona B ya ocupa un puesto en el periodo 1: no puede ser candidato/a a un puesto de "
        "la sociedad civil.",
        lambda: services.nomination_accept(actor=world.official, nomination=nomination, now=NOW),
        field="person",
    )


def test_a_candidate_of_an_election_not_yet_counted_cannot_be_designated(world, term):
    voters = electorate(world, 4)
    election = open_with_candidates(world, term, voters, world.persons[3:7])  # D, E, F, G
    seat = term.seats.get(side=Side.GOVERNMENT, number=1)

    refused(
        services.PersonAlreadySeated,
        "Persona D es candidato/a a un puesto de la sociedad civil en la elección del periodo 1, "
        "que aún no se ha escrutado.",
        lambda: services.seat_designate(
            actor=world.official, seat=seat, person=world.persons[3], start_date=TERM_START, now=NOW
        ),
        field="person",
    )

    # Once counted, a candidate who was not elected (E, with no vote) may be designated.
    cast(election, voters, [[1], [1], [3], [4]])
    services.election_count(actor=world.official, election=election, seed=1, now=NOW)
    mandate = services.seat_designate(
        actor=world.official, seat=seat, person=world.persons[4], start_date=TERM_START, now=NOW
    )
    assert (mandate.person.name, mandate.side) == ("Persona E", Side.GOVERNMENT)


def test_a_recount_passes_over_a_candidate_designated_to_a_government_seat_since_the_count(
    world, term
):
    # Four cooperatives, candidates D=1, E=2, F=3, G=4: D, F and G are elected, E is next.
    designate_government(world, term, world.persons[:2])
    voters = electorate(world, 4)
    election = open_with_candidates(world, term, voters, world.persons[3:7])
    cast(election, voters, [[1, 2], [1, 2], [3], [4]])
    services.election_count(actor=world.official, election=election, seed=7, now=NOW)
    services.seat_designate(
        actor=world.official,
        seat=term.seats.get(side=Side.GOVERNMENT, number=3),
        person=world.persons[4],  # Persona E, not elected, now designated by the government
        start_date=TERM_START,
        now=NOW,
    )
    departed = Mandate.objects.get(term=term, person=world.persons[3])  # Persona D
    services.mandate_end(
        actor=world.official, mandate=departed, end_date=date(2026, 9, 1), reason="R", now=NOW
    )

    plan = selectors.vacancy_recount(seat=departed.seat)

    # Without D and E, D's ballots have no one left: nobody can take the seat.
    assert (plan.problem, plan.person) == ("no_candidate", None)
    assert plan.result is not None
    assert plan.result.recount.withdrawn == (1, 2)
    refused(
        services.NoCandidateLeft,
        "El recuento no deja ninguna candidatura para este puesto: queda vacante.",
        lambda: services.vacancy_fill_by_recount(
            actor=world.official, seat=departed.seat, start_date=date(2026, 9, 1), now=NOW
        ),
        field="seat",
    )
