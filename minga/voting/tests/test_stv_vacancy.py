"""Filling a vacancy by recounting the stored ballots (docs/stv.md, "Vacancies")."""

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minga.voting.blt import Ballot, Election, parse_blt, read_blt
from minga.voting.stv import SCALE, StvError, VacancyError, count, fill_vacancy

CASES = Path(__file__).parent / "stv_cases"


def test_the_departed_members_papers_decide_who_fills_the_seat():
    # two_surpluses elected Ana, Bruno and Diego. Ana leaves. The recount treats her as
    # withdrawn: her 15 "Ana Carla" papers count for Carla from the start.
    # 40 valid ballots, 3 seats: quota 11. Stage 1: Bruno 12, Carla 20, Diego 4, Elena 4.
    # Bruno (holding) and Carla reach the quota; Carla fills the one open seat, so Diego,
    # who holds his seat, is deemed elected without a further transfer.
    election = read_blt(CASES / "two_surpluses.blt")

    vacancy = fill_vacancy(election, departed=1, holding=[2, 4], seed=0)

    assert vacancy.candidate == 3
    assert vacancy.candidates == (3,)
    recount = vacancy.recount
    assert recount.withdrawn == (1,)
    assert recount.protected == (2, 4)
    assert recount.quota == 11 * SCALE
    assert recount.stages[0].votes == {2: 12 * SCALE, 3: 20 * SCALE, 4: 4 * SCALE, 5: 4 * SCALE}
    assert recount.stages[0].elected == (3, 2)
    assert recount.stages[0].deemed_elected == (4,)
    assert len(recount.stages) == 1


def test_a_member_holding_a_seat_is_never_excluded_in_the_recount():
    # food elected Chocolate, Orange, Strawberry. Orange leaves; Chocolate and Strawberry hold.
    # Without Orange, 4 papers are blank: 16 valid, quota floor(16/4) + 1 = 5.
    # Stage 1: Chocolate 12 (elected), Pear 2, Strawberry 1, Hamburger 1.
    # Stage 2: Chocolate's surplus 7/12 = 0.58333: Strawberry + 8 x 0.58333 = 4.66664 (5.66664,
    #   elected), Hamburger + 4 x 0.58333 = 2.33332 (3.33332).
    # Stage 3: Strawberry's surplus has nowhere to go. Stage 4: of the candidates who may be
    #   excluded, Pear (2) is lowest (Strawberry, holding a seat, may not be); Hamburger is then
    #   the only one left for the open seat.
    election = read_blt(CASES / "food.blt")

    vacancy = fill_vacancy(election, departed=1, holding=[2, 4], seed=0)

    recount = vacancy.recount
    assert (recount.valid_ballots, recount.invalid_ballots, recount.quota) == (16, 4, 5 * SCALE)
    assert recount.stages[1].votes[4] == 566664
    assert recount.stages[1].votes[5] == 333332
    assert [(s.action, s.candidate) for s in recount.stages] == [
        ("first preferences", None),
        ("surplus", 2),
        ("surplus", 4),
        ("exclusion", 3),
    ]
    assert recount.stages[3].deemed_elected == (5,)
    assert vacancy.candidates == (5,)


def test_more_candidates_over_the_quota_than_open_seats_leaves_the_highest():
    # Ana and Bruno hold seats; Elena left. Her 3 "Elena Diego" papers go to Diego: 11.
    # 23 valid, 3 seats: quota 6. Carla 10 and Diego 11 both reach it, but one seat is open:
    # Diego, with more votes, fills it; Ana and Bruno keep theirs.
    election = parse_blt(
        '5 3\n1 1 0\n1 2 0\n10 3 0\n8 4 0\n3 5 4 0\n0\n"A"\n"B"\n"C"\n"D"\n"E"\n"t"\n'
    )

    vacancy = fill_vacancy(election, departed=5, holding=[1, 2], seed=0)

    assert vacancy.candidates == (4,)
    assert vacancy.recount.stages[0].elected == (4,)
    assert vacancy.recount.stages[0].deemed_elected == (1, 2)
    assert vacancy.recount.elected == (4, 1, 2)


def test_candidates_who_are_unavailable_are_passed_over():
    election = read_blt(CASES / "two_surpluses.blt")

    vacancy = fill_vacancy(election, departed=1, holding=[2, 4], unavailable=[3], seed=0)

    # Without Ana and Carla the 20 "Ana Carla" and "Carla" papers are blank; Elena is the
    # only candidate left for the open seat.
    assert vacancy.recount.withdrawn == (1, 3)
    assert vacancy.candidates == (5,)


def test_a_vacancy_with_nobody_left_to_fill_it_reports_no_candidate():
    election = parse_blt('2 2\n3 1 0\n2 2 0\n0\n"A"\n"B"\n"t"\n')

    vacancy = fill_vacancy(election, departed=1, holding=[2], seed=0)

    assert vacancy.candidate is None
    assert vacancy.candidates == ()
    assert vacancy.recount.elected == (2,)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"departed": 9, "holding": [2]}, "departed: candidate 9 does not exist"),
        ({"departed": 3, "holding": [2]}, "departed: candidate 3 withdrew before the count"),
        ({"departed": 1, "holding": [2, 7]}, "holding: candidate 7 does not exist"),
        ({"departed": 1, "holding": [2, 2]}, "holding: a candidate is listed twice"),
        ({"departed": 1, "holding": [3]}, "holding: candidate 3 withdrew before the count"),
        ({"departed": 1, "holding": [1]},
         "holding: candidate 1 cannot both hold a seat and be gone"),
        (
            {"departed": 1, "holding": [2], "unavailable": [2]},
            "holding: candidate 2 cannot both hold a seat and be gone",
        ),
        ({"departed": 1, "holding": [2], "unavailable": [0]},
         "unavailable: candidate 0 does not exist"),
        (
            {"departed": 1, "holding": [2, 4, 5]},
            "holding: 3 members hold seats, so none of the 3 seats is vacant",
        ),
    ],
)  # fmt: skip
def test_an_inconsistent_vacancy_is_refused_naming_the_argument(arguments, message):
    election = read_blt(CASES / "withdrawn.blt")

    with pytest.raises(VacancyError) as raised:
        fill_vacancy(election, seed=0, **arguments)

    assert str(raised.value) == message


@st.composite
def elected_councils(draw):
    n = draw(st.integers(2, 7))
    ranking = st.permutations(range(1, n + 1)).flatmap(
        lambda order: st.integers(1, n).map(lambda k: tuple(order[:k]))
    )
    ballots = draw(
        st.lists(st.builds(Ballot, st.integers(1, 30), ranking), min_size=1, max_size=20)
    )
    election = Election(
        candidates=tuple(f"C{c}" for c in range(1, n + 1)),
        seats=draw(st.integers(1, n - 1)),
        ballots=tuple(ballots),
    )
    elected = count(election, seed=0).elected
    departed = draw(st.sampled_from(elected))
    return election, departed, [c for c in elected if c != departed]


@settings(max_examples=100, deadline=None)
@given(elected_councils(), st.integers(0, 1000))
def test_a_recount_keeps_every_holder_and_fills_the_vacancy_when_it_can(council, seed):
    election, departed, holding = council
    others = set(election.numbers) - {departed, *holding}
    if not any(set(b.preferences) - {departed} for b in election.ballots):
        # Only the departed member was ever marked: there is nothing to recount.
        with pytest.raises(StvError, match=r"^ballots: there is no valid ballot to count$"):
            fill_vacancy(election, departed=departed, holding=holding, seed=seed)
        return

    vacancy = fill_vacancy(election, departed=departed, holding=holding, seed=seed)

    assert set(holding) <= set(vacancy.recount.elected)
    assert departed not in vacancy.recount.elected
    assert set(vacancy.candidates) <= others
    assert len(vacancy.candidates) == (1 if others else 0)
    assert fill_vacancy(election, departed=departed, holding=holding, seed=seed) == vacancy
