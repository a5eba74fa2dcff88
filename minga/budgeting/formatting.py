"""Amounts and result explanations in the reader's language.

The voting library (minga.voting, pure Python) explains every project in Spanish, and stores
the figures behind the sentence as exact fractions ("reason", "round", "price_per_supporter",
...). Pages and the API rebuild the sentence from those figures with gettext, one translatable
sentence per reason, and write the amounts with the active language's separators (Django's
locale formats: "12 345,50" in Spanish, "12,345.50" in English). Thousands are always grouped
here, whatever USE_THOUSAND_SEPARATOR says, because an amount of money is read, not copied."""

import math
from collections.abc import Callable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

UNIT_CENTS = 100


# --- rounding, named: an explanation shows money to the cent -----------------------------------


def round_half_even(value: Fraction) -> int:
    """To the nearest whole number, ties to even (exact: Python's round of a Fraction)."""
    return round(value)


def round_down(value: Fraction) -> int:
    """Towards minus infinity. Used for what was *left* to someone, so that the printed figure
    never reaches a cost it was less than ("they had 11 999,99 left, less than 12 000")."""
    return math.floor(value)


# --- numbers and money --------------------------------------------------------------------------


def number(value: int | Fraction, *, decimals: int = 0) -> str:
    """A number in the active language, thousands grouped; a fraction rounded half-even to
    `decimals` places."""
    if decimals == 0:
        return number_format(round_half_even(Fraction(value)), 0, force_grouping=True)
    scaled = round_half_even(Fraction(value) * 10**decimals)
    return number_format(Decimal(scaled).scaleb(-decimals), decimals, force_grouping=True)


def money_cents(cents: int | None) -> str:
    """Cents as whole currency units in the active language: 1234500 -> "12 345" (es),
    "12,345" (en). Amounts on the platform are whole units (see services.UNIT_CENTS)."""
    if cents is None:
        return ""
    return number_format(int(cents) // UNIT_CENTS, 0, force_grouping=True)


def money_units(
    value: Fraction, *, currency: str = "", rounding: Callable[[Fraction], int] = round_half_even
) -> str:
    """An exact amount of currency units: whole amounts without decimals, others to the cent
    (rounded by `rounding`), with the currency's code where known."""
    if value.denominator == 1:
        text = number_format(value.numerator, 0, force_grouping=True)
    else:
        cents = rounding(value * UNIT_CENTS)
        text = number_format(Decimal(cents).scaleb(-2), 2, force_grouping=True)
    return with_currency(text, currency)


def with_currency(amount: str, currency: str) -> str:
    if not currency:
        return amount
    # Translators: an amount of money; reorder if your language writes the code after it.
    return pgettext("money", "%(currency)s %(amount)s") % {"currency": currency, "amount": amount}


# --- explanations -------------------------------------------------------------------------------

# The reasons of minga.voting.pb.explanations.Reason that have a sentence here (a test checks
# that none is missing).
REASONS = (
    "mes-bought",
    "mes-free",
    "mes-unaffordable",
    "mes-no-supporters",
    "greedy-selected",
    "greedy-did-not-fit",
)


class ExplanationInvalid(ValueError):
    """A stored explanation lacks a figure its reason needs (names the field)."""


def _fraction(data: Mapping[str, Any], key: str) -> Fraction:
    value = data.get(key)
    if value is None:
        raise ExplanationInvalid(f"explanation of {data.get('project_id')!r}: {key} is missing")
    try:
        return Fraction(str(value))
    except (ValueError, ZeroDivisionError) as exc:
        raise ExplanationInvalid(
            f"explanation of {data.get('project_id')!r}: {key} is not a number: {value!r}"
        ) from exc


def _int(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ExplanationInvalid(f"explanation of {data.get('project_id')!r}: {key} is missing")
    return number(value)


def explanation_text(data: Mapping[str, Any], *, currency: str = "") -> str:
    """The sentence that says why a project was or was not funded, in the active language,
    from the figures stored with the result. An explanation whose reason this module does not
    know (a newer voting library) keeps the library's own Spanish sentence."""
    reason = data.get("reason")

    def money(key: str, rounding: Callable[[Fraction], int] = round_half_even) -> str:
        return money_units(_fraction(data, key), currency=currency, rounding=rounding)

    if reason == "mes-bought":
        values = {"round": _int(data, "round"), "price": money("price_per_supporter")}
        if data.get("effective_votes") is None:
            return (
                _(
                    "Seleccionado en la ronda %(round)s del Método de Partes Iguales: cada "
                    "partidario con fondos suficientes pagó %(price)s."
                )
                % values
            )
        values["votes"] = number(_fraction(data, "effective_votes"), decimals=2)
        return (
            _(
                "Seleccionado en la ronda %(round)s del Método de Partes Iguales: cada partidario "
                "con fondos suficientes pagó %(price)s (%(votes)s votos efectivos)."
            )
            % values
        )
    if reason == "mes-free":
        return _("Seleccionado antes de la primera ronda: no cuesta nada y tiene partidarios.")
    if reason == "mes-unaffordable":
        values = {
            "unaffordable_round": _int(data, "unaffordable_round"),
            "money_left": money("money_left", round_down),
            "cost": money("cost"),
        }
        if data.get("effective_votes") is None:
            return (
                _(
                    "No seleccionado: en la ronda %(unaffordable_round)s a sus partidarios les "
                    "quedaban %(money_left)s, menos que su coste de %(cost)s."
                )
                % values
            )
        values["votes"] = number(_fraction(data, "effective_votes"), decimals=2)
        values["round"] = _int(data, "round")
        return (
            _(
                "Su mejor resultado fueron %(votes)s votos efectivos (ronda %(round)s), "
                "insuficientes frente a los proyectos elegidos. En la ronda "
                "%(unaffordable_round)s a sus partidarios les quedaban %(money_left)s, menos que "
                "su coste de %(cost)s."
            )
            % values
        )
    if reason == "mes-no-supporters":
        return _("No seleccionado: nadie lo apoyó.")
    if reason == "greedy-selected":
        return _(
            "Seleccionado por orden de apoyo: cabía en el presupuesto restante (%(remaining)s)."
        ) % {"remaining": money("remaining_budget", round_down)}
    if reason == "greedy-did-not-fit":
        return _(
            "No seleccionado: su coste de %(cost)s superaba el presupuesto restante de "
            "%(remaining)s."
        ) % {"cost": money("cost"), "remaining": money("remaining_budget", round_down)}
    return str(data.get("text", ""))


def explanation_out(data: Mapping[str, Any], *, currency: str = "") -> dict[str, Any]:
    """A stored explanation as the API gives it: the same fields, with "text" in the active
    language."""
    return {**data, "text": explanation_text(data, currency=currency)}
