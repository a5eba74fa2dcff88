"""The data of a participatory-budgeting election: the instance (budget and projects) and the
profile (the ballots). Plain frozen dataclasses, exact numbers (Fraction), no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal

VoteType = Literal["approval", "choose-1", "cumulative", "scoring", "ordinal"]
VOTE_TYPES: tuple[VoteType, ...] = ("approval", "choose-1", "cumulative", "scoring", "ordinal")
# Ballots whose points are the voter's satisfaction; the others are read as approval of the
# projects they name (an ordinal ballot approves every project it ranks, as in pabutools).
SCORED_VOTE_TYPES: tuple[VoteType, ...] = ("cumulative", "scoring")


@dataclass(frozen=True)
class Project:
    project_id: str
    cost: Fraction
    # Every other column of the PROJECTS section (name, votes, selected, ...), in file order.
    fields: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        assert self.project_id, "a project needs an id"
        assert self.cost >= 0, f"project {self.project_id}: negative cost"

    def field(self, name: str) -> str | None:
        return next((value for key, value in self.fields if key == name), None)


@dataclass(frozen=True)
class Instance:
    budget: Fraction
    projects: tuple[Project, ...]
    # Every row of the META section, in file order (budget and vote_type included, as text).
    meta: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        assert self.budget >= 0, "negative budget"
        ids = [p.project_id for p in self.projects]
        assert len(ids) == len(set(ids)), "duplicate project ids"

    def project(self, project_id: str) -> Project:
        return self.by_id()[project_id]

    def by_id(self) -> dict[str, Project]:
        return {p.project_id: p for p in self.projects}

    def meta_value(self, key: str) -> str | None:
        return next((value for k, value in self.meta if k == key), None)


@dataclass(frozen=True)
class Ballot:
    voter_id: str
    # The projects named, in file order (an ordinal ballot's ranking, best first).
    projects: tuple[str, ...]
    # The points given to each project of `projects`, for cumulative and scoring ballots only.
    points: tuple[Fraction, ...] | None = None
    # Every other column of the VOTES section (age, sex, voting_method, ...), in file order.
    fields: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        assert self.points is None or len(self.points) == len(self.projects)


@dataclass(frozen=True)
class Profile:
    vote_type: VoteType
    ballots: tuple[Ballot, ...] = field(default_factory=tuple)

    @property
    def scored(self) -> bool:
        return self.vote_type in SCORED_VOTE_TYPES
