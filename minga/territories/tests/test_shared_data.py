"""The real data of ../shared/ecuador, read in place: the whole INEC DPA list and the province
outlines."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import Count

from conftest import shared_path
from minga.core.models import AuditEvent
from minga.territories.geo import features_parse
from minga.territories.models import Territory
from minga.territories.selectors import territory_by_code
from minga.territories.services import ImportReport, territories_geometry_attach, territories_import

from .conftest import NOW

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture
def dpa(db):
    data = shared_path("ecuador", "dpa_ecuador_combined.csv").read_bytes()
    report = territories_import(country_code="EC", data=data, actor="test", now=NOW)
    return data, report


def test_the_whole_dpa_list_imports_with_the_counts_of_its_readme(dpa):
    _data, report = dpa

    assert report.created == 1512
    counts = dict(Territory.objects.values_list("level__key").annotate(n=Count("id")))
    assert counts == {"provincia": 25, "canton": 225, "parroquia": 1262}
    cotacachi = territory_by_code(country_code="EC", code="1003")
    assert cotacachi is not None
    assert cotacachi.children.count() == 11
    assert sorted(cotacachi.children.values_list("code", flat=True))[0::10] == ["100301", "100358"]
    assert Territory.objects.get(code="0808").parent.code == "08"


def test_reimporting_the_whole_dpa_list_changes_nothing(dpa):
    data, _report = dpa

    report = territories_import(
        country_code="EC", data=data, actor="test", now=NOW + timedelta(hours=1)
    )

    assert report == ImportReport(created=0, updated=0, unchanged=1512)
    assert Territory.objects.count() == 1512
    assert AuditEvent.objects.count() == 1


def test_the_24_province_outlines_attach_by_name_despite_accents_and_short_names(dpa):
    features = features_parse(shared_path("ecuador", "provinces.geojson").read_bytes())

    report = territories_geometry_attach(
        country_code="EC",
        features=features,
        match_by="name",
        match_property="province",
        source="provinces.geojson (OpenStreetMap, ODbL)",
        actor="test",
        now=NOW,
    )

    assert (report.level, len(report.matched), report.unmatched, report.ambiguous) == (
        "provincia",
        24,
        [],
        [],
    )
    assert (21, "Santo Domingo", "23") in report.matched
    assert (4, "Cañar", "03") in report.matched
    with_geometry = Territory.objects.exclude(geometry__isnull=True)
    assert sorted(with_geometry.values_list("code", flat=True)) == [
        f"{n:02d}" for n in range(1, 25)
    ]
    assert Territory.objects.filter(code="90", geometry__isnull=True).exists()
    assert AuditEvent.objects.last().action == "territories.geometry_attach"


def test_the_import_command_attaches_the_province_outlines_with_match_by_name_alone(db):
    dpa_file = shared_path("ecuador", "dpa_ecuador_combined.csv")
    outlines = shared_path("ecuador", "provinces.geojson")
    out, err = io.StringIO(), io.StringIO()

    call_command(
        "territories",
        "import",
        str(dpa_file),
        "--geometry",
        str(outlines),
        "--match-by",
        "name",
        stdout=out,
        stderr=err,
    )

    assert out.getvalue().splitlines() == [
        "EC: 1512 creados, 0 actualizados, 0 sin cambios",
        "contornos: se compara la propiedad «province» de cada elemento",
        "contornos: 24 emparejados en el nivel «provincia», 24 actualizados",
    ]
    assert Territory.objects.filter(geometry__isnull=False).count() == 24
