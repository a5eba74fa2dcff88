"""The rules as pure functions of (instance, profile, options)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from minga.voting.pb import completions, mes
from minga.voting.pb.explanations import Explanation
from minga.voting.pb.greedy import greedy
from minga.voting.pb.model import Instance, Profile
from minga.voting.pb.prepared import Prepared, Satisfaction, prepare

Rule = Literal["greedy", "mes"]
Completion = Literal["none", "add1", "add1u"]
RULES: tuple[Rule, ...] = ("greedy", "mes")
COMPLETIONS: tuple[Completion, ...] = ("none", "add1", "add1u")


@dataclass(frozen=True)
class Options:
    sat: Satisfaction = "cost"
    completion: Completion = "none"
    add1_stop: completions.Add1Stop = "within-budget"


@dataclass(frozen=True)
class Outcome:
    selected: tuple[str, ...]  # in selection order
    cost: Fraction
    budget: Fraction
    explanations: tuple[Explanation, ...]  # one per project, in instance order
    satisfaction: str  # "cost", "cardinality" or "score"
    per_voter_budget: Fraction | None = None  # MES: the budget per voter of the final run
    add1_steps: int | None = None


def greedy_rule(instance: Instance, profile: Profile, options: Options) -> Outcome:
    prepared = prepare(instance, profile, options.sat)
    explanations: dict[int, Explanation] = {}
    selected: list[int] = []
    _greedy_fill(prepared, selected, explanations)
    return _outcome(prepared, selected, explanations, None, None)


def mes_rule(instance: Instance, profile: Profile, options: Options) -> Outcome:
    prepared = prepare(instance, profile, options.sat)
    steps: int | None = None
    if options.completion == "none":
        per_voter = prepared.budget / prepared.voters if prepared.voters else Fraction(0)
    else:
        result = completions.add1(prepared, stop=options.add1_stop)
        per_voter, steps = result.per_voter_budget, result.steps
    # The explained run: the same outcome, with every project's account.
    final = mes.run(prepared, per_voter, explain=True)
    if options.completion != "none":
        # Exact: it checks what the Add1 loop found (perhaps through the compiled filter).
        assert final.selected == result.selected, "the explained run buys what Add1 found"
    selected = final.selected
    explanations: dict[int, Explanation] = {}
    for position, purchase in enumerate(final.purchases, start=1):
        explanations[purchase.project] = Explanation(
            project_id=prepared.ids[purchase.project],
            selected=True,
            reason="mes-free" if purchase.round == 0 else "mes-bought",
            position=position,
            round=purchase.round or None,
            price_per_supporter=purchase.price if purchase.round else None,
            effective_votes=purchase.effective_votes,
            cost=prepared.costs[purchase.project],
        )
    for p, rejection in final.rejections.items():
        if not prepared.supporters[p]:
            explanations[p] = Explanation(
                prepared.ids[p], False, "mes-no-supporters", cost=prepared.costs[p]
            )
        else:
            explanations[p] = Explanation(
                project_id=prepared.ids[p],
                selected=False,
                reason="mes-unaffordable",
                round=rejection.best_round,
                effective_votes=rejection.best_effective_votes,
                unaffordable_round=rejection.unaffordable_round,
                money_left=rejection.money_left,
                cost=prepared.costs[p],
            )
    if options.completion == "add1u":
        _greedy_fill(prepared, selected, explanations)
    return _outcome(prepared, selected, explanations, final.per_voter_budget, steps)


def tally(instance: Instance, profile: Profile, rule: Rule, options: Options) -> Outcome:
    assert rule in RULES and options.completion in COMPLETIONS
    if rule == "greedy":
        return greedy_rule(instance, profile, options)
    return mes_rule(instance, profile, options)


def _greedy_fill(
    prepared: Prepared, selected: list[int], explanations: dict[int, Explanation]
) -> None:
    for step in greedy(prepared, selected):
        if step.selected:
            selected.append(step.project)
        elif step.project in explanations:
            continue  # MES's account of why it was not bought stays the more informative one
        explanations[step.project] = Explanation(
            project_id=prepared.ids[step.project],
            selected=step.selected,
            reason="greedy-selected" if step.selected else "greedy-did-not-fit",
            position=len(selected) if step.selected else None,
            cost=prepared.costs[step.project],
            remaining_budget=step.remaining_before,
        )


def _outcome(
    prepared: Prepared,
    selected: list[int],
    explanations: dict[int, Explanation],
    per_voter_budget: Fraction | None,
    steps: int | None,
) -> Outcome:
    cost = sum((prepared.costs[p] for p in selected), Fraction(0))
    assert cost <= prepared.budget, "an outcome over budget"
    assert len(set(selected)) == len(selected)
    assert set(explanations) == set(range(len(prepared.ids)))
    return Outcome(
        selected=tuple(prepared.ids[p] for p in selected),
        cost=cost,
        budget=prepared.budget,
        explanations=tuple(explanations[p] for p in range(len(prepared.ids))),
        satisfaction=prepared.satisfaction,
        per_voter_budget=per_voter_budget,
        add1_steps=steps,
    )
