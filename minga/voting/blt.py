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
from dataclasses import dataclass, field
from pathlib import Path

# Put a limit on everything (CONVENTIONS.md): these bound what a file may ask us to count.
MAX_CANDIDATES = 1_000
MAX_BALLOT_WEIGHT = 10**9
# A line of whole numbers in plain ASCII digits, the only kind the format has.
_PLAIN_NUMBERS = re.compile(r"-?[0-9]+(?:[ \t]+-?[0-9]+)*")
# Characters that int() accepts in an ASCII number but the format does not ("+3", "1_000"),
# and the minus sign, which a ballot line never has.
_NOT_PLAIN = re.compile(r"[^0-9 \t]")


class BltError(ValueError):
    """A BLT file that does not follow the format. `line` is 1-based; 0 means the whole file."""

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
    for index, ballot in enumerate(election.ballots):
        problem = ballot_problem(ballot.weight, ballot.preferences, n)
        if problem:
            raise ElectionError(f"ballots[{index}]: {problem}")


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
    """Read a BLT file's text. Raises `BltError` naming the line at fault."""
    lines = [(number, line.strip()) for number, line in enumerate(text.splitlines(), start=1)]
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
            raise BltError(0, "the file ends inside the ballots: expected a line with 0")
        line_number, line = lines[position]
        position += 1
        if line.isascii() and not _NOT_PLAIN.search(line):
            values = [int(token) for token in line.split()]
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
            raise BltError(0, f"the file ends before the name of candidate {number}")
        line_number, line = take()
        names.append(_quoted(line, line_number, f"the name of candidate {number}"))
    if at_end():
        raise BltError(0, "the file ends before the title")
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
    if _PLAIN_NUMBERS.fullmatch(line):
        return [int(token) for token in line.split()]
    values: list[int] = []
    for token in line.split():
        # int() accepts "+3", "٣" and "1_000"; the format has plain ASCII digits only.
        body = token[1:] if token.startswith("-") else token
        if not (body.isascii() and body.isdigit()):
            raise BltError(line_number, f"expected whole numbers, found {token!r}")
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
