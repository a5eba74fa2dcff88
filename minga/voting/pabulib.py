"""Reads and writes the pabulib `.pb` format (https://pabulib.org/format): a META section
(key;value), a PROJECTS section (project_id;cost;...) and a VOTES section (voter_id;vote;...),
each a `;`-separated table whose first row names the columns.

Every problem in a file is reported as a `PabulibError` naming the line and the problem; the
parser never lets another exception escape for bad input."""

from __future__ import annotations

import csv
import io
import re
from fractions import Fraction
from pathlib import Path

from minga.voting.pb.model import (
    SCORED_VOTE_TYPES,
    VOTE_TYPES,
    Ballot,
    Instance,
    Profile,
    Project,
    VoteType,
)

SECTIONS = ("meta", "projects", "votes")
_NUMBER = re.compile(r"^[+]?(\d+([.,]\d*)?|[.,]\d+)$|^\d+/\d+$")


class PabulibError(ValueError):
    """A malformed .pb file: `line` is the 1-based line number (0 for the file as a whole)."""

    def __init__(self, line: int, problem: str) -> None:
        self.line = line
        self.problem = problem
        super().__init__(f"line {line}: {problem}" if line else problem)


def parse_number(text: str, *, line: int, what: str) -> Fraction:
    """A non-negative exact number: an integer, a decimal (with `.` or `,`) or a ratio p/q."""
    raw = text.strip()
    if not _NUMBER.match(raw):
        raise PabulibError(line, f"{what} {raw!r} is not a non-negative number")
    try:
        return Fraction(raw.replace(",", "."))
    except ZeroDivisionError:
        raise PabulibError(line, f"{what} {raw!r} divides by zero") from None


def format_number(value: Fraction) -> str:
    """The shortest exact text: an integer, a finite decimal, or p/q."""
    if value.denominator == 1:
        return str(value.numerator)
    denominator, twos, fives = value.denominator, 0, 0
    while denominator % 2 == 0:
        denominator, twos = denominator // 2, twos + 1
    while denominator % 5 == 0:
        denominator, fives = denominator // 5, fives + 1
    if denominator != 1:
        return f"{value.numerator}/{value.denominator}"
    places = max(twos, fives)
    scaled = value * 10**places
    assert scaled.denominator == 1
    digits = str(scaled.numerator).rjust(places + 1, "0")
    return f"{digits[:-places]}.{digits[-places:]}"


def parse_file(path: str | Path) -> tuple[Instance, Profile]:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise PabulibError(0, "no such file") from None
    except IsADirectoryError:
        raise PabulibError(0, "is a directory, not a .pb file") from None
    except UnicodeDecodeError as error:
        raise PabulibError(0, f"not UTF-8 text ({error.reason})") from None
    except OSError as error:
        raise PabulibError(0, f"cannot be read ({error.strerror})") from None
    return parse_string(text)


def parse_string(text: str) -> tuple[Instance, Profile]:
    text = text.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    section: str | None = None
    header: list[str] = []
    meta: list[tuple[str, str]] = []
    meta_lines: dict[str, int] = {}
    project_rows: list[tuple[int, list[str]]] = []
    vote_rows: list[tuple[int, list[str]]] = []
    seen: set[str] = set()
    headers: dict[str, list[str]] = {}
    try:
        rows = [(reader.line_num, row) for row in reader]
    except csv.Error as error:
        raise PabulibError(reader.line_num, f"unreadable row ({error})") from None
    index = 0
    while index < len(rows):
        line, row = rows[index]
        index += 1
        if not row or all(not cell.strip() for cell in row):
            continue
        first = row[0].strip().lower()
        if first in SECTIONS and len([c for c in row if c.strip()]) == 1:
            if first in seen:
                raise PabulibError(line, f"section {first.upper()} appears twice")
            expected = SECTIONS[len(seen)]
            if first != expected:
                raise PabulibError(line, f"section {first.upper()} before {expected.upper()}")
            seen.add(first)
            section = first
            if index >= len(rows):
                raise PabulibError(line, f"section {first.upper()} has no header row")
            header_line, header = rows[index]
            index += 1
            header = [cell.strip() for cell in header]
            _check_header(section, header, header_line)
            headers[section] = header
            continue
        if section is None:
            raise PabulibError(line, "text before the META section")
        if len(row) != len(header):
            raise PabulibError(
                line, f"{len(row)} columns where the {section.upper()} header has {len(header)}"
            )
        if section == "meta":
            key, value = row[0].strip(), row[1].strip()
            if not key:
                raise PabulibError(line, "META row without a key")
            if key in meta_lines:
                raise PabulibError(
                    line, f"META key {key!r} repeated (first on line {meta_lines[key]})"
                )
            meta_lines[key] = line
            meta.append((key, value))
        elif section == "projects":
            project_rows.append((line, [cell.strip() for cell in row]))
        else:
            vote_rows.append((line, [cell.strip() for cell in row]))
    for name in SECTIONS:
        if name not in seen:
            raise PabulibError(0, f"the {name.upper()} section is missing")

    meta_dict = dict(meta)
    for key in ("budget", "vote_type"):
        if key not in meta_dict:
            raise PabulibError(0, f"META has no {key!r} row")
    budget = parse_number(meta_dict["budget"], line=meta_lines["budget"], what="budget")
    vote_type_text = meta_dict["vote_type"].lower()
    if vote_type_text not in VOTE_TYPES:
        raise PabulibError(
            meta_lines["vote_type"],
            f"vote_type {meta_dict['vote_type']!r} is not one of {', '.join(VOTE_TYPES)}",
        )
    vote_type: VoteType = vote_type_text

    projects = _projects(project_rows, headers["projects"])
    instance = Instance(budget=budget, projects=tuple(projects), meta=tuple(meta))
    ballots = _ballots(vote_rows, headers["votes"], vote_type, instance)
    _check_counts(meta_dict, meta_lines, len(projects), len(ballots))
    return instance, Profile(vote_type=vote_type, ballots=tuple(ballots))


def _check_header(section: str, header: list[str], line: int) -> None:
    required = {"meta": ["key", "value"], "projects": ["project_id", "cost"]}.get(
        section, ["voter_id", "vote"]
    )
    if section == "meta":
        if len(header) != 2:
            raise PabulibError(
                line, f"the META header must be 'key;value', not {';'.join(header)!r}"
            )
        return
    for column in required:
        if column not in header:
            raise PabulibError(line, f"the {section.upper()} header has no {column!r} column")
    if header[0] != required[0]:
        raise PabulibError(line, f"the {section.upper()} header must start with {required[0]!r}")
    duplicates = sorted({c for c in header if header.count(c) > 1})
    if duplicates:
        raise PabulibError(line, f"the {section.upper()} header repeats {', '.join(duplicates)}")


def _projects(rows: list[tuple[int, list[str]]], header: list[str]) -> list[Project]:
    projects: list[Project] = []
    first_line: dict[str, int] = {}
    cost_column = header.index("cost")
    for line, row in rows:
        project_id = row[0]
        if not project_id:
            raise PabulibError(line, "project without a project_id")
        if "," in project_id:
            raise PabulibError(line, f"project_id {project_id!r} contains a comma")
        if project_id in first_line:
            raise PabulibError(
                line, f"project {project_id!r} repeated (first on line {first_line[project_id]})"
            )
        first_line[project_id] = line
        cost = parse_number(row[cost_column], line=line, what=f"project {project_id}: cost")
        fields = tuple(
            (header[i], row[i])
            for i in range(len(header))
            if header[i] not in ("project_id", "cost")
        )
        projects.append(Project(project_id=project_id, cost=cost, fields=fields))
    return projects


def _ballots(
    rows: list[tuple[int, list[str]]],
    header: list[str],
    vote_type: VoteType,
    instance: Instance,
) -> list[Ballot]:
    scored = vote_type in SCORED_VOTE_TYPES
    if scored and "points" not in header:
        raise PabulibError(0, f"a {vote_type} VOTES section needs a 'points' column")
    known = {p.project_id for p in instance.projects}
    vote_column = header.index("vote")
    points_column = header.index("points") if scored else -1
    own = {"voter_id", "vote"} | ({"points"} if scored else set())
    ballots: list[Ballot] = []
    first_line: dict[str, int] = {}
    for line, row in rows:
        voter_id = row[0]
        if not voter_id:
            raise PabulibError(line, "vote without a voter_id")
        if voter_id in first_line:
            raise PabulibError(
                line, f"voter {voter_id!r} repeated (first on line {first_line[voter_id]})"
            )
        first_line[voter_id] = line
        names = [name.strip() for name in row[vote_column].split(",") if name.strip()]
        for name in names:
            if name not in known:
                raise PabulibError(line, f"voter {voter_id}: unknown project {name!r}")
        points: tuple[Fraction, ...] | None = None
        if len(set(names)) != len(names):
            repeated = sorted({n for n in names if names.count(n) > 1})
            if vote_type in ("approval", "choose-1"):
                # An approval named twice is still one approval (pabutools reads it so too).
                names = list(dict.fromkeys(names))
            else:
                raise PabulibError(
                    line, f"voter {voter_id}: project {', '.join(repeated)} named twice"
                )
        if vote_type == "choose-1" and len(names) > 1:
            raise PabulibError(
                line, f"voter {voter_id}: a choose-1 ballot names {len(names)} projects"
            )
        if scored:
            texts = [t for t in row[points_column].split(",") if t.strip()]
            if len(texts) != len(names):
                raise PabulibError(
                    line, f"voter {voter_id}: {len(names)} projects but {len(texts)} points"
                )
            points = tuple(
                parse_number(t, line=line, what=f"voter {voter_id}: points") for t in texts
            )
        fields = tuple((header[i], row[i]) for i in range(len(header)) if header[i] not in own)
        ballots.append(
            Ballot(voter_id=voter_id, projects=tuple(names), points=points, fields=fields)
        )
    return ballots


def _check_counts(
    meta: dict[str, str], lines: dict[str, int], num_projects: int, num_votes: int
) -> None:
    for key, actual in (("num_projects", num_projects), ("num_votes", num_votes)):
        if key in meta:
            stated = meta[key].strip()
            if not stated.isdigit():
                raise PabulibError(lines[key], f"{key} {stated!r} is not a whole number")
            if int(stated) != actual:
                raise PabulibError(lines[key], f"{key} says {stated} but the file has {actual}")


def write_string(instance: Instance, profile: Profile) -> str:
    """The election as .pb text; `parse_string` of the result gives back the same election."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    meta = dict(instance.meta)
    meta_rows = list(instance.meta)
    fixed = {
        "budget": format_number(instance.budget),
        "vote_type": profile.vote_type,
        "num_projects": str(len(instance.projects)),
        "num_votes": str(len(profile.ballots)),
    }
    meta_rows = [(k, fixed.get(k, v)) for k, v in meta_rows]
    for key in ("budget", "vote_type"):
        if key not in meta:
            meta_rows.append((key, fixed[key]))
    out.write("META\n")
    writer.writerow(["key", "value"])
    writer.writerows(meta_rows)

    project_columns: list[str] = []
    for project in instance.projects:
        for key, _ in project.fields:
            if key not in project_columns:
                project_columns.append(key)
    out.write("PROJECTS\n")
    writer.writerow(["project_id", "cost", *project_columns])
    for project in instance.projects:
        values = dict(project.fields)
        writer.writerow(
            [project.project_id, format_number(project.cost)]
            + [values.get(c, "None") for c in project_columns]
        )

    vote_columns: list[str] = []
    for ballot in profile.ballots:
        for key, _ in ballot.fields:
            if key not in vote_columns:
                vote_columns.append(key)
    own = ["voter_id", "vote"] + (["points"] if profile.scored else [])
    out.write("VOTES\n")
    writer.writerow(own + vote_columns)
    for ballot in profile.ballots:
        values = dict(ballot.fields)
        row = [ballot.voter_id, ",".join(ballot.projects)]
        if profile.scored:
            row.append(",".join(format_number(p) for p in ballot.points or ()))
        writer.writerow(row + [values.get(c, "None") for c in vote_columns])
    return out.getvalue()


def write_file(path: str | Path, instance: Instance, profile: Profile) -> None:
    Path(path).write_text(write_string(instance, profile), encoding="utf-8")
