"""The compiled election the rules read: each project's supporters, and the picker that reads a
value per supporter (a voter's class, in MES) in one C call."""

from hypothesis import given, settings
from hypothesis import strategies as st

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
