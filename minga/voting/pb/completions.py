"""Completions of MES, which by itself often leaves part of the budget unspent.

add1 (equalshares.net's Add1, used by Wieliczka, Swiecie and Assen): start from budget / voters
per voter; raise every voter's budget by one currency unit at a time and rerun MES; stop when
the outcome's cost would exceed the real budget, and keep the last outcome within it. This goes on
past outcomes to which no further project fits (`stop="within-budget"`). pabutools 1.2.3 stops
instead at the first outcome to which no further project with supporters fits
(`stop="exhaustive"`). Both also stop once every project with supporters is bought.

add1u: add1, then the rest of the budget filled greedily by utilitarian welfare.

Skipping ahead is exact: whether to stop at a step depends on that step's outcome only, and a
MES run at the per-voter budget b + s can certify that the outcome is the same at every budget in
[b, b + s] (mes.run's `certify`). The loop therefore tries jumps of 1, 2, 4, ... steps while they
are certified, halves the jump when one is not, and at a jump of one step simply takes the next
step's run, as the one-unit-at-a-time definition does. Every run it keeps is a plain MES run at
exactly its step's budget, so the result (prices included) is that of the definition, which the
tests check against a literal implementation."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from minga.voting.pb import mes
from minga.voting.pb.prepared import Prepared

Add1Stop = Literal["within-budget", "exhaustive"]
ADD1_STOPS: tuple[Add1Stop, ...] = ("within-budget", "exhaustive")


@dataclass(frozen=True)
class Add1Result:
    run: mes.Run
    steps: int  # one-unit increases of the per-voter budget applied to reach `run`
    runs: int  # MES runs actually computed


def outcome_cost(prepared: Prepared, selected: list[int]) -> Fraction:
    return sum((prepared.costs[p] for p in selected), Fraction(0))


def add1(prepared: Prepared, *, stop: Add1Stop, jump: bool = True) -> Add1Result:
    assert stop in ADD1_STOPS, stop
    if prepared.voters == 0:
        return Add1Result(mes.run(prepared, Fraction(0)), 0, 1)
    start = prepared.budget / prepared.voters
    available = {
        p for p in range(len(prepared.ids)) if prepared.total_sat[p] > 0 and prepared.costs[p] > 0
    }

    def stops(run: mes.Run) -> bool:
        selected = set(run.selected)
        if available <= selected:
            return True
        spent = outcome_cost(prepared, run.selected)
        return stop == "exhaustive" and all(
            spent + prepared.costs[p] > prepared.budget for p in available - selected
        )

    step, runs, jump_by = 0, 1, 1
    current = mes.run(prepared, start)
    # The first run, at budget / voters, cannot overspend: each voter spends at most their share.
    assert outcome_cost(prepared, current.selected) <= prepared.budget
    while not stops(current):
        if jump and jump_by > 1:
            runs += 1
            ahead = mes.run(prepared, start + step + jump_by, certify=current)
            if ahead.certified:
                # The same outcome at every step up to here: none of them stops the loop.
                step, current = step + jump_by, ahead
                jump_by *= 2
            else:
                jump_by //= 2
            continue
        runs += 1
        following = mes.run(prepared, start + step + 1, certify=current if jump else None)
        if outcome_cost(prepared, following.selected) > prepared.budget:
            return Add1Result(current, step, runs)
        step, current = step + 1, following
        if following.certified:
            jump_by = 2
    return Add1Result(current, step, runs)
