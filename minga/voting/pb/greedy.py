"""Greedy by utilitarian welfare, as pabutools computes it: projects in decreasing order of total
satisfaction per unit of cost (ties: the smallest project id compared as a string); each one is
funded if it fits in what is left of the budget, and skipped otherwise."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from minga.voting.pb.prepared import Prepared


@dataclass(frozen=True)
class GreedyStep:
    project: int
    selected: bool
    remaining_before: Fraction  # the budget left when the project's turn came
    density: Fraction | None  # total satisfaction per unit of cost; None: free and wanted


def density(prepared: Prepared, p: int) -> Fraction | None:
    total = prepared.total_sat[p]
    if total > 0:
        return total / prepared.costs[p] if prepared.costs[p] > 0 else None
    return Fraction(0)


def order(prepared: Prepared, projects: list[int]) -> list[int]:
    def key(p: int) -> tuple[int, Fraction, str]:
        d = density(prepared, p)
        # A free project with supporters comes first (pabutools: infinite density).
        return (0, Fraction(0), prepared.ids[p]) if d is None else (1, -d, prepared.ids[p])

    return sorted(projects, key=key)


def greedy(prepared: Prepared, already: list[int]) -> list[GreedyStep]:
    """The greedy steps over every project not in `already`, with the budget left after it."""
    taken = set(already)
    remaining = prepared.budget - sum((prepared.costs[p] for p in already), Fraction(0))
    steps: list[GreedyStep] = []
    for p in order(prepared, [p for p in range(len(prepared.ids)) if p not in taken]):
        cost = prepared.costs[p]
        fits = cost <= remaining
        steps.append(GreedyStep(p, fits, remaining, density(prepared, p)))
        if fits:
            remaining -= cost
    assert remaining >= 0
    return steps
