"""MES runs guided by a recorded run at a larger per-voter budget (mes.Guide), the share
computations behind every price, and the bracket certificates the Add1 loop relies on: each
must give exactly what a plain run gives."""

from collections import Counter
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import shared_path
from minga.voting.pabulib import parse_file
from minga.voting.pb import mes
from minga.voting.pb.completions import add1
from minga.voting.pb.prepared import prepare
from minga.voting.tests.test_pb_rules import scored_elections, small_elections


def literal_share(budgets, need):
    """The share x with sum(min(b, x)) == need, found by trying every prefix of poorest voters."""
    if sum(budgets) < need:
        return None
    ordered = sorted(budgets)
    for j in range(len(ordered)):
        x = Fraction(need - sum(ordered[:j]), len(ordered) - j)
        if x <= ordered[j]:
            return x
    raise AssertionError("affordable, so some prefix works")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 50), min_size=1, max_size=30), st.integers(1, 600))
def test_both_share_computations_give_the_literal_share(budgets, need):
    expected = literal_share(budgets, need)

    by_voter = mes.equal_share(sorted(budgets), need)
    labels = {b: i for i, b in enumerate(sorted(set(budgets)), start=1)}
    by_class = mes._class_share(Counter(labels[b] for b in budgets), [0, *sorted(labels)], need)

    if expected is None:
        assert (by_voter, by_class) == (None, None)
    else:
        assert by_voter is not None and by_class is not None
        assert Fraction(*by_voter) == Fraction(*by_class) == expected
        assert sum(min(b, expected) for b in budgets) == need


def test_the_share_caps_the_poorest_and_splits_the_rest_equally():
    # 30 to pay: the voter with 2 pays 2, the other two pay 14 each.
    assert mes.equal_share([2, 20, 30], 30) == (28, 2)
    assert mes.equal_share([2, 20, 30], 53) is None
    assert mes.equal_share([2, 20, 30], 52) == (30, 1)


def bracket(prepared, low, middle, high):
    """The runs the Add1 loop makes: one at `low`, one at `high` certified against it and
    recorded, and the guided run at `middle`, between them."""
    earlier = mes.run(prepared, low)
    upper = mes.run(prepared, high, certify=earlier, record=True)
    guide = mes.Guide(upper, low, upper.certified_rounds)
    return earlier, upper, guide


@settings(max_examples=80, deadline=None)
@given(
    st.one_of(small_elections(), scored_elections()),
    st.sampled_from(["cost", "cardinality"]),
    st.integers(0, 20),
    st.integers(0, 20),
    st.integers(0, 20),
)
def test_a_guided_run_equals_a_plain_run(elec, sat, start, below, above):
    instance, profile = elec
    prepared = prepare(instance, profile, sat)
    low = instance.budget / len(profile.ballots) + start
    earlier, _upper, guide = bracket(prepared, low, low + below, low + below + above)

    guided = mes.run(prepared, low + below, guide=guide, certify=earlier, record=True)
    plain = mes.run(prepared, low + below, certify=earlier)

    assert guided.purchases == plain.purchases
    assert (guided.certified, guided.certified_rounds) == (plain.certified, plain.certified_rounds)


@settings(max_examples=40, deadline=None)
@given(small_elections(), st.integers(0, 20), st.lists(st.integers(1, 6), min_size=1, max_size=5))
def test_a_chain_of_guided_runs_equals_plain_runs(elec, start, gaps):
    # Each run guided by the one just above it, from the top down, as the Add1 loop does.
    instance, profile = elec
    prepared = prepare(instance, profile, "cost")
    low = instance.budget / len(profile.ballots) + start
    budgets = [low + sum(gaps[:i]) for i in range(len(gaps) + 1)]
    earlier = mes.run(prepared, low)
    top = mes.run(prepared, budgets[-1], certify=earlier, record=True)
    runs = [top]
    for budget in reversed(budgets[1:-1]):
        guide = mes.Guide(runs[-1], low, top.certified_rounds)
        runs.append(mes.run(prepared, budget, guide=guide, certify=earlier, record=True))

    for budget, guided in zip(reversed(budgets[1:]), runs, strict=True):
        assert guided.purchases == mes.run(prepared, budget).purchases


@settings(max_examples=40, deadline=None)
@given(small_elections(), st.integers(0, 30), st.integers(1, 12))
def test_the_rounds_certified_over_a_bracket_have_its_winners_at_every_budget_in_it(
    elec, start, length
):
    instance, profile = elec
    prepared = prepare(instance, profile, "cost")
    low = instance.budget / len(profile.ballots) + start
    earlier = mes.run(prepared, low)

    later = mes.run(prepared, low + length, certify=earlier)

    known = [p.project for p in later.purchases if p.round][: later.certified_rounds]
    for k in range(length + 1):
        rounds = [p.project for p in mes.run(prepared, low + k).purchases if p.round]
        assert rounds[: later.certified_rounds] == known


def test_a_guide_above_the_run_is_refused():
    instance, profile = parse_file(shared_path("pabulib", "Netherlands_Assen_2024.pb"))
    prepared = prepare(instance, profile, "cost")
    low = instance.budget / len(profile.ballots)
    _earlier, upper, guide = bracket(prepared, low, low, low + 5)

    with pytest.raises(AssertionError):
        mes.run(prepared, low + 6, guide=guide)
    assert upper.bounds is not None and len(upper.bounds) == len(
        [p for p in upper.purchases if p.round]
    )


def test_guided_add1_on_warszawa_2017_anin_equals_single_steps():
    instance, profile = parse_file(shared_path("pabulib", "Poland_Warszawa_2017_Anin.pb"))
    prepared = prepare(instance, profile, "cost")

    # The exact runs' jumps (the compiled filter, which would take every step, is left out).
    jumping = add1(prepared, stop="exhaustive", filtered=False)
    stepping = add1(prepared, stop="exhaustive", jump=False)

    assert (jumping.steps, jumping.run.purchases) == (stepping.steps, stepping.run.purchases)
    assert jumping.runs < stepping.runs


@pytest.mark.parametrize("file", ["Poland_Krakow_2018_Podgorze.pb", "Poland_Warszawa_2017_Anin.pb"])
def test_guided_runs_equal_plain_runs_on_shared_elections(file):
    # Far brackets: the guided run soon buys something else than its guide, and must then go on
    # without the guide's bounds.
    instance, profile = parse_file(shared_path("pabulib", file))
    prepared = prepare(instance, profile, "cost")
    low = instance.budget / len(profile.ballots)
    for extra, gap in ((0, 40), (20, 80), (50, 30), (100, 200), (10, 5)):
        _earlier, _upper, guide = bracket(prepared, low + extra, low + extra, low + extra + gap)

        guided = mes.run(prepared, low + extra, guide=guide)

        assert guided.purchases == mes.run(prepared, low + extra).purchases
