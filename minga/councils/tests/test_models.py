"""The database says the rules a second time: writes that bypass the services still cannot
break parity, fill a seat twice or put both officers on one side."""

from datetime import date

import pytest
from django.db import IntegrityError, transaction

from minga.councils import selectors
from minga.councils.models import Council, Mandate, Office, Side, Source, Term

from .conftest import NOW
from .helpers import designate_government

pytestmark = pytest.mark.django_db


def raw_fails(call) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        call()


def test_the_database_refuses_a_council_out_of_parity(world):
    raw_fails(
        lambda: Council.objects.create(
            name="X",
            territory=world.canton,
            government_seats=3,
            civil_seats=2,
            first_chair_side=Side.GOVERNMENT,
            term_length_months=24,
            quorum_rule="parity",
            majority_rule="simple",
            created_at=NOW,
            updated_at=NOW,
        )
    )


def test_the_database_refuses_a_term_out_of_parity_or_backwards(council):
    base = {"council": council, "chair_side": Side.GOVERNMENT, "created_at": NOW}

    raw_fails(
        lambda: Term.objects.create(
            number=1,
            start_date=date(2026, 1, 1),
            end_date=date(2028, 1, 1),
            government_seats=3,
            civil_seats=4,
            **base,
        )
    )
    raw_fails(
        lambda: Term.objects.create(
            number=1,
            start_date=date(2026, 1, 1),
            end_date=date(2025, 1, 1),
            government_seats=3,
            civil_seats=3,
            **base,
        )
    )


def test_the_database_refuses_a_seat_filled_twice(world, term):
    [mandate] = designate_government(world, term, world.persons[:1])

    raw_fails(
        lambda: Mandate.objects.create(
            seat=mandate.seat,
            term=term,
            side=Side.GOVERNMENT,
            person=world.persons[5],
            source=Source.DESIGNATION,
            start_date=term.start_date,
            created_at=NOW,
        )
    )


def test_the_database_refuses_two_officers_on_one_side(world, term):
    a, b = designate_government(world, term, world.persons[:2])
    Mandate.objects.filter(pk=a.pk).update(office=Office.CHAIR)

    raw_fails(lambda: Mandate.objects.filter(pk=b.pk).update(office=Office.VICE_CHAIR))


def test_the_database_refuses_an_elected_government_seat(world, term):
    seat = term.seats.get(side=Side.GOVERNMENT, number=1)

    raw_fails(
        lambda: Mandate.objects.create(
            seat=seat,
            term=term,
            side=Side.GOVERNMENT,
            person=world.persons[0],
            source=Source.ELECTION,
            start_date=term.start_date,
            created_at=NOW,
        )
    )
    assert selectors.mandate_open_of_seat(seat=seat) is None
