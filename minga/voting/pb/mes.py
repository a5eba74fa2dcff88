"""The Method of Equal Shares (equalshares.net), exact, with the tie-breaking of pabutools.

Each voter starts with the same budget b. In every round, for every project still affordable
(its supporters' money covers its cost), the rule finds the smallest price rho per unit of
satisfaction such that the supporters, each paying min(budget, rho x satisfaction), cover the
cost; it buys the project with the smallest rho (ties: the smallest project id compared as a
string), charges its supporters, and repeats until no project is affordable.

How it stays exact and fast:

- Money is a Python integer over one common denominator D (every budget is `numerator / D`).
  When a price brings a new denominator, D and every numerator are multiplied by the missing
  factor, so comparisons and sums never build a Fraction.
- Voters with the same budget history share a class: a voter's budget is the class's; a class
  splits when only part of it pays for a project. Counting a project's supporters by class is a
  `Counter` over their class labels (C speed), and the price is found over the distinct budgets.
- Lazy evaluation with a priority queue: a project's price never falls within a run (budgets only
  fall), so the price last computed is a lower bound; only the project at the top of the queue is
  recomputed, until a freshly computed price is the smallest (ties: smallest id as a string).

`run(..., certify=earlier)` also proves, for an earlier run at a smaller per-voter budget b, that
MES has the same outcome at every per-voter budget in [b, this b] (see `Run.certified`); the Add1
completion (completions.py) uses this to skip the steps that cannot change the outcome."""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from fractions import Fraction

from minga.voting.pb.prepared import Prepared

ZERO = Fraction(0)
# Class 0 holds the voters who have spent everything: they take no further part.
_SPENT = 0


@dataclass(frozen=True)
class Purchase:
    project: int
    round: int  # 1-based; 0 for the zero-cost projects taken before the first round
    rho: Fraction  # price per unit of satisfaction
    price: Fraction  # what a supporter who could afford it paid (rho x unit)
    effective_votes: Fraction | None


@dataclass
class Rejection:
    project: int
    best_effective_votes: Fraction | None = None  # the most it reached (its first round's)
    best_round: int | None = None
    unaffordable_round: int | None = None  # the round at which its supporters' money fell short
    money_left: Fraction | None = None  # their money then


@dataclass
class Run:
    per_voter_budget: Fraction
    purchases: list[Purchase] = field(default_factory=list)
    rejections: dict[int, Rejection] = field(default_factory=dict)
    # With `certify=earlier`: True when MES provably gives this run's outcome at every per-voter
    # budget between the earlier run's and this one's (both included).
    certified: bool | None = None

    @property
    def selected(self) -> list[int]:
        return [purchase.project for purchase in self.purchases]


@dataclass(frozen=True)
class _Price:
    """A project's price in the current round: rho per unit of satisfaction, and per unit of
    the whole-number weight t: `numerator / denominator` (over the run's D)."""

    rho: Fraction
    numerator: int
    denominator: int
    # The supporters counted by class (approval) or by (class, t) (scored ballots).
    approval: dict[int, int] | None
    scored: dict[tuple[int, int], int] | None


class _State:
    """Budgets of one MES run: voter -> class, class -> budget numerator over D."""

    def __init__(self, prepared: Prepared, per_voter_budget: Fraction) -> None:
        self.prepared = prepared
        denominator = per_voter_budget.denominator
        for cost in prepared.costs:
            denominator = math.lcm(denominator, cost.denominator)
        self.d = denominator
        self.budget = [0, int(per_voter_budget * denominator)]
        self.size = [0, prepared.voters]
        self.label = [1] * prepared.voters

    def money(self, p: int) -> int:
        return sum(
            map(self.budget.__getitem__, map(self.label.__getitem__, self.prepared.supporters[p]))
        )

    def price(self, p: int) -> _Price | None:
        """The price of project p now, or None if its supporters cannot pay for it."""
        budget = self.budget
        labels = map(self.label.__getitem__, self.prepared.supporters[p])
        weights = self.prepared.weights[p]
        approval: Counter[int] | None = None
        scored: Counter[tuple[int, int]] | None = None
        cost = self.prepared.costs[p] * self.d
        assert cost.denominator == 1
        need = cost.numerator
        if weights is None:
            # Approval: every t is 1; the pairs (budget, supporters), poorest first.
            approval = Counter(labels)
            pairs = sorted((budget[c], n) for c, n in approval.items() if budget[c])
            if sum(b * n for b, n in pairs) < need:
                return None
            weight = sum(n for _b, n in pairs)
            paid = 0
            for b, n in pairs:
                # Everyone from here on can pay need / weight: that is the price.
                if need - paid <= b * weight:
                    break
                paid += b * n
                weight -= n
        else:
            scored = Counter(zip(labels, weights, strict=True))
            entries = sorted(
                (Fraction(budget[c], t), budget[c], t, n)
                for (c, t), n in scored.items()
                if budget[c]
            )
            if sum(b * n for _r, b, _t, n in entries) < need:
                return None
            weight = sum(t * n for _r, _b, t, n in entries)
            paid = 0
            for _r, b, t, n in entries:
                # Everyone from here on can pay rho x t: the price is what is left over their
                # weight.
                if (need - paid) * t <= b * weight:
                    break
                paid += b * n
                weight -= t * n
        assert weight > 0, "affordable, so the richest supporters can pay"
        numerator, denominator = need - paid, weight
        rho = Fraction(numerator, denominator * self.d) / self.prepared.scale[p]
        return _Price(rho, numerator, denominator, approval, scored)

    def charge(self, p: int, price: _Price) -> None:
        """Every supporter pays min(budget, price x t); a class splits where only part pays."""
        factor = price.denominator // math.gcd(price.numerator, price.denominator)
        if factor > 1:
            self.d *= factor
            self.budget = [b * factor for b in self.budget]
        per_t = price.numerator * factor // price.denominator
        budget, size = self.budget, self.size
        remap: dict[Hashable, int] = {}
        paid = 0
        items: list[tuple[Hashable, int, int, int]]
        if price.scored is not None:
            items = [((c, t), c, t, n) for (c, t), n in price.scored.items()]
        else:
            assert price.approval is not None
            items = [(c, c, 1, n) for c, n in price.approval.items()]
        for key, c, t, n in items:
            old = budget[c]
            new = old - per_t * t
            if new < 0:
                new = 0
            paid += (old - new) * n
            if n == size[c]:
                budget[c] = new
                remap[key] = c
            elif new == 0:
                size[c] -= n
                remap[key] = _SPENT
            else:
                size[c] -= n
                remap[key] = len(budget)
                budget.append(new)
                size.append(n)
        assert paid == self.prepared.costs[p] * self.d, "the supporters pay exactly the cost"
        supporters = self.prepared.supporters[p]
        keys: Iterable[Hashable] = map(self.label.__getitem__, supporters)
        if price.scored is not None:
            keys = zip(keys, self.prepared.weights[p] or (), strict=True)
        _consume(map(self.label.__setitem__, supporters, map(remap.__getitem__, keys)))


def _consume(iterator: Iterable[None]) -> None:
    for _ in iterator:
        pass


def run(
    prepared: Prepared,
    per_voter_budget: Fraction,
    *,
    explain: bool = False,
    certify: Run | None = None,
) -> Run:
    """MES at one per-voter budget. `explain` also finds, for every project not bought, its
    best effective votes and the round its supporters' money fell short. `certify`: see Run."""
    result = Run(per_voter_budget=per_voter_budget)
    ids, costs = prepared.ids, prepared.costs
    if certify is not None:
        assert certify.per_voter_budget <= per_voter_budget
        result.certified = True
    if prepared.voters == 0:
        return result

    remaining: list[int] = []
    for p in range(len(ids)):
        result.rejections[p] = Rejection(p)
        if prepared.total_sat[p] > 0 and costs[p] == 0:
            result.purchases.append(Purchase(p, 0, ZERO, ZERO, None))
            del result.rejections[p]
        elif prepared.total_sat[p] > 0:
            remaining.append(p)

    state = _State(prepared, per_voter_budget)
    fresh: dict[int, tuple[int, _Price]] = {}
    alive = set(remaining)
    # Lower bounds on each project's price: cost / total satisfaction holds at any budget.
    queue = [(costs[p] / prepared.total_sat[p], ids[p], p) for p in remaining]
    round_number = 1
    upper: dict[int, Fraction] = {}
    if explain:
        queue = []
        for p in remaining:
            price = state.price(p)
            if price is None:
                _unaffordable(result, state, p, 1, alive)
                continue
            fresh[p] = (1, price)
            queue.append((price.rho, ids[p], p))
            if price.rho > 0:
                result.rejections[p].best_effective_votes = costs[p] / (
                    price.rho * prepared.unit[p]
                )
                result.rejections[p].best_round = 1
        upper = {p: Fraction(state.money(p), state.d) for p in alive}
    heapq.heapify(queue)
    earlier = [purchase for purchase in certify.purchases if purchase.round] if certify else []

    def top() -> int | None:
        """The project with the smallest fresh price this round, or None."""
        while queue:
            _rho, _id, p = queue[0]
            if p not in alive:
                heapq.heappop(queue)
                continue
            seen = fresh.get(p)
            if seen is not None and seen[0] == round_number:
                return p
            heapq.heappop(queue)
            price = state.price(p)
            if price is None:
                _unaffordable(result, state, p, round_number, alive)
                continue
            fresh[p] = (round_number, price)
            heapq.heappush(queue, (price.rho, ids[p], p))
        return None

    while True:
        winner = top()
        if winner is None:
            break
        price = fresh[winner][1]
        heapq.heappop(queue)
        alive.discard(winner)
        if result.certified:
            result.certified = _round_certified(earlier, round_number, winner, top, fresh, ids)
        unit = prepared.unit[winner]
        result.purchases.append(
            Purchase(
                winner,
                round_number,
                price.rho,
                price.rho * unit,
                costs[winner] / (price.rho * unit) if price.rho > 0 else None,
            )
        )
        del result.rejections[winner]
        state.charge(winner, price)
        round_number += 1
        if explain:
            # A project's supporters lose at most what was just paid; check exactly only those
            # whose money may now fall short of their cost.
            _explain_affordability(result, state, alive, upper, costs[winner], round_number)
    if result.certified and len(earlier) != round_number - 1:
        result.certified = False
    return result


def _round_certified(
    earlier: list[Purchase],
    round_number: int,
    winner: int,
    top: object,
    fresh: dict[int, tuple[int, _Price]],
    ids: tuple[str, ...],
) -> bool:
    """Budgets only grow with b while the same projects are bought (each supporter pays
    min(budget, rho x s), and rho falls as budgets grow), so prices only fall: the earlier run's
    winner costs at most what it cost there, and every other project at least what it costs
    here. If the earlier winner's (price, id) is below every other project's (price, id) here,
    it wins this round at every budget in between."""
    if round_number > len(earlier) or earlier[round_number - 1].project != winner:
        return False
    assert callable(top)
    second = top()
    if second is None:
        return True
    bound = earlier[round_number - 1].rho
    return (bound, ids[winner]) < (fresh[second][1].rho, ids[second])


def _unaffordable(result: Run, state: _State, p: int, round_number: int, alive: set[int]) -> None:
    alive.discard(p)
    rejection = result.rejections[p]
    if rejection.unaffordable_round is None:
        rejection.unaffordable_round = round_number
        rejection.money_left = Fraction(state.money(p), state.d)


def _explain_affordability(
    result: Run,
    state: _State,
    alive: set[int],
    upper: dict[int, Fraction],
    spent: Fraction,
    round_number: int,
) -> None:
    """After a purchase of cost `spent`, every project's supporters have at most `spent` less
    than before: only those whose money may now fall short of their cost are checked exactly."""
    costs = state.prepared.costs
    for p in sorted(alive):
        upper[p] -= spent
        if upper[p] < costs[p]:
            upper[p] = Fraction(state.money(p), state.d)
            if upper[p] < costs[p]:
                _unaffordable(result, state, p, round_number, alive)
