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
  splits when only part of it pays for a project. A price is found over the supporters counted
  by class (a `Counter` over their labels, C speed) when the classes are few, and otherwise over
  every supporter's budget sorted in C, with prefix sums and a binary search (`equal_share`).
- Lazy evaluation with a priority queue: a project's price never falls within a run (budgets only
  fall), so the price last computed is a lower bound; only the project at the top of the queue is
  recomputed, until a freshly computed price is the smallest (ties: smallest id as a string).

`run(..., certify=earlier)` also proves, for an earlier run at a smaller per-voter budget b, that
MES has the same outcome at every per-voter budget in [b, this b] (see `Run.certified`); the Add1
completion (completions.py) uses this to skip the steps that cannot change the outcome, and
`run(..., guide=Guide(...))` to compute the steps it cannot skip faster, from a recorded run at a
larger budget (see Guide)."""

from __future__ import annotations

import heapq
import math
from collections import Counter, deque
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import accumulate

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
    money_left: Fraction | None = None  # their money then (explained runs only)


@dataclass
class Run:
    per_voter_budget: Fraction
    purchases: list[Purchase] = field(default_factory=list)
    rejections: dict[int, Rejection] = field(default_factory=dict)
    # With `certify=earlier`: True when MES provably gives this run's outcome at every per-voter
    # budget between the earlier run's and this one's (both included).
    certified: bool | None = None
    # With `certify=earlier`: the number of leading rounds in which the certificate held (those
    # rounds have the same winners at every budget in between, whatever happens later).
    certified_rounds: int = 0
    # With `record=True`: for each round, a lower bound on the price (rho) of every project that
    # could still be bought in it, as known when its winner was chosen (the winner's is exact).
    bounds: list[dict[int, Fraction]] | None = None

    @property
    def selected(self) -> list[int]:
        return [purchase.project for purchase in self.purchases]


@dataclass(frozen=True)
class Guide:
    """What a recorded run at a larger per-voter budget tells a run at a smaller one.

    - `upper` was run with `record=True` and `certify=` a run at the budget `lower`: its first
      `known` rounds (`upper.certified_rounds`) have the same winners at every budget between
      `lower` and upper's, so a guided run at such a budget only prices those winners (it does
      not look for them).
    - After them, while the guided run keeps buying what `upper` bought, every price `upper`
      knew in a round is a lower bound on the price here in that round (with the same projects
      bought, budgets only grow with the per-voter budget, so prices only fall), and a project
      `upper`'s voters could not afford by then cannot be afforded here. The lazy queue starts
      each such round from these bounds instead of older, lower ones, so far fewer prices are
      computed. Once the guided run buys something else, it goes on alone: its bounds stay
      valid, as prices only rise within a run."""

    upper: Run
    lower: Fraction
    known: int


@dataclass(frozen=True)
class _Price:
    """A project's price in the current round: rho per unit of satisfaction, and per unit of
    the whole-number weight t: `numerator / denominator` (over the run's D)."""

    rho: Fraction
    numerator: int
    denominator: int
    # Scored ballots: the supporters counted by (class, t); None for approval (charge counts
    # the winner's supporters by class itself: only the winner's are needed).
    scored: dict[tuple[int, int], int] | None


def equal_share(budgets: list[int], need: int) -> tuple[int, int] | None:
    """The smallest x with sum(min(b, x) for b in budgets) == need, as (numerator,
    denominator), or None if the budgets fall short of need. `budgets` is sorted, poorest first.

    With P(j) the money of the j poorest, the answer is (need - P(j)) / (m - j) for the first j
    at which the m - j richest can each pay that much: need - P(j) <= budgets[j] x (m - j). That
    test is monotone in j (going from j to j + 1 adds (m - j - 1) x (budgets[j + 1] - budgets[j])
    >= 0 to its right side minus its left side), so a binary search finds j; the sums are
    prefix sums computed in C."""
    prefix = [0, *accumulate(budgets)]
    m = len(budgets)
    if prefix[m] < need:
        return None
    low, high = 0, m - 1  # the answer's j is in [low, high]; high always passes the test
    while low < high:
        middle = (low + high) // 2
        if need - prefix[middle] <= budgets[middle] * (m - middle):
            high = middle
        else:
            low = middle + 1
    return need - prefix[low], m - low


def _class_share(counted: Counter[int], budget: list[int], need: int) -> tuple[int, int] | None:
    """equal_share over the supporters counted by class: the pairs (budget, supporters), poorest
    first (pabutools' algorithm)."""
    pairs = sorted((budget[c], n) for c, n in counted.items() if budget[c])
    if sum(b * n for b, n in pairs) < need:
        return None
    weight = sum(n for _b, n in pairs)
    paid = 0
    for b, n in pairs:
        # Everyone from here on can pay what is left over their number: that is the share.
        if need - paid <= b * weight:
            break
        paid += b * n
        weight -= n
    return need - paid, weight


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
        return sum(map(self.budget.__getitem__, self.prepared.pick[p](self.label)))

    def price(self, p: int) -> _Price | None:
        """The price of project p now, or None if its supporters cannot pay for it."""
        budget = self.budget
        labels = self.prepared.pick[p](self.label)
        weights = self.prepared.weights[p]
        scored: Counter[tuple[int, int]] | None = None
        cost = self.prepared.costs[p] * self.d
        assert cost.denominator == 1
        need = cost.numerator
        if weights is None:
            # Approval: every t is 1. When the supporters are many more than the classes, count
            # them by class and sort the distinct budgets; otherwise sort every supporter's
            # budget (plain integers, in C). Both give the same share.
            if 4 * len(budget) < len(labels):
                found = _class_share(Counter(labels), budget, need)
            else:
                found = equal_share(sorted(map(budget.__getitem__, labels)), need)
            if found is None:
                return None
            numerator, denominator = found
            rho = Fraction(numerator, denominator * self.d) / self.prepared.scale[p]
            return _Price(rho, numerator, denominator, None)
        scored = Counter(zip(labels, weights, strict=True))
        entries = sorted(
            (Fraction(budget[c], t), budget[c], t, n) for (c, t), n in scored.items() if budget[c]
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
        return _Price(rho, numerator, denominator, scored)

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
        labels = self.prepared.pick[p](self.label)
        items: list[tuple[Hashable, int, int, int]]
        if price.scored is not None:
            items = [((c, t), c, t, n) for (c, t), n in price.scored.items()]
        else:
            items = [(c, c, 1, n) for c, n in Counter(labels).items()]
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
        keys: Iterable[Hashable] = labels
        if price.scored is not None:
            keys = zip(labels, self.prepared.weights[p] or (), strict=True)
        supporters = self.prepared.supporters[p]
        _consume(map(self.label.__setitem__, supporters, map(remap.__getitem__, keys)))


def _consume(iterator: Iterable[None]) -> None:
    deque(iterator, maxlen=0)  # runs the iterator in C


def run(
    prepared: Prepared,
    per_voter_budget: Fraction,
    *,
    explain: bool = False,
    certify: Run | None = None,
    guide: Guide | None = None,
    record: bool = False,
) -> Run:
    """MES at one per-voter budget. `explain` also finds, for every project not bought, its
    best effective votes and the round its supporters' money fell short. `certify`: see Run.
    `guide`: see Guide. `record` keeps each round's price bounds (`Run.bounds`), for guiding
    later runs at smaller budgets."""
    result = Run(per_voter_budget=per_voter_budget)
    ids, costs = prepared.ids, prepared.costs
    if certify is not None:
        assert certify.per_voter_budget <= per_voter_budget
        result.certified = True
    if record:
        result.bounds = []
    replayed: list[int] = []
    steering_bounds: list[dict[int, Fraction]] = []
    if guide is not None:
        assert not explain, "an explained run computes every round itself"
        assert guide.upper.bounds is not None, "the guide's run recorded its bounds"
        assert guide.lower <= per_voter_budget <= guide.upper.per_voter_budget
        assert certify is None or guide.lower <= certify.per_voter_budget
        replayed = [purchase.project for purchase in guide.upper.purchases if purchase.round]
        steering_bounds = guide.upper.bounds
        assert guide.known <= len(replayed)
    if prepared.voters == 0:
        # Nobody voted: nothing is bought, and every project is explained as unsupported.
        result.rejections = {p: Rejection(p) for p in range(len(ids))}
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
                _unaffordable(result, state, p, 1, alive, explain)
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

    def buy(winner: int, price: _Price) -> None:
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

    # The guide's certified rounds: their winners are known; only their prices are computed.
    for known_winner in replayed[: guide.known if guide else 0]:
        price = state.price(known_winner)
        assert price is not None, "a certified round's winner is affordable"
        alive.discard(known_winner)
        if result.bounds is not None:
            result.bounds.append(steering_bounds[round_number - 1])
        if result.certified:
            # The certified run is at a budget the guide's certificate covers: same winner.
            assert earlier[round_number - 1].project == known_winner
            result.certified_rounds = round_number
        buy(known_winner, price)
        round_number += 1

    # While this run has bought what the guide's run had by this round (at a budget no larger),
    # each project's price here is at least the guide's bound for it in this round, and a project
    # the guide's voters could not afford by then cannot be afforded here: `steering` holds the
    # guide's bounds for the current round (None once the runs differ), `raised` the keys this
    # round pushed above them.
    steering: dict[int, Fraction] | None = None
    raised: dict[int, Fraction] = {}

    def steer() -> dict[int, Fraction]:
        raised.clear()
        return steering_bounds[round_number - 1] if round_number <= len(steering_bounds) else {}

    def top() -> int | None:
        """The project with the smallest fresh price this round, or None."""
        while queue:
            rho, _id, p = queue[0]
            if p not in alive:
                heapq.heappop(queue)
                continue
            seen = fresh.get(p)
            if seen is not None and seen[0] == round_number:
                return p
            heapq.heappop(queue)
            if steering is not None:
                bound = steering.get(p)
                if bound is None:
                    _unaffordable(result, state, p, round_number, alive, explain)
                    continue
                if bound > rho:
                    raised[p] = bound
                    heapq.heappush(queue, (bound, ids[p], p))
                    continue
            price = state.price(p)
            if price is None:
                _unaffordable(result, state, p, round_number, alive, explain)
                continue
            fresh[p] = (round_number, price)
            raised[p] = price.rho
            heapq.heappush(queue, (price.rho, ids[p], p))
        return None

    if guide is not None:
        steering = steer()
    while True:
        winner = top()
        if winner is None:
            break
        if result.bounds is not None:
            if steering is not None:
                known = {p: rho for p, rho in steering.items() if p in alive}
                known.update((p, rho) for p, rho in raised.items() if p in alive)
            else:
                known = {p: rho for rho, _id, p in queue if p in alive}
            result.bounds.append(known)
        price = fresh[winner][1]
        heapq.heappop(queue)
        alive.discard(winner)
        if result.certified:
            result.certified = _round_certified(earlier, round_number, winner, top, fresh, ids)
            if result.certified:
                result.certified_rounds = round_number
        buy(winner, price)
        round_number += 1
        if steering is not None:
            follows = round_number - 1 <= len(replayed) and replayed[round_number - 2] == winner
            # A different purchase: the guide's bounds no longer apply.
            steering = steer() if follows else None
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


def _unaffordable(
    result: Run, state: _State, p: int, round_number: int, alive: set[int], explain: bool
) -> None:
    alive.discard(p)
    rejection = result.rejections[p]
    if rejection.unaffordable_round is None:
        rejection.unaffordable_round = round_number
        if explain:
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
                _unaffordable(result, state, p, round_number, alive, True)
