"""An election compiled once for the rules: each project's supporters as a list of voter
indices, with the satisfaction each draws from it as a whole number `t` times a per-project
scale (`satisfaction = t x scale[p]`), so that the rules compute with Python integers only."""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from operator import itemgetter
from types import ModuleType
from typing import Literal

from minga.voting.pb.model import Instance, Profile

_extension: ModuleType | None
try:
    from minga.voting.pb import _mesfilter as _extension
except ImportError:  # pragma: no cover - test_pb_filter fails loudly where this happens
    _extension = None

Satisfaction = Literal["cost", "cardinality"]
SATISFACTIONS: tuple[Satisfaction, ...] = ("cost", "cardinality")


@dataclass(frozen=True)
class Prepared:
    ids: tuple[str, ...]  # instance order
    costs: tuple[Fraction, ...]
    budget: Fraction
    voters: int
    # supporters[p]: the voters who draw a positive satisfaction from project p, ascending.
    supporters: tuple[tuple[int, ...], ...]
    # weights[p][i]: the whole number t of supporters[p][i]; None where every t is 1 (approval).
    weights: tuple[tuple[int, ...] | None, ...]
    # A supporter's satisfaction from p is t x scale[p].
    scale: tuple[Fraction, ...]
    total_sat: tuple[Fraction, ...]
    # The unit in which a project's effective votes are counted: a supporter's satisfaction
    # for approval-like ballots (cost or 1), one point for scored ballots.
    unit: tuple[Fraction, ...]
    satisfaction: str  # "cost", "cardinality" or "score" (cumulative and scoring ballots)

    @cached_property
    def pick(self) -> tuple[Callable[[Sequence[int]], tuple[int, ...]], ...]:
        """pick[p](values): the values at project p's supporters, in supporters' order, as a
        tuple. The rules read every supporter's class once per price and per charge; an
        `itemgetter` does it in C, about half again as fast as `map`, and is built once here."""
        return tuple(_picker(supporters) for supporters in self.supporters)

    @cached_property
    def free(self) -> frozenset[int]:
        """The projects of cost 0 that give satisfaction: MES takes them before round 1."""
        return frozenset(
            p
            for p, (cost, sat) in enumerate(zip(self.costs, self.total_sat, strict=True))
            if sat and not cost
        )

    @cached_property
    def priced(self) -> tuple[int, ...]:
        """The projects with a cost that give satisfaction, in order: those MES prices."""
        return tuple(
            p
            for p, (cost, sat) in enumerate(zip(self.costs, self.total_sat, strict=True))
            if sat and cost
        )

    @cached_property
    def least_rho(self) -> tuple[Fraction, ...]:
        """cost / total satisfaction: a lower bound on a project's rho at any budget (0 for a
        project that gives no satisfaction, which MES never prices), worked out once for the
        many runs of Add1."""
        return tuple(
            cost / sat if sat > 0 else Fraction(0)
            for cost, sat in zip(self.costs, self.total_sat, strict=True)
        )

    @cached_property
    def common_weight(self) -> tuple[int, ...]:
        """The least common multiple of each project's t (1 for approval)."""
        return tuple(1 if w is None else math.lcm(1, *set(w)) for w in self.weights)

    @cached_property
    def flat(self) -> tuple[array[int], array[int]]:
        """Every project's supporters in one int32 array, project p's at
        `offsets[p]:offsets[p + 1]`: (offsets, supporters), the layout of the compiled helpers."""
        every: list[int] = []
        ends = [0]
        for voters in self.supporters:
            every += voters
            ends.append(len(every))
        # fromlist reads a list directly: about twice as fast as extending by each tuple.
        offsets, supporters = array("i"), array("i")
        offsets.fromlist(ends)
        supporters.fromlist(every)
        return offsets, supporters

    @cached_property
    def overlaps(self) -> memoryview | None:
        """`overlaps[p * len(ids) + q]`: how many voters support both p and q (the compiled
        helper counts them, pair by pair of each ballot's projects). None without the compiled
        helper, or where ballots are so long that counting would cost more than it saves (the
        rules then bound with each project's own number of supporters)."""
        if _extension is None or len(self.ids) > _OVERLAPS_MAX_PROJECTS:
            return None
        offsets, supporters = self.flat
        limit = _OVERLAPS_WORK * (len(supporters) + len(self.ids) ** 2)
        found = _extension.overlaps(self.voters, offsets, supporters, limit)
        return None if found is None else memoryview(found).cast("i")


# Counting overlaps costs the sum over voters of their ballot's length squared; beyond this many
# times the supporters (ballots averaging this many projects), or past this many projects (a
# matrix of 16 MB), the rules do without.
_OVERLAPS_WORK = 64
_OVERLAPS_MAX_PROJECTS = 2048


def _picker(indices: tuple[int, ...]) -> Callable[[Sequence[int]], tuple[int, ...]]:
    if len(indices) > 1:
        return itemgetter(*indices)
    # itemgetter of one index returns the value itself, and of none cannot be built.
    return lambda values: tuple(values[i] for i in indices)


def prepare(instance: Instance, profile: Profile, sat: Satisfaction) -> Prepared:
    assert sat in SATISFACTIONS, sat
    ids = tuple(p.project_id for p in instance.projects)
    costs = tuple(p.cost for p in instance.projects)
    position = {project_id: i for i, project_id in enumerate(ids)}
    n = len(profile.ballots)
    if profile.scored:
        # Points as (numerator, denominator), read once: Fraction arithmetic per point would
        # be most of the time this takes.
        given: list[list[tuple[int, int, int]]] = [[] for _ in ids]
        for v, ballot in enumerate(profile.ballots):
            assert ballot.points is not None
            for project_id, points in zip(ballot.projects, ballot.points, strict=True):
                numerator = points.numerator
                if numerator > 0:
                    given[position[project_id]].append((v, numerator, points.denominator))
        supporters = tuple(tuple(v for v, _, _ in pairs) for pairs in given)
        # The smallest common denominator of a project's points makes every t whole.
        denominators = [math.lcm(1, *{d for _, _, d in pairs}) for pairs in given]
        weights: tuple[tuple[int, ...] | None, ...] = tuple(
            tuple(x * (q // d) for _, x, d in pairs)
            for pairs, q in zip(given, denominators, strict=True)
        )
        scale = tuple(Fraction(1, q) for q in denominators)
        unit = tuple(Fraction(1) for _ in ids)
        satisfaction = "score"
        total_sat = tuple(
            sum(w, 0) * s if w is not None else Fraction(0)
            for w, s in zip(weights, scale, strict=True)
        )
    else:
        approvers: list[list[int]] = [[] for _ in ids]
        for v, ballot in enumerate(profile.ballots):
            for project_id in ballot.projects:
                approvers[position[project_id]].append(v)
        unit = tuple(cost if sat == "cost" else Fraction(1) for cost in costs)
        # A zero-cost project gives no cost satisfaction (pabutools' Cost_Sat: cost if approved).
        supporters = tuple(tuple(approvers[p]) if unit[p] > 0 else () for p in range(len(ids)))
        weights = tuple(None for _ in ids)
        scale = unit
        satisfaction = sat
        total_sat = tuple(len(supporters[p]) * unit[p] for p in range(len(ids)))
    return Prepared(
        ids=ids,
        costs=costs,
        budget=instance.budget,
        voters=n,
        supporters=supporters,
        weights=weights,
        scale=scale,
        total_sat=total_sat,
        unit=unit,
        satisfaction=satisfaction,
    )
