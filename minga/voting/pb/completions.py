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
literal implementation.

With the compiled filter (filtered.py; approval ballots with whole costs), the same search runs
over filtered runs, whose own interval certificate plays the part of `certify`, and only the
final step is run exactly (by the caller). See _add1_filtered."""

from __future__ import annotations

import math
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from typing import Literal

from minga.voting.pb import mes
from minga.voting.pb.filtered import Filter, FilterRun, compile_filter
from minga.voting.pb.prepared import Prepared

Add1Stop = Literal["within-budget", "exhaustive"]
ADD1_STOPS: tuple[Add1Stop, ...] = ("within-budget", "exhaustive")
# How far ahead (in steps) the loop first looks when no run above guides it.
WINDOW = 8


@dataclass(frozen=True)
class Add1Result:
    prepared: Prepared = field(repr=False, compare=False)
    per_voter_budget: Fraction  # of the final step
    selected: list[int]  # what MES buys there, in order
    steps: int  # one-unit increases of the per-voter budget applied to reach it
    runs: int  # MES runs computed (filtered or exact)

    @cached_property
    def run(self) -> mes.Run:
        """The exact MES run of the final step (made here if the loop did not make it)."""
        found = mes.run(self.prepared, self.per_voter_budget)
        assert found.selected == self.selected
        return found

    @classmethod
    def of(cls, prepared: Prepared, run: mes.Run, steps: int, runs: int) -> Add1Result:
        result = cls(prepared, run.per_voter_budget, run.selected, steps, runs)
        result.__dict__["run"] = run  # the cached property's value, already known
        return result


class _Stops:
    """Whether the Add1 loop stops at an outcome: every project with supporters and a cost is
    bought, or (exhaustive) none of the others fits in what is left of the budget, that is, not
    the cheapest of them. The loops ask at every step they take, so what does not depend on
    the outcome is worked out once."""

    def __init__(self, prepared: Prepared, stop: Add1Stop) -> None:
        self.prepared, self.exhaustive = prepared, stop == "exhaustive"
        self.available = frozenset(
            p
            for p in range(len(prepared.ids))
            if prepared.total_sat[p] > 0 and prepared.costs[p] > 0
        )
        self.by_cost = sorted(self.available, key=prepared.costs.__getitem__)
        # Whole costs (the usual case) are summed as integers.
        whole = all(c.denominator == 1 for c in prepared.costs)
        self.costs: tuple[int | Fraction, ...] = (
            tuple(int(c) for c in prepared.costs) if whole else prepared.costs
        )

    def cost(self, bought: list[int]) -> int | Fraction:
        """The outcome's cost, summed as integers where the costs are whole."""
        costs = self.costs
        return sum(costs[p] for p in bought)

    def __call__(self, bought: list[int]) -> bool:
        selected = set(bought)
        if self.available <= selected:
            return True
        if not self.exhaustive:
            return False
        cheapest = next(p for p in self.by_cost if p not in selected)
        return self.cost(bought) + self.costs[cheapest] > self.prepared.budget


def add1(
    prepared: Prepared, *, stop: Add1Stop, jump: bool = True, filtered: bool = True
) -> Add1Result:
    """The Add1 completion. `jump=False` runs the literal definition, one exact run per step
    (for the tests). Otherwise, where the compiled filter applies (filtered.py), each step's
    outcome comes from it and only the final step is run exactly; elsewhere, and where the
    filter gives up too often, the exact runs skip ahead (see the module's docstring)."""
    assert stop in ADD1_STOPS, stop
    if prepared.voters == 0:
        return Add1Result.of(prepared, mes.run(prepared, Fraction(0)), 0, 1)
    if jump and filtered:
        fast = compile_filter(prepared)
        if fast is not None:
            result = _add1_filtered(prepared, stop, fast)
            if result is not None:
                return result
    return _add1_exact(prepared, stop, jump)


# The filtered loop hands over to the exact one when the filter has given up on more than this
# many steps and on more than one step in this many.
_GIVE_UPS = 8
_GIVE_UP_SHARE = 8


@dataclass
class _LookAhead:
    """Where both Add1 loops look next. With no run above: `window` steps ahead, doubled while
    jumps are certified and halved (down to WINDOW) when one is not. Below an uncertified run
    above: halve the gap to it, or, after a certified jump, try twice that jump (at most to the
    step just below it). A certificate holds over a length of steps set by the margins between
    prices, not by the gap, so halving every time would creep up to the run above in log2(gap)
    runs."""

    window: int = WINDOW
    # Below a run above: the length of the last jump, while jumps are certified (0 otherwise).
    certified_jump: int = 0

    def target(self, step: int, nearest: int | None) -> int:
        if nearest is None:
            return step + self.window
        if self.certified_jump:
            return min(step + 2 * self.certified_jump, nearest - 1)
        return step + (nearest - step) // 2

    def certified(self, step: int, target: int, below_a_run: bool) -> None:
        if below_a_run:
            self.certified_jump = target - step
        else:
            self.window *= 2

    def not_certified(self, below_a_run: bool) -> None:
        self.certified_jump = 0
        if not below_a_run:
            self.window = max(WINDOW, self.window // 2)


def _add1_filtered(prepared: Prepared, stop: Add1Stop, fast: Filter) -> Add1Result | None:
    """The exact loop's search (look ahead, doubling the window while jumps are certified; keep
    an uncertified run above and close the gap to it, halving, or after a certified jump trying
    twice that jump), with filtered runs and their interval certificate (filtered.FilterRun):
    a run at a larger budget certified against the current one proves the same purchases at
    every step in between, none of which can stop the loop. Where the filter gives up, the
    step is taken by an exact run, and the next one without looking ahead (an exact run has no
    record to certify against). The final step's exact run is left to the caller, who must
    find there what the filter found. None: the filter gave up too often (see _GIVE_UPS).

    Three shortcuts of the filtered search, all only choices of where to look (every step it
    passes is still certified or run):
    - A run above that buys differently carries a guess at where the change lies
      (FilterRun.crossing): the search looks just below it, and runs the guessed step on the
      other thread meanwhile, instead of halving the gap.
    - Once past a change, the farthest run above with the current purchases is run again
      against the current run, once: if that certifies, the search is there in one run.
    - With no run above, the other thread looks twice as far ahead, against the same run, as
      the search does; where both certify, the search takes both jumps at once.
    The second thread is used only where runs are long enough to pay for handing them over
    (_SPECULATE_FROM); below that, runs are computed only when asked for."""
    if len(fast.supporters) < _SPECULATE_FROM:
        return _filtered_search(prepared, stop, fast, _Speculation(fast, None))
    with ThreadPoolExecutor(max_workers=1) as pool:
        return _filtered_search(prepared, stop, fast, _Speculation(fast, pool))


# The runs after which the filtered search numbers the voters afresh (Filter.clustered): that
# costs about as much as 10 runs and saves 10-15 % of each later one. Measured on the shared
# elections: Warszawa 2024 Zoliborz (204 runs) 80 to 66 ms with it, Poznan 2024 (7 runs) 2.4 to
# 5.4 ms and Amsterdam 309 (10 runs) 14.7 to 17.4 ms had it come first.
_CLUSTER_AFTER = 32

# The supporters (summed over projects) from which a run takes long enough (about 0.3 ms) that
# computing one ahead on the second thread saves more than handing it over costs: measured on
# the shared elections, from Warszawa 2024 Zoliborz (28,521, about even) up it saves 5-15 %,
# and below it costs up to 45 % (Warszawa 2018 Targowek, 5,216).
_SPECULATE_FROM = 25_000


class _Speculation:
    """Filtered runs, with one computed ahead on a second thread: the run the search would ask
    for next (the guessed step of a change, the look-ahead twice as far, or the halved gap if
    the one it asks for now fails to certify; the C runs release the GIL, so the two take both
    cores). A run is MES at its budget whichever thread computes it; one that
    the search does not ask for is computed in vain, never used wrongly. Runs computed ahead
    that can no longer be asked for are let go (`forget`), so that runs computed in vain do not
    pile up over thousands of steps. Without a pool, nothing is computed ahead."""

    def __init__(self, fast: Filter, pool: ThreadPoolExecutor | None) -> None:
        self.fast, self.pool = fast, pool
        # Per-voter budget -> (the earlier run it is certified against, or None; its future).
        self.ahead: dict[Fraction, tuple[FilterRun | None, Future[FilterRun | None]]] = {}
        self.computed = 0

    def run(self, budget: Fraction, earlier: FilterRun | None) -> FilterRun | None:
        found = self.ahead.get(budget)
        if found is not None and found[0] is earlier:
            del self.ahead[budget]
            return found[1].result()
        self.computed += 1
        return self.fast.run(budget, earlier)

    def compute_ahead(self, budget: Fraction, earlier: FilterRun | None) -> None:
        if self.pool is not None and budget not in self.ahead:
            self.computed += 1
            self.ahead[budget] = (earlier, self.pool.submit(self.fast.run, budget, earlier))

    def forget(self, reached: Fraction, current: FilterRun | list[int]) -> None:
        """Lets go of the runs at budgets already reached, and of those certified against a run
        that is no longer the current one (the search asks only against the current run)."""
        for budget, (earlier, _future) in list(self.ahead.items()):
            if budget <= reached or (earlier is not None and earlier is not current):
                del self.ahead[budget]


def _filtered_search(
    prepared: Prepared, stop: Add1Stop, fast: Filter, speculation: _Speculation
) -> Add1Result | None:
    start = prepared.budget / prepared.voters
    gave_up, step = 0, 0

    def single(step: int) -> FilterRun | list[int]:
        nonlocal gave_up
        found = speculation.run(start + step, None)
        if found is None:
            gave_up += 1
            return mes.run(prepared, start + step).selected
        return found

    def purchases(run: FilterRun | list[int]) -> list[int]:
        return run if isinstance(run, list) else run.purchases

    current = single(0)
    clustered = False
    above: list[tuple[int, FilterRun]] = []  # uncertified runs ahead, nearest last
    look = _LookAhead()
    retried: FilterRun | None = None  # the current run the runs above were last retried from
    aimed: int | None = None  # the guessed change just above the last certified jump
    stops = _Stops(prepared, stop)
    while not stops(purchases(current)):
        if gave_up > _GIVE_UPS and gave_up * _GIVE_UP_SHARE > speculation.computed:
            return None
        if not clustered and speculation.computed >= _CLUSTER_AFTER:
            # Numbering the voters afresh costs a few runs: worth it only for a long search.
            speculation.fast, clustered = fast.clustered(), True
        speculation.forget(start + step, current)
        if above and isinstance(current, FilterRun) and retried is not current:
            # The runs above were not certified against an earlier run, often only because a
            # change lay between the two, which the search has since passed. The farthest with
            # the current purchases is run again against this one, once: if that certifies,
            # the search is there in one run instead of closing the gap to each in turn.
            retried = current
            far = next(
                (s for s, run in above if s > step + 1 and run.purchases == current.purchases), None
            )
            if far is not None:
                again = speculation.run(start + far, current)
                if again is not None and again.interval:
                    above = [(s, run) for s, run in above if s > far]
                    step, current = far, again
                    continue
        if above and above[-1][0] == step + 1:
            following: FilterRun | list[int] = above.pop()[1]
            look.certified_jump = 0
        else:
            nearest = above[-1][0] if above else None
            target = look.target(step, nearest) if isinstance(current, FilterRun) else step + 1
            guess = None
            if aimed == step + 1:
                target = aimed
            elif above and isinstance(current, FilterRun) and above[-1][1].crossing is not None:
                # The nearest run above buys differently: look just below where its crossing
                # guesses the change, and run the guessed step on the other thread meanwhile.
                guess = min(math.ceil(above[-1][1].crossing - float(start)), above[-1][0])
                if guess > step:
                    target = max(step + 1, guess - 1)
                else:
                    guess = None
            if target == step + 1:
                following = single(target)
            else:
                assert isinstance(current, FilterRun)
                farther = None
                if guess is not None:
                    speculation.compute_ahead(start + guess, None)
                elif not above:
                    # Looking ahead with no run above: twice as far at the same time, against
                    # the same run, taken too if both certify.
                    farther = 2 * target - step
                    speculation.compute_ahead(start + farther, current)
                else:
                    # If this look-ahead fails, the search halves the gap to it next.
                    fallback = step + (target - step) // 2
                    speculation.compute_ahead(
                        start + fallback, current if fallback > step + 1 else None
                    )
                tried = speculation.run(start + target, current)
                if tried is not None and tried.interval:
                    look.certified(step, target, bool(above))
                    aimed = guess
                    if farther is not None:
                        beyond = speculation.run(start + farther, current)
                        if beyond is not None and beyond.interval:
                            look.certified(target, farther, False)
                            step, current = farther, beyond
                            continue
                        if beyond is not None:
                            above.append((farther, beyond))
                    step, current = target, tried
                    continue
                look.not_certified(bool(above))
                if tried is not None:
                    above.append((target, tried))
                    continue
                gave_up += 1
                above.clear()  # close in one step at a time
                following = single(step + 1)
        # The definition's step, one unit: it may change the outcome.
        if stops.cost(purchases(following)) > prepared.budget:
            break
        step, current = step + 1, following
    # The caller's exact run of this step (tally's explained run, or `run`) checks the purchases.
    return Add1Result(prepared, start + step, purchases(current), step, speculation.computed)


def _add1_exact(prepared: Prepared, stop: Add1Stop, jump: bool) -> Add1Result:
    start = prepared.budget / prepared.voters
    ending = _Stops(prepared, stop)

    def stops(run: mes.Run) -> bool:
        return ending(run.selected)

    step, runs = 0, 1
    current = mes.run(prepared, start, record=jump)
    # The first run, at budget / voters, cannot overspend: each voter spends at most their share.
    assert ending.cost(current.selected) <= prepared.budget
    if not jump:
        while not stops(current):
            runs += 1
            plain = mes.run(prepared, start + step + 1)
            if ending.cost(plain.selected) > prepared.budget:
                return Add1Result.of(prepared, current, step, runs)
            step, current = step + 1, plain
        return Add1Result.of(prepared, current, step, runs)
    # Recorded runs above `step` that were not certified, nearest last: each guides the runs
    # below it (mes.Guide), and is itself the run of its step when the loop gets there.
    above: list[_Above] = []
    look = _LookAhead()
    while not stops(current):
        if above and above[-1].step == step + 1:
            following = above.pop().run
            look.certified_jump = 0
        else:
            guide: mes.Guide | None = None
            target = look.target(step, above[-1].step if above else None)
            if above:
                # Guided by the nearest run above.
                nearest = above[-1]
                guide = mes.Guide(nearest.run, nearest.lower, nearest.run.certified_rounds)
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
                look.certified(step, target, bool(above))
                step, current = target, tried
                continue
            look.not_certified(bool(above))
            if ahead:
                above.append(_Above(tried, target, current.per_voter_budget))
                continue
            following = tried
        # The definition's step, one unit: it may change the outcome.
        if ending.cost(following.selected) > prepared.budget:
            return Add1Result.of(prepared, current, step, runs)
        step, current = step + 1, following
    return Add1Result.of(prepared, current, step, runs)


@dataclass(frozen=True)
class _Above:
    run: mes.Run
    step: int
    lower: Fraction  # the per-voter budget of the run `run` was certified against
