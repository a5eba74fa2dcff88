from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minga.councils import selectors
from minga.councils.models import QuorumRule

from .conftest import make_organization

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("government", "civil", "reached"),
    [
        (2, 2, True),  # 4 of 6, 2 of 3 on each side
        (3, 1, False),  # 4 of 6, but one side below half
        (2, 1, False),  # 3 of 6 is not more than half
        (3, 2, True),
        (0, 3, False),
    ],
)
def test_the_default_quorum_needs_a_majority_and_half_of_each_side(government, civil, reached):
    quorum = selectors.quorum_evaluate(
        rule=QuorumRule.PARITY,
        seats_per_side=3,
        present_by_side={"government": government, "civil": civil},
    )

    assert quorum.reached is reached


def test_the_majority_quorum_ignores_sides():
    quorum = selectors.quorum_evaluate(
        rule=QuorumRule.MAJORITY, seats_per_side=3, present_by_side={"government": 3, "civil": 1}
    )

    assert quorum.reached is True


@given(
    seats=st.integers(min_value=1, max_value=20),
    data=st.data(),
)
def test_under_the_parity_quorum_neither_side_can_decide_alone(seats, data):
    government = data.draw(st.integers(min_value=0, max_value=seats))
    civil = data.draw(st.integers(min_value=0, max_value=seats))

    quorum = selectors.quorum_evaluate(
        rule=QuorumRule.PARITY,
        seats_per_side=seats,
        present_by_side={"government": government, "civil": civil},
    )

    assert quorum.reached == (
        2 * (government + civil) > 2 * seats and 2 * government >= seats and 2 * civil >= seats
    )
    if government == 0 or civil == 0:
        assert not quorum.reached


def test_a_simple_majority_counts_yes_against_no_and_a_double_one_does_so_on_each_side():
    tally = selectors.tally_votes(
        [
            ("government", "yes"),
            ("government", "yes"),
            ("civil", "yes"),
            ("civil", "no"),
            ("civil", "abstain"),
        ]
    )

    assert selectors.motion_outcome(majority_rule="simple", tally=tally) == "passed"
    assert selectors.motion_outcome(majority_rule="double", tally=tally) == "rejected"


def test_the_electorate_is_the_solidarity_economy_of_the_territory_and_below(world, council):
    coop = make_organization("Cooperativa Apuela", world.parish)
    make_organization("Empresa", world.parish, classification="private_firm")
    make_organization("Cooperativa Ibarra", world.other_canton)
    community = make_organization("Comuna", world.canton, classification="community")

    eligible = selectors.organizations_eligible(council=council, on=date(2026, 3, 1))

    assert sorted(o.name for o in eligible) == sorted([coop.name, community.name])


def test_open_data_rows_list_councils_and_their_terms(world, council, term):
    [row] = list(selectors.council_rows())
    terms = list(selectors.term_rows())

    assert row["territory_code"] == "1003"
    assert terms == [
        {
            "council_id": council.pk,
            "council": council.name,
            "term": 1,
            "start_date": "2026-01-01",
            "end_date": "2028-01-01",
            "chair_side": "government",
            "government_seats": 3,
            "civil_seats": 3,
        }
    ]
    assert selectors.popolo_document()["posts"][0]["end_date"] == "2027-12-31"
