"""The finer bracket certificate (mes._interval_certified): where the earlier winner's price at
the low budget is not below a competitor's at the high one, the interval is cut into pieces over
which each voter's budget is bounded more tightly. Every round it certifies must have the same
winner at every budget of the bracket, fractional ones included."""

import copy
from collections import Counter
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import shared_path
from minga.voting.pabulib import parse_file
from minga.voting.pb import mes
from minga.voting.pb.prepared import prepare
from minga.voting.tests.test_pb_rules import election, small_elections


@st.composite
def crowded_elections(draw):
    # Many voters over few, overlapping projects, and a budget that leaves most of them short:
    # supporters are capped early, so prices move with the budget and near-ties are common.
    count = draw(st.integers(2, 6))
    costs = {str(i): draw(st.integers(1, 40)) for i in range(count)}
    ballots = draw(
        st.lists(
            st.lists(st.sampled_from(sorted(costs)), unique=True, min_size=1),
            min_size=2,
            max_size=30,
        )
    )
    return election(draw(st.integers(1, 60)), costs, ballots)


def rounds(prepared, budget):
    return [p.project for p in mes.run(prepared, budget).purchases if p.round]


def states_before_each_round(prepared, budget, winners):
    """The run's state before each of its rounds, replaying `winners`."""
    state = mes._State(prepared, budget)
    for winner in winners:
        snapshot = copy.copy(state)
        snapshot.budget, snapshot.size, snapshot.label = (
            list(state.budget),
            list(state.size),
            list(state.label),
        )
        yield snapshot
        state.charge(winner, state.price(winner))


def money(state, p):
    counted = Counter(state.prepared.pick[p](state.label))
    need = state.prepared.costs[p] * state.d
    return mes._Money([(state.budget[c], n) for c, n in counted.items()]), need.numerator, state.d


@settings(max_examples=120, deadline=None)
@given(
    st.one_of(crowded_elections(), small_elections()),
    st.sampled_from(["cost", "cardinality"]),
    st.integers(0, 20),
    st.integers(1, 6),
)
def test_prices_in_between_lie_within_the_bounds_from_either_end(elec, sat, start, length):
    # The lemma behind the finer certificate: while the same projects are bought, a project's
    # price at b + t is at most its price at b with t more for every supporter with money
    # left, and at least its price at b1 with b1 - (b + t) less for every supporter.
    instance, profile = elec
    prepared = prepare(instance, profile, sat)
    low = instance.budget / len(profile.ballots) + start
    grid = [Fraction(k, 4) for k in range(4 * length + 1)]
    sequences = [rounds(prepared, low + t) for t in grid]
    common = 0
    while all(len(s) > common and s[common] == sequences[0][common] for s in sequences):
        common += 1
    winners = sequences[0][:common]
    at_low = list(states_before_each_round(prepared, low, winners))
    at_high = list(states_before_each_round(prepared, low + length, winners))
    between = [list(states_before_each_round(prepared, low + t, winners)) for t in grid]

    for r in range(common):
        for p in range(len(prepared.ids)):
            if p in winners[:r] or not prepared.supporters[p] or prepared.costs[p] == 0:
                continue
            scale = prepared.scale[p]
            for t, states in zip(grid, between, strict=True):
                actual = states[r].price(p)
                most = mes._price_with_more(*money(at_low[r], p), scale, t)
                least = mes._price_with_less(*money(at_high[r], p), scale, length - t)
                if actual is not None and most is not None:
                    assert actual.rho <= most
                if least is None:
                    assert actual is None
                elif actual is not None:
                    assert actual.rho >= least


def coarse_certified_rounds(prepared, earlier, budget, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(mes, "_HALVINGS", 0)  # one piece: the coarse test alone
        return mes.run(prepared, budget, certify=earlier).certified_rounds


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(crowded_elections(), small_elections()),
    st.sampled_from(["cost", "cardinality"]),
    st.fractions(min_value=0, max_value=20, max_denominator=3),
    st.integers(1, 16),
)
def test_the_rounds_certified_have_their_winners_at_every_budget_in_between(
    elec, sat, start, length
):
    instance, profile = elec
    prepared = prepare(instance, profile, sat)
    low = instance.budget / len(profile.ballots) + start
    earlier = mes.run(prepared, low)

    later = mes.run(prepared, low + length, certify=earlier)

    known = [p.project for p in later.purchases if p.round][: later.certified_rounds]
    for k in range(4 * length + 1):
        assert rounds(prepared, low + Fraction(k, 4))[: later.certified_rounds] == known
    if later.certified:
        assert rounds(prepared, low) == known


@settings(max_examples=60, deadline=None)
@given(crowded_elections(), st.integers(0, 20), st.integers(1, 16))
def test_the_finer_certificate_certifies_at_least_what_the_coarse_one_does(elec, start, length):
    instance, profile = elec
    prepared = prepare(instance, profile, "cost")
    low = instance.budget / len(profile.ballots) + start
    earlier = mes.run(prepared, low)

    finer = mes.run(prepared, low + length, certify=earlier).certified_rounds

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mes, "_HALVINGS", 0)
        coarse = mes.run(prepared, low + length, certify=earlier).certified_rounds
    assert finer >= coarse


def test_a_near_tie_on_budapest_2024_is_certified_over_sixteen_steps(monkeypatch):
    # Step 248 to 264 of Add1: round 8's winner (561) and runner-up (588) are within 0.01 % of
    # each other, and both prices fall with the budget; the coarse test fails at round 8.
    instance, profile = parse_file(shared_path("pabulib", "Hungary_Budapest_2024.pb"))
    prepared = prepare(instance, profile, "cost")
    low = instance.budget / len(profile.ballots) + 248
    earlier = mes.run(prepared, low)

    later = mes.run(prepared, low + 16, certify=earlier)

    assert later.certified and later.certified_rounds == 19
    assert coarse_certified_rounds(prepared, earlier, low + 16, monkeypatch) == 7
    for k in range(17):
        assert rounds(prepared, low + k) == rounds(prepared, low)
