"""Why each project was or was not funded, in data (for JSON and templates) and in a sentence
(Spanish, the platform's source language)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

Reason = Literal[
    "mes-bought",  # bought by MES in a round, at a price per supporter
    "mes-free",  # costs nothing and has supporters: taken before the first round
    "mes-unaffordable",  # MES: its supporters' money fell short of its cost
    "mes-no-supporters",  # MES: nobody draws satisfaction from it
    "greedy-selected",  # greedy (or the greedy completion) funded it
    "greedy-did-not-fit",  # greedy: its cost exceeded what was left of the budget
]


def _money(value: Fraction) -> str:
    return f"{float(value):,.2f}"


@dataclass(frozen=True)
class Explanation:
    project_id: str
    selected: bool
    reason: Reason
    position: int | None = None  # place in the selection order, 1-based
    round: int | None = None  # MES round at which it was bought, or reached its best
    price_per_supporter: Fraction | None = None  # MES: what each supporter who could paid
    effective_votes: Fraction | None = None  # MES: effective votes (bought) or the best reached
    unaffordable_round: int | None = None
    money_left: Fraction | None = None  # MES: its supporters' money when it became unaffordable
    cost: Fraction = Fraction(0)
    remaining_budget: Fraction | None = None  # greedy: the budget left when its turn came

    def text(self) -> str:
        if self.reason == "mes-bought":
            assert self.price_per_supporter is not None
            return (
                f"Seleccionado en la ronda {self.round} del Método de Partes Iguales: cada "
                f"partidario con fondos suficientes pagó {_money(self.price_per_supporter)}"
                + (
                    f" ({float(self.effective_votes):.2f} votos efectivos)."
                    if self.effective_votes is not None
                    else "."
                )
            )
        if self.reason == "mes-free":
            return "Seleccionado antes de la primera ronda: no cuesta nada y tiene partidarios."
        if self.reason == "mes-unaffordable":
            best = (
                f"Su mejor resultado fueron {float(self.effective_votes):.2f} votos efectivos "
                f"(ronda {self.round}), insuficientes frente a los proyectos elegidos. "
                if self.effective_votes is not None
                else ""
            )
            assert self.money_left is not None
            return (
                best + f"En la ronda {self.unaffordable_round} a sus partidarios les quedaban "
                f"{_money(self.money_left)}, menos que su coste de {_money(self.cost)}."
            )
        if self.reason == "mes-no-supporters":
            return "No seleccionado: nadie lo apoyó."
        if self.reason == "greedy-selected":
            return (
                f"Seleccionado por orden de apoyo: cabía en el presupuesto restante "
                f"({_money(self.remaining_budget or Fraction(0))})."
            )
        return (
            f"No seleccionado: su coste de {_money(self.cost)} superaba el presupuesto "
            f"restante de {_money(self.remaining_budget or Fraction(0))}."
        )

    def as_json(self) -> dict[str, Any]:
        def exact(value: Fraction | None) -> str | None:
            return None if value is None else str(value)

        return {
            "project_id": self.project_id,
            "selected": self.selected,
            "reason": self.reason,
            "position": self.position,
            "round": self.round,
            "price_per_supporter": exact(self.price_per_supporter),
            "effective_votes": exact(self.effective_votes),
            "unaffordable_round": self.unaffordable_round,
            "money_left": exact(self.money_left),
            "cost": exact(self.cost),
            "remaining_budget": exact(self.remaining_budget),
            "text": self.text(),
        }
