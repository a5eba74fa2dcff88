"""The compiled election the rules read: each project's supporters, and the picker that reads a
value per supporter (a voter's class, in MES) in one C call."""

from array import array

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minga.voting.pb import prepared as prepared_module
from minga.voting.pb.prepared import prepare
from minga.voting.tests.test_pb_rules import election, scored_elections, small_elections


@settings(max_examples=60, deadline=None)
@given(st.one_of(small_elections(), scored_elections()), st.sampled_from(["cost", "cardinality"]))
def test_a_projects_picker_reads_each_supporters_value_in_order(elec, sat):
    instance, profile = elec
    prepared = prepare(instance, profile, sat)
    values = [10 * v + 7 for v in range(prepared.voters)]

    picked = [prepared.pick[p](values) for p in range(len(prepared.ids))]

    assert picked == [tuple(values[v] for v in s) for s in prepared.supporters]


def test_the_picker_gives_a_tuple_for_one_supporter_and_for_none():
    # itemgetter of a single index returns a bare value, and cannot be built with no index: the
    # picker must still give tuples, as MES counts and sorts what it returns.
    instance, profile = election(30, {"a": 10, "b": 10, "c": 10}, [["a", "b"], ["a"]])
    prepared = prepare(instance, profile, "cost")
    labels = [4, 5]

    picked = [prepared.pick[p](labels) for p in range(3)]

    assert picked == [(4, 5), (4,), ()]


@settings(max_examples=60, deadline=None)
@given(scored_elections())
def test_scored_ballots_give_each_supporter_their_points_as_t_times_the_scale(elec):
    instance, profile = elec
    prepared = prepare(instance, profile, "cost")
    expected = {
        (p.project_id, v): x
        for v, ballot in enumerate(profile.ballots)
        for p in instance.projects
        for project_id, x in zip(ballot.projects, ballot.points, strict=True)
        if project_id == p.project_id and x > 0
    }

    found = {
        (prepared.ids[p], v): t * prepared.scale[p]
        for p in range(len(prepared.ids))
        for v, t in zip(prepared.supporters[p], prepared.weights[p], strict=True)
    }

    assert found == expected
    assert all(
        prepared.total_sat[p] == sum(t * prepared.scale[p] for t in prepared.weights[p])
        for p in range(len(prepared.ids))
    )


@settings(max_examples=80, deadline=None)
@given(st.one_of(small_elections(), scored_elections()), st.sampled_from(["cost", "cardinality"]))
def test_overlaps_count_the_voters_who_support_both_projects(elec, sat):
    instance, profile = elec
    prepared = prepare(instance, profile, sat)
    n = len(prepared.ids)
    offsets, supporters = prepared.flat

    assert [list(supporters[offsets[p] : offsets[p + 1]]) for p in range(n)] == [
        list(s) for s in prepared.supporters
    ]
    overlaps = prepared.overlaps
    assert overlaps is not None
    assert [[overlaps[p * n + q] for q in range(n)] for p in range(n)] == [
        [len(set(a) & set(b)) for b in prepared.supporters] for a in prepared.supporters
    ]


def test_overlaps_are_not_counted_where_ballots_are_too_long(monkeypatch):
    # Two voters approving all 3 projects: 2 x 3^2 increments, and 3^2 for the matrix, 27 in all,
    # against a limit of _OVERLAPS_WORK x (6 supporters + 3^2).
    instance, profile = election(30, {"a": 10, "b": 10, "c": 10}, [["a", "b", "c"]] * 2)
    monkeypatch.setattr(prepared_module, "_OVERLAPS_WORK", 2)
    assert prepare(instance, profile, "cost").overlaps is not None
    monkeypatch.setattr(prepared_module, "_OVERLAPS_WORK", 1)
    assert prepare(instance, profile, "cost").overlaps is None


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((3, array("i", [0, 1]), array("i", [5])), "supporters[0]: not a voter"),
        ((3, array("i", [0, 1]), array("i", [0, 1])), "offsets: one more item than the projects"),
        ((3, array("i", [0, 2, 1, 2]), array("i", [0, 1])), "offsets[1]: not ascending"),
        ((3, array("d", [0, 1]), array("i", [0])), "offsets: a flat buffer of items of 4 bytes"),
    ],
)
def test_counting_overlaps_refuses_bad_arrays(arguments, message):
    extension = prepared_module._extension
    assert extension is not None

    with pytest.raises(
        (ValueError, TypeError), match=message.replace("[", r"\[").replace("]", r"\]")
    ):
        extension.overlaps(*arguments, 10**6)
