"""The fast path of the BLT reader: a file laid out as Minga writes it is read at once, and it
must read exactly what the line-by-line reader reads, and refuse exactly what it refuses."""

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minga.voting.blt import (
    Ballot,
    BltError,
    Election,
    ElectionError,
    _ballots_are_valid,
    _parse_canonical,
    _parse_lines,
    ballot_problem,
    format_blt,
    parse_blt,
)
from minga.voting.tests.test_blt import elections


def outcome(reader: Callable[[str], Election], text: str) -> Election | tuple[int, str]:
    """What a reader makes of a text: the Election, or the line and problem it refuses."""
    try:
        return reader(text)
    except BltError as error:
        return (error.line, error.problem)


def both_paths_agree(text: str) -> None:
    fast = _parse_canonical(text)
    slow = outcome(_parse_lines, text)

    # The fast path reads what the line-by-line reader reads, or leaves the file to it.
    assert fast is None or fast == slow
    assert outcome(parse_blt, text) == slow


@settings(max_examples=150)
@given(elections())
def test_every_file_minga_writes_is_read_by_the_fast_path_into_the_same_election(election):
    text = format_blt(election)

    assert _parse_canonical(text) == election
    assert _parse_lines(text) == election


@settings(max_examples=300)
@given(elections(), st.data())
def test_a_damaged_file_is_read_or_refused_alike_by_both_paths(election, data):
    text = format_blt(election)
    at = data.draw(st.integers(0, len(text)))
    cut = data.draw(st.integers(0, 3))
    inserted = data.draw(st.text(st.sampled_from('0123456789 -"\n\r\t\u2028x'), max_size=4))

    both_paths_agree(text[:at] + inserted + text[at + cut :])


@settings(max_examples=300)
@given(st.text(st.sampled_from('0123456789 -"\n\r\tA'), max_size=60))
def test_any_text_is_read_or_refused_alike_by_both_paths(text):
    both_paths_agree(text)


CANONICAL_BUT_WRONG = [
    ('3 1\n1 1 2 0\n1 1 4 0\n0\n"A"\n"B"\n"C"\n"t"\n', 3, "candidate 4 does not exist (1 to 3)"),
    ('3 1\n1 1 2 0\n2 3 1 3 0\n0\n"A"\n"B"\n"C"\n"t"\n', 3, "candidate 3 is ranked twice"),
    ('3 1\n9999999999 1 0\n0\n"A"\n"B"\n"C"\n"t"\n', 2,
     "the weight must be 1 to 1000000000, not 9999999999"),
    ('3 1\n1 2 0 3 0\n0\n"A"\n"B"\n"C"\n"t"\n', 2, "candidate 0 does not exist (1 to 3)"),
    ('3 1\n-3 -3\n1 1 0\n0\n"A"\n"B"\n"C"\n"t"\n', 2, "candidate 3 is withdrawn twice"),
    ('3 1\n-4\n1 1 0\n0\n"A"\n"B"\n"C"\n"t"\n', 2, "withdrawn candidate 4 does not exist (1 to 3)"),
    ('3 1\n1 1 0\n0\n"A"\n"B"\n"C"\n', 7, "the file ends before the title"),
    ('3 1\n1 1 0\n0\n"A"\n"B"\n"C"\n"t"\n"u"\n', 8, "unexpected text after the title"),
    ('3 1\n1 1 0\n1 2 0\n', 4, "the file ends inside the ballots: expected a line with 0"),
    ("3 1\n1 " + "7" * 5000 + " 0\n0\n", 2, "the number 777777777777… has more than 20 digits"),
    ("3 1\n" + "7" * 5000 + " 1 0\n0\n", 2, "the number 777777777777… has more than 20 digits"),
    ("3 1\n1  " + "7" * 5000 + " 0\n0\n", 2, "the number 777777777777… has more than 20 digits"),
    ("3 1\n-" + "7" * 30 + "\n0\n", 2, "the number -77777777777… has more than 20 digits"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "line", "problem"), CANONICAL_BUT_WRONG)
def test_a_file_in_minga_layout_with_a_mistake_is_refused_naming_the_line(text, line, problem):
    with pytest.raises(BltError) as raised:
        parse_blt(text)

    assert (raised.value.line, raised.value.problem) == (line, problem)
    assert _parse_canonical(text) is None


EXAMPLE = '3 2\n-2\n2 1 3 0\n1 3 0\n2 1 3 0\n1 0\n0\n"Ana"\n"Bea"\n"Carla"\n"Junta 2026"\n'


def test_windows_line_ends_and_a_missing_last_line_end_read_the_same_election():
    election = parse_blt(EXAMPLE)

    assert parse_blt(EXAMPLE.replace("\n", "\r\n")) == election
    assert parse_blt(EXAMPLE.rstrip("\n")) == election
    assert election == Election(
        candidates=("Ana", "Bea", "Carla"),
        seats=2,
        ballots=(Ballot(2, (1, 3)), Ballot(1, (3,)), Ballot(2, (1, 3)), Ballot(1, ())),
        withdrawn=frozenset({2}),
        title="Junta 2026",
    )


NAMES = '"A"\n"B"\n"C"\n"t"\n'


@pytest.mark.parametrize(
    "ballot_lines",
    [
        " 2 1 0\n",  # a space before the weight
        "1 1 0\n 2 1 0\n",
        "\t2 1 0\n",
        "1 1 0\n0 1 0\n",  # a weight of 0
        "0 1 0\n",
        "05 1 0\n",  # a leading zero
        "1 1 0\n05 1 0\n",
        "1 03 0\n",
        "1 2  3 0\n",  # two spaces
        "1 2 3 0 \n",
        "1 2 3\n",  # no closing 0
        "1 2 0 3 0\n",
        "1 2\u00a03 0\n",
        "\u0661 2 0\n",  # a digit that is not ASCII
    ],
)
def test_a_ballot_line_out_of_minga_layout_is_read_or_refused_alike_by_both_paths(ballot_lines):
    both_paths_agree(f"3 1\n{ballot_lines}0\n{NAMES}")


def test_identical_ballot_lines_share_one_ballot():
    election = parse_blt(EXAMPLE)

    assert election.ballots[0] is election.ballots[2]
    assert election.ballots[0] is not election.ballots[1]


def test_a_file_laid_out_otherwise_is_read_line_by_line_into_the_same_election():
    spaced = EXAMPLE.replace("2 1 3 0", "2\t1  3 0 ").replace("0\n", "0\n\n", 1)

    assert _parse_canonical(spaced) is None
    assert parse_blt(spaced) == parse_blt(EXAMPLE)


def test_ballots_checked_while_reading_are_still_checked_in_any_other_election():
    parsed = parse_blt(EXAMPLE)

    with pytest.raises(ElectionError) as raised:
        Election(candidates=("Ana",), seats=1, ballots=parsed.ballots)

    assert str(raised.value) == "ballots[0]: candidate 3 does not exist (1 to 1)"


ballots = st.builds(
    Ballot,
    st.integers(-2, 10**9 + 2),
    st.lists(st.integers(-1, 6), max_size=6).map(tuple),
)


@given(st.lists(ballots, max_size=8), st.integers(1, 6))
def test_the_bulk_check_of_ballots_agrees_with_the_check_of_each_ballot(listed, candidates):
    expected = all(not ballot_problem(b.weight, b.preferences, candidates) for b in listed)

    assert _ballots_are_valid(tuple(listed), candidates) is expected
