"""Identifier validation: exact reasons, hypothesis properties, and agreement with
python-stdnum (an independent oracle, through the committed vectors)."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from minga.core import identifiers
from minga.core.identifiers import (
    InvalidIdentifier,
    UnknownScheme,
    ec_cedula_check_digit,
    ec_private_ruc_check_digit,
    ec_public_ruc_check_digit,
)

VECTORS = json.loads(
    (Path(__file__).with_name("data") / "ec_identifier_vectors.json").read_text("utf-8")
)
PROVINCES = sorted(identifiers.EC_PROVINCE_CODES)


def refusal(code: str, value: str) -> tuple[str, str]:
    with pytest.raises(InvalidIdentifier) as info:
        identifiers.validate(code, value)
    return info.value.field, info.value.reason


# Known-good numbers: a cédula from python-stdnum's documentation, the SRI's own RUC
# (public entity), and a private company's RUC from stdnum's documentation.
def test_a_valid_cedula_is_returned_normalised() -> None:
    assert identifiers.validate("EC-CEDULA", " 171430710-3 ") == "1714307103"


def test_valid_rucs_of_each_form_are_accepted() -> None:
    assert identifiers.validate("EC-RUC", "1760001550001") == "1760001550001"
    assert identifiers.validate("EC-RUC", "1792060346001") == "1792060346001"
    assert identifiers.validate("EC-RUC", "1714307103001") == "1714307103001"
    assert identifiers.ec_ruc_form("1760001550001") == "public"
    assert identifiers.ec_ruc_form("1792060346001") == "private"
    assert identifiers.ec_ruc_form("1714307103001") == "natural"


@pytest.mark.parametrize(
    ("code", "value", "field", "reason"),
    [
        ("EC-CEDULA", "", "cedula", "está vacío."),
        ("EC-CEDULA", "171430710", "cedula", "debe tener 10 dígitos; tiene 9."),
        ("EC-CEDULA", "17143071034", "cedula", "debe tener 10 dígitos; tiene 11."),
        (
            "EC-CEDULA",
            "17143O7103",
            "cedula",
            "solo puede contener dígitos; «O» no es un dígito.",
        ),
        (
            "EC-CEDULA",
            "2514307103",
            "cedula",
            "el código de provincia «25» no existe (debe ser de 01 a 24, o 30).",
        ),
        (
            "EC-CEDULA",
            "0014307103",
            "cedula",
            "el código de provincia «00» no existe (debe ser de 01 a 24, o 30).",
        ),
        ("EC-CEDULA", "1764307103", "cedula", "el tercer dígito debe ser menor que 6; es 6."),
        (
            "EC-CEDULA",
            "1714307104",
            "cedula",
            "el dígito verificador es 4, pero debería ser 3.",
        ),
        ("EC-RUC", "179206034600", "ruc", "debe tener 13 dígitos; tiene 12."),
        ("EC-RUC", "17920603460O1", "ruc", "solo puede contener dígitos; «O» no es un dígito."),
        (
            "EC-RUC",
            "9992060346001",
            "ruc",
            "el código de provincia «99» no existe (debe ser de 01 a 24, o 30).",
        ),
        (
            "EC-RUC",
            "1772060346001",
            "ruc",
            "el tercer dígito (7) no corresponde a ningún tipo de RUC: "
            "0 a 5 persona natural, 6 entidad pública, 9 sociedad privada.",
        ),
        ("EC-RUC", "1792060347001", "ruc", "el dígito verificador es 7, pero debería ser 6."),
        (
            "EC-RUC",
            "1792060346000",
            "ruc",
            "el número de establecimiento no puede ser 000 (el primero es 001).",
        ),
        ("EC-RUC", "1760001560001", "ruc", "el dígito verificador es 6, pero debería ser 5."),
        (
            "EC-RUC",
            "1760001550000",
            "ruc",
            "el número de establecimiento no puede ser 0000 (el primero es 0001).",
        ),
        ("EC-RUC", "1714307104001", "ruc", "el dígito verificador es 4, pero debería ser 3."),
        (
            "EC-RUC",
            "1714307103000",
            "ruc",
            "el número de establecimiento no puede ser 000 (el primero es 001).",
        ),
        (
            # 0+... weighted sum leaves remainder 1: no check digit can make it valid.
            "EC-RUC",
            "0190000010001",
            "ruc",
            "los primeros 9 dígitos no admiten ningún dígito verificador: el número no es válido.",
        ),
    ],
)
def test_a_bad_identifier_is_refused_with_its_field_and_exact_reason(
    code: str, value: str, field: str, reason: str
) -> None:
    assert refusal(code, value) == (field, reason)


def test_the_field_named_in_the_error_can_be_the_callers() -> None:
    with pytest.raises(InvalidIdentifier) as info:
        identifiers.validate("EC-RUC", "123", field="identifiers.0.identifier")

    assert info.value.field == "identifiers.0.identifier"
    assert str(info.value) == "identifiers.0.identifier: debe tener 13 dígitos; tiene 3."


def test_an_unknown_scheme_is_refused_by_name() -> None:
    with pytest.raises(UnknownScheme) as info:
        identifiers.validate("XX-NOPE", "1")

    assert str(info.value) == "unknown identifier scheme 'XX-NOPE'"


def test_schemes_are_listed_per_country_and_subject() -> None:
    assert [s.code for s in identifiers.schemes(country_code="EC")] == ["EC-CEDULA", "EC-RUC"]
    assert [s.code for s in identifiers.schemes(subject="organization")] == ["EC-RUC"]
    assert identifiers.schemes(country_code="PE") == []


def test_a_country_plugs_in_its_own_scheme() -> None:
    def check(value: str, field: str) -> str:
        if len(value) != 11:
            raise InvalidIdentifier(field, "debe tener 11 dígitos.")
        return value

    scheme = identifiers.Scheme(
        code="PE-RUC-TEST",
        country_code="PE",
        name="RUC (Perú)",
        subjects=frozenset({"organization"}),
        field="ruc",
        check=check,
    )
    identifiers.register_scheme(scheme)
    try:
        assert identifiers.validate("PE-RUC-TEST", "20-100-070-970") == "20100070970"
        assert refusal("PE-RUC-TEST", "1") == ("ruc", "debe tener 11 dígitos.")
    finally:
        identifiers._SCHEMES.pop("PE-RUC-TEST")


# --- properties -------------------------------------------------------------------------

provinces = st.sampled_from(PROVINCES)


@st.composite
def cedulas(draw: st.DrawFn) -> str:
    body = (
        draw(provinces)
        + draw(st.sampled_from("012345"))
        + draw(st.text("0123456789", min_size=6, max_size=6))
    )
    return body + str(ec_cedula_check_digit(body))


@st.composite
def rucs(draw: st.DrawFn) -> str:
    form = draw(st.sampled_from(["natural", "private", "public"]))
    if form == "natural":
        return draw(cedulas()) + f"{draw(st.integers(1, 999)):03d}"
    if form == "private":
        body = draw(provinces) + "9" + draw(st.text("0123456789", min_size=6, max_size=6))
        check = ec_private_ruc_check_digit(body)
        suffix = f"{draw(st.integers(1, 999)):03d}"
    else:
        body = draw(provinces) + "6" + draw(st.text("0123456789", min_size=5, max_size=5))
        check = ec_public_ruc_check_digit(body)
        suffix = f"{draw(st.integers(1, 9999)):04d}"
    # A remainder of 1 has no check digit: those prefixes yield no valid number.
    assume(check is not None)
    return body + str(check) + suffix


@given(cedulas())
def test_every_cedula_with_a_computed_check_digit_validates(value: str) -> None:
    assert identifiers.validate("EC-CEDULA", value) == value


@given(rucs())
def test_every_ruc_with_a_computed_check_digit_validates(value: str) -> None:
    assert identifiers.validate("EC-RUC", value) == value


def _single_digit_changes(value: str) -> Iterator[tuple[int, str]]:
    for i, ch in enumerate(value):
        for d in "0123456789":
            if d != ch:
                yield i, value[:i] + d + value[i + 1 :]


@settings(max_examples=60)
@given(cedulas())
def test_every_single_digit_change_of_a_cedula_is_refused(value: str) -> None:
    # The modulo-10 scheme with coefficients 2,1 catches every single-digit substitution.
    for _i, changed in _single_digit_changes(value):
        with pytest.raises(InvalidIdentifier):
            identifiers.validate("EC-CEDULA", changed)


@settings(max_examples=60)
@given(rucs())
def test_every_single_digit_change_of_a_ruc_is_refused_except_the_documented_ones(
    value: str,
) -> None:
    # The exceptions, by design of the RUC: (1) the establishment number carries no check
    # digit, so another non-zero establishment is another valid RUC of the same taxpayer;
    # (2) changing the third digit changes the form (natural, public, private), whose check
    # digit sits elsewhere, so the changed number may happen to be valid in the new form.
    form = identifiers.ec_ruc_form(value)
    establishment_from = 9 if form == "public" else 10
    for i, changed in _single_digit_changes(value):
        if i >= establishment_from:
            if set(changed[establishment_from:]) == {"0"}:
                with pytest.raises(InvalidIdentifier):
                    identifiers.validate("EC-RUC", changed)
            else:
                assert identifiers.validate("EC-RUC", changed) == changed
        elif (
            i == 2
            and changed[2] in "0123456789".replace("7", "").replace("8", "")
            and (identifiers.ec_ruc_form(changed) != form)
        ):
            continue  # exception (2): may happen to be valid in the other form
        else:
            with pytest.raises(InvalidIdentifier):
                identifiers.validate("EC-RUC", changed)


@given(
    st.sampled_from(["EC-CEDULA", "EC-RUC"]),
    st.text("0123456789", min_size=0, max_size=14),
    # Whitespace at either end is trimmed before validation, so it is not drawn here.
    st.characters(exclude_categories=["Nd"], exclude_characters=" -.\u00a0\t").filter(
        lambda c: not c.isspace()
    ),
)
def test_a_non_digit_is_refused_naming_the_character(code: str, digits: str, char: str) -> None:
    value = digits + char + digits

    with pytest.raises(InvalidIdentifier) as info:
        identifiers.validate(code, value)

    first = next(c for c in value.strip() if not ("0" <= c <= "9") and c not in " -.\u00a0\t")
    assert info.value.reason == f"solo puede contener dígitos; «{first}» no es un dígito."


# --- cross-check with python-stdnum ---------------------------------------------------------


def _stdnum_is_more_lenient(kind: str, value: str) -> str | None:
    """python-stdnum 2.2 accepts a few numbers that Minga refuses on purpose; returns which
    documented leniency applies, or None."""
    if value[:2] == "50":
        return "stdnum accepts province code 50"
    if value[2] == "6" and (kind == "cedula" or len(value) == 13):
        return "stdnum accepts a third digit 6 in a cédula, or a RUC 6 read as a natural person's"
    if kind == "ruc" and value[2] == "9":
        return "stdnum accepts a RUC with third digit 9 that passes the public-entity check"
    return None


def test_the_vectors_cover_both_verdicts_and_both_kinds() -> None:
    kinds = {(v["kind"], v["stdnum_valid"]) for v in VECTORS}

    assert kinds == {("cedula", True), ("cedula", False), ("ruc", True), ("ruc", False)}
    assert len(VECTORS) == 1230


def test_minga_agrees_with_python_stdnum_on_every_vector_except_documented_leniencies() -> None:
    disagreements = []
    for v in VECTORS:
        code = "EC-CEDULA" if v["kind"] == "cedula" else "EC-RUC"
        try:
            identifiers.validate(code, v["value"])
            ours = True
        except InvalidIdentifier:
            ours = False
        if ours != v["stdnum_valid"]:
            disagreements.append(v)

    # Minga never accepts what stdnum refuses...
    assert [v for v in disagreements if not v["stdnum_valid"]] == []
    # ...and refuses what stdnum accepts only where a documented leniency applies.
    assert [
        v for v in disagreements if _stdnum_is_more_lenient(v["kind"], v["value"]) is None
    ] == []
