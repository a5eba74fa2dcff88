"""The BLT format: read exactly, written exactly, and refused line by line when malformed."""

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minga.voting.blt import (
    Ballot,
    BltError,
    Election,
    ElectionError,
    format_blt,
    parse_blt,
    read_blt,
    write_blt,
)

EXAMPLE = """\
4 2
-2
3 1 3 4 0
1 2 0
2 4 1 0

0
"Adams"
"Baker"
"Carter"
"Davis"
"Ward 3, 2026"
"""


def test_the_example_file_is_read_into_an_election():
    election = parse_blt(EXAMPLE)

    assert election == Election(
        candidates=("Adams", "Baker", "Carter", "Davis"),
        seats=2,
        ballots=(Ballot(3, (1, 3, 4)), Ballot(1, (2,)), Ballot(2, (4, 1))),
        withdrawn=frozenset({2}),
        title="Ward 3, 2026",
    )


def test_an_election_is_written_in_the_usual_layout():
    election = parse_blt(EXAMPLE)

    text = format_blt(election)

    assert text == (
        '4 2\n-2\n3 1 3 4 0\n1 2 0\n2 4 1 0\n0\n"Adams"\n"Baker"\n"Carter"\n"Davis"\n'
        '"Ward 3, 2026"\n'
    )


def test_a_file_without_withdrawn_line_and_with_a_blank_ballot_is_read():
    election = parse_blt('2 1\n1 0\n4 2 1 0\n0\n"Ana"\n"Bea"\n""\n')

    assert election.withdrawn == frozenset()
    assert election.ballots == (Ballot(1, ()), Ballot(4, (2, 1)))
    assert election.title == ""


def test_names_keep_their_inner_spaces_and_accents():
    election = parse_blt('1 1\n1 1 0\n0\n"  María José Quispe "\n"Elección 2026"\n')

    assert election.candidates == ("  María José Quispe ",)


def test_a_file_is_written_and_read_back_from_disk(tmp_path: Path):
    election = parse_blt(EXAMPLE)
    path = tmp_path / "ward.blt"

    write_blt(election, path)

    assert read_blt(path) == election


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path):
    path = tmp_path / "latin1.blt"
    path.write_bytes('1 1\n1 1 0\n0\n"Jos\xe9"\n"t"\n'.encode("latin-1"))

    with pytest.raises(BltError) as raised:
        read_blt(path)

    assert str(raised.value) == "line 4: the text is not valid UTF-8"


MALFORMED = [
    ("", 0, "the file is empty: expected a line with candidates and seats"),
    ("\n  \n", 0, "the file is empty: expected a line with candidates and seats"),
    ("4\n", 1, "expected two numbers: candidates and seats"),
    ("4 2 1\n", 1, "expected two numbers: candidates and seats"),
    ("four 2\n", 1, "expected whole numbers, found 'four'"),
    ("0 1\n", 1, "the number of candidates must be 1 to 1000"),
    ("3 0\n", 1, "the number of seats must be at least 1"),
    ("3 1\n-4\n", 2, "withdrawn candidate 4 does not exist (1 to 3)"),
    ("3 1\n-2 -2\n", 2, "candidate 2 is withdrawn twice"),
    ("3 1\n-2 3\n", 2, "withdrawn candidates are negative numbers, not 3"),
    ("3 1\n-0\n", 2, "withdrawn candidates are negative numbers, not 0"),
    ("3 1\n2 1 2\n", 2, "a ballot must end with 0"),
    ("3 1\n0 1 2 0\n", 2, "the weight must be 1 to 1000000000, not 0"),
    ("3 1\n1 1 0\n-1 1 0\n", 3, "the weight must be 1 to 1000000000, not -1"),
    ("3 1\n1.5 1 0\n", 2, "expected whole numbers, found '1.5'"),
    ("3 1\n1 1 4 0\n", 2, "candidate 4 does not exist (1 to 3)"),
    ("3 1\n1 2 1 2 0\n", 2, "candidate 2 is ranked twice"),
    ("3 1\n1 2=3 0\n", 2, "expected whole numbers, found '2=3'"),
    ("3 1\n1 - 2 0\n", 2, "expected whole numbers, found '-'"),
    ("3 1\n1 +2 0\n", 2, "expected whole numbers, found '+2'"),
    ("3 1\n1 ٢ 0\n", 2, "expected whole numbers, found '٢'"),
    ("3 1\n1 1 0\n", 3, "the file ends inside the ballots: expected a line with 0"),
    ('2 1\n1 1 0\n0\n"Ana"\n', 5, "the file ends before the name of candidate 2"),
    ('2 1\n1 1 0\n0\n"Ana"\nBea\n"t"\n', 5,
     "expected the name of candidate 2 between double quotes, found 'Bea'"),
    ('1 1\n1 1 0\n0\n"A"na"\n"t"\n', 4,
     "expected the name of candidate 1 between double quotes, found '\"A\"na\"'"),
    ('1 1\n1 1 0\n0\n"Ana"\n', 5, "the file ends before the title"),
    ('1 1\n1 1 0\n\n0\n"Ana"\n\n', 7, "the file ends before the title"),
    ('1 1\n1 1 0\n0\n"Ana"\ntitle\n', 5, "expected the title between double quotes, found 'title'"),
    ('1 1\n1 1 0\n0\n"Ana"\n"t"\n\n"more"\n', 7, "unexpected text after the title"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "line", "problem"), MALFORMED)
def test_a_malformed_file_is_refused_naming_the_line_and_the_problem(text, line, problem):
    with pytest.raises(BltError) as raised:
        parse_blt(text)

    assert (raised.value.line, raised.value.problem) == (line, problem)
    assert str(raised.value) == (f"line {line}: {problem}" if line else problem)


NO_QUOTE = "must not contain a double quote or a line break"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"candidates": ()}, "candidates: there must be 1 to 1000, not 0"),
        ({"candidates": ('A"B',)}, f"candidates[1]: {NO_QUOTE}"),
        ({"candidates": ("A\u2028B",)}, f"candidates[1]: {NO_QUOTE}"),
        ({"title": "two\nlines"}, f"title: {NO_QUOTE}"),
        ({"seats": 0}, "seats: must be at least 1, not 0"),
        ({"withdrawn": frozenset({2})}, "withdrawn: candidate 2 does not exist (1 to 1)"),
        ({"ballots": (Ballot(1, (1,)), Ballot(1, (1, 1)))},
         "ballots[1]: candidate 1 is ranked twice"),
        ({"ballots": (Ballot(0, (1,)),)}, "ballots[0]: the weight must be 1 to 1000000000, not 0"),
    ],
)  # fmt: skip
def test_an_inconsistent_election_built_in_code_is_refused_naming_the_field(fields, message):
    values = {"candidates": ("Ana",), "seats": 1, "ballots": (Ballot(1, (1,)),), **fields}

    with pytest.raises(ElectionError) as raised:
        Election(**values)

    assert str(raised.value) == message


# Names and titles: any text that fits between quotes on one line.
texts = st.text(st.characters(codec="utf-8", exclude_characters='"'), max_size=12).filter(
    lambda text: len((text + ".").splitlines()) == 1
)


@st.composite
def elections(draw) -> Election:
    n = draw(st.integers(1, 8))
    ballot = st.builds(
        Ballot,
        st.integers(1, 10**9),
        st.permutations(range(1, n + 1)).flatmap(
            lambda order: st.integers(0, n).map(lambda k: tuple(order[:k]))
        ),
    )
    return Election(
        candidates=tuple(draw(st.lists(texts, min_size=n, max_size=n))),
        seats=draw(st.integers(1, 10)),
        ballots=tuple(draw(st.lists(ballot, max_size=10))),
        withdrawn=frozenset(draw(st.sets(st.integers(1, n)))),
        title=draw(texts),
    )


@given(elections())
def test_any_election_survives_a_round_trip_through_its_blt_text(election):
    assert parse_blt(format_blt(election)) == election


@settings(max_examples=300)
@given(st.text(st.sampled_from('0123456789 -"\nAb.=\t'), max_size=60))
def test_any_text_is_either_read_or_refused_with_a_blt_error(text):
    try:
        election = parse_blt(text)
    except BltError as error:
        assert error.line >= 0
        assert error.problem
    else:
        assert parse_blt(format_blt(election)) == election


@given(elections(), st.data())
def test_a_file_cut_short_is_refused_with_a_blt_error(election, data):
    text = format_blt(election)
    lines = text.splitlines()
    cut = data.draw(st.integers(0, len(lines) - 1))

    with pytest.raises(BltError):
        parse_blt("\n".join(lines[:cut]))
