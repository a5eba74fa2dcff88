"""Completions of MES, which by itself often leaves part of the budget unspent.

add1 (equalshares.net's Add1, used by Wieliczka, Swiecie and Assen): start from budget / voters
per voter; raise every voter's budget by one currency unit at a time and rerun MES; stop when
the outcome's cost would exceed the real budget, and keep the last outcome within it. This goes on
past outcomes to which no further project fits (`stop="within-budget"`). pabutools 1.2.3 stops
instead at the first outcome to which no further project with supporters fits
(`stop="exhaustive"`). Both also stop once every project with supporters is bought.

add1u: add1, then the rest of the budget filled greedily by utilitarian welfare.

Skipping ahead is exact: a MES run at per-voter budget b reports an interval [b, b + d) over
which it takes exactly the same decisions (mes.run's `stable_for`), so every one-unit step inside
that interval gives the same outcome, which was neither over budget nor a stopping point; the
loop jumps to the first step at or beyond b + d and reruns MES there. The result is the one of
the one-unit-at-a-time definition, which tests check against a literal implementation."""

from __future__ import annotations

import math
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
    step, runs = 0, 0
    previous: tuple[mes.Run, int] | None = None
    while True:
        current = mes.run(prepared, start + step)
        runs += 1
        selected = current.selected
        spent = outcome_cost(prepared, selected)
        if spent > prepared.budget:
            # The first run, at budget / voters, cannot overspend: each voter spends at most
            # their share.
            assert previous is not None
            last_run, last_step = previous
            if last_step != step - 1:
                # Every step since `last_step` gave the same outcome; rerun the last of them so
                # that prices and the per-voter budget are those of the one-unit definition.
                last_run = mes.run(prepared, start + step - 1)
                runs += 1
                assert last_run.selected == previous[0].selected
            return Add1Result(last_run, step - 1, runs)
        if available <= set(selected):
            return Add1Result(current, step, runs)
        if stop == "exhaustive" and all(
            spent + prepared.costs[p] > prepared.budget for p in available - set(selected)
        ):
            return Add1Result(current, step, runs)
        previous = (current, step)
        # Where the run's decisions hold for ever, its outcome would not change however high
        # the budget, yet high enough budgets buy every project with supporters.
        assert current.stable_for is not None, "MES outcome constant for all larger budgets"
        if jump:
            step += max(1, math.ceil(current.stable_for))
        else:
            step += 1
