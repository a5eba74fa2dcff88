"""`minga stv …`: count a BLT file by the Scottish STV rules, with no database.

    minga stv count FILE.blt [--seats N] [--seed S] [--json]
    minga stv vacancy FILE.blt --departed C --holding C,C,... [--unavailable C,...]
                      [--seed S] [--json]

Bad arguments or a bad file give one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field

from minga.voting.blt import BltError, Election, parse_blt, read_blt
from minga.voting.stv import StvError, StvResult, count, fill_vacancy, format_votes

USAGE = (
    "usage: minga stv count FILE.blt [--seats N] [--seed S] [--json]\n"
    "       minga stv vacancy FILE.blt --departed C --holding C,C,... "
    "[--unavailable C,...] [--seed S] [--json]"
)
MAX_SEED = 2**63 - 1


class UsageError(Exception):
    """A command line that cannot be run; the message names the argument."""


@dataclass
class Arguments:
    command: str
    path: str
    as_json: bool = False
    options: dict[str, str] = field(default_factory=dict)


OPTIONS = {
    "count": {"--seats", "--seed"},
    "vacancy": {"--seed", "--departed", "--holding", "--unavailable"},
}


def main(argv: list[str]) -> int:
    if argv in ([], ["-h"], ["--help"]):
        print(USAGE, file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    try:
        arguments = _parse(argv)
    except UsageError as error:
        return _fail(str(error))
    try:
        output, text = _run(arguments)
    except (UsageError, StvError) as error:
        return _fail(str(error))
    except BltError as error:
        return _fail(f"{arguments.path}: {error}")
    except UnicodeDecodeError as error:
        return _fail(f"{arguments.path}: the file is not UTF-8 text (byte {error.start})")
    except OSError as error:
        return _fail(f"{arguments.path}: {error.strerror or error}")
    if arguments.as_json:
        print(json.dumps(output, ensure_ascii=False, indent=1))
    else:
        print(text, end="")
    return 0


def _run(arguments: Arguments) -> tuple[dict[str, object], str]:
    election = _read(arguments.path)
    seed = _integer(arguments.options, "--seed", 0, 0, MAX_SEED)
    if arguments.command == "count":
        seats = _integer(arguments.options, "--seats", election.seats, 1, 10_000)
        result = count(election, seed=seed, seats=seats)
        return _count_json(election, result), _sheet(election, result)
    if "--departed" not in arguments.options or "--holding" not in arguments.options:
        raise UsageError("vacancy needs --departed and --holding")
    vacancy = fill_vacancy(
        election,
        departed=_integer(arguments.options, "--departed", 0, 1, 10_000),
        holding=_numbers(arguments.options, "--holding"),
        unavailable=_numbers(arguments.options, "--unavailable"),
        seed=seed,
    )
    output = {"filled_by": list(vacancy.candidates), **_count_json(election, vacancy.recount)}
    filled = ", ".join(_name(election, c) for c in vacancy.candidates) or "nobody"
    return output, _sheet(election, vacancy.recount) + f"Vacancy filled by: {filled}\n"


def _fail(message: str) -> int:
    print(f"minga stv: {message}", file=sys.stderr)
    return 2


def _parse(argv: list[str]) -> Arguments:
    command, rest = argv[0], argv[1:]
    if command not in OPTIONS:
        raise UsageError(f"unknown command {command!r} (expected count or vacancy)")
    path: str | None = None
    arguments = Arguments(command=command, path="")
    position = 0
    while position < len(rest):
        word = rest[position]
        position += 1
        name, equals, inline = word.partition("=")
        if word == "--json":
            arguments.as_json = True
        elif name in OPTIONS[command]:
            if not equals:
                if position >= len(rest):
                    raise UsageError(f"{name} needs a value")
                inline = rest[position]
                position += 1
            if name in arguments.options:
                raise UsageError(f"{name} is given twice")
            arguments.options[name] = inline
        elif word.startswith("-") and word != "-":
            raise UsageError(f"unknown option {word!r} for {command}")
        elif path is None:
            path = word
        else:
            raise UsageError(f"unexpected argument {word!r}: give one BLT file")
    if path is None:
        raise UsageError(f"{command} needs a BLT file")
    arguments.path = path
    return arguments


def _read(path: str) -> Election:
    if path == "-":
        return parse_blt(sys.stdin.read())
    return read_blt(path)


def _integer(options: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    if name not in options:
        return default
    text = options[name]
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise UsageError(f"{name} must be a whole number from {low} to {high}, not {text!r}")
    return int(text)


def _numbers(options: dict[str, str], name: str) -> list[int]:
    text = options.get(name, "")
    if not text:
        return []
    numbers = []
    for part in text.split(","):
        if not (part.isascii() and part.isdigit()):
            raise UsageError(f"{name} must be candidate numbers separated by commas, not {text!r}")
        numbers.append(int(part))
    return numbers


def _name(election: Election, candidate: int) -> str:
    return f"{candidate} {election.candidates[candidate - 1]}"


def _count_json(election: Election, result: StvResult) -> dict[str, object]:
    return {
        "title": election.title,
        "candidates": {str(c): name for c, name in enumerate(election.candidates, start=1)},
        **result.to_json(),
    }


def _sheet(election: Election, result: StvResult) -> str:
    """The count sheet as plain text, one column per stage."""
    lines = [
        election.title or "STV count",
        f"Seats: {result.seats}  Valid ballots: {result.valid_ballots}  "
        f"Invalid: {result.invalid_ballots}  Quota: {format_votes(result.quota)}  "
        f"Seed: {result.seed}",
        "",
    ]
    for stage in result.stages:
        action: str = stage.action
        if stage.candidate is not None:
            action += f" of {_name(election, stage.candidate)}"
        lines.append(f"Stage {stage.number}: {action}")
        if stage.tie_break:
            tie = stage.tie_break
            how = f"stage {tie.stage}" if tie.method == "earlier stage" else f"lot {tie.lot}"
            lines.append(f"  tie between {list(tie.among)} broken by {how}")
        for candidate, votes in stage.votes.items():
            change = stage.transfers.get(candidate)
            shown = f"{format_votes(change):>14}" if change is not None else " " * 14
            lines.append(f"  {_name(election, candidate):<30}{shown}{format_votes(votes):>16}")
        lines.append(f"  {'non-transferable':<30}{format_votes(stage.non_transferable):>14}")
        if stage.truncation_loss:
            lines.append(f"  {'lost to truncation':<30}{format_votes(stage.truncation_loss):>14}")
        for label, who in (
            ("elected", stage.elected),
            ("deemed elected (rule 52)", stage.deemed_elected),
            ("excluded", stage.excluded),
        ):
            if who:
                lines.append(f"  {label}: " + ", ".join(_name(election, c) for c in who))
        lines.append("")
    elected = ", ".join(_name(election, c) for c in result.elected) or "nobody"
    lines.append(f"Elected, in order: {elected}")
    return "\n".join(lines) + "\n"
