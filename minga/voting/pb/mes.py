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
  Its entries lead with an integer floor of the price, so most comparisons are of integers.

`run(..., certify=earlier)` also proves, for an earlier run at a smaller per-voter budget b, that
MES has the same outcome at every per-voter budget in [b, this b] (see `Run.certified`, and
`_interval_certified` for the finer test that near-ties need); the Add1
completion (completions.py) uses this to skip the steps that cannot change the outcome, and
`run(..., guide=Guide(...))` to compute the steps it cannot skip faster, from a recorded run at a
larger budget (see Guide)."""

from __future__ import annotations

import heapq
import math
from bisect import bisect_right
from collections import Counter, deque
from collections.abc import Hashable, Iterable, Sequence
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
    unit: Fraction  # the project's unit of effective votes (Prepared.unit)
    cost: Fraction

    # Worked out when asked (only explanations ask), not in every run of the Add1 loop.
    @property
    def price(self) -> Fraction:
        """What a supporter who could afford it paid (rho x unit)."""
        return self.rho * self.unit

    @property
    def effective_votes(self) -> Fraction | None:
        return self.cost / self.price if self.rho > 0 else None


@dataclass
class Rejection:
    project: int
    best_round: int | None = None
    unaffordable_round: int | None = None  # the round at which its supporters' money fell short
    money_left: Fraction | None = None  # their money then (explained runs only)
    # Its first round's rho (explained runs only), and its cost and unit: the effective votes
    # it reached are worked out when asked.
    best_rho: Fraction | None = None
    cost: Fraction = ZERO
    unit: Fraction = ZERO

    @property
    def best_effective_votes(self) -> Fraction | None:
        """The most effective votes it reached (its first round's)."""
        if not self.best_rho:
            return None
        return self.cost / (self.best_rho * self.unit)


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
    # For each round from 1: the money of the winner's supporters before it was charged, as
    # (D, [(budget numerator, supporters)]) by class, or None for a scored project. A later run
    # certified against this one bounds the winner's price in between with it (see
    # `_interval_certified`).
    winner_money: list[tuple[int, list[tuple[int, int]]] | None] = field(
        default_factory=list, repr=False
    )

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
    return _pairs_share(sorted((budget[c], n) for c, n in counted.items() if budget[c]), need)


def _pairs_share(pairs: list[tuple[int, int]], need: int) -> tuple[int, int] | None:
    """equal_share over (budget, supporters) pairs sorted poorest first, budgets positive."""
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
        self.per_voter_budget = per_voter_budget
        self.budget = [0, int(per_voter_budget * denominator)]
        self.size = [0, prepared.voters]
        self.label = [1] * prepared.voters
        # The last charge's price per unit t, over D: the most a supporter paid per unit.
        self.share = 0
        # Until the first charge every voter is in class 1: a project's supporters are counted
        # by their number, without reading their labels.
        self.charged = False

    def money(self, p: int) -> int:
        if not self.charged:
            return self.budget[1] * len(self.prepared.supporters[p])
        return sum(map(self.budget.__getitem__, self.prepared.pick[p](self.label)))

    def rho(self, p: int, numerator: int, denominator: int) -> Fraction:
        """The rho of a price per unit t of numerator / denominator over D: that over the
        project's scale, as one Fraction (one gcd)."""
        scale = self.prepared.scale[p]
        return Fraction(numerator * scale.denominator, denominator * self.d * scale.numerator)

    def price(self, p: int) -> _Price | None:
        """The price of project p now, or None if its supporters cannot pay for it."""
        budget = self.budget
        weights = self.prepared.weights[p]
        scored: Counter[tuple[int, int]] | None = None
        cost = self.prepared.costs[p] * self.d
        assert cost.denominator == 1
        need = cost.numerator
        if weights is None and not self.charged:
            found = _pairs_share([(budget[1], len(self.prepared.supporters[p]))], need)
            if found is None:
                return None
            numerator, denominator = found
            rho = self.rho(p, numerator, denominator)
            return _Price(rho, numerator, denominator, None)
        labels = self.prepared.pick[p](self.label)
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
            rho = self.rho(p, numerator, denominator)
            return _Price(rho, numerator, denominator, None)
        scored = Counter(zip(labels, weights, strict=True))
        # Poorest first by budget / t, ordered as integers: budget x (L / t), L the common
        # multiple of the project's t.
        common = self.prepared.common_weight[p]
        entries = sorted(
            (budget[c] * (common // t), budget[c], t, n)
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
        rho = self.rho(p, numerator, denominator)
        return _Price(rho, numerator, denominator, scored)

    def charge(
        self, p: int, price: _Price, keep_money: bool = True
    ) -> tuple[int, list[tuple[int, int]]] | None:
        """Every supporter pays min(budget, price x t); a class splits where only part pays.
        Returns, for approval with `keep_money`, the supporters' money before the charge as
        (D, [(budget, n)]) by class (for `Run.winner_money`)."""
        factor = price.denominator // math.gcd(price.numerator, price.denominator)
        if factor > 1:
            self.d *= factor
            self.budget = list(map(factor.__mul__, self.budget))  # in C
        per_t = price.numerator * factor // price.denominator
        self.share = per_t
        self.charged = True
        budget = self.budget
        labels = self.prepared.pick[p](self.label)
        if price.scored is None:
            counted = Counter(labels)
            money = None
            if keep_money:
                money = (
                    self.d,
                    list(zip(map(budget.__getitem__, counted), counted.values(), strict=True)),
                )
            self._charge_approval(p, per_t, counted, labels)
            return money
        remap: dict[Hashable, int] = {}
        paid = 0
        # Scored ballots: the supporters counted by (class, t) when priced.
        for (c, t), n in price.scored.items():
            old = budget[c]
            new = old - per_t * t
            if new < 0:
                new = 0
            paid += (old - new) * n
            remap[(c, t)] = self._settle(c, n, new)
        assert paid == self.prepared.costs[p] * self.d, "the supporters pay exactly the cost"
        keys = zip(labels, self.prepared.weights[p] or (), strict=True)
        supporters = self.prepared.supporters[p]
        _consume(map(self.label.__setitem__, supporters, map(remap.__getitem__, keys)))
        return None

    def _settle(self, c: int, n: int, new: int) -> int:
        """The class of n voters of class c whose budget becomes `new`: c itself if they are the
        whole class, the spent class if it is 0, otherwise a new class split off from c."""
        if n == self.size[c]:
            self.budget[c] = new
            return c
        self.size[c] -= n
        if new == 0:
            return _SPENT
        self.budget.append(new)
        self.size.append(n)
        return len(self.budget) - 1

    def _charge_approval(
        self, p: int, per_t: int, counted: Counter[int], labels: tuple[int, ...]
    ) -> None:
        """charge on approval ballots: every supporter pays min(budget, per_t). What the
        uncapped pay is summed once, as per_t times their number; only supporters whose class
        changes are relabelled (none where no class split)."""
        budget, size = self.budget, self.size
        remap: dict[int, int] = {}
        capped_paid = uncapped = 0
        splits = False
        for c, n in counted.items():
            old = budget[c]
            if old > per_t:
                uncapped += n
                new = old - per_t
            else:
                capped_paid += old * n
                new = 0
            if n == size[c]:
                budget[c] = new
                remap[c] = c
            else:
                remap[c] = self._settle(c, n, new)
                splits = True
        paid = capped_paid + per_t * uncapped
        assert paid == self.prepared.costs[p] * self.d, "the supporters pay exactly the cost"
        if splits:
            supporters = self.prepared.supporters[p]
            _consume(map(self.label.__setitem__, supporters, map(remap.__getitem__, labels)))


# A lazy queue entry: (floor(rho x 2^_KEY_BITS), rho, id, project). The integer orders the
# entries as rho does wherever the two floors differ (floor is monotone) and compares in C; where
# they are equal the tuple goes on to rho itself, so the order is exactly (rho, id).
_Entry = tuple[int, Fraction, str, int]
_KEY_BITS = 96


def _entry(rho: Fraction, project_id: str, p: int) -> _Entry:
    return ((rho.numerator << _KEY_BITS) // rho.denominator, rho, project_id, p)


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

    free = prepared.free
    for p in free:
        result.purchases.append(Purchase(p, 0, ZERO, prepared.unit[p], costs[p]))
    result.rejections = {p: Rejection(p) for p in range(len(ids)) if p not in free}
    remaining = list(prepared.priced)

    state = _State(prepared, per_voter_budget)
    fresh: dict[int, tuple[int, _Price]] = {}
    alive = set(remaining)
    # Lower bounds on each project's price: cost / total satisfaction holds at any budget.
    least = prepared.least_rho
    queue = [_entry(least[p], ids[p], p) for p in remaining]
    round_number = 1
    # Explained runs: lower bounds on each project's supporters' money (_explain_affordability).
    money_bounds: _MoneyBounds | None = None
    if explain:
        queue = []
        for p in remaining:
            price = state.price(p)
            if price is None:
                _unaffordable(result, state, p, 1, alive, explain)
                continue
            fresh[p] = (1, price)
            queue.append(_entry(price.rho, ids[p], p))
            rejection = result.rejections[p]
            rejection.best_rho, rejection.best_round = price.rho, 1
            rejection.cost, rejection.unit = costs[p], prepared.unit[p]
        money_bounds = _MoneyBounds.of(state, {p: state.money(p) for p in alive})
    heapq.heapify(queue)
    earlier = [purchase for purchase in certify.purchases if purchase.round] if certify else []

    def buy(winner: int, price: _Price) -> None:
        result.purchases.append(
            Purchase(winner, round_number, price.rho, prepared.unit[winner], costs[winner])
        )
        del result.rejections[winner]
        # An explained run is never certified against: it keeps no supporters' money.
        result.winner_money.append(state.charge(winner, price, keep_money=not explain))

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
            _key, rho, _id, p = queue[0]
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
                    heapq.heappush(queue, _entry(bound, ids[p], p))
                    continue
            price = state.price(p)
            if price is None:
                _unaffordable(result, state, p, round_number, alive, explain)
                continue
            fresh[p] = (round_number, price)
            raised[p] = price.rho
            heapq.heappush(queue, _entry(price.rho, ids[p], p))
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
                known = {p: rho for _key, rho, _id, p in queue if p in alive}
            result.bounds.append(known)
        price = fresh[winner][1]
        heapq.heappop(queue)
        alive.discard(winner)
        if result.certified:
            assert certify is not None
            result.certified = _round_certified(
                certify, earlier, round_number, winner, top, fresh, queue, state
            )
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
            each = state.share if prepared.weights[winner] is None else None
            assert money_bounds is not None
            _explain_affordability(result, state, alive, money_bounds, winner, each, round_number)
    if result.certified and len(earlier) != round_number - 1:
        result.certified = False
    return result


def _round_certified(
    certify: Run,
    earlier: list[Purchase],
    round_number: int,
    winner: int,
    top: object,
    fresh: dict[int, tuple[int, _Price]],
    queue: list[_Entry],
    state: _State,
) -> bool:
    """Budgets only grow with b while the same projects are bought (each supporter pays
    min(budget, rho x s), and rho falls as budgets grow), so prices only fall: the earlier run's
    winner costs at most what it cost there, and every other project at least what it costs
    here. If the earlier winner's (price, id) is below every other project's (price, id) here,
    it wins this round at every budget in between. A project for which that coarse test fails
    gets the finer one of `_interval_certified`."""
    if round_number > len(earlier) or earlier[round_number - 1].project != winner:
        return False
    assert callable(top)
    ids = state.prepared.ids
    bound = (earlier[round_number - 1].rho, ids[winner])
    # The other projects whose price here is below the bound, cheapest first: each must be
    # beaten over the whole interval. They are taken off the queue and put back.
    taken: list[_Entry] = []
    certified = True
    while True:
        second = top()
        if second is None or bound < (fresh[second][1].rho, ids[second]):
            break
        if not _interval_certified(
            certify, round_number, winner, second, state, bound[0], fresh[second][1].rho
        ):
            certified = False
            break
        taken.append(heapq.heappop(queue))
    for entry in taken:
        heapq.heappush(queue, entry)
    return certified


# How many times the finer certificate halves the interval, at most (2^6 = 64 pieces).
_HALVINGS = 6


class _Money:
    """The money of a project's supporters who have any left, as (budget numerator, supporters)
    pairs sorted poorest first, with prefix sums, for shares under budgets changed to
    b x m + shift (O(log) each)."""

    def __init__(self, pairs: list[tuple[int, int]]) -> None:
        pairs = sorted((b, n) for b, n in pairs if b > 0)
        self.budgets = [b for b, _n in pairs]
        self.counts = [0, *accumulate(n for _b, n in pairs)]
        self.sums = [0, *accumulate(b * n for b, n in pairs)]

    def share(self, m: int, shift: int, need: int) -> Fraction | None:
        """The smallest x with sum(min(max(0, b x m + shift), x)) == need over the
        supporters, or None if they cannot pay need (equal_share's search; m > 0)."""
        budgets, counts, sums = self.budgets, self.counts, self.sums
        end = len(budgets)
        # The supporters whose changed budget is not positive pay nothing: a prefix.
        first = bisect_right(budgets, -shift // m) if shift < 0 else 0
        weight = counts[end] - counts[first]
        if m * (sums[end] - sums[first]) + shift * weight < need:
            return None
        low, high = first, end - 1
        while low < high:
            middle = (low + high) // 2
            paid = m * (sums[middle] - sums[first]) + shift * (counts[middle] - counts[first])
            if need - paid <= (budgets[middle] * m + shift) * (counts[end] - counts[middle]):
                high = middle
            else:
                low = middle + 1
        paid = m * (sums[low] - sums[first]) + shift * (counts[low] - counts[first])
        return Fraction(need - paid, counts[end] - counts[low])


def _price_with_more(
    money: _Money, need: int, d: int, scale: Fraction, more: Fraction
) -> Fraction | None:
    """An approval project's price (rho) if every supporter with money left had `more` (a
    per-voter amount) on top of it; money and need (cost x d) are numerators over d."""
    extra = more * d
    m = extra.denominator
    x = money.share(m, extra.numerator, need * m)
    return None if x is None else x / (m * d) / scale


def _price_with_less(
    money: _Money, need: int, d: int, scale: Fraction, less: Fraction
) -> Fraction | None:
    """An approval project's price (rho) if every supporter had max(0, budget - less)."""
    lost = less * d
    m = lost.denominator
    x = money.share(m, -lost.numerator, need * m)
    return None if x is None else x / (m * d) / scale


def _interval_certified(
    certify: Run,
    round_number: int,
    winner: int,
    other: int,
    state: _State,
    certify_rho: Fraction,
    other_rho: Fraction,
) -> bool:
    """Whether `winner` beats `other` in this round at every per-voter budget b' in [b, b1],
    where b is the earlier run's budget (`certify`) and b1 this run's, given that the earlier
    rounds have the same winners over the whole interval. Approval projects only.

    With the same purchases, a voter's budget before this round is max(0, b' - sum of the
    payments x_k(b') of the projects bought so far that they support), and each x_k(b') lies in
    [x_k(b1), x_k(b)] (prices only fall as b' grows). So with t = b' - b, a voter with money
    left at b has at least (its budget at b) + t at b' (a voter spent at b has at least 0),
    and every voter has at most max(0, its budget at b1 - (b1 - b')) at b'. A price is
    non-increasing in every supporter's budget, so `winner`'s price at b' is at most its price
    over the first bounds (`high(t)`), and `other`'s at least its price over the second
    (`low(t)`, None if those cannot pay for it). Both fall as t grows, so on a piece [t0, t1]
    of the interval, (high(t0), winner's id) < (low(t1), other's id) proves the round there.
    At t = 0 and t = b1 - b these are the two runs' own prices, so the one-piece case is the
    coarse test; failing pieces are halved, `_HALVINGS` times at most. If high(t) >= low(t) at
    a single t, no piece containing t can pass: the test gives up at once."""
    prepared = state.prepared
    recorded = certify.winner_money
    money = recorded[round_number - 1] if round_number <= len(recorded) else None
    if money is None or prepared.weights[other] is not None:
        return False
    d_low, pairs = money
    at_low = _Money(pairs)
    at_high: list[_Money] = []  # the other's money here, counted only if needed
    need_low = prepared.costs[winner] * d_low
    need_high = prepared.costs[other] * state.d
    assert need_low.denominator == need_high.denominator == 1
    delta = state.per_voter_budget - certify.per_voter_budget
    winner_key = prepared.ids[winner]
    other_key = prepared.ids[other]
    winner_scale, other_scale = prepared.scale[winner], prepared.scale[other]
    # Both runs' own prices (the ends of the interval) are known.
    highs: dict[Fraction, Fraction] = {ZERO: certify_rho}
    lows: dict[Fraction, Fraction | None] = {delta: other_rho}

    def high(t: Fraction) -> Fraction:
        if t not in highs:
            price = _price_with_more(at_low, need_low.numerator, d_low, winner_scale, t)
            assert price is not None, "affordable at b, so with more money too"
            highs[t] = price
        return highs[t]

    def low(t: Fraction) -> Fraction | None:
        if t not in lows:
            if not at_high:
                counted = Counter(prepared.pick[other](state.label))
                at_high.append(_Money([(state.budget[c], n) for c, n in counted.items()]))
            lows[t] = _price_with_less(
                at_high[0], need_high.numerator, state.d, other_scale, delta - t
            )
        return lows[t]

    def beats(t0: Fraction, t1: Fraction) -> bool:
        above = low(t1)
        return above is None or (high(t0), winner_key) < (above, other_key)

    # Where the winner's bound at b1 is not below the other's own price there, no piece ending
    # at b1 can pass: give up before counting the other's money.
    if not beats(delta, delta):
        return False
    pieces = [(ZERO, delta)]
    for _ in range(_HALVINGS):
        failed = [(t0, t1) for t0, t1 in pieces if not beats(t0, t1)]
        if not failed:
            return True
        pieces = []
        for t0, t1 in failed:
            middle = (t0 + t1) / 2
            if not beats(middle, middle):
                return False
            pieces += [(t0, middle), (middle, t1)]
    return all(beats(t0, t1) for t0, t1 in pieces)


def _unaffordable(
    result: Run, state: _State, p: int, round_number: int, alive: set[int], explain: bool
) -> None:
    alive.discard(p)
    rejection = result.rejections[p]
    if rejection.unaffordable_round is None:
        rejection.unaffordable_round = round_number
        if explain:
            rejection.money_left = Fraction(state.money(p), state.d)


@dataclass
class _MoneyBounds:
    """Lower bounds on each project's supporters' money, over the denominator `d` (the run's D
    when they were last brought up to date), and the costs over the run's first D, `first`
    (D only grows, by whole factors)."""

    money: dict[int, int]
    d: int
    costs: list[int]
    first: int

    @classmethod
    def of(cls, state: _State, money: dict[int, int]) -> _MoneyBounds:
        costs = [int(cost * state.d) for cost in state.prepared.costs]
        return cls(money, state.d, costs, state.d)


def _explain_affordability(
    result: Run,
    state: _State,
    alive: set[int],
    bounds: _MoneyBounds,
    winner: int,
    each: int | None,
    round_number: int,
) -> None:
    """After the purchase of `winner`, every project's supporters have at most its cost less
    than before, and, on approval ballots, at most `each` (the price per supporter, over D)
    times the number of them who support the winner too (or all of them, where those numbers
    were not counted: Prepared.overlaps): only those whose money may now fall short of their
    cost are checked exactly. Integers over D throughout."""
    prepared, d = state.prepared, state.d
    overlaps = prepared.overlaps
    shared: Sequence[int]
    if overlaps is None:
        shared = tuple(map(len, prepared.supporters))
    else:
        projects = len(prepared.ids)
        shared = overlaps[winner * projects : (winner + 1) * projects]
    money = bounds.money
    if bounds.d != d:
        factor = d // bounds.d
        for p in money:
            money[p] *= factor
        bounds.d = d
    scale = d // bounds.first
    lost = bounds.costs[winner] * scale
    for p in sorted(alive):
        cost = bounds.costs[p] * scale
        money[p] -= lost if each is None else min(lost, each * shared[p])
        if money[p] < cost:
            money[p] = state.money(p)
            if money[p] < cost:
                _unaffordable(result, state, p, round_number, alive, True)
