"""The Method of Equal Shares (equalshares.net), exact, with the tie-breaking of pabutools.

Each voter starts with the same budget b. In every round, for every project still affordable
(its supporters' money covers its cost), the rule finds the smallest price rho per unit of
satisfaction such that the supporters, each paying min(budget, rho x satisfaction), cover the
cost; it buys the project with the smallest rho (ties: the smallest project id compared as a
string), charges its supporters, and repeats until no project is affordable.

Speed. Voters with the same budget form a class; a class is a bit set over voters, and the number
of a project's supporters in a class is a popcount. Every quantity of a run is an affine function
of b as long as the run takes the same decisions (the same winner each round, the same supporters
paying their whole budget); `run` computes, besides the outcome at b, how far b may grow before
any of those decisions could change (`stable_until`). The Add1 completion uses it to skip the
per-voter budgets at which the outcome is provably the same (see completions.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from minga.voting.pb.prepared import Prepared

ZERO = Fraction(0)


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
    best_effective_votes: Fraction | None = None  # the most it reached in any round
    best_round: int | None = None
    unaffordable_round: int | None = None  # the round at which its supporters' money fell short
    money_left: Fraction | None = None  # their money then


@dataclass
class Run:
    per_voter_budget: Fraction
    purchases: list[Purchase] = field(default_factory=list)
    rejections: dict[int, Rejection] = field(default_factory=dict)
    # The run's decisions hold for every per-voter budget in [b, b + stable_for); None: forever.
    stable_for: Fraction | None = None

    @property
    def selected(self) -> list[int]:
        return [purchase.project for purchase in self.purchases]


class _Stability:
    """The smallest increase of b at which one of the run's comparisons could turn: every
    comparison is d(b) = value + slope x (b' - b) >= 0 (or > 0) with value >= 0 at b."""

    def __init__(self) -> None:
        self.limit: Fraction | None = None

    def keep(self, value: Fraction, slope: Fraction) -> None:
        assert value >= 0, "a comparison the run relies on is false at its own budget"
        if slope < 0:
            reach = value / -slope
            if self.limit is None or reach < self.limit:
                self.limit = reach


def run(prepared: Prepared, per_voter_budget: Fraction) -> Run:
    """MES at one per-voter budget, with the interval over which its decisions hold."""
    result = Run(per_voter_budget=per_voter_budget)
    stability = _Stability()
    ids, costs, levels = prepared.ids, prepared.costs, prepared.levels
    if prepared.voters == 0:
        result.stable_for = None
        return result

    remaining: list[int] = []
    for p in range(len(ids)):
        if prepared.total_sat[p] > 0 and costs[p] == 0:
            result.purchases.append(Purchase(p, 0, ZERO, ZERO, None))
        elif prepared.total_sat[p] > 0:
            remaining.append(p)
            result.rejections[p] = Rejection(p)
        else:
            result.rejections[p] = Rejection(p)

    # Classes of voters with the same budget, value + slope x (b' - b): (value, slope, bits).
    everyone = (1 << prepared.voters) - 1
    classes: dict[int, tuple[Fraction, Fraction, int]] = {
        0: (per_voter_budget, Fraction(1), everyone)
    }
    next_class = 1
    counts: dict[tuple[int, int, int], int] = {}
    # The lower bound on each project's price: cost / total satisfaction holds for every budget.
    bound: dict[int, tuple[Fraction, Fraction]] = {
        p: (costs[p] / prepared.total_sat[p], ZERO) for p in remaining
    }
    round_number = 0
    while remaining:
        round_number += 1
        best: tuple[Fraction, str, int] | None = None
        rhos: dict[int, tuple[Fraction, Fraction]] = {}
        details: dict[int, list[tuple[int, int, Fraction, int, bool]]] = {}
        skipped: list[int] = []
        # Lazy evaluation, as in pabutools: budgets only fall within a run, so a project's last
        # price is a lower bound on its price now; once that bound exceeds the best price found,
        # neither it nor any later project in this order can win the round.
        for p in sorted(remaining, key=lambda q: (bound[q][0], ids[q])):
            if best is not None and bound[p][0] > best[0]:
                skipped.append(p)
                continue
            entries: list[tuple[Fraction, int, int, Fraction, int]] = []
            money_value, money_slope = ZERO, ZERO
            for c, (value, slope, bits) in classes.items():
                for level, (s, mask) in enumerate(levels[p]):
                    n = counts.get((c, p, level))
                    if n is None:
                        n = (bits & mask).bit_count()
                        counts[(c, p, level)] = n
                    if n:
                        entries.append((value / s, c, level, s, n))
                        money_value += n * value
                        money_slope += n * slope
            cost = costs[p]
            if money_value < cost:
                # Unaffordable now, hence for the rest of this run (budgets only fall).
                stability.keep(cost - money_value, -money_slope)
                remaining.remove(p)
                rejection = result.rejections[p]
                rejection.unaffordable_round = round_number
                rejection.money_left = money_value
                continue
            stability.keep(money_value - cost, money_slope)
            entries.sort(key=lambda e: e[0])
            denominator = sum((e[3] * e[4] for e in entries), ZERO)
            paid_value, paid_slope = ZERO, ZERO
            rho_value = rho_slope = ZERO
            poor = 0
            for _ratio, c, _level, s, n in entries:
                rho_value = (cost - paid_value) / denominator
                if rho_value * s <= classes[c][0]:
                    break
                value, slope, _ = classes[c]
                paid_value += n * value
                paid_slope += n * slope
                denominator -= s * n
                poor += 1
            # The supporters' money covers the cost, so the last of them at the latest can pay.
            assert poor < len(entries) and denominator > 0
            rho_slope = -paid_slope / denominator
            flags: list[tuple[int, int, Fraction, int, bool]] = []
            for index, (_ratio, c, level, s, n) in enumerate(entries):
                value, slope, _ = classes[c]
                if index < poor:
                    # A supporter who pays all they have: their budget stays <= rho x s.
                    stability.keep(rho_value * s - value, rho_slope * s - slope)
                else:
                    stability.keep(value - rho_value * s, slope - rho_slope * s)
                flags.append((c, level, s, n, index < poor))
            rhos[p] = (rho_value, rho_slope)
            bound[p] = (rho_value, rho_slope)
            details[p] = flags
            candidate = (rho_value, ids[p], p)
            if best is None or candidate[:2] < best[:2]:
                best = candidate
        if best is None:
            break
        rho_value, _, winner = best
        rho_slope = rhos[winner][1]
        for p, (other_value, other_slope) in rhos.items():
            if p != winner:
                # The winner keeps the smallest price (ties go to the smaller id, fixed in b).
                stability.keep(other_value - rho_value, other_slope - rho_slope)
        for p in skipped:
            # A skipped project's bound stays above the winner's price (the bound is itself a
            # price from an earlier round, affine in b under that round's decisions).
            stability.keep(bound[p][0] - rho_value, bound[p][1] - rho_slope)
        for p, (other_value, _slope) in rhos.items():
            maybe = result.rejections.get(p)
            if p != winner and maybe is not None and other_value > 0:
                rejection = maybe
                votes = costs[p] / (other_value * prepared.unit[p])
                if rejection.best_effective_votes is None or votes > rejection.best_effective_votes:
                    rejection.best_effective_votes = votes
                    rejection.best_round = round_number
        unit = prepared.unit[winner]
        result.purchases.append(
            Purchase(
                winner,
                round_number,
                rho_value,
                rho_value * unit,
                costs[winner] / (rho_value * unit) if rho_value > 0 else None,
            )
        )
        del result.rejections[winner]
        remaining.remove(winner)

        # Charge the supporters: split every class they are in by what they paid.
        by_key: dict[tuple[Fraction, Fraction], int] = {}
        moved: dict[int, int] = {}
        for c, level, s, _n, is_poor in details[winner]:
            value, slope, bits = classes[c]
            mask = levels[winner][level][1]
            # A supporter who paid all they had is left with nothing, for every b in range.
            key = (ZERO, ZERO) if is_poor else (value - rho_value * s, slope - rho_slope * s)
            payers = bits & mask
            by_key[key] = by_key.get(key, 0) | payers
            moved[c] = moved.get(c, 0) | payers
        new_classes: dict[int, tuple[Fraction, Fraction, int]] = {}
        for c, (value, slope, bits) in classes.items():
            if c in moved:
                rest = bits & ~moved[c]
                if rest:
                    by_key[(value, slope)] = by_key.get((value, slope), 0) | rest
            else:
                key = (value, slope)
                if key in by_key:
                    by_key[key] |= bits
                else:
                    new_classes[c] = (value, slope, bits)
        for (value, slope), bits in by_key.items():
            if value == 0 and slope == 0:
                continue  # voters with nothing left take no further part
            new_classes[next_class] = (value, slope, bits)
            next_class += 1
        classes = new_classes
    result.stable_for = stability.limit
    return result
