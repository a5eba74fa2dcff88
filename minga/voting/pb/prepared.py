"""An election compiled once for the rules: each project's supporters as bit sets over voters,
grouped by the satisfaction they draw from it, so that counting the supporters in any group of
voters is one `&` and one `bit_count()` on Python integers."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from minga.voting.pb.model import Instance, Profile

Satisfaction = Literal["cost", "cardinality"]
SATISFACTIONS: tuple[Satisfaction, ...] = ("cost", "cardinality")


@dataclass(frozen=True)
class Prepared:
    ids: tuple[str, ...]  # instance order
    costs: tuple[Fraction, ...]
    budget: Fraction
    voters: int
    # levels[p]: (satisfaction s > 0, bit set of the voters who draw s from project p).
    levels: tuple[tuple[tuple[Fraction, int], ...], ...]
    total_sat: tuple[Fraction, ...]
    # The unit in which a project's effective votes are counted: a supporter's satisfaction
    # for approval-like ballots (cost or 1), one point for scored ballots.
    unit: tuple[Fraction, ...]
    satisfaction: str  # "cost", "cardinality" or "score" (cumulative and scoring ballots)


def _bits(indices: list[int], size: int) -> int:
    buffer = bytearray((size + 7) // 8)
    for i in indices:
        buffer[i >> 3] |= 1 << (i & 7)
    return int.from_bytes(buffer, "little")


def prepare(instance: Instance, profile: Profile, sat: Satisfaction) -> Prepared:
    assert sat in SATISFACTIONS, sat
    ids = tuple(p.project_id for p in instance.projects)
    costs = tuple(p.cost for p in instance.projects)
    position = {project_id: i for i, project_id in enumerate(ids)}
    n = len(profile.ballots)
    if profile.scored:
        by_score: list[dict[Fraction, list[int]]] = [{} for _ in ids]
        for v, ballot in enumerate(profile.ballots):
            assert ballot.points is not None
            for project_id, points in zip(ballot.projects, ballot.points, strict=True):
                if points > 0:
                    by_score[position[project_id]].setdefault(points, []).append(v)
        levels = tuple(
            tuple((score, _bits(voters, n)) for score, voters in sorted(groups.items()))
            for groups in by_score
        )
        unit = tuple(Fraction(1) for _ in ids)
        satisfaction = "score"
    else:
        approvers: list[list[int]] = [[] for _ in ids]
        for v, ballot in enumerate(profile.ballots):
            for project_id in ballot.projects:
                approvers[position[project_id]].append(v)
        unit = tuple(cost if sat == "cost" else Fraction(1) for cost in costs)
        # A zero-cost project gives no cost satisfaction (pabutools' Cost_Sat: cost if approved).
        levels = tuple(
            ((unit[p], _bits(approvers[p], n)),) if approvers[p] and unit[p] > 0 else ()
            for p in range(len(ids))
        )
        satisfaction = sat
    total_sat = tuple(sum((s * mask.bit_count() for s, mask in lv), Fraction(0)) for lv in levels)
    return Prepared(
        ids=ids,
        costs=costs,
        budget=instance.budget,
        voters=n,
        levels=levels,
        total_sat=total_sat,
        unit=unit,
        satisfaction=satisfaction,
    )
