"""The compiled filter of the Method of Equal Shares (_mesfilter.c): MES in floating point that
proves each of its choices against the exact rule, or gives up.

`Filter.run(b)` gives the projects the exact `mes.run(prepared, b)` buys, in order, or None
where a certificate failed (the caller then runs the exact rule); `Filter.run(b1, earlier)`
also says whether the purchases are provably the same at every budget from the earlier run's
to b1 (`FilterRun.interval`); `Filter.purchases(b)` is the purchases alone. It takes approval
ballots (cost or cardinality satisfaction) with whole costs below 2^53; `compile_filter` returns
None for anything else, and where the extension was not built (no C compiler at install time).
docs/adr/0002-compiled-mes-filter.md says why it exists."""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass, field, replace
from fractions import Fraction
from types import ModuleType
from typing import NamedTuple

from minga.voting.pb.prepared import Prepared

_extension: ModuleType | None
try:
    from minga.voting.pb import _mesfilter as _extension
except ImportError:  # pragma: no cover - the test suite fails loudly where this happens
    _extension = None

# Exact as doubles: whole numbers below 2^53.
_EXACT_LIMIT = 2**53


def available() -> bool:
    """Whether the extension was built."""
    return _extension is not None


def last_failure() -> tuple[int, int, int, str] | None:
    """Where the last filtered run on this thread gave up: (round, project, the other project
    of a failed comparison or -1, reason), or None if it did not."""
    return None if _extension is None else _extension.last_failure()


@dataclass(frozen=True)
class Filter:
    voters: int
    offsets: array[int]
    supporters: array[int]
    costs: array[float]
    ranks: array[int]
    cardinality: bool
    # Bought before round 1 by the exact rule: the zero-cost projects with supporters.
    free: tuple[int, ...]
    # Scored ballots: each supporter entry's points (parallel to `supporters`); None for
    # approval ballots.
    weights: array[float] | None = None

    def clustered(self) -> Filter:
        """The same filter with the voters numbered afresh, those who approve the same projects
        together (_mesfilter.cluster): a run reads a project's supporters' budgets by number,
        and neighbours then share cache lines (a run on Budapest 2024 is about 15 % faster).
        The purchases do not depend on the numbering, and a run's record holds nothing per
        voter, so runs of either filter certify against each other's. Scored ballots keep
        theirs (the points follow the supporters' order)."""
        if self.weights is not None:
            return self
        assert _extension is not None
        supporters = array("i")
        supporters.frombytes(_extension.cluster(self.voters, self.offsets, self.supporters))
        return replace(self, supporters=supporters)

    def purchases(self, per_voter_budget: Fraction) -> list[int] | None:
        found = self.run(per_voter_budget)
        return None if found is None else found.purchases

    def run(self, per_voter_budget: Fraction, earlier: FilterRun | None = None) -> FilterRun | None:
        """The filtered run at this budget, or None where it gave up. With `earlier` (a run at
        a smaller budget), `interval` says whether MES provably makes the same purchases at
        every per-voter budget between the two (both included)."""
        assert _extension is not None
        assert earlier is None or earlier.per_voter_budget <= per_voter_budget
        b = float(per_voter_budget)
        # float() rounds to nearest: within half a unit in the last place, bounded here by
        # 2^-52 of the value (and the smallest subnormal, for values near 0).
        error = abs(b) * 2.0**-52 + 5e-324
        found = _extension.run(
            self.voters,
            self.offsets,
            self.supporters,
            self.costs,
            self.ranks,
            self.cardinality,
            b,
            error,
            None if earlier is None else earlier.record,
            self.weights,
        )
        if found is None:
            return None
        bought, winners, highs, exact, prices, deltas, interval, diverged = found
        record = Record(array("i"), array("d"), array("b"), array("d"), array("d"), b, error)
        record.winners.frombytes(winners)
        record.highs.frombytes(highs)
        record.exact.frombytes(exact)
        record.prices.frombytes(prices)
        record.deltas.frombytes(deltas)
        crossing = None
        if earlier is not None and diverged is not None:
            cost = self.costs[record.winners[diverged[0]]]
            crossing = _crossing(earlier.record, record, cost, *diverged)
        return FilterRun(per_voter_budget, [*self.free, *bought], record, interval, crossing)


class Record(NamedTuple):
    """What a run leaves for a later run at a larger budget to certify the interval between."""

    winners: array[int]  # per round
    highs: array[float]  # per round: an upper bound on the winner's rho
    exact: array[int]  # per round: 1 if that rho was exactly cost / supporters
    prices: array[float]  # per round: the price per supporter q the winner was bought at
    deltas: array[float]  # per round: |the exact price - q| <= delta
    per_voter_budget: float
    error: float  # a bound on |per_voter_budget - the exact one|


@dataclass(frozen=True)
class FilterRun:
    per_voter_budget: Fraction
    purchases: list[int]  # as the exact rule's run lists them (zero-cost projects first)
    record: Record = field(repr=False)
    # Against the `earlier` run given: the same purchases at every budget in between.
    interval: bool = False
    # Where not: a guess at the per-voter budget where they change (see _crossing), or None.
    crossing: float | None = None


def _crossing(
    earlier: Record,
    later: Record,
    cost: float,
    diverged: int,
    theirs_here: float,
    ours_there: float,
    money_there: float,
    money_here: float,
) -> float | None:
    """A guess at where the purchases of two runs change, between their per-voter budgets:
    where the two winners of the first round where they differ would swap, each one's rho taken
    as linear in the per-voter budget. The C run gives the earlier winner's rho in the later run
    and the later winner's in the earlier one (replayed). Where the later winner could not be
    bought in the earlier run, where its supporters' money (linear too) would reach its cost.
    None where neither applies (or a pricing gave up)."""
    low, high = earlier.per_voter_budget, later.per_voter_budget
    if math.isinf(ours_there):
        if money_there < cost <= money_here:
            return low + (high - low) * (cost - money_there) / (money_here - money_there)
        return None
    ours_then, theirs_now = earlier.highs[diverged], later.highs[diverged]
    # The later winner's rho less the earlier one's: positive below the change, negative above.
    then, now = ours_there - ours_then, theirs_now - theirs_here
    if not (math.isfinite(then) and math.isfinite(now) and then > 0 > now):
        return None
    return low + (high - low) * then / (then - now)


def compile_filter(prepared: Prepared) -> Filter | None:
    """The filter for this election, or None where it does not apply."""
    if _extension is None or prepared.satisfaction not in ("cost", "cardinality", "score"):
        return None
    scored = prepared.satisfaction == "score"
    # Scored ballots: whole points only (every scale 1: the satisfaction is the points).
    if scored and any(scale != 1 for scale in prepared.scale):
        return None
    if prepared.voters >= 2**31 or sum(map(len, prepared.supporters)) >= 2**31:
        return None
    costs = prepared.costs
    if any(c.denominator != 1 or c >= _EXACT_LIMIT for c in costs):
        return None
    offsets, supporters = prepared.flat
    points = None
    if scored:
        points = array("d")
        for weights in prepared.weights:
            assert weights is not None
            if any(t >= 2**31 for t in weights) or sum(weights) >= _EXACT_LIMIT:
                return None
            points.extend(weights)
    return Filter(
        voters=prepared.voters,
        offsets=offsets,
        supporters=supporters,
        # A project with no supporters (or none that draw satisfaction) is left out by its
        # empty range, as the exact rule leaves it out.
        costs=array("d", (float(c) for c in costs)),
        ranks=_ranks(prepared),
        # Scored ballots with whole points: the satisfaction is the points, counted like
        # cardinality (rho is the price per point).
        cardinality=prepared.satisfaction in ("cardinality", "score"),
        free=tuple(sorted(prepared.free)),
        weights=points,
    )


def _ranks(prepared: Prepared) -> array[int]:
    """Each project's position by id as a string (the tie-break)."""
    order = sorted(range(len(prepared.ids)), key=prepared.ids.__getitem__)
    ranks = array("i", [0] * len(order))
    for rank, p in enumerate(order):
        ranks[p] = rank
    return ranks
