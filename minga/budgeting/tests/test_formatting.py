"""Amounts and explanations in the reader's language: the sentence of every reason rebuilt from
the stored figures with gettext, the amounts with the active language's separators, in Spanish
and in English."""

from fractions import Fraction
from typing import get_args

import pytest
from django.template import Context, Template
from django.utils import translation

from minga.budgeting.formatting import (
    REASONS,
    ExplanationInvalid,
    explanation_out,
    explanation_text,
    money_cents,
    money_units,
    number,
)
from minga.voting.pb.explanations import Explanation, Reason

NBSP = "\xa0"  # Django's Spanish thousands separator


def test_every_reason_of_the_voting_library_has_a_sentence():
    assert set(REASONS) == set(get_args(Reason))


@pytest.mark.parametrize(
    ("language", "expected"),
    [("es", f"12{NBSP}345"), ("en", "12,345")],
)
def test_cents_are_whole_units_with_the_languages_thousands_separator(language, expected):
    with translation.override(language):
        assert money_cents(1_234_500) == expected
        assert Template("{% load budgeting_tags %}{{ c|money }}").render(
            Context({"c": 1_234_500})
        ) == (expected)
    assert money_cents(None) == ""


@pytest.mark.parametrize(
    ("language", "whole", "fraction", "votes"),
    [
        ("es", f"USD 6{NBSP}172", f"USD 6{NBSP}172,50", "3,33"),
        ("en", "USD 6,172", "USD 6,172.50", "3.33"),
    ],
)
def test_exact_amounts_show_cents_only_when_they_have_them(language, whole, fraction, votes):
    with translation.override(language):
        assert money_units(Fraction(6172), currency="USD") == whole
        assert money_units(Fraction(12345, 2), currency="USD") == fraction
        assert number(Fraction(10, 3), decimals=2) == votes


def test_an_amount_without_a_currency_is_the_number_alone():
    with translation.override("es"):
        assert money_units(Fraction(1234, 7)) == "176,29"


def bought(**changes):
    data = {
        "project_id": "7",
        "selected": True,
        "reason": "mes-bought",
        "position": 1,
        "round": 2,
        "price_per_supporter": "1234/7",
        "effective_votes": "10/3",
        "unaffordable_round": None,
        "money_left": None,
        "cost": "600",
        "remaining_budget": None,
        "text": "la frase de la biblioteca",
    }
    return {**data, **changes}


SPANISH = {
    "mes-bought": (
        bought(),
        "Seleccionado en la ronda 2 del Método de Partes Iguales: cada partidario con fondos "
        "suficientes pagó USD 176,29 (3,33 votos efectivos).",
    ),
    "mes-bought without effective votes": (
        bought(effective_votes=None),
        "Seleccionado en la ronda 2 del Método de Partes Iguales: cada partidario con fondos "
        "suficientes pagó USD 176,29.",
    ),
    "mes-free": (
        bought(reason="mes-free", round=None, price_per_supporter=None, cost="0"),
        "Seleccionado antes de la primera ronda: no cuesta nada y tiene partidarios.",
    ),
    "mes-unaffordable": (
        bought(
            selected=False,
            reason="mes-unaffordable",
            round=1,
            price_per_supporter=None,
            effective_votes="5/2",
            unaffordable_round=3,
            money_left="1199999/2000",
            cost="1200",
        ),
        "Su mejor resultado fueron 2,50 votos efectivos (ronda 1), insuficientes frente a los "
        "proyectos elegidos. En la ronda 3 a sus partidarios les quedaban USD 599,99, menos "
        f"que su coste de USD 1{NBSP}200.",
    ),
    "mes-unaffordable without a best result": (
        bought(
            selected=False,
            reason="mes-unaffordable",
            round=None,
            price_per_supporter=None,
            effective_votes=None,
            unaffordable_round=1,
            money_left="2399/4",
            cost="12000",
        ),
        "No seleccionado: en la ronda 1 a sus partidarios les quedaban USD 599,75, menos que su "
        f"coste de USD 12{NBSP}000.",
    ),
    "mes-no-supporters": (
        bought(selected=False, reason="mes-no-supporters", round=None, price_per_supporter=None),
        "No seleccionado: nadie lo apoyó.",
    ),
    "greedy-selected": (
        bought(reason="greedy-selected", remaining_budget="25000", round=None),
        f"Seleccionado por orden de apoyo: cabía en el presupuesto restante (USD 25{NBSP}000).",
    ),
    "greedy-did-not-fit": (
        bought(selected=False, reason="greedy-did-not-fit", remaining_budget="400", cost="1500"),
        f"No seleccionado: su coste de USD 1{NBSP}500 superaba el presupuesto restante de USD 400.",
    ),
}

ENGLISH = {
    "mes-bought": "Selected in round 2 of the Method of Equal Shares: each supporter with enough "
    "funds paid USD 176.29 (3.33 effective votes).",
    "mes-bought without effective votes": "Selected in round 2 of the Method of Equal Shares: "
    "each supporter with enough funds paid USD 176.29.",
    "mes-free": "Selected before the first round: it costs nothing and has supporters.",
    "mes-unaffordable": "Its best result was 2.50 effective votes (round 1), not enough against "
    "the projects chosen. In round 3 its supporters had USD 599.99 left, less than its cost of "
    "USD 1,200.",
    "mes-unaffordable without a best result": "Not selected: in round 1 its supporters had "
    "USD 599.75 left, less than its cost of USD 12,000.",
    "mes-no-supporters": "Not selected: nobody supported it.",
    "greedy-selected": "Selected in order of support: it fitted in the remaining budget "
    "(USD 25,000).",
    "greedy-did-not-fit": "Not selected: its cost of USD 1,500 exceeded the remaining budget of "
    "USD 400.",
}


@pytest.mark.parametrize("case", sorted(SPANISH))
def test_each_explanation_is_one_spanish_sentence_with_spanish_amounts(case):
    data, expected = SPANISH[case]

    with translation.override("es"):
        assert explanation_text(data, currency="USD") == expected


@pytest.mark.parametrize("case", sorted(ENGLISH))
def test_each_explanation_is_one_english_sentence_with_english_amounts(case):
    data, _spanish = SPANISH[case]

    with translation.override("en"):
        assert explanation_text(data, currency="USD") == ENGLISH[case]


def test_what_was_left_is_rounded_down_so_it_never_reaches_the_cost():
    # 599.9995 would round to 600.00, the very cost it fell short of.
    data, _ = SPANISH["mes-unaffordable"]

    with translation.override("es"):
        text = explanation_text(data, currency="")

    assert "les quedaban 599,99, menos que su coste de 1\xa0200." in text


def test_the_sentence_agrees_with_the_voting_librarys_own_on_its_figures():
    explanation = Explanation(
        project_id="3",
        selected=False,
        reason="greedy-did-not-fit",
        cost=Fraction(1500),
        remaining_budget=Fraction(400),
    )

    with translation.override("es"):
        ours = explanation_text(explanation.as_json())

    assert explanation.text() == (
        "No seleccionado: su coste de 1,500.00 superaba el presupuesto restante de 400.00."
    )
    assert ours == (
        f"No seleccionado: su coste de 1{NBSP}500 superaba el presupuesto restante de 400."
    )


def test_a_stored_explanation_missing_a_figure_names_it():
    with pytest.raises(ExplanationInvalid) as refused:
        explanation_text(bought(price_per_supporter=None))

    assert str(refused.value) == "explanation of '7': price_per_supporter is missing"


def test_a_stored_figure_that_is_not_a_number_is_named():
    with pytest.raises(ExplanationInvalid) as refused:
        explanation_text(bought(price_per_supporter="mucho"))

    assert str(refused.value) == (
        "explanation of '7': price_per_supporter is not a number: 'mucho'"
    )


def test_the_api_form_keeps_every_field_and_puts_the_sentence_in_text():
    data = bought()

    with translation.override("es"):
        out = explanation_out(data, currency="USD")

    assert {k: v for k, v in out.items() if k != "text"} == {
        k: v for k, v in data.items() if k != "text"
    }
    assert out["text"] == SPANISH["mes-bought"][1]
