import json
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import shared_path
from minga.voting import pb_cli
from minga.voting.pabulib import parse_file, parse_string
from minga.voting.pb import Options, mes, tally
from minga.voting.pb.completions import add1
from minga.voting.pb.model import Ballot, Instance, Profile, Project
from minga.voting.pb.prepared import prepare

REFERENCES = Path(__file__).parent / "pb_references"


def election(budget, costs, ballots, vote_type="approval"):
    instance = Instance(
        Fraction(budget), tuple(Project(pid, Fraction(c)) for pid, c in costs.items())
    )
    if vote_type == "cumulative":
        profile = Profile(
            vote_type,
            tuple(
                Ballot(str(i), tuple(b), tuple(Fraction(x) for x in b.values()))
                for i, b in enumerate(ballots)
            ),
        )
    else:
        profile = Profile(vote_type, tuple(Ballot(str(i), tuple(b)) for i, b in enumerate(ballots)))
    return instance, profile


def test_greedy_skips_a_project_that_no_longer_fits_and_goes_on():
    instance, profile = election(
        100, {"a": 80, "b": 30, "c": 20}, [["a"], ["a"], ["a", "b"], ["c"]]
    )

    outcome = tally(instance, profile, "greedy", Options(sat="cost"))

    assert outcome.selected == ("a", "c")
    skipped = outcome.explanations[1]
    assert (skipped.reason, skipped.remaining_budget) == ("greedy-did-not-fit", Fraction(20))


def test_ties_go_to_the_smallest_id_compared_as_a_string():
    instance, profile = election(10, {"9": 10, "10": 10}, [["9"], ["10"]])

    outcome = tally(instance, profile, "greedy", Options(sat="cost"))

    assert outcome.selected == ("10",)


@pytest.mark.parametrize("completion", ["none", "add1", "add1u"])
def test_mes_with_no_ballots_buys_nothing_and_explains_every_project(completion):
    # A parish whose budget received no ballots: its results must still be publishable.
    instance, profile = election(100, {"a": 80, "b": 30}, [])

    outcome = tally(instance, profile, "mes", Options(sat="cost", completion=completion))

    if completion == "add1u":
        # The utilitarian fill funds what fits, supported or not, as pabutools' greedy does.
        assert outcome.selected == ("a",)
        assert [e.reason for e in outcome.explanations] == [
            "greedy-selected",
            "mes-no-supporters",
        ]
    else:
        assert outcome.selected == ()
        assert [e.reason for e in outcome.explanations] == ["mes-no-supporters"] * 2


def test_mes_gives_each_group_its_share_of_the_budget():
    # Two thirds of the voters want a and b; one third wants c. Budget 30 split 10 a voter.
    instance, profile = election(30, {"a": 20, "b": 20, "c": 10}, [["a", "b"], ["a", "b"], ["c"]])

    outcome = tally(instance, profile, "mes", Options(sat="cost"))

    assert outcome.selected == ("a", "c")
    bought = outcome.explanations[0]
    assert (bought.reason, bought.round, bought.price_per_supporter) == (
        "mes-bought",
        1,
        Fraction(10),
    )
    unaffordable = outcome.explanations[1]
    assert (unaffordable.reason, unaffordable.money_left) == ("mes-unaffordable", Fraction(0))


def test_mes_reads_cumulative_points_as_satisfaction():
    instance, profile = election(
        10, {"a": 6, "b": 6}, [{"a": 1, "b": 9}, {"a": 9, "b": 1}, {"a": 5, "b": 5}], "cumulative"
    )

    outcome = tally(instance, profile, "mes", Options(sat="cost"))

    assert outcome.satisfaction == "score"
    assert outcome.selected == ("a",)


def naive_mes(instance, profile, per_voter, sat="cardinality", budgets=None):
    """A literal MES, voter by voter, written independently of minga.voting.pb.mes: each voter's
    satisfaction from a project is 1 (cardinality), its cost (cost) or their points (scored).
    `budgets`, a list, is filled with every voter's budget at the end."""
    if budgets is None:
        budgets = []
    budgets[:] = [per_voter] * len(profile.ballots)

    def satisfaction(ballot, project):
        if project.project_id not in ballot.projects:
            return Fraction(0)
        if ballot.points is not None:
            return ballot.points[ballot.projects.index(project.project_id)]
        return project.cost if sat == "cost" else Fraction(1)

    sats = {
        p.project_id: [satisfaction(ballot, p) for ballot in profile.ballots]
        for p in instance.projects
    }
    wanted = [p for p in instance.projects if any(s > 0 for s in sats[p.project_id])]
    chosen = [p.project_id for p in wanted if p.cost == 0]
    remaining = [p for p in wanted if p.cost > 0]
    while True:
        best = None
        for project in remaining:
            sat_of = sats[project.project_id]
            supporters = [i for i, s in enumerate(sat_of) if s > 0]
            if sum(budgets[i] for i in supporters) < project.cost:
                continue
            low = sorted(supporters, key=lambda i: budgets[i] / sat_of[i])
            paid, weight, rho = Fraction(0), sum(sat_of[i] for i in low), None
            for i in low:
                candidate = (project.cost - paid) / weight
                if candidate * sat_of[i] <= budgets[i]:
                    rho = candidate
                    break
                paid += budgets[i]
                weight -= sat_of[i]
            if best is None or (rho, project.project_id) < best[:2]:
                best = (rho, project.project_id, project, supporters)
        if best is None:
            return chosen
        rho, pid, project, supporters = best
        for i in supporters:
            budgets[i] -= min(budgets[i], rho * sats[pid][i])
        chosen.append(pid)
        remaining.remove(project)


def naive_add1(instance, profile, stop):
    n = len(profile.ballots)
    available = {
        p.project_id
        for p in instance.projects
        if p.cost > 0 and any(p.project_id in b.projects for b in profile.ballots)
    }
    costs = {p.project_id: p.cost for p in instance.projects}
    step, previous = 0, None
    while True:
        outcome = naive_mes(instance, profile, instance.budget / n + step)
        spent = sum(costs[p] for p in outcome)
        if spent > instance.budget:
            return previous
        if available <= set(outcome):
            return outcome
        if stop == "exhaustive" and all(
            spent + costs[p] > instance.budget for p in available - set(outcome)
        ):
            return outcome
        previous, step = outcome, step + 1


@st.composite
def small_elections(draw):
    count = draw(st.integers(1, 6))
    costs = {str(i): draw(st.integers(0, 60)) for i in range(count)}
    ballots = draw(
        st.lists(st.lists(st.sampled_from(sorted(costs)), unique=True), min_size=1, max_size=9)
    )
    return election(draw(st.integers(1, 120)), costs, ballots)


@settings(max_examples=80, deadline=None)
@given(small_elections(), st.sampled_from(["within-budget", "exhaustive"]))
def test_add1_skipping_ahead_equals_raising_the_budget_one_unit_at_a_time(elec, stop):
    instance, profile = elec

    fast = tally(
        instance, profile, "mes", Options(sat="cardinality", completion="add1", add1_stop=stop)
    )

    assert list(fast.selected) == naive_add1(instance, profile, stop)


@settings(max_examples=80, deadline=None)
@given(small_elections(), st.sampled_from(["cost", "cardinality"]), st.integers(0, 40))
def test_mes_equals_a_literal_voter_by_voter_implementation(elec, sat, extra):
    instance, profile = elec
    per_voter = instance.budget / len(profile.ballots) + extra

    run = mes.run(prepare(instance, profile, sat), per_voter)
    explained = mes.run(prepare(instance, profile, sat), per_voter, explain=True)

    expected = naive_mes(instance, profile, per_voter, sat)
    assert [instance.projects[p].project_id for p in run.selected] == expected
    assert explained.purchases == run.purchases


@settings(max_examples=80, deadline=None)
@given(small_elections(), st.sampled_from(["cost", "cardinality"]), st.integers(0, 40))
def test_mes_explains_when_each_rejected_project_became_unaffordable(elec, sat, extra):
    instance, profile = elec
    prepared = prepare(instance, profile, sat)
    per_voter = instance.budget / len(profile.ballots) + extra

    run = mes.run(prepared, per_voter, explain=True)

    # Replayed voter by voter: the first round at whose start a project's supporters have less
    # money than its cost, and that money.
    money = [per_voter] * prepared.voters
    became: dict[int, tuple[int, Fraction]] = {}

    def check(round_number):
        for p in run.rejections:
            if p not in became and prepared.supporters[p]:
                left = sum(money[v] for v in prepared.supporters[p])
                if left < prepared.costs[p]:
                    became[p] = (round_number, left)

    check(1)
    for purchase in run.purchases:
        if purchase.round:
            for v in prepared.supporters[purchase.project]:
                money[v] -= min(money[v], purchase.price)
            check(purchase.round + 1)
    for p, rejection in run.rejections.items():
        if prepared.supporters[p]:
            assert (rejection.unaffordable_round, rejection.money_left) == became[p], p


@st.composite
def scored_elections(draw, whole=False):
    """Cumulative ballots; `whole`: whole points only (the compiled filter takes those)."""
    count = draw(st.integers(1, 5))
    costs = {str(i): draw(st.integers(0, 60)) for i in range(count)}
    points = (
        st.integers(0, 9).map(Fraction)
        if whole
        else st.fractions(min_value=0, max_value=9, max_denominator=4)
    )
    ballots = draw(
        st.lists(st.dictionaries(st.sampled_from(sorted(costs)), points), min_size=1, max_size=8)
    )
    return election(draw(st.integers(1, 120)), costs, ballots, "cumulative")


@settings(max_examples=60, deadline=None)
@given(scored_elections(), st.integers(0, 30))
def test_mes_on_scored_ballots_equals_a_literal_implementation(elec, extra):
    instance, profile = elec
    per_voter = instance.budget / len(profile.ballots) + extra

    run = mes.run(prepare(instance, profile, "cost"), per_voter)

    expected = naive_mes(instance, profile, per_voter)
    assert [instance.projects[p].project_id for p in run.selected] == expected


@settings(max_examples=40, deadline=None)
@given(small_elections(), st.integers(0, 30), st.integers(1, 30))
def test_a_certified_run_has_the_outcome_of_every_budget_in_between(elec, start, length):
    instance, profile = elec
    prepared = prepare(instance, profile, "cost")
    low = instance.budget / len(profile.ballots) + start
    earlier = mes.run(prepared, low)

    later = mes.run(prepared, low + length, certify=earlier)

    if later.certified:
        for k in range(length + 1):
            assert mes.run(prepared, low + k).selected == earlier.selected


def test_add1_reproduces_the_official_result_of_assen_2024():
    instance, profile = parse_file(shared_path("pabulib", "Netherlands_Assen_2024.pb"))
    official = {p.project_id for p in instance.projects if p.field("selected") == "1"}

    outcome = tally(instance, profile, "mes", Options(sat="cost", completion="add1"))

    assert set(outcome.selected) == official
    assert outcome.selected == ("3", "9", "11", "2", "13", "14", "5", "6", "12")


@settings(max_examples=80, deadline=None)
@given(
    st.one_of(small_elections(), scored_elections(whole=True)),
    st.sampled_from(["within-budget", "exhaustive"]),
    st.booleans(),
)
def test_add1_jumps_end_at_the_same_step_as_single_steps(elec, stop, filtered):
    """Both fast loops: the exact runs' jumps, and the compiled filter's steps (on approval
    ballots and on scored ballots with whole points)."""
    instance, profile = elec
    prepared = prepare(instance, profile, "cost")

    jumping = add1(prepared, stop=stop, filtered=filtered)
    stepping = add1(prepared, stop=stop, jump=False)

    assert (jumping.run.selected, jumping.steps) == (stepping.run.selected, stepping.steps)
    assert jumping.run.per_voter_budget == stepping.run.per_voter_budget
    assert jumping.run.purchases == stepping.run.purchases


def test_add1_certified_jumps_skip_most_steps_on_assen_2024():
    instance, profile = parse_file(shared_path("pabulib", "Netherlands_Assen_2024.pb"))
    prepared = prepare(instance, profile, "cost")

    jumping = add1(prepared, stop="within-budget", filtered=False)

    assert jumping.steps == 843
    assert jumping.runs < jumping.steps // 4


def reference_cases():
    cases = []
    for path in sorted(REFERENCES.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for key, selected in sorted(data["outcomes"].items()):
            cases.append(pytest.param(data["file"], key, selected, id=f"{path.stem}:{key}"))
    return cases


@pytest.mark.parametrize(("file", "key", "expected"), reference_cases())
def test_the_outcome_equals_pabutools_on_the_shared_elections(file, key, expected):
    instance, profile = parse_file(shared_path("pabulib", file))
    rule, sat, completion, *stop = key.split("/")
    options = Options(
        sat=sat, completion=completion, add1_stop=stop[0] if stop else "within-budget"
    )

    outcome = tally(instance, profile, rule, options)

    assert list(outcome.selected) == expected


def test_the_cli_prints_the_outcome_as_json(capsys):
    path = shared_path("pabulib", "Netherlands_Assen_2024.pb")

    status = pb_cli.main(
        ["tally", str(path), "--rule", "mes", "--sat", "cost", "--completion", "add1", "--json"]
    )

    assert status == 0
    assert json.loads(capsys.readouterr().out) == {
        "selected": ["3", "9", "11", "2", "13", "14", "5", "6", "12"],
        "cost": 76700,
        "budget": 100000,
    }


def test_the_cli_explains_every_project(capsys):
    path = shared_path("pabulib", "Netherlands_Assen_2024.pb")

    pb_cli.main(["tally", str(path), "--rule", "greedy", "--sat", "cost", "--json", "--explain"])

    explanations = json.loads(capsys.readouterr().out)["explanations"]
    assert len(explanations) == 14
    assert explanations[0]["reason"] == "greedy-selected"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["tally", "x.pb", "--rule", "stv", "--sat", "cost"],
            "minga pb: argument --rule: invalid choice: 'stv' (choose from 'greedy', 'mes')\n",
        ),
        (
            ["tally", "x.pb", "--rule", "mes"],
            "minga pb: the following arguments are required: --sat\n",
        ),
        (
            ["tally", "x.pb", "--rule", "mes", "--sat", "cost", "--add1-stop", "exhaustive"],
            "minga pb: --add1-stop needs --completion add1 or add1u\n",
        ),
        (
            ["tally", "x.pb", "--rule", "greedy", "--sat", "cost", "--completion", "add1"],
            "minga pb: --completion applies to --rule mes only\n",
        ),
        (
            ["tally", "/nonexistent/x.pb", "--rule", "mes", "--sat", "cost"],
            "minga pb: /nonexistent/x.pb: no such file\n",
        ),
    ],
)
def test_bad_arguments_give_one_line_and_status_2(argv, message, capsys):
    status = pb_cli.main(argv)

    assert status == 2
    assert capsys.readouterr().err == message


def test_a_malformed_file_gives_its_line_and_status_2(tmp_path, capsys):
    path = tmp_path / "bad.pb"
    path.write_text(
        "META\nkey;value\nbudget;diez\nvote_type;approval\nPROJECTS\nproject_id;cost\nVOTES\nvoter_id;vote\n"
    )

    status = pb_cli.main(["tally", str(path), "--rule", "mes", "--sat", "cost"])

    assert status == 2
    assert (
        capsys.readouterr().err
        == f"minga pb: {path}: line 3: budget 'diez' is not a non-negative number\n"
    )


def test_an_empty_profile_selects_nothing_by_mes():
    instance, profile = parse_string(
        "META\nkey;value\nbudget;10\nvote_type;approval\nPROJECTS\nproject_id;cost\n1;5\nVOTES\nvoter_id;vote\n"
    )

    outcome = tally(instance, profile, "mes", Options(completion="add1u"))

    assert outcome.selected == ("1",)
    assert outcome.explanations[0].reason == "greedy-selected"
