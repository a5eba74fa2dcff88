"""Identifiers from the real world, validated with their check digits in one place.

Identifier types are data per country: each is a `Scheme` in a registry, keyed by a code such as
"EC-CEDULA" or "EC-RUC". A scheme's `validate(value)` returns the normalised value or raises
`InvalidIdentifier(field, reason)` with a specific reason (wrong length, a non-digit, a bad
province code, a bad check digit...). Another country adds its schemes with `register_scheme`.

Ecuador (Registro Civil and SRI rules, cross-checked against python-stdnum's `ec.ci` and
`ec.ruc`, see minga/core/tests/ec_identifier_vectors.py):

- cédula: 10 digits; digits 1-2 a province code (01 to 24, or 30 for Ecuadorians registered
  abroad); digit 3 below 6; digit 10 a modulo-10 check digit (coefficients 2,1,2,1,... over the
  first nine digits, products over 9 minus 9).
- RUC: 13 digits, the first two a province code, the third one giving the form:
  - 0 to 5, natural person: a valid cédula followed by a three-digit establishment number
    (001 upwards, never 000);
  - 9, private company: modulo 11 with coefficients 4,3,2,7,6,5,4,3,2 over the first nine
    digits, check digit at position 10, establishment number in the last three (not 000);
  - 6, public entity: modulo 11 with coefficients 3,2,7,6,5,4,3,2 over the first eight digits,
    check digit at position 9, establishment number in the last four (not 0000).
  In both modulo-11 forms the check digit is 11 minus the remainder (0 when the remainder is 0);
  a remainder of 1 would need a check digit of 10, so no number with that remainder is valid.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class InvalidIdentifier(ValueError):
    """A refused identifier: `field` names the form or API field, `reason` says what is wrong."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class UnknownScheme(KeyError):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code

    def __str__(self) -> str:
        return f"unknown identifier scheme {self.code!r}"


@dataclass(frozen=True)
class Scheme:
    code: str  # "EC-RUC"
    country_code: str  # ISO 3166-1 alpha-2
    name: "StrOrPromise"  # a translatable (lazy) name
    # Popolo-style subject: "person" or "organization" (a RUC can be either).
    subjects: frozenset[str]
    field: str  # the default field name used in errors
    check: Callable[[str, str], str]  # (normalised value, field) -> value, raises

    def validate(self, value: str, *, field: str | None = None) -> str:
        return self.check(normalise(value), field or self.field)


_SCHEMES: dict[str, Scheme] = {}


def register_scheme(scheme: Scheme) -> None:
    existing = _SCHEMES.get(scheme.code)
    assert existing is None or existing == scheme, f"scheme {scheme.code} registered twice"
    _SCHEMES[scheme.code] = scheme


def scheme(code: str) -> Scheme:
    try:
        return _SCHEMES[code]
    except KeyError:
        raise UnknownScheme(code) from None


def schemes(*, country_code: str | None = None, subject: str | None = None) -> list[Scheme]:
    return sorted(
        (
            s
            for s in _SCHEMES.values()
            if (country_code is None or s.country_code == country_code)
            and (subject is None or subject in s.subjects)
        ),
        key=lambda s: s.code,
    )


def validate(code: str, value: str, *, field: str | None = None) -> str:
    """Validates `value` under the scheme `code`; returns the normalised value."""
    return scheme(code).validate(value, field=field)


def normalise(value: str) -> str:
    """People write identifiers with spaces, dots and dashes ("171430710-3"): drop them."""
    return "".join(ch for ch in value.strip() if ch not in " -.\u00a0\t")


def _digits(value: str, field: str, length: int) -> None:
    if value == "":
        raise InvalidIdentifier(field, _("está vacío."))
    for ch in value:
        if not ("0" <= ch <= "9"):
            raise InvalidIdentifier(
                field, _("solo puede contener dígitos; «%(char)s» no es un dígito.") % {"char": ch}
            )
    if len(value) != length:
        raise InvalidIdentifier(
            field,
            _("debe tener %(expected)d dígitos; tiene %(actual)d.")
            % {"expected": length, "actual": len(value)},
        )


# Ecuador's province codes (INEC): 01..24; 30 is used for Ecuadorians registered abroad.
EC_PROVINCE_CODES = frozenset({f"{n:02d}" for n in range(1, 25)} | {"30"})


def _ec_province(value: str, field: str) -> None:
    if value[:2] not in EC_PROVINCE_CODES:
        raise InvalidIdentifier(
            field,
            _("el código de provincia «%(code)s» no existe (debe ser de 01 a 24, o 30).")
            % {"code": value[:2]},
        )


def ec_cedula_check_digit(first_nine: str) -> int:
    """Modulo 10 with coefficients 2,1,2,1,...; a product over 9 counts as product - 9."""
    assert len(first_nine) == 9 and first_nine.isdigit()
    total = 0
    for i, ch in enumerate(first_nine):
        product = int(ch) * (2 if i % 2 == 0 else 1)
        total += product - 9 if product > 9 else product
    return (10 - total % 10) % 10


def _ec_mod11_check_digit(digits: str, weights: tuple[int, ...]) -> int | None:
    """11 minus the weighted sum modulo 11 (0 for a remainder of 0); None when the remainder
    is 1, which would need the impossible check digit 10."""
    assert len(digits) == len(weights)
    remainder = sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    if remainder == 0:
        return 0
    if remainder == 1:
        return None
    return 11 - remainder


EC_PRIVATE_WEIGHTS = (4, 3, 2, 7, 6, 5, 4, 3, 2)
EC_PUBLIC_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)


def ec_private_ruc_check_digit(first_nine: str) -> int | None:
    return _ec_mod11_check_digit(first_nine, EC_PRIVATE_WEIGHTS)


def ec_public_ruc_check_digit(first_eight: str) -> int | None:
    return _ec_mod11_check_digit(first_eight, EC_PUBLIC_WEIGHTS)


def _check_digit_matches(field: str, expected: int | None, actual: str, prefix_len: int) -> None:
    if expected is None:
        raise InvalidIdentifier(
            field,
            _(
                "los primeros %(n)d dígitos no admiten ningún dígito verificador: "
                "el número no es válido."
            )
            % {"n": prefix_len},
        )
    if int(actual) != expected:
        raise InvalidIdentifier(
            field,
            _("el dígito verificador es %(actual)s, pero debería ser %(expected)d.")
            % {"actual": actual, "expected": expected},
        )


def _ec_cedula_body(value: str, field: str) -> None:
    """The checks of a cédula, on a 10-digit string already known to be digits."""
    _ec_province(value, field)
    if value[2] >= "6":
        raise InvalidIdentifier(
            field, _("el tercer dígito debe ser menor que 6; es %(digit)s.") % {"digit": value[2]}
        )
    _check_digit_matches(field, ec_cedula_check_digit(value[:9]), value[9], 9)


def check_ec_cedula(value: str, field: str) -> str:
    _digits(value, field, 10)
    _ec_cedula_body(value, field)
    return value


def check_ec_ruc(value: str, field: str) -> str:
    _digits(value, field, 13)
    _ec_province(value, field)
    third = value[2]
    if third <= "5":
        # Natural person: the cédula, then the establishment number.
        _ec_cedula_body(value[:10], field)
        _establishment(value[10:], field)
    elif third == "9":
        _check_digit_matches(field, ec_private_ruc_check_digit(value[:9]), value[9], 9)
        _establishment(value[10:], field)
    elif third == "6":
        _check_digit_matches(field, ec_public_ruc_check_digit(value[:8]), value[8], 8)
        _establishment(value[9:], field)
    else:
        raise InvalidIdentifier(
            field,
            _(
                "el tercer dígito (%(digit)s) no corresponde a ningún tipo de RUC: "
                "0 a 5 persona natural, 6 entidad pública, 9 sociedad privada."
            )
            % {"digit": third},
        )
    return value


def _establishment(suffix: str, field: str) -> None:
    if set(suffix) == {"0"}:
        raise InvalidIdentifier(
            field,
            _("el número de establecimiento no puede ser %(suffix)s (el primero es %(first)s).")
            % {"suffix": suffix, "first": "0" * (len(suffix) - 1) + "1"},
        )


def ec_ruc_form(value: str) -> str:
    """The form of a valid RUC: "natural", "private" or "public"."""
    third = value[2]
    return "natural" if third <= "5" else ("private" if third == "9" else "public")


EC_CEDULA = Scheme(
    code="EC-CEDULA",
    country_code="EC",
    name=gettext_lazy("Cédula de identidad (Ecuador)"),
    subjects=frozenset({"person"}),
    field="cedula",
    check=check_ec_cedula,
)
EC_RUC = Scheme(
    code="EC-RUC",
    country_code="EC",
    name=gettext_lazy("RUC (Ecuador)"),
    subjects=frozenset({"person", "organization"}),
    field="ruc",
    check=check_ec_ruc,
)
register_scheme(EC_CEDULA)
register_scheme(EC_RUC)
