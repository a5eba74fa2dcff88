"""The BLT ballot format, read and written exactly.

A BLT file, line by line (the format of OpenSTV, Droop and the Electoral Reform Society):

    4 2                 candidates and seats
    -2                  optional: withdrawn candidates, as negative numbers on one line
    3 1 3 4 0           a ballot: its weight, then candidate numbers in order of preference, then 0
    1 2 0               (candidates are numbered from 1 in the order of the names below)
    0                   the end of the ballots
    "Adams"             one quoted name per candidate
    "Baker"
    "Carter"
    "Davis"
    "Ward 3, 2026"      the title, quoted

Blank lines are ignored. Anything else that does not fit is refused with a `BltError` naming
the line and the problem; nothing is guessed. In particular a ballot that ranks a candidate
twice or names a candidate that does not exist is refused, not repaired: a ballot file is
evidence, and a recount must see exactly what the voters marked (docs/stv.md).
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from dataclasses import dataclass, field
from itertools import repeat
from operator import attrgetter, eq, itemgetter
from pathlib import Path

# Put a limit on everything (CONVENTIONS.md): these bound what a file may ask us to count.
MAX_CANDIDATES = 1_000
MAX_BALLOT_WEIGHT = 10**9
# Characters that int() accepts in an ASCII number but the format does not ("+3", "1_000"),
# and the minus sign, which a ballot line never has.
_NOT_PLAIN = re.compile(r"[^0-9 \t]")
# Longer numbers are refused before int() sees them: Python refuses to convert more than
# 4,300 digits, and no count needs more than MAX_BALLOT_WEIGHT's ten.
MAX_DIGITS = 20
# The fast path of `parse_blt` reads a file laid out exactly as `format_blt` writes it: one
# space between numbers, no blank line, no leading zero, names without anything that
# `str.splitlines` takes for a line break. The header and withdrawn lines, then the names and
# title, are matched by these patterns; the ballots by the checks in `_canonical_ballots`.
_CANONICAL_HEAD = re.compile(r"([0-9]{1,9}) ([0-9]{1,9})\n(?:(-[0-9]{1,9}(?: -[0-9]{1,9})*)\n)?")
_CANONICAL_NAMES = re.compile('(?:"[^"\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]*"\n)+')
_NOT_BALLOT_TEXT = re.compile(r"[^0-9 \n]")
# The ballots that the fast path of `parse_blt` has just checked line by line, while it builds
# their Election: checking a hundred thousand ballots a second time would double the cost of
# reading a file. A context variable, so that concurrent threads never see each other's.
_CHECKED_BALLOTS: ContextVar[tuple[Ballot, ...] | None] = ContextVar(
    "_CHECKED_BALLOTS", default=None
)
_WEIGHT = attrgetter("weight")
_PREFERENCES = attrgetter("preferences")


class BltError(ValueError):
    """A BLT file that does not follow the format. `line` is 1-based (one past the last line
    for a file cut short); 0 means the whole file (an empty one)."""

    def __init__(self, line: int, problem: str) -> None:
        self.line = line
        self.problem = problem
        super().__init__(f"line {line}: {problem}" if line else problem)


class ElectionError(ValueError):
    """An election built in code whose data is inconsistent; the message names the field."""


@dataclass(frozen=True)
class Ballot:
    """`weight` identical ballot papers ranking `preferences` (candidate numbers, from 1)."""

    weight: int
    preferences: tuple[int, ...]


@dataclass(frozen=True)
class Election:
    """Everything a count needs: candidates are numbered from 1 in the order of `candidates`."""

    candidates: tuple[str, ...]
    seats: int
    ballots: tuple[Ballot, ...]
    withdrawn: frozenset[int] = field(default_factory=frozenset)
    title: str = ""

    def __post_init__(self) -> None:
        validate_election(self)

    @property
    def numbers(self) -> range:
        return range(1, len(self.candidates) + 1)


def validate_election(election: Election) -> None:
    """Raise `ElectionError` naming the first field that breaks the format's rules."""
    n = len(election.candidates)
    if not 1 <= n <= MAX_CANDIDATES:
        raise ElectionError(f"candidates: there must be 1 to {MAX_CANDIDATES}, not {n}")
    for number, name in enumerate(election.candidates, start=1):
        _check_text(name, f"candidates[{number}]")
    _check_text(election.title, "title")
    if election.seats < 1:
        raise ElectionError(f"seats: must be at least 1, not {election.seats}")
    for number in sorted(election.withdrawn):
        if not 1 <= number <= n:
            raise ElectionError(f"withdrawn: candidate {number} does not exist (1 to {n})")
    if election.ballots is _CHECKED_BALLOTS.get() or _ballots_are_valid(election.ballots, n):
        return
    for index, ballot in enumerate(election.ballots):
        problem = ballot_problem(ballot.weight, ballot.preferences, n)
        if problem:
            raise ElectionError(f"ballots[{index}]: {problem}")
    raise AssertionError("a ballot failed the bulk check but no ballot has a problem")


def _ballots_are_valid(ballots: tuple[Ballot, ...], candidates: int) -> bool:
    """The checks of `ballot_problem` on all the ballots at once, each a chain of C loops (a
    file may hold hundreds of thousands of ballots). False says only that some ballot is wrong:
    the caller looks for the first one to name it."""
    if not ballots:
        return True
    weights = list(map(_WEIGHT, ballots))
    if not (min(weights) >= 1 and max(weights) <= MAX_BALLOT_WEIGHT):
        return False
    preferences = list(map(_PREFERENCES, ballots))
    ranked = list(filter(None, preferences))
    if ranked and not (min(map(min, ranked)) >= 1 and max(map(max, ranked)) <= candidates):
        return False
    # No candidate ranked twice: a ballot's set of preferences is as long as the ballot.
    return all(map(eq, map(len, map(set, ranked)), map(len, ranked)))


def ballot_problem(weight: int, preferences: tuple[int, ...], candidates: int) -> str:
    """What is wrong with a ballot, in words, or "" if nothing is."""
    # The common case, a good ballot, is checked in one pass of C code: a file may hold
    # hundreds of thousands of ballots.
    if (
        1 <= weight <= MAX_BALLOT_WEIGHT
        and (not preferences or (min(preferences) >= 1 and max(preferences) <= candidates))
        and len(set(preferences)) == len(preferences)
    ):
        return ""
    if not 1 <= weight <= MAX_BALLOT_WEIGHT:
        return f"the weight must be 1 to {MAX_BALLOT_WEIGHT}, not {weight}"
    seen: set[int] = set()
    for number in preferences:
        if not 1 <= number <= candidates:
            return f"candidate {number} does not exist (1 to {candidates})"
        if number in seen:
            return f"candidate {number} is ranked twice"
        seen.add(number)
    return ""


def _check_text(text: str, where: str) -> None:
    # A name is written between double quotes on one line, so it can hold neither a quote nor
    # anything that Python's splitlines() takes for a line break (\x1c, \u2028, ...).
    if '"' in text or len((text + ".").splitlines()) != 1:
        raise ElectionError(f"{where}: must not contain a double quote or a line break")


def parse_blt(text: str) -> Election:
    """Read a BLT file's text. Raises `BltError` naming the line at fault.

    A file in the layout `format_blt` writes (every file Minga publishes) is read by a fast
    path that checks the whole file at once; anything else, and any file that the fast path
    finds wrong in any way, is read line by line, which names the line at fault. Both paths
    read a file into the same `Election` (the tests check it on generated files)."""
    # "\r\n" and "\n" end a line alike for the line-by-line reader (str.splitlines), which
    # also reads the last line the same whether a line end follows it or not.
    canonical = text.replace("\r\n", "\n") if "\r" in text else text
    if not canonical.endswith("\n"):
        canonical += "\n"
    election = _parse_canonical(canonical)
    if election is not None:
        return election
    return _parse_lines(text)


def _parse_canonical(text: str) -> Election | None:
    """The fast path: the Election in a file laid out as `format_blt` writes it, or None if the
    file is laid out otherwise or has any problem at all (then `_parse_lines` names it)."""
    head = _CANONICAL_HEAD.match(text)
    if head is None:
        return None
    n, seats = int(head[1]), int(head[2])
    if not (1 <= n <= MAX_CANDIDATES and seats >= 1):
        return None
    withdrawn: set[int] = set()
    if head[3]:
        values = [-int(token) for token in head[3].split(" ")]
        if not all(1 <= value <= n for value in values) or len(set(values)) != len(values):
            return None
        withdrawn.update(values)
    # The ballots end at the first line that is a lone 0 (no ballot line starts with 0).
    start = head.end()
    end = text.find("\n0\n", start - 1) + 1
    if end == 0:
        return None
    ballots = _canonical_ballots(text[start:end], n)
    names = text[end + 2 :]
    if ballots is None or not _CANONICAL_NAMES.fullmatch(names):
        return None
    # The names, then the title: one more line than there are candidates, and nothing after.
    quoted = names.split("\n")[:-1]
    if len(quoted) != n + 1:
        return None
    checked = _CHECKED_BALLOTS.set(ballots)
    try:
        return Election(
            candidates=tuple(name[1:-1] for name in quoted[:-1]),
            seats=seats,
            ballots=ballots,
            withdrawn=frozenset(withdrawn),
            title=quoted[-1][1:-1],
        )
    except ElectionError:
        return None
    finally:
        _CHECKED_BALLOTS.reset(checked)


def _canonical_ballots(body: str, candidates: int) -> tuple[Ballot, ...] | None:
    """The ballot lines of the fast path, each "weight preference ... 0\n"; None if `body` is
    anything else, or has anything wrong.

    The layout is checked over the whole text at once (substring searches, in C): only ASCII
    digits, spaces and line ends; every line ends with " 0" (as many " 0\n" as "\n"); no line
    starts with a space, a line end or a 0 (so a weight is never 0 and no line is a lone 0).
    Then, once for each distinct line: the weight's range, each preference's (a number looked up
    among "1" to "n", so a 0 or a leading zero inside a ballot leaves the file to the line-by-line
    reader) and no candidate ranked twice."""
    if not body:
        return ()
    if (
        _NOT_BALLOT_TEXT.search(body)
        or body.count("\n") != body.count(" 0\n")
        or body[0] in " 0\n"
        or "\n " in body
        or "\n0" in body
    ):
        return None
    # Cutting at " 0\n" gives each line's text. Identical lines are read once and share one
    # (immutable) Ballot: a large election repeats its short ballots many times. Each step below
    # is a C loop over all the distinct lines (map, zip), and candidate numbers are looked up in
    # a table rather than converted by int(), which is quicker and checks their range too.
    lines = body[:-3].split(" 0\n")
    distinct = list(dict.fromkeys(lines))
    parts = list(map(str.partition, distinct, repeat(" ")))
    weights = list(map(itemgetter(0), parts))
    # A weight over ten digits is over MAX_BALLOT_WEIGHT (and int() refuses 4,300 digits).
    if max(map(len, weights)) > len(str(MAX_BALLOT_WEIGHT)):
        return None
    number = {str(c): c for c in range(1, candidates + 1)}.__getitem__
    try:
        rankings = list(
            map(tuple, map(map, repeat(number), map(str.split, map(itemgetter(2), parts))))
        )
    except KeyError:  # a candidate number out of range
        return None
    ballots = list(map(Ballot, map(int, weights), rankings))
    if max(map(_WEIGHT, ballots)) > MAX_BALLOT_WEIGHT:
        return None
    # No candidate ranked twice: a ballot's set of preferences is as long as the ballot.
    if not all(map(eq, map(len, map(set, rankings)), map(len, rankings))):
        return None
    return tuple(map(dict(zip(distinct, ballots, strict=True)).__getitem__, lines))


def _parse_lines(text: str) -> Election:
    """The general path: line by line, naming the first line at fault."""
    lines = [(number, line.strip()) for number, line in enumerate(text.splitlines(), start=1)]
    # A file cut short is reported at the line just past its end, where the missing text
    # should have been.
    past_end = len(lines) + 1
    lines = [(number, line) for number, line in lines if line]
    if not lines:
        raise BltError(0, "the file is empty: expected a line with candidates and seats")
    position = 0

    def take() -> tuple[int, str]:
        nonlocal position
        position += 1
        return lines[position - 1]

    def at_end() -> bool:
        return position >= len(lines)

    header_line, header = take()
    numbers = _integers(header, header_line)
    if len(numbers) != 2:
        raise BltError(header_line, "expected two numbers: candidates and seats")
    n, seats = numbers
    if not 1 <= n <= MAX_CANDIDATES:
        raise BltError(header_line, f"the number of candidates must be 1 to {MAX_CANDIDATES}")
    if seats < 1:
        raise BltError(header_line, "the number of seats must be at least 1")

    withdrawn: set[int] = set()
    if not at_end() and lines[position][1].startswith("-"):
        line_number, line = take()
        for value in _integers(line, line_number):
            if value >= 0:
                raise BltError(
                    line_number, f"withdrawn candidates are negative numbers, not {value}"
                )
            if -value > n:
                raise BltError(
                    line_number, f"withdrawn candidate {-value} does not exist (1 to {n})"
                )
            if -value in withdrawn:
                raise BltError(line_number, f"candidate {-value} is withdrawn twice")
            withdrawn.add(-value)

    ballots: list[Ballot] = []
    # The ballots are most of a file (the benchmark reads 100,000 of them), so the loop works
    # on the lines directly, and a line is parsed in C whenever it has nothing but ASCII digits
    # and spaces; anything else goes through `_integers`, which names the bad token.
    while True:
        if at_end():
            raise BltError(past_end, "the file ends inside the ballots: expected a line with 0")
        line_number, line = lines[position]
        position += 1
        tokens = line.split()
        if line.isascii() and not _NOT_PLAIN.search(line) and max(map(len, tokens)) <= MAX_DIGITS:
            values = [int(token) for token in tokens]
        else:
            values = _integers(line, line_number)
        if values == [0]:
            break
        if values[-1] != 0:
            raise BltError(line_number, "a ballot must end with 0")
        weight, preferences = values[0], tuple(values[1:-1])
        if not (
            1 <= weight <= MAX_BALLOT_WEIGHT
            and (not preferences or (min(preferences) >= 1 and max(preferences) <= n))
            and len(set(preferences)) == len(preferences)
        ):
            raise BltError(line_number, ballot_problem(weight, preferences, n))
        ballots.append(Ballot(weight, preferences))

    names: list[str] = []
    for number in range(1, n + 1):
        if at_end():
            raise BltError(past_end, f"the file ends before the name of candidate {number}")
        line_number, line = take()
        names.append(_quoted(line, line_number, f"the name of candidate {number}"))
    if at_end():
        raise BltError(past_end, "the file ends before the title")
    line_number, line = take()
    title = _quoted(line, line_number, "the title")
    if not at_end():
        raise BltError(lines[position][0], "unexpected text after the title")
    return Election(
        candidates=tuple(names),
        seats=seats,
        ballots=tuple(ballots),
        withdrawn=frozenset(withdrawn),
        title=title,
    )


def _integers(line: str, line_number: int) -> list[int]:
    values: list[int] = []
    for token in line.split():
        # int() accepts "+3", "٣" and "1_000"; the format has plain ASCII digits only.
        body = token[1:] if token.startswith("-") else token
        if not (body.isascii() and body.isdigit()):
            raise BltError(line_number, f"expected whole numbers, found {token!r}")
        if len(body) > MAX_DIGITS:
            raise BltError(
                line_number, f"the number {token[:12]}… has more than {MAX_DIGITS} digits"
            )
        values.append(int(token))
    return values


def _quoted(line: str, line_number: int, what: str) -> str:
    if len(line) < 2 or not (line.startswith('"') and line.endswith('"')) or '"' in line[1:-1]:
        raise BltError(line_number, f"expected {what} between double quotes, found {line!r}")
    return line[1:-1]


def format_blt(election: Election) -> str:
    """The BLT text of an election; `parse_blt(format_blt(e)) == e` for every valid election."""
    out = [f"{len(election.candidates)} {election.seats}"]
    if election.withdrawn:
        out.append(" ".join(str(-number) for number in sorted(election.withdrawn)))
    for ballot in election.ballots:
        out.append(" ".join(str(value) for value in (ballot.weight, *ballot.preferences, 0)))
    out.append("0")
    out.extend(f'"{name}"' for name in election.candidates)
    out.append(f'"{election.title}"')
    return "\n".join(out) + "\n"


def read_blt(path: Path | str) -> Election:
    """Read a BLT file from disk (UTF-8). Raises `BltError`, or `OSError` if it cannot be read."""
    data = Path(path).read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise BltError(line, "the text is not valid UTF-8") from error
    return parse_blt(text)


def write_blt(election: Election, path: Path | str) -> None:
    Path(path).write_text(format_blt(election), encoding="utf-8")
