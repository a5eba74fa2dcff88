"""The compiled filter of MES (filtered.py, _mesfilter.c): every purchase list it returns is the
exact rule's, it gives up (None) where a near-tie or a rounding could mislead it, and it is
built wherever Minga is installed with a C compiler."""

import re
from array import array
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import shared_path
from minga.voting.pabulib import parse_file
from minga.voting.pb import Options, completions, mes, tally
from minga.voting.pb import filtered as filtered_module
from minga.voting.pb.completions import add1
from minga.voting.pb.filtered import compile_filter
from minga.voting.pb.prepared import prepare
from minga.voting.tests.test_pb_rules import (
    election,
    naive_mes,
    scored_elections,
    small_elections,
)

SHARED_ELECTIONS = [
    "Hungary_Budapest_2024.pb",
    "Poland_Warszawa_2026.pb",
    "Poland_Warszawa_2019_Ursynow.pb",
    "Poland_Warszawa_2023_Praga-Polnoc.pb",
    "Poland_Krakow_2023_Debniki.pb",
    "Netherlands_Amsterdam_309.pb",
    "Netherlands_Assen_2024.pb",
    "US_Stanford_Dataset_PB_Chicago_47th_Ward_2020_vote_rankings.pb",
]


def test_the_filter_is_built():
    assert filtered_module.available(), (
        "minga/voting/pb/_mesfilter.c was not compiled: install a C compiler and the Python "
        "headers, then `make venv` (pip install -e .). Without it every rule is still exact, "
        "but MES with Add1 is 10-100 times slower."
    )


def filter_of(instance, profile, sat):
    prepared = prepare(instance, profile, sat)
    found = compile_filter(prepared)
    assert found is not None
    return prepared, found


# Approval ballots with either satisfaction, and scored ballots with whole points.
ELECTIONS_AND_SATISFACTIONS = st.one_of(
    st.tuples(small_elections(), st.sampled_from(["cost", "cardinality"])),
    st.tuples(scored_elections(whole=True), st.just("cost")),
)


@settings(max_examples=200, deadline=None)
@given(ELECTIONS_AND_SATISFACTIONS, st.integers(0, 40))
def test_on_small_elections_the_filter_buys_what_the_exact_rule_buys_or_gives_up(
    elec_and_sat, extra
):
    (instance, profile), sat = elec_and_sat
    prepared, fast = filter_of(instance, profile, sat)
    per_voter = prepared.budget / prepared.voters + extra

    bought = fast.purchases(per_voter)

    assert bought is None or bought == mes.run(prepared, per_voter).selected


def test_on_scored_ballots_an_exact_tie_compares_cost_over_points():
    # "a" costs 6 with 3 points (one voter), "b" 4 with 2 (two voters): rho is exactly 2 for
    # both, a tie that the smaller id wins, although by cost over supporters b (2) would be
    # far below a (6).
    ballots = [{"a": 3}, {"b": 1}, {"b": 1}]
    instance, profile = election(300, {"a": 6, "b": 4}, ballots, "cumulative")
    prepared, fast = filter_of(instance, profile, "cost")

    bought = fast.purchases(Fraction(100))

    assert [prepared.ids[p] for p in bought] == ["a", "b"]
    assert bought == mes.run(prepared, Fraction(100)).selected


SCORED_ELECTIONS = [
    "Poland_Katowice_2022_Osiedle_Witosa.pb",
    "Poland_Katowice_2025_Piotrowice_-_Ochojec.pb",
    "Poland_Czestochowa_2024_Kiedrzyn.pb",
    "Poland_Czestochowa_2025_Zawodzie_-_Dabie.pb",
]


@pytest.mark.parametrize("name", SCORED_ELECTIONS)
def test_on_shared_scored_elections_runs_and_intervals_match_the_exact_rule(name):
    instance, profile = parse_file(shared_path("pabulib", name))
    prepared, fast = filter_of(instance, profile, "cost")
    assert fast.weights is not None
    start = prepared.budget / prepared.voters
    certified = 0

    for step in (0, 40, 200):
        earlier = fast.run(start + step)
        assert earlier is not None, filtered_module.last_failure()
        assert earlier.purchases == mes.run(prepared, start + step).selected
        later = fast.run(start + step + 3, earlier)
        assert later is not None, filtered_module.last_failure()
        if later.interval:
            certified += 1
            for k in range(1, 3):
                assert mes.run(prepared, start + step + k).selected == earlier.purchases

    # Most short intervals are certified (the coarse certificate: no replay on scored ballots).
    assert certified >= 2


@pytest.mark.parametrize("name", SHARED_ELECTIONS)
@pytest.mark.parametrize("sat", ["cost", "cardinality"])
def test_on_shared_elections_the_filter_buys_what_the_exact_rule_buys(name, sat):
    instance, profile = parse_file(shared_path("pabulib", name))
    prepared, fast = filter_of(instance, profile, sat)
    start = prepared.budget / prepared.voters

    for extra in (0, 1, 17):
        bought = fast.purchases(start + extra)
        # Real elections have near-ties, but none so near that the filter gives up here.
        assert bought is not None, filtered_module.last_failure()
        assert bought == mes.run(prepared, start + extra).selected


@settings(max_examples=200, deadline=None)
@given(ELECTIONS_AND_SATISFACTIONS, st.integers(0, 30), st.integers(1, 30))
def test_a_certified_interval_has_the_same_purchases_at_every_budget_in_between(
    elec_and_sat, start, length
):
    (instance, profile), sat = elec_and_sat
    prepared, fast = filter_of(instance, profile, sat)
    low = prepared.budget / prepared.voters + start
    earlier = fast.run(low)
    if earlier is None:
        return
    later = fast.run(low + length, earlier)
    if later is None or not later.interval:
        return

    assert later.purchases == earlier.purchases
    for quarter in range(4 * length + 1):
        at = low + Fraction(quarter, 4)
        assert mes.run(prepared, at).selected == earlier.purchases, at


@pytest.mark.parametrize(
    ("sat", "budget", "costs", "ballots", "low", "high"),
    [
        # Compared exactly (uncapped prices): project 3 is also bought at step 5.
        (
            "cost",
            75,
            {"0": 19, "1": 51, "2": 9, "3": 17},
            "3 0 1; 2 0 1; 2; 3 1 2; 2 1; 1 3 2; 3 2 0 1; 0",
            3,
            6,
        ),
        # Proved only piece by piece, if at all (the finer certificate): a mutant that lets the
        # winner's money grow twice as fast with the budget certifies it.
        (
            "cost",
            21,
            {"0": 57, "1": 17, "2": 20, "3": 41, "4": 67, "5": 47},
            "4 1 2 5 3; 0 3 1 2 5 4; 0 1 5 4 2; 2 5 1; 3 0 4; 5; 0 4 1 2; 1 4 3 0 5; 4 3 0; "
            "1 0 3 2; 2 5 4 0 1; 1",
            19,
            24,
        ),
        # The same, for a mutant that takes twice the rest of the interval off the other's money.
        (
            "cost",
            63,
            {"0": 66, "1": 78, "2": 16, "3": 44, "4": 59, "5": 64, "6": 50},
            "4; 2 5 4 3 0 1; 6 0 5; 2 3 6; 2 1 0 6 4; 1 5 0; 0 1; 4 0 1; 4 5 6 2 3 1 0; 3; 3 6 5",
            6,
            9,
        ),
        # Compared by bounds: projects 1 and 5 are bought in the other order at step 6.
        (
            "cost",
            20,
            {"0": 30, "1": 11, "2": 44, "3": 35, "4": 9, "5": 2},
            "2 5; 3 2; 2 4 5 0 3 1; 2 3 0 5 1; 0 1 5; 0 1; 2; 2 0 1 4",
            5,
            7,
        ),
        # Voters whose money rises faster than the budget (they paid a price that falls): a
        # mutant that never raises a voter's slope bound above 1 certifies it.
        (
            "cardinality",
            10,
            {"0": 35, "1": 34, "2": 28, "3": 63, "4": 79, "5": 47},
            "2 4 3; 1 5 4; 4 1 0 5; 1 4 0 3; 0 5 1 3 2 4; 1 0 3 4 2 5; 1 3",
            31,
            42,
        ),
        # The same, for a mutant that takes a voter's budget for fixed over the interval when it
        # has at most 1 left at the upper end (not nothing): the purchases differ at 7 1/2.
        (
            "cardinality",
            110,
            {"0": 20, "1": 66, "2": 2, "3": 17, "4": 16, "5": 40, "6": 19, "7": 43, "8": 43},
            "6 5 0 4 2 1 8; 8 0; 1 7 0; 1 5 4 3 0; 3 6 0; 1 0 2 5 3 8; 2 3 5; 4 0 6 7 3 8 2 1; "
            "7 6 1 3; 0 5 2 1 6 8 4 3 7; 6 7; 7 2 5 4 6; 7 8 6; 0 2 4 8 6; 2 0 7",
            7,
            8,
        ),
    ],
)
def test_the_same_purchases_at_both_ends_do_not_certify_the_steps_between(
    sat, budget, costs, ballots, low, high
):
    # MES is not monotone in the budget (every case found by a random search).
    instance, profile = election(budget, costs, [b.split() for b in ballots.split(";")])
    prepared, fast = filter_of(instance, profile, sat)
    start = prepared.budget / prepared.voters
    halves = range(2 * low, 2 * high + 1)
    steps = [mes.run(prepared, start + Fraction(half, 2)).selected for half in halves]
    assert steps[0] == steps[-1] and any(step != steps[0] for step in steps)

    earlier = fast.run(start + low)
    later = fast.run(start + high, earlier)

    assert earlier is not None and later is not None
    assert later.purchases == earlier.purchases
    assert not later.interval


@pytest.fixture(scope="module")
def budapest():
    """Budapest 2024 (22,001 Add1 steps), cost satisfaction: the election prepared, its filter,
    and the per-voter budget Add1 starts from. Parsed once for the tests that use it."""
    instance, profile = parse_file(shared_path("pabulib", "Hungary_Budapest_2024.pb"))
    prepared, fast = filter_of(instance, profile, "cost")
    return prepared, fast, prepared.budget / prepared.voters


def test_intervals_are_certified_on_budapest_2024_and_hold_step_by_step(budapest):
    prepared, fast, start = budapest
    first = fast.run(start)
    assert first is not None

    twenty = fast.run(start + 20, first)
    # Only the finer certificate (the interval in pieces) proves this one: the coarse test
    # compares the winner's price at step 0 with the others' at step 100.
    hundred = fast.run(start + 100, first)
    # Its purchase sequence changes first at step 192 (found step by step).
    across = fast.run(start + 192, first)

    assert twenty is not None and twenty.interval
    assert hundred is not None and hundred.interval
    assert across is not None and not across.interval
    assert across.purchases != first.purchases
    for step in range(101):
        assert fast.purchases(start + step) == first.purchases
    assert mes.run(prepared, start + 13).selected == first.purchases
    assert mes.run(prepared, start + 97).selected == first.purchases


def test_a_run_that_buys_differently_guesses_where_the_change_lies(budapest):
    _, fast, start = budapest
    low = fast.run(start + 120)
    assert low is not None

    # The purchase sequence changes at step 192 (the test above), and only there up to 306.
    across = fast.run(start + 248, low)
    within = fast.run(start + 180, low)

    assert across is not None and not across.interval and across.crossing is not None
    assert 191 < across.crossing - float(start) <= 192
    # Certified, or the same purchases at both ends: nothing to guess.
    assert within is not None and within.interval and within.crossing is None
    assert fast.purchases(start + 191) == low.purchases != fast.purchases(start + 192)


def test_where_a_project_becomes_affordable_the_guess_is_where_its_money_reaches_its_cost(budapest):
    _, fast, start = budapest
    low = fast.run(start + 1104)
    assert low is not None

    # From step 1203 a project that its supporters could not pay for at step 1104 is bought
    # in round 18, before the one bought there at 1104.
    high = fast.run(start + 1333, low)

    assert high is not None and high.crossing is not None
    assert 1190 < high.crossing - float(start) <= 1203
    assert fast.purchases(start + 1202) == low.purchases != fast.purchases(start + 1203)
    assert len(high.record.winners) == len(low.record.winners) + 1


def test_an_exact_tie_goes_to_the_smaller_id_compared_as_a_string():
    # "10" and "9" have the same cost and two supporters each: rho is exactly 1/2 for both.
    instance, profile = election(40, {"9": 10, "10": 10}, [["9", "10"], ["9", "10"]])
    prepared, fast = filter_of(instance, profile, "cost")

    bought = fast.purchases(Fraction(20))

    assert [prepared.ids[p] for p in bought] == ["10", "9"]
    assert bought == mes.run(prepared, Fraction(20)).selected


def test_an_exact_tie_is_proved_where_rounding_orders_the_two_bounds_the_other_way():
    # Cost satisfaction, 335 supporters each: rho is exactly 1/335 for both, but in doubles
    # (6417 / 335) / 6417 rounds below (51000 / 335) / 51000, so "b" comes out of the queue
    # first although "a" wins the tie (as in Warszawa 2018 Targowek, on which the filter gave up
    # at every step before).
    assert 6417 / 335 / 6417 < 51000 / 335 / 51000
    instance, profile = election(400_000, {"a": 51000, "b": 6417}, [["a", "b"]] * 335)
    prepared, fast = filter_of(instance, profile, "cost")

    bought = fast.purchases(Fraction(1000))

    assert bought is not None, filtered_module.last_failure()
    assert [prepared.ids[p] for p in bought] == ["a", "b"]
    assert bought == mes.run(prepared, Fraction(1000)).selected


def test_a_tie_it_cannot_prove_makes_it_give_up_and_add1_stays_exact():
    # Cardinality: g (1 each for voter 0) then c (2 each) are bought first; a and b then cost
    # 4 each to voters 0, 1 and 2, and voter 0 has exactly 4 left: an exact tie between two
    # prices that floating point cannot tell apart from a near-tie.
    costs = {"g": 1, "c": 8, "a": 12, "b": 12}
    ballots = [["g", "c", "a", "b"], ["c", "a", "b"], ["c", "a", "b"], ["c"]]
    instance, profile = election(28, costs, ballots)
    prepared, fast = filter_of(instance, profile, "cardinality")

    assert fast.purchases(Fraction(7)) is None
    round_number, project, other, reason = filtered_module.last_failure()
    assert (round_number, prepared.ids[project], prepared.ids[other], reason) == (
        3,
        "a",
        "b",
        "near-tie",
    )
    assert [prepared.ids[p] for p in mes.run(prepared, Fraction(7)).selected] == ["g", "c", "a"]
    assert fast.purchases(Fraction(8)) is not None

    options = Options(sat="cardinality", completion="add1", add1_stop="exhaustive")
    outcome = tally(instance, profile, "mes", options)
    stepping = add1(prepared, stop="exhaustive", jump=False)
    assert outcome.per_voter_budget == stepping.per_voter_budget
    assert [prepared.ids[p] for p in stepping.selected] == list(outcome.selected)


def test_where_it_keeps_giving_up_add1_hands_over_to_the_exact_loop(monkeypatch):
    instance, profile = parse_file(shared_path("pabulib", "Poland_Warszawa_2017_Anin.pb"))
    prepared = prepare(instance, profile, "cost")
    asked: list[Fraction] = []

    def gives_up(self, per_voter_budget, earlier=None):
        asked.append(per_voter_budget)
        return None

    monkeypatch.setattr(filtered_module.Filter, "run", gives_up)
    result = add1(prepared, stop="exhaustive")

    # Nine give-ups in a row, then the exact loop from the start, with its own count of runs.
    assert len(asked) == 9
    exact = add1(prepared, stop="exhaustive", filtered=False)
    assert (result.selected, result.steps, result.runs) == (exact.selected, exact.steps, exact.runs)


def test_it_does_not_apply_to_fractional_points_or_fractional_costs():
    instance, profile = election(
        10, {"a": 4, "b": 4}, [{"a": Fraction(1, 2), "b": 1}], "cumulative"
    )
    assert compile_filter(prepare(instance, profile, "cost")) is None
    instance, profile = election(10, {"a": 4, "b": 4}, [{"a": 2, "b": 1}], "cumulative")
    assert compile_filter(prepare(instance, profile, "cost")) is not None
    instance, profile = election(10, {"a": Fraction(5, 2)}, [["a"]])
    assert compile_filter(prepare(instance, profile, "cost")) is None
    instance, profile = election(10, {"a": 2**53}, [["a"]])
    assert compile_filter(prepare(instance, profile, "cost")) is None


def slope_bounds_hold(instance, profile, sat, low, length) -> bool | None:
    """The slope bounds of the certificate (pieces_certified), checked against every voter's
    exact budget after the last round, at sixteenths of the interval [low, low + length]:
    between two budgets b < b', a voter's money rises by at most its slope bound times b' - b,
    and, if it had money left at b, by at least b' - b. None where the run at the upper end is
    not certified over the interval (there are no bounds to check)."""
    _prepared, fast = filter_of(instance, profile, sat)
    earlier = fast.run(low)
    if earlier is None:
        return None
    extension = filtered_module._extension
    assert extension is not None
    high = low + length
    arrays = (fast.offsets, fast.supporters, fast.costs, fast.ranks, fast.cardinality)
    error = float(high) * 2.0**-52 + 5e-324
    found = extension.run(fast.voters, *arrays, float(high), error, earlier.record, None, True)
    if found is None or not found[0][6]:  # gave up, or not certified over the interval
        return None
    slopes = array("d")
    slopes.frombytes(found[1])
    at = [low + length * Fraction(k, 16) for k in range(17)]
    money = []
    for b in at:
        budgets: list[Fraction] = []
        naive_mes(instance, profile, b, sat, budgets)
        money.append(budgets)
    for k in range(16):
        step = at[k + 1] - at[k]
        for voter, slope in enumerate(slopes):
            rise = money[k + 1][voter] - money[k][voter]
            if rise > Fraction(slope) * step or (money[k][voter] > 0 and rise < step):
                return False
    return True


@settings(max_examples=300, deadline=None)
@given(
    small_elections(),
    st.sampled_from(["cost", "cardinality"]),
    st.integers(0, 30),
    st.integers(1, 30),
)
def test_over_a_certified_interval_each_voters_budget_moves_within_its_slope_bounds(
    elec, sat, start, length
):
    instance, profile = elec
    low = instance.budget / len(profile.ballots) + start

    assert slope_bounds_hold(instance, profile, sat, low, Fraction(length)) is not False


@pytest.mark.parametrize(
    ("budget", "costs", "ballots", "sat", "low", "length"),
    [
        (
            76,
            {"a": 65, "b": 51, "c": 34, "d": 45, "e": 37, "f": 23},
            [
                "fca",
                "fabd",
                "ed",
                "ecba",
                "cef",
                "abfde",
                "fbaedc",
                "fabec",
                "faecb",
                "f",
                "efacbd",
                "c",
                "dbeaf",
                "cd",
            ],
            "cost",
            Fraction(164, 7),
            Fraction(5, 4),
        ),
        (
            163,
            {"a": 53, "b": 48, "c": 64, "d": 16, "e": 33, "f": 57},
            ["ebfa", "cfb", "fac", "bef", "da", "ef", "afde", "dcb", "c", "acfdeb"],
            "cardinality",
            Fraction(159, 5),
            Fraction(13),
        ),
    ],
)
def test_slope_bounds_where_voters_who_paid_everything_had_gained_slope_before(
    budget, costs, ballots, sat, low, length
):
    # Found by a random search of the slope bounds: summing the slopes of the voters possibly
    # poorer than a price as 1 each, instead of their own bounds (which rise above 1 after
    # earlier purchases), lets a voter's money rise faster than its bound here.
    instance, profile = election(budget, costs, [list(b) for b in ballots])

    assert slope_bounds_hold(instance, profile, sat, low, length) is True


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        (
            (3, array("i", [0, 1]), array("i", [5]), array("d", [1.0]), array("i", [0])),
            ValueError,
            "supporters[0]: not a voter",
        ),
        (
            (3, array("i", [0, 2]), array("i", [0]), array("d", [1.0]), array("i", [0])),
            ValueError,
            "offsets[0]: not ascending within supporters",
        ),
        (
            (3, array("i", [0]), array("i", [0]), array("d", [1.0]), array("i", [0])),
            ValueError,
            "offsets needs one more item than costs",
        ),
        (
            (3, array("i", [0, 1]), array("i", [0]), array("i", [1]), array("i", [0])),
            TypeError,
            "costs: a flat buffer of items of 8 bytes",
        ),
    ],
)
def test_bad_arrays_are_refused_naming_the_argument(arguments, error, message):
    extension = filtered_module._extension
    assert extension is not None

    with pytest.raises(error, match=message.replace("[", r"\[").replace("]", r"\]")):
        extension.run(*arguments, False, 10.0, 0.0)


@pytest.mark.parametrize(
    ("weights", "error", "message"),
    [
        (array("d", [1.0]), ValueError, "weights: one item per supporter entry"),
        (array("d", [1.0, 0.0]), ValueError, "weights[1]: a whole number from 1 below 2^31"),
        (array("d", [1.5, 1.0]), ValueError, "weights[0]: a whole number from 1 below 2^31"),
        (array("d", [2.0**31, 1.0]), ValueError, "weights[0]: a whole number from 1 below 2^31"),
        (array("i", [1, 1]), TypeError, "weights: a flat buffer of items of 8 bytes"),
    ],
)
def test_bad_weights_are_refused_naming_the_entry(weights, error, message):
    extension = filtered_module._extension
    assert extension is not None
    arrays = (array("i", [0, 2]), array("i", [0, 1]), array("d", [1.0]), array("i", [0]))

    with pytest.raises(error, match=re.escape(message)):
        extension.run(2, *arrays, True, 10.0, 0.0, None, weights)


def test_voters_are_numbered_afresh_with_the_same_ballots_together():
    extension = filtered_module._extension
    assert extension is not None
    # Projects 0 (3 supporters), 1 (2) and 2 (4, the most approved). Voters 0 and 4 approve
    # {0, 2}, voter 1 {0, 1}, voter 2 {2} and voter 3 {1, 2}.
    lists = [[0, 1, 4], [1, 3], [0, 2, 4, 3]]
    offsets, supporters = array("i", [0]), array("i")
    for voters in lists:
        supporters.extend(voters)
        offsets.append(len(supporters))

    clustered = array("i")
    clustered.frombytes(extension.cluster(5, offsets, supporters))
    new = [list(clustered[offsets[p] : offsets[p + 1]]) for p in range(3)]

    assert all(voters == sorted(voters) for voters in new)

    # The same ballots, numbered afresh: a permutation of the voters.
    def ballots(of):
        return sorted(tuple(p for p in range(3) if v in of[p]) for v in range(5))

    assert ballots(new) == ballots(lists)
    # In the order of their ballots, the most approved project first: {2} (voter 2 becomes 0),
    # {2, 0} (voters 0 and 4, neighbours: 1 and 2), {2, 1} (voter 3), then {0, 1} (voter 1).
    assert new == [[1, 2, 4], [3, 4], [0, 1, 2, 3]]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((3, array("i", [0, 1]), array("i", [5])), "supporters[0]: not a voter"),
        ((3, array("i", [0, 1]), array("i", [0, 1])), "offsets: one more item than the projects"),
        ((3, array("i", [0, 2, 1, 2]), array("i", [0, 1])), "offsets[1]: not ascending"),
    ],
)
def test_numbering_afresh_refuses_bad_arrays(arguments, message):
    extension = filtered_module._extension
    assert extension is not None

    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        extension.cluster(*arguments)


def test_a_negative_or_infinite_budget_is_refused():
    extension = filtered_module._extension
    assert extension is not None
    arrays = (array("i", [0, 1]), array("i", [0]), array("d", [1.0]), array("i", [0]))

    for budget, error in ((-1.0, 0.0), (float("inf"), 0.0), (1.0, float("nan"))):
        with pytest.raises(ValueError, match="finite, not negative"):
            extension.run(1, *arrays, False, budget, error)


def test_runs_computed_ahead_are_let_go_once_they_cannot_be_used(monkeypatch):
    # Kept, runs computed in vain piled up over the steps: 1.6 GB on Budapest 2024, when each
    # record held its winners' supporters' money. Those left are the guessed changes that the
    # search has not passed yet (at most 10 on Budapest 2024), and the fallback of a look-ahead.
    instance, profile = parse_file(shared_path("pabulib", "Poland_Warszawa_2017_Praga-Polnoc.pb"))
    prepared = prepare(instance, profile, "cost")
    held: list[int] = []
    forget = completions._Speculation.forget

    def counting(self, reached, current):
        forget(self, reached, current)
        held.append(len(self.ahead))

    monkeypatch.setattr(completions._Speculation, "forget", counting)
    # Its 15,226 supporters are below the threshold of the second thread: lowered here.
    monkeypatch.setattr(completions, "_SPECULATE_FROM", 0)
    result = add1(prepared, stop="exhaustive")

    assert result.steps == 301 and len(held) > 50
    assert 1 <= max(held) <= 6


def test_below_the_threshold_no_run_is_computed_ahead_and_the_result_is_the_same(monkeypatch):
    instance, profile = parse_file(shared_path("pabulib", "Poland_Warszawa_2017_Praga-Polnoc.pb"))
    prepared = prepare(instance, profile, "cost")
    assert sum(map(len, prepared.supporters)) < completions._SPECULATE_FROM
    submitted: list[Fraction] = []
    compute_ahead = completions._Speculation.compute_ahead

    def recording(self, budget, earlier):
        compute_ahead(self, budget, earlier)
        submitted.extend(self.ahead)

    monkeypatch.setattr(completions._Speculation, "compute_ahead", recording)
    alone = add1(prepared, stop="exhaustive")
    assert submitted == []
    monkeypatch.setattr(completions, "_SPECULATE_FROM", 0)
    with_thread = add1(prepared, stop="exhaustive")
    assert submitted != []

    assert (alone.selected, alone.steps, alone.per_voter_budget) == (
        with_thread.selected,
        with_thread.steps,
        with_thread.per_voter_budget,
    )


def test_voters_numbered_afresh_give_the_same_runs_and_certify_against_the_first_numbering():
    instance, profile = parse_file(shared_path("pabulib", "Poland_Warszawa_2017_Praga-Polnoc.pb"))
    prepared, fast = filter_of(instance, profile, "cost")
    clustered = fast.clustered()
    assert clustered.supporters != fast.supporters
    start = prepared.budget / prepared.voters

    for step in (0, 50, 150):
        earlier = fast.run(start + step)
        assert earlier is not None
        plain = fast.run(start + step + 2, earlier)
        again = clustered.run(start + step + 2, earlier)
        assert plain is not None and again is not None
        assert (again.purchases, again.interval) == (plain.purchases, plain.interval)
        # The sums run in another order: the same winners, bounds equal up to rounding.
        assert again.record.winners == plain.record.winners
        assert again.record.highs == pytest.approx(plain.record.highs, rel=1e-12)


def test_the_search_numbers_the_voters_afresh_only_after_many_runs(monkeypatch):
    instance, profile = parse_file(shared_path("pabulib", "Poland_Warszawa_2017_Praga-Polnoc.pb"))
    prepared = prepare(instance, profile, "cost")
    calls: list[int] = []
    clustered = filtered_module.Filter.clustered

    def counting(self):
        calls.append(1)
        return clustered(self)

    monkeypatch.setattr(filtered_module.Filter, "clustered", counting)
    numbered = add1(prepared, stop="exhaustive")
    assert numbered.runs > completions._CLUSTER_AFTER and len(calls) == 1
    monkeypatch.setattr(completions, "_CLUSTER_AFTER", 10**9)
    plain = add1(prepared, stop="exhaustive")
    assert len(calls) == 1

    assert (numbered.selected, numbered.steps) == (plain.selected, plain.steps)
