"""The programme's rules in plain Python: deterministic ledger ids, months, ages, eligibility,
income bands, amounts and the validation of a parameter set. Nothing here touches the database
or the clock, so the rules are testable on their own (only the messages go through Django's
gettext, to be shown in the user's language)."""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import NamedTuple

# Messages are translated when raised (in the language of the request or command that raised
# them); gettext needs Django's settings only then, so the rules stay usable on their own.
from django.utils.translation import gettext as _

U128_MAX = (1 << 128) - 1

ELIGIBILITY_RULES = ("child_under_6", "member_65_plus", "disability", "any_household")

# Ledger account codes and transfer codes of the programme.
ACCOUNT_FUND = 1
ACCOUNT_PROVIDER = 20
ACCOUNT_WALLET = 30
ACCOUNT_SETTLEMENT = 40
TRANSFER_ISSUE = 1
TRANSFER_SERVICE = 2
TRANSFER_EXPIRE = 3
TRANSFER_SETTLE = 4
# A payment's EndToEndId (ISO 20022 Max35Text) is its ledger transfer id: settlement ids are kept
# below 10^35 so that they fit.
END_TO_END_MAX = 10**35 - 1
# Ledger numbers of the categories: LEDGER_BASE + category id.
LEDGER_BASE = 600_000_000


def derived_id(*parts: object) -> int:
    """A 128-bit ledger id derived from what the transfer is for, so that a rerun after a crash
    sends the same id and the ledger answers `exists` instead of paying twice."""
    text = "|".join(["minga.socialincome", *(str(p) for p in parts)])
    number = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:16], "big")
    # 0 and 2^128 - 1 are reserved by the ledger; a sha256 prefix hitting them is ~2^-127.
    assert 0 < number < U128_MAX, "a derived id is never a reserved one"
    return number


# The low 64 bits of a sequential id: household (or wallet) id, then category id.
SEQUENTIAL_MINOR_BITS = 20
SEQUENTIAL_MAJOR_LIMIT = 1 << (64 - SEQUENTIAL_MINOR_BITS)


def sequential_prefix(*parts: object) -> int:
    """The high 64 bits of the sequential ids of one run: the first 8 bytes of
    sha256("minga.socialincome|" + parts joined by "|"), shifted into place."""
    text = "|".join(["minga.socialincome", *(str(p) for p in parts)])
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big") << 64


def sequential_id(prefix: int, major: int, minor: int) -> int:
    """A derived ledger id that keeps the order of (major, minor) within its run:
    prefix (sequential_prefix) + major x 2^20 + minor, for a household or wallet id `major`
    below 2^44 and a category id `minor` below 2^20. A month's issuance written in household
    order then adds to the end of every index on its ids instead of all over them (as ids
    ordered in time do in TigerBeetle). Distinct runs differ in the high 64 bits."""
    if not (0 < major < SEQUENTIAL_MAJOR_LIMIT and 0 < minor < 1 << SEQUENTIAL_MINOR_BITS):
        raise ValueError(f"a sequential id needs 0 < {major} < 2^44 and 0 < {minor} < 2^20")
    number = prefix | major << SEQUENTIAL_MINOR_BITS | minor
    assert number < U128_MAX, "the all-ones id is reserved by the ledger"
    return number


def settlement_id(*parts: object) -> int:
    """A derived id that fits a 35-character EndToEndId."""
    return derived_id("settle", *parts) % END_TO_END_MAX + 1


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + (day.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def parse_period(text: str) -> date:
    """`YYYY-MM` to the first day of that month; ValueError names what is wrong."""
    parts = text.strip().split("-")
    if len(parts) != 2 or not all(p.isdecimal() for p in parts) or len(parts[0]) != 4:
        raise ValueError(f"period: {text!r} is not a month written YYYY-MM")
    year, month = int(parts[0]), int(parts[1])
    if not 1 <= month <= 12:
        raise ValueError(f"period: month {month} is not between 1 and 12")
    return date(year, month, 1)


def period_label(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def age_on(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


class MemberFacts(NamedTuple):
    """One member as eligibility and bands see them (a tuple: a million are read per run)."""

    birth_date: date
    income_cents: int
    disability: bool


def eligible(rule: str, members: Sequence[MemberFacts], on: date) -> bool:
    """Whether a household qualifies for a category on `on` (the period's first day)."""
    if not members:
        return False
    if rule == "child_under_6":
        return any(age_on(m.birth_date, on) < 6 for m in members)
    if rule == "member_65_plus":
        return any(age_on(m.birth_date, on) >= 65 for m in members)
    if rule == "disability":
        return any(m.disability for m in members)
    assert rule == "any_household", rule
    return True


def income_per_person_cents(members: Sequence[MemberFacts]) -> int:
    """Household income divided by its members, rounded down to the minor unit."""
    assert members, "a household without members has no income per person"
    return sum(m.income_cents for m in members) // len(members)


def band_of(income_pp_cents: int, minima: Mapping[int, int]) -> int:
    """The band of one income per person: see band_finder."""
    return band_finder(minima)(income_pp_cents)


def band_finder(minima: Mapping[int, int]) -> Callable[[int], int]:
    """The band of an income per person, for these minima ({band number: minimum}): the
    highest-numbered band whose minimum is at or below the income, or the lowest-numbered band
    when none is. Worked out once for a million households: the answer only changes at a
    minimum, so a bisection over the minima finds it."""
    thresholds = sorted(set(minima.values()))
    # For each minimum: the highest-numbered band whose minimum is at or below it.
    answers = [max(n for n, low in minima.items() if low <= t) for t in thresholds]
    lowest = min(minima)

    def band(income_pp_cents: int) -> int:
        index = bisect_right(thresholds, income_pp_cents)
        return answers[index - 1] if index else lowest

    return band


def parse_hours(text: object) -> int:
    """Hours as typed ("2", "1.5", "0,75") to hundredths; ValueError says what is wrong."""
    raw = str(text).strip().replace(",", ".")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValueError(_("no es un número de horas")) from None
    if not value.is_finite() or value <= 0:
        raise ValueError(_("debe ser mayor que cero"))
    if value > 24:
        raise ValueError(_("no puede pasar de 24 horas en un día"))
    hundredths = value * 100
    if hundredths != hundredths.to_integral_value():
        raise ValueError(_("admite como mucho dos decimales"))
    return int(hundredths)


def service_amount(hundredths: int, hourly_rate: int) -> int:
    """hours x rate in the ledger's minor units, rounded half up (the one rounding step)."""
    exact = Decimal(hundredths) * Decimal(hourly_rate) / Decimal(100)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_hours(hundredths: int) -> Decimal:
    return (Decimal(hundredths) / Decimal(100)).quantize(Decimal("0.01"))


class ParameterError(ValueError):
    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
        self.message = message


def check_parameters(
    values: Mapping[str, object],
    *,
    bands: Sequence[int],
    categories: Sequence[str],
    accreditations: Sequence[int] = (),
) -> None:
    """A complete parameter set is coherent: band minima start at 0 and rise; each category has
    an allotment in every band, above zero ("higher bands get less, but not nothing") and never
    more in a higher band; every eligibility rule is known; every rate is a positive integer."""
    known = (
        {f"band:{b}:min_income" for b in bands}
        | {f"allotment:{b}:{c}" for b in bands for c in categories}
        | {f"eligibility:{c}" for c in categories}
        | {f"rate:{a}" for a in accreditations}
    )
    # A category added after set-up carries its name as a parameter (`category:<code>`), so
    # that its addition is approved and published like every other change; set-up categories
    # have none.
    named = {f"category:{c}" for c in categories}
    for key in values:
        if key not in known and key not in named:
            raise ParameterError(key, _("no es un parámetro de este programa"))
    for key in sorted(known):
        if key not in values:
            raise ParameterError(key, _("falta este parámetro"))
    for key in sorted(named & set(values)):
        name = values[key]
        if type(name) is not str or not name.strip() or len(name) > 120:
            raise ParameterError(key, _("el nombre tiene de 1 a 120 caracteres"))
    previous: int | None = None
    for b in sorted(bands):
        key = f"band:{b}:min_income"
        minimum = values[key]
        if type(minimum) is not int or minimum < 0:
            raise ParameterError(key, _("debe ser un entero no negativo"))
        if previous is None and minimum != 0:
            raise ParameterError(key, _("la primera banda empieza en 0"))
        if previous is not None and minimum <= previous:
            raise ParameterError(key, _("cada banda empieza por encima de la anterior"))
        previous = minimum
    for c in categories:
        rule = values[f"eligibility:{c}"]
        if rule not in ELIGIBILITY_RULES:
            raise ParameterError(
                f"eligibility:{c}", _("regla desconocida %(rule)r") % {"rule": rule}
            )
        above: int | None = None
        for b in sorted(bands):
            key = f"allotment:{b}:{c}"
            amount = values[key]
            if type(amount) is not int or amount <= 0:
                raise ParameterError(key, _("debe ser un entero mayor que cero"))
            if above is not None and amount > above:
                raise ParameterError(key, _("una banda más alta no recibe más que la anterior"))
            above = amount
    for a in accreditations:
        key = f"rate:{a}"
        rate = values[key]
        if type(rate) is not int or rate <= 0:
            raise ParameterError(key, _("debe ser un entero mayor que cero"))


CATEGORY_CODE_MAX = 40


def check_category_code(code: str) -> str:
    """A new category's code: lower-case ASCII letters, digits and hyphens (it goes into
    parameter keys and URLs). Returns it stripped; ValueError says what is wrong."""
    code = code.strip()
    if not code:
        raise ValueError(_("falta el código"))
    if len(code) > CATEGORY_CODE_MAX:
        raise ValueError(_("admite como mucho %(n)s caracteres") % {"n": CATEGORY_CODE_MAX})
    if not code.isascii() or not code.replace("-", "").isalnum() or code != code.lower():
        raise ValueError(_("solo minúsculas, dígitos y guiones"))
    return code


def parameter_kind(key: str) -> str:
    """What a parameter key is: band, allotment, eligibility, rate or category ("" if none)."""
    head, _sep, _rest = key.partition(":")
    return head if head in {"band", "allotment", "eligibility", "rate", "category"} else ""


def parse_parameter_value(key: str, text: str) -> object:
    """A parameter's value as typed in a form: a whole number for band minima (minor units of
    income), allotments (ledger units) and rates; a rule name for eligibility; a name for a
    category. ValueError says what is wrong."""
    raw = text.strip()
    kind = parameter_kind(key)
    if kind == "eligibility":
        if raw not in ELIGIBILITY_RULES:
            raise ValueError(_("regla desconocida %(rule)r") % {"rule": raw})
        return raw
    if kind == "category":
        if not raw:
            raise ValueError(_("falta el nombre"))
        return raw
    if not kind:
        raise ValueError(_("no es un parámetro de este programa"))
    if not raw.isdigit() or not raw.isascii():
        raise ValueError(_("debe ser un número entero"))
    return int(raw)
