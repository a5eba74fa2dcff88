from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import shared_path
from minga.voting.pabulib import PabulibError, format_number, parse_file, parse_string, write_string
from minga.voting.pb.model import Ballot, Instance, Profile, Project

APPROVAL = """META
key;value
description;Test
budget;100
vote_type;approval
num_projects;3
num_votes;2
PROJECTS
project_id;cost;name
1;60;Parque
2;50;"Calle; acera"
10;40;Luces
VOTES
voter_id;vote;age
a;1,2;30
b;10;41
"""


def test_an_approval_file_is_read_with_its_budget_projects_and_ballots():
    instance, profile = parse_string(APPROVAL)

    assert instance.budget == 100
    assert [(p.project_id, p.cost) for p in instance.projects] == [
        ("1", Fraction(60)),
        ("2", Fraction(50)),
        ("10", Fraction(40)),
    ]
    assert instance.project("2").field("name") == "Calle; acera"
    assert profile.vote_type == "approval"
    assert profile.ballots == (
        Ballot("a", ("1", "2"), None, (("age", "30"),)),
        Ballot("b", ("10",), None, (("age", "41"),)),
    )


def test_decimal_budgets_and_cumulative_points_are_exact():
    text = APPROVAL.replace("budget;100", "budget;100,25").replace(
        "vote_type;approval", "vote_type;cumulative"
    )
    text = text.replace(
        "voter_id;vote;age\na;1,2;30\nb;10;41", "voter_id;vote;points\na;1,2;3,2.5\nb;10;5"
    )

    instance, profile = parse_string(text)

    assert instance.budget == Fraction(401, 4)
    assert profile.ballots[0].points == (Fraction(3), Fraction(5, 2))


def test_a_repeated_approval_counts_once():
    _instance, profile = parse_string(APPROVAL.replace("a;1,2;30", "a;1,2,1;30"))

    assert profile.ballots[0].projects == ("1", "2")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("budget;100", "budget;cien"), "line 4: budget 'cien' is not a non-negative number"),
        (("budget;100", "budget;-5"), "line 4: budget '-5' is not a non-negative number"),
        (
            ("vote_type;approval", "vote_type;borda"),
            "line 5: vote_type 'borda' is not one of "
            "approval, choose-1, cumulative, scoring, ordinal",
        ),
        (
            ("1;60;Parque", "1;sesenta;Parque"),
            "line 10: project 1: cost 'sesenta' is not a non-negative number",
        ),
        (("10;40;Luces", "1;40;Luces"), "line 12: project '1' repeated (first on line 10)"),
        (("b;10;41", "b;11;41"), "line 16: voter b: unknown project '11'"),
        (("b;10;41", "a;10;41"), "line 16: voter 'a' repeated (first on line 15)"),
        (("b;10;41", "b;10"), "line 16: 2 columns where the VOTES header has 3"),
        (("num_votes;2", "num_votes;3"), "line 7: num_votes says 3 but the file has 2"),
        (
            ("project_id;cost;name", "id;cost;name"),
            "line 9: the PROJECTS header has no 'project_id' column",
        ),
        (("VOTES\n", ""), "the VOTES section is missing"),
        (
            ("description;Test", "description;Test\ndescription;Otra"),
            "line 4: META key 'description' repeated (first on line 3)",
        ),
        (("budget;100\n", ""), "META has no 'budget' row"),
        (("META\n", "hola\n"), "line 1: text before the META section"),
    ],
)
def test_a_malformed_file_is_refused_naming_the_line_and_the_problem(change, message):
    text = APPROVAL.replace(*change)

    with pytest.raises(PabulibError) as refused:
        parse_string(text)

    assert str(refused.value) == message


def test_a_cumulative_ballot_needs_one_point_per_project():
    text = APPROVAL.replace("vote_type;approval", "vote_type;cumulative")
    text = text.replace(
        "voter_id;vote;age\na;1,2;30\nb;10;41", "voter_id;vote;points\na;1,2;3\nb;10;5"
    )

    with pytest.raises(PabulibError) as refused:
        parse_string(text)

    assert str(refused.value) == "line 15: voter a: 2 projects but 1 points"


def test_a_missing_file_is_an_error_not_a_traceback(tmp_path):
    with pytest.raises(PabulibError) as refused:
        parse_file(tmp_path / "nada.pb")

    assert str(refused.value) == "no such file"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Fraction(5), "5"),
        (Fraction(401, 4), "100.25"),
        (Fraction(1, 3), "1/3"),
        (Fraction(1, 20), "0.05"),
    ],
)
def test_numbers_are_written_exactly(value, text):
    assert format_number(value) == text


ids = st.text(alphabet="abcxyz0123456789_-", min_size=1, max_size=6)
numbers = st.fractions(min_value=0, max_value=10**6, max_denominator=40)
texts = st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), max_size=12).map(
    str.strip
)


@st.composite
def elections(draw):
    vote_type = draw(st.sampled_from(["approval", "choose-1", "cumulative", "scoring", "ordinal"]))
    project_ids = draw(st.lists(ids, min_size=1, max_size=8, unique=True))
    has_name = draw(st.booleans())
    projects = tuple(
        Project(pid, draw(numbers), (("name", draw(texts) or "x"),) if has_name else ())
        for pid in project_ids
    )
    budget = draw(numbers)
    meta = (
        ("description", draw(texts) or "d"),
        ("budget", format_number(budget)),
        ("vote_type", vote_type),
    )
    voter_ids = draw(st.lists(ids, max_size=10, unique=True))
    ballots = []
    for voter in voter_ids:
        size = 1 if vote_type == "choose-1" else len(project_ids)
        chosen = tuple(draw(st.lists(st.sampled_from(project_ids), max_size=size, unique=True)))
        points = (
            tuple(draw(numbers) for _ in chosen) if vote_type in ("cumulative", "scoring") else None
        )
        ballots.append(Ballot(voter, chosen, points, (("sex", draw(st.sampled_from(["F", "M"]))),)))
    return Instance(budget, projects, meta), Profile(vote_type, tuple(ballots))


@settings(max_examples=60, deadline=None)
@given(elections())
def test_writing_then_reading_gives_back_the_same_election(election):
    instance, profile = election

    assert parse_string(write_string(instance, profile)) == (instance, profile)


def test_every_shared_election_is_read_and_written_back_unchanged():
    folder = shared_path("pabulib")

    for path in sorted(folder.glob("*.pb")):
        if path.stat().st_size > 150_000:
            continue  # the large files are read by the cross-check tests
        instance, profile = parse_file(path)

        assert parse_string(write_string(instance, profile)) == (instance, profile), path.name
        assert len(profile.ballots) == int(instance.meta_value("num_votes") or -1), path.name
