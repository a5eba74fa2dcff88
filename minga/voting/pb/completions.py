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
[b, b + s] (mes.run's `certify`). The loop looks `window` steps ahead (doubling it while the
jumps are certified); a run ahead that is not certified is kept, and the gap to it is closed
with runs guided by it (mes.Guide: its certified first rounds are only priced, and its price
bounds start each later round's lazy queue): halved at first, then, after a certified jump,
tried at twice that jump, until the next step is reached, whose run is then taken as the
one-unit-at-a-time definition takes it (a run one step ahead is neither certified nor
recorded). Every run it keeps is MES at exactly its step's budget (a guided run equals a plain
one, prices included), so the result is that of the definition, which the tests check against a
literal implementation."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from minga.voting.pb import mes
from minga.voting.pb.prepared import Prepared

Add1Stop = Literal["within-budget", "exhaustive"]
ADD1_STOPS: tuple[Add1Stop, ...] = ("within-budget", "exhaustive")
# How far ahead (in steps) the loop first looks when no run above guides it.
WINDOW = 8


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

    step, runs = 0, 1
    current = mes.run(prepared, start, record=jump)
    # The first run, at budget / voters, cannot overspend: each voter spends at most their share.
    assert outcome_cost(prepared, current.selected) <= prepared.budget
    if not jump:
        while not stops(current):
            runs += 1
            plain = mes.run(prepared, start + step + 1)
            if outcome_cost(prepared, plain.selected) > prepared.budget:
                return Add1Result(current, step, runs)
            step, current = step + 1, plain
        return Add1Result(current, step, runs)
    # Recorded runs above `step` that were not certified, nearest last: each guides the runs
    # below it (mes.Guide), and is itself the run of its step when the loop gets there.
    above: list[_Above] = []
    window = WINDOW
    # Below a run above: the length of the last jump, while jumps are certified (0 otherwise).
    certified_jump = 0
    while not stops(current):
        if above and above[-1].step == step + 1:
            following = above.pop().run
            certified_jump = 0
        else:
            guide: mes.Guide | None = None
            if above:
                # Guided by the nearest run above: halve the gap to it, or, after a certified
                # jump, try twice that jump (at most to the step just below it). A certificate
                # holds over a length of steps set by the margins between prices, not by the
                # gap, so halving every time would creep up to the run above in log2(gap) runs.
                nearest = above[-1]
                if certified_jump:
                    target = min(step + 2 * certified_jump, nearest.step - 1)
                else:
                    target = step + (nearest.step - step) // 2
                guide = mes.Guide(nearest.run, nearest.lower, nearest.run.certified_rounds)
            else:
                target = step + window
            runs += 1
            # A run one step ahead is that step's run whatever its certificate says, and guides
            # no other: it is neither certified nor recorded (certifying costs a fresh price of
            # every round's runner-up).
            ahead = target > step + 1
            tried = mes.run(
                prepared,
                start + target,
                certify=current if ahead else None,
                guide=guide,
                record=ahead,
            )
            if tried.certified:
                # The same outcome at every step up to there: none of them stops the loop.
                if above:
                    certified_jump = target - step
                else:
                    window *= 2
                step, current = target, tried
                continue
            certified_jump = 0
            if ahead:
                if not above:
                    window = max(WINDOW, window // 2)
                above.append(_Above(tried, target, current.per_voter_budget))
                continue
            following = tried
        # The definition's step, one unit: it may change the outcome.
        if outcome_cost(prepared, following.selected) > prepared.budget:
            return Add1Result(current, step, runs)
        step, current = step + 1, following
    return Add1Result(current, step, runs)


@dataclass(frozen=True)
class _Above:
    run: mes.Run
    step: int
    lower: Fraction  # the per-voter budget of the run `run` was certified against
