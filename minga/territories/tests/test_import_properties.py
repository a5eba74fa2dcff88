"""Property tests of the importer: random valid trees import, and import again unchanged;
a random corruption of one row is reported on that row's line, and nothing is written."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minga.territories.models import Territory, TerritoryLevel
from minga.territories.services import (
    ImportReport,
    TerritoryImportError,
    territories_import,
)

from .conftest import NOW

LEVELS = [("uno", "Uno"), ("dos", "Dos"), ("tres", "Tres")]
COUNTRY = "XT"

names = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")),
    min_size=1,
    max_size=30,
).filter(lambda s: s.strip() == s and s != "")


@st.composite
def trees(draw):
    """Rows (level, code, name, parent code) of a random forest at most 3 levels deep, each
    parent listed before or after its children (order must not matter)."""
    size = draw(st.integers(min_value=1, max_value=25))
    rows = []
    depth_of = []
    for i in range(size):
        candidates = [j for j in range(i) if depth_of[j] < 2]
        parent = draw(st.sampled_from([None, *candidates])) if candidates else None
        depth = 0 if parent is None else depth_of[parent] + 1
        depth_of.append(depth)
        code = f"C{i}"
        rows.append([LEVELS[depth][0], code, draw(names), "" if parent is None else f"C{parent}"])
    order = draw(st.permutations(range(size)))
    return [rows[i] for i in order]


def _wipe():
    for depth in (2, 1, 0):
        Territory.objects.filter(country_code=COUNTRY, depth=depth).delete()
    TerritoryLevel.objects.filter(country_code=COUNTRY).delete()


def _import(rows):
    return territories_import(
        country_code=COUNTRY, rows=rows, levels=LEVELS, actor="property", now=NOW
    )


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=trees())
def test_a_random_valid_tree_imports_and_imports_again_unchanged(rows):
    try:
        first = _import(rows)
        second = _import(rows)

        assert first.created == len(rows)
        assert second == ImportReport(created=0, updated=0, unchanged=len(rows))
        stored = {t.code: t for t in Territory.objects.filter(country_code=COUNTRY)}
        assert len(stored) == len(rows)
        for level, code, name, parent in rows:
            t = stored[code]
            assert (t.level.key, t.name) == (level, name)
            expected_path = (stored[parent].path if parent else "/") + f"{code}/"
            assert (t.path, t.depth) == (expected_path, LEVELS.index((level, t.level.name)))
    finally:
        _wipe()


CORRUPTIONS = {
    "blank name": (lambda row, rows: [row[0], row[1], " ", row[3]], "el nombre está vacío"),
    "unknown level": (
        lambda row, rows: ["cuatro", row[1], row[2], row[3]],
        "nivel desconocido «cuatro» (niveles admitidos: uno, dos, tres)",
    ),
    "unknown parent": (
        lambda row, rows: [row[0], row[1], row[2], "NOPE"],
        "el padre «NOPE» no existe",
    ),
    "column count": (
        lambda row, rows: row[:3],
        "se esperaban 4 o 5 columnas (nivel, código, nombre, código del padre[, nota]); hay 3",
    ),
}


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=trees(), data=st.data(), kind=st.sampled_from(sorted(CORRUPTIONS)))
def test_a_random_corruption_is_reported_on_its_line_and_nothing_is_imported(rows, data, kind):
    index = data.draw(st.integers(min_value=0, max_value=len(rows) - 1))
    corrupt, reason = CORRUPTIONS[kind]
    bad = [list(r) for r in rows]
    bad[index] = corrupt(bad[index], bad)

    with pytest.raises(TerritoryImportError) as info:
        _import(bad)

    assert [(e.line, e.reason) for e in info.value.errors] == [(index + 1, reason)]
    assert not Territory.objects.filter(country_code=COUNTRY).exists()
    assert not TerritoryLevel.objects.filter(country_code=COUNTRY).exists()


@pytest.mark.django_db
@settings(max_examples=25, deadline=None)
@given(rows=trees(), data=st.data())
def test_a_random_duplicate_code_is_reported_on_the_later_line(rows, data):
    first = data.draw(st.integers(min_value=0, max_value=len(rows) - 1))
    copy = list(rows[first])
    copy[2] = copy[2] + "x"
    at = data.draw(st.integers(min_value=first + 1, max_value=len(rows)))
    bad = [*rows[:at], copy, *rows[at:]]

    with pytest.raises(TerritoryImportError) as info:
        _import(bad)

    assert [str(e) for e in info.value.errors] == [
        f"línea {at + 1}: el código «{copy[1]}» está repetido (ya aparece en la línea {first + 1})"
    ]
    assert not Territory.objects.filter(country_code=COUNTRY).exists()
