"""The Scottish STV count (SSI 2007/42, Schedule 1, rules 45-52), checked by hand, against an
independent implementation, and by hypothesis against the invariants of the rules.

Vote figures in the code are integers in units of 1/100,000 of a vote; `v("2.18176")` turns the
count-sheet figure into those units so the expected values read like a count sheet."""

import hashlib
import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minga.voting.blt import Ballot, Election, parse_blt, read_blt
from minga.voting.stv import (
    SCALE,
    StvError,
    TieBreak,
    Transfer,
    count,
    draw_lot,
    format_votes,
)

CASES = Path(__file__).parent / "stv_cases"


def v(figure: str) -> int:
    units = Decimal(figure) * SCALE
    assert units == int(units)
    return int(units)


def case(name: str) -> Election:
    return read_blt(CASES / f"{name}.blt")


def test_vote_figures_are_printed_with_five_exact_decimals():
    assert [format_votes(u) for u in (0, 1, 218176, 1_100_000, -27272)] == [
        "0.00000",
        "0.00001",
        "2.18176",
        "11.00000",
        "-0.27272",
    ]


def test_the_wikipedia_food_election_elects_chocolate_orange_and_strawberry():
    # 20 ballots, 3 seats: quota = floor(20 / 4) + 1 = 6.
    # Stage 1: Orange 4, Chocolate 12, Pear 2, Strawberry 1, Hamburger 1; Chocolate elected.
    # Stage 2: Chocolate's surplus 6 over 12 papers: transfer value 6/12 = 0.5; 8 papers go on
    #          to Strawberry (+4 -> 5) and 4 to Hamburger (+2 -> 3).
    # Stage 3: Pear (2) is excluded; her 2 papers go to Orange, who reaches 6 = quota.
    # Stage 4: one seat, Strawberry 5 and Hamburger 3: Hamburger is excluded, his 3 votes
    #          have no further preference; Strawberry is the only one left (rule 52).
    result = count(case("food"), seed=0)

    assert result.quota == v("6")
    assert result.elected == (2, 1, 4)
    assert result.excluded == (3, 5)
    assert [(s.action, s.candidate) for s in result.stages] == [
        ("first preferences", None),
        ("surplus", 2),
        ("exclusion", 3),
        ("exclusion", 5),
    ]
    assert result.stages[1].transfer_values == (Transfer(v("1"), v("0.5"), 12),)
    assert result.stages[1].transfers == {2: -v("6"), 4: v("4"), 5: v("2")}
    assert result.stages[2].elected == (1,)
    assert result.stages[3].deemed_elected == (4,)
    assert result.stages[3].non_transferable == v("3")
    assert result.stages[3].votes == {1: v("6"), 2: v("6"), 3: 0, 4: v("5"), 5: 0}


def test_a_transfer_value_is_cut_to_five_decimals_and_the_remainder_ignored():
    # 21 ballots, 2 seats: quota = floor(21 / 3) + 1 = 8. Ana has 11 first preferences:
    # 8 "Ana Bruno", 2 "Ana Carla", 1 "Ana".
    # Stage 2: surplus 3, transfer value 3 x 1 / 11 = 0.272727... -> 0.27272 (rule 48(3)).
    #   Bruno  + 8 x 0.27272 = 2.18176  -> 4 + 2.18176 = 6.18176
    #   Carla  + 2 x 0.27272 = 0.54544  -> 3 + 0.54544 = 3.54544
    #   non-transferable 1 x 0.27272 = 0.27272
    #   lost to truncation 3 - 2.18176 - 0.54544 - 0.27272 = 0.00008
    # Stage 3: Diego (3) excluded, his 3 papers go to Carla: 6.54544.
    # Stage 4: Bruno (6.18176) excluded; all his papers end with him: non-transferable
    #   6.18176; Carla is the only continuing candidate for the last seat (rule 52).
    result = count(case("truncation"), seed=0)

    surplus = result.stages[1]
    assert surplus.transfer_values == (Transfer(v("1"), v("0.27272"), 11),)
    assert surplus.transfers == {1: -v("3"), 2: v("2.18176"), 3: v("0.54544")}
    assert surplus.non_transferable == v("0.27272")
    assert surplus.truncation_loss == v("0.00008")
    assert surplus.votes == {1: v("8"), 2: v("6.18176"), 3: v("3.54544"), 4: v("3")}
    assert result.stages[2].votes[3] == v("6.54544")
    assert result.stages[3].non_transferable == v("6.18176")
    assert result.elected == (1, 3)


def test_the_largest_surplus_goes_first_and_truncation_can_decide_the_last_seat():
    # 40 ballots, 3 seats: quota 11. Ana 15 (all "Ana Carla"), Bruno 12 ("Bruno Diego"),
    # Carla 5, Diego 4, Elena 4 ("Elena Diego").
    # Stage 2: Ana's surplus 4 is larger than Bruno's 1 (rule 49(1)): 4/15 = 0.26666;
    #   Carla + 15 x 0.26666 = 3.99990 -> 8.99990; lost 0.00010.
    # Stage 3: Bruno's surplus 1: 1/12 = 0.08333; Diego + 12 x 0.08333 = 0.99996 -> 4.99996.
    # Stage 4: Elena (4) excluded, Diego + 4 -> 8.99996.
    # Stage 5: Carla 8.99990 < Diego 8.99996: Carla is excluded and Diego takes the last seat.
    result = count(case("two_surpluses"), seed=0)

    assert [(s.action, s.candidate) for s in result.stages[1:]] == [
        ("surplus", 1),
        ("surplus", 2),
        ("exclusion", 5),
        ("exclusion", 3),
    ]
    assert result.stages[1].votes[3] == v("8.99990")
    assert result.stages[1].truncation_loss == v("0.00010")
    assert result.stages[2].votes[4] == v("4.99996")
    assert result.stages[3].votes == {
        1: v("11"),
        2: v("11"),
        3: v("8.99990"),
        4: v("8.99996"),
        5: 0,
    }
    assert result.elected == (1, 2, 4)


def test_equal_surpluses_go_in_order_of_an_earlier_stage_and_each_paper_keeps_its_value():
    # 50 ballots, 4 seats: quota floor(50/5) + 1 = 11.
    # Stage 1: Ana 20 ("Ana Bruno"), Bruno 4 ("Bruno Elena"), Carla 13 ("Carla Elena"),
    #   Diego 7, Elena 6. Ana and Carla elected.
    # Stage 2: Ana's surplus 9 (the largest): 9/20 = 0.45; Bruno + 20 x 0.45 = 9 -> 13, elected.
    # Stage 3: Carla and Bruno both have 13 (surplus 2). At stage 1 Carla had 13 and Bruno 4,
    #   so Carla's goes first (rule 49(2)): 2/13 = 0.15384; Elena + 13 x 0.15384 = 1.99992.
    # Stage 4: Bruno holds 4 papers of value 1 and 20 of value 0.45 (rule 48(4)):
    #   value 1:    2 x 1 / 13    = 0.15384 -> Elena + 4 x 0.15384 = 0.61536 (8.61528)
    #   value 0.45: 2 x 0.45 / 13 = 0.06923 -> 20 papers with no next preference: 1.38460
    #   lost: 2 - 0.61536 - 1.38460 = 0.00004
    # Stage 5: Diego (7) excluded, Elena takes the last seat.
    result = count(case("mixed_values"), seed=0)

    assert result.stages[2].candidate == 3
    assert result.stages[2].tie_break == TieBreak((2, 3), 3, "earlier stage", stage=1)
    bruno = result.stages[3]
    assert bruno.transfer_values == (
        Transfer(v("1"), v("0.15384"), 4),
        Transfer(v("0.45"), v("0.06923"), 20),
    )
    assert bruno.transfers == {2: -v("2"), 5: v("0.61536")}
    assert bruno.non_transferable == v("1.38460")
    assert bruno.truncation_loss == v("0.00004")
    assert bruno.votes[5] == v("8.61528")
    assert result.elected == (1, 3, 2, 5)


def test_an_exclusion_tie_is_broken_by_the_most_recent_stage_at_which_votes_differed():
    # 14 ballots, 1 seat: quota 8. Stage 1: Ana 6, Bruno 3, Carla 4, Diego 1.
    # Stage 2: Diego excluded, his paper goes to Bruno: Bruno 4 = Carla 4.
    # Stage 3: at stage 1 Bruno had 3 and Carla 4, so Bruno is excluded (rule 51(2)(a)); his
    #   4 papers go on to Ana: 10, elected.
    result = count(case("earlier_stage_tie"), seed=0)

    assert result.stages[2].tie_break == TieBreak((2, 3), 2, "earlier stage", stage=1)
    assert result.excluded == (4, 2)
    assert result.elected == (1,)


def test_a_tie_equal_at_every_stage_is_decided_by_the_published_seed():
    # Ana 2 ("Ana Carla"), Bruno 2 ("Bruno Ana"), Carla 3; 1 seat, quota 4. Ana and Bruno
    # are equal at every stage, so a lot excludes one (rule 51(2)(b)):
    #   SHA-256("minga-stv-lot:0:1") is even -> position 0 -> Ana; her papers make Carla 5.
    #   SHA-256("minga-stv-lot:2:1") is odd  -> position 1 -> Bruno; his make Ana 4 = quota.
    election = case("lot_tie")

    with_seed_0 = count(election, seed=0)
    with_seed_2 = count(election, seed=2)

    assert with_seed_0.stages[1].tie_break == TieBreak((1, 2), 1, "lot", lot=1)
    assert with_seed_0.elected == (3,)
    assert with_seed_2.stages[1].tie_break == TieBreak((1, 2), 2, "lot", lot=1)
    assert with_seed_2.elected == (1,)
    assert with_seed_2.seed == 2
    assert count(election, seed=2) == with_seed_2


def test_the_lot_is_the_documented_sha256_draw():
    for seed, ordinal, among in [(0, 1, [2, 1]), (2, 1, [1, 2]), (7, 3, [9, 4, 5])]:
        digest = hashlib.sha256(f"minga-stv-lot:{seed}:{ordinal}".encode()).digest()
        expected = sorted(among)[int.from_bytes(digest, "big") % len(among)]

        assert draw_lot(seed, ordinal, among) == expected


def test_a_withdrawn_candidate_is_skipped_and_a_ballot_only_for_them_is_invalid():
    # Pear withdrawn: "Pear Orange" papers count for Orange from the start (6 = quota), and
    # the one paper marked for Pear alone is invalid: 20 valid ballots, quota 6.
    result = count(case("withdrawn"), seed=0)

    assert (result.valid_ballots, result.invalid_ballots) == (20, 1)
    assert result.withdrawn == (3,)
    assert result.stages[0].votes == {1: v("6"), 2: v("12"), 4: v("1"), 5: v("1")}
    assert result.stages[0].elected == (2, 1)
    assert result.elected == (2, 1, 4)


def test_every_candidate_is_elected_when_there_are_no_more_candidates_than_seats():
    election = parse_blt('2 3\n5 1 2 0\n1 2 0\n0\n"Ana"\n"Bruno"\n"t"\n')

    result = count(election, seed=0)

    # quota floor(6/4) + 1 = 2: Ana (5) reaches it; Bruno (1) is then the only continuing
    # candidate for the two remaining seats and is deemed elected at once (rule 52).
    assert result.elected == (1, 2)
    assert result.stages[0].elected == (1,)
    assert result.stages[0].deemed_elected == (2,)
    assert result.unfilled_seats == 1
    assert len(result.stages) == 1


def test_the_seats_can_be_overridden_for_a_count():
    result = count(case("food"), seed=0, seats=1)

    assert result.seats == 1
    assert result.quota == v("11")
    assert result.elected == (2,)


@pytest.mark.parametrize(
    ("election", "arguments", "message"),
    [
        (case("food"), {"seats": 0, "seed": 0}, "seats: must be at least 1, not 0"),
        (case("food"), {"seed": -1}, "seed: must be zero or more, not -1"),
        (
            Election(("Ana", "Bruno"), 1, (Ballot(3, (2,)),), withdrawn=frozenset({2})),
            {"seed": 0},
            "ballots: there is no valid ballot to count",
        ),
    ],
)
def test_a_count_that_cannot_be_made_is_refused_naming_the_argument(election, arguments, message):
    with pytest.raises(StvError) as raised:
        count(election, **arguments)

    assert str(raised.value) == message


@pytest.mark.parametrize("name", sorted(p.stem for p in CASES.glob("*.blt")))
def test_each_stored_case_gives_its_stored_count_sheet(name):
    expected = json.loads((CASES / f"{name}.expected.json").read_text())

    result = count(case(name), seed=expected["seed"])

    assert json.loads(json.dumps(result.to_json())) == expected


CROSSCHECK = CASES / "crosscheck"
REFERENCE = json.loads((CROSSCHECK / "expected.json").read_text())


@pytest.mark.parametrize("name", sorted(REFERENCE["cases"]))
def test_the_count_elects_whom_an_independent_scottish_stv_implementation_elects(name):
    # The expected winners come from pref_voting's stv_scottish (floating point, with 5-decimal
    # truncation), see crosscheck/generate.py; it returns them sorted, not in order of election.
    result = count(read_blt(CROSSCHECK / name), seed=0)

    assert sorted(result.elected) == REFERENCE["cases"][name]


# --- properties -------------------------------------------------------------------------


@st.composite
def elections(draw, max_candidates: int = 7) -> Election:
    n = draw(st.integers(1, max_candidates))
    ranking = st.permutations(range(1, n + 1)).flatmap(
        lambda order: st.integers(1, n).map(lambda k: tuple(order[:k]))
    )
    ballots = draw(
        st.lists(st.builds(Ballot, st.integers(1, 30), ranking), min_size=1, max_size=25)
    )
    withdrawn = draw(st.sets(st.integers(1, n), max_size=n - 1))
    valid = [b for b in ballots if set(b.preferences) - withdrawn]
    if not valid:
        withdrawn = set()
    return Election(
        candidates=tuple(f"C{c}" for c in range(1, n + 1)),
        seats=draw(st.integers(1, 5)),
        ballots=tuple(ballots),
        withdrawn=frozenset(withdrawn),
    )


@settings(max_examples=150, deadline=None)
@given(elections(), st.integers(0, 2**32))
def test_stv_keeps_its_invariants_on_any_election(election, seed):
    result = count(election, seed=seed)

    standing = [c for c in election.numbers if c not in election.withdrawn]
    valid = sum(b.weight for b in election.ballots if set(b.preferences) - election.withdrawn)
    # Rule 46: the Droop quota on the valid ballots.
    assert result.valid_ballots == valid
    assert result.quota == (valid // (result.seats + 1) + 1) * SCALE
    # Every seat is filled while there are candidates to fill it, each candidate at most once.
    assert len(result.elected) == min(election.seats, len(standing))
    assert len(set(result.elected)) == len(result.elected)
    assert not set(result.elected) & set(result.excluded)
    assert set(result.elected) | set(result.excluded) <= set(standing)
    non_transferable = loss = 0
    previous = dict.fromkeys(standing, 0)
    for stage in result.stages:
        non_transferable += stage.non_transferable
        loss += stage.truncation_loss
        # Votes are conserved at every stage: what the candidates hold plus what could not be
        # transferred plus what truncation cut off is exactly the valid ballots.
        assert sum(stage.votes.values()) + non_transferable + loss == valid * SCALE
        # Truncation loses less than 0.00001 of a vote per ballot paper moved.
        assert 0 <= stage.truncation_loss < valid
        # A stage's transfers explain the change of every candidate's votes.
        for candidate in standing:
            change = stage.transfers.get(candidate, 0)
            if stage.action != "first preferences":
                assert stage.votes[candidate] == previous[candidate] + change
        assert sum(stage.transfers.values()) + stage.non_transferable + stage.truncation_loss == 0
        # Rule 47: whoever is elected on the quota has reached it.
        for candidate in stage.elected:
            assert stage.votes[candidate] >= result.quota
        previous = stage.votes
    # The count is reproducible from the ballots and the seed alone.
    assert count(election, seed=seed) == result
    json.dumps(result.to_json())


@settings(max_examples=100, deadline=None)
@given(elections(max_candidates=5), st.integers(0, 2**32))
def test_a_candidate_with_a_quota_of_first_preferences_is_always_elected(election, seed):
    result = count(election, seed=seed)

    first = result.stages[0].votes
    assert all(c in result.elected for c in first if first[c] >= result.quota)
