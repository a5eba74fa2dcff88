import io
import json

import pytest
from django.core.management import call_command

from minga.core.models import AuditEvent
from minga.territories.models import Territory, TerritoryLevel

from .conftest import SMALL_CSV

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("territories", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def csv_file(tmp_path):
    path = tmp_path / "dpa.csv"
    path.write_text(SMALL_CSV, encoding="utf-8")
    return path


def test_an_import_succeeds_prints_the_counts_and_a_progress_bar(csv_file):
    code, out, err = run("import", str(csv_file), "--country", "EC")

    assert code == 0
    assert out == "EC: 7 creados, 0 actualizados, 0 sin cambios\n"
    assert err.endswith("[##############################] 100% 7/7\n")
    assert Territory.objects.count() == 7


def test_running_the_import_twice_changes_nothing(csv_file):
    run("import", str(csv_file))

    code, out, _err = run("import", str(csv_file))

    assert (code, out) == (0, "EC: 0 creados, 0 actualizados, 7 sin cambios\n")
    assert Territory.objects.count() == 7
    assert AuditEvent.objects.count() == 1


def test_bad_rows_are_printed_one_per_line_with_exit_status_1_and_nothing_imported(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "level,code,name,parent_code\nprovincia,10,,\ncanton,1003,COTACACHI,77\n", encoding="utf-8"
    )

    code, out, err = run("import", str(path))

    assert code == 1
    assert out == ""
    assert err.splitlines() == [
        "línea 2: el nombre está vacío",
        "línea 3: el padre «77» no existe",
        "No se importó nada.",
    ]
    assert Territory.objects.count() == 0
    assert TerritoryLevel.objects.count() == 0


def test_other_countries_give_their_levels_with_names(tmp_path):
    path = tmp_path / "pe.csv"
    path.write_text("region,15,Lima,\nprovincia,1501,Lima,15\n", encoding="utf-8")

    code, out, _err = run(
        "import", str(path), "--country", "PE", "--levels", "region:Región,provincia"
    )

    assert (code, out) == (0, "PE: 2 creados, 0 actualizados, 0 sin cambios\n")
    assert list(TerritoryLevel.objects.values_list("key", "name", "rank")) == [
        ("region", "Región", 0),
        ("provincia", "Provincia", 1),
    ]


def test_a_country_without_levels_and_no_level_list_fails_naming_the_option(csv_file):
    code, _out, err = run("import", str(csv_file), "--country", "PE")

    assert code == 1
    assert err.splitlines() == [
        "levels: el país PE no tiene niveles definidos: indique la lista de niveles (por ejemplo "
        "region,municipio,distrito)",
        "No se importó nada.",
    ]


def test_a_missing_file_fails_with_its_name(tmp_path):
    code, _out, err = run("import", str(tmp_path / "nope.csv"))

    assert code == 1
    assert err.splitlines()[0] == f"archivo: no existe {tmp_path / 'nope.csv'}"


def feature(name, lon):
    ring = [[lon, 0], [lon + 1, 0], [lon + 1, 1], [lon, 1], [lon, 0]]
    return {
        "type": "Feature",
        "properties": {"province": name},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def test_geometry_attaches_by_a_chosen_property_and_reports_what_matched_nothing(
    csv_file, tmp_path
):
    geojson = tmp_path / "shapes.geojson"
    geojson.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [feature("Imbabura", 0), feature("Cañar", 2), feature("Atlántida", 4)],
            }
        ),
        encoding="utf-8",
    )

    code, out, _err = run(
        "import",
        str(csv_file),
        "--geometry",
        str(geojson),
        "--match-by",
        "name",
        "--match-property",
        "province",
    )

    assert code == 0
    assert out.splitlines() == [
        "EC: 7 creados, 0 actualizados, 0 sin cambios",
        "contornos: 2 emparejados en el nivel «provincia», 2 actualizados",
        "elemento 3 «Atlántida»: no coincide con ningún territorio",
    ]
    assert Territory.objects.get(code="03").geometry_source == "shapes.geojson"
    assert Territory.objects.filter(geometry__isnull=False).count() == 2


def test_a_bad_geojson_fails_before_anything_is_imported(csv_file, tmp_path):
    geojson = tmp_path / "bad.geojson"
    geojson.write_text(json.dumps({"type": "FeatureCollection", "features": [{"x": 1}]}))

    code, _out, err = run("import", str(csv_file), "--geometry", str(geojson))

    assert code == 1
    assert err.splitlines() == ["bad.geojson: elemento 1: no es un Feature", "No se importó nada."]
    assert Territory.objects.count() == 0


def test_a_missing_match_property_fails_before_anything_is_imported(csv_file, tmp_path):
    geojson = tmp_path / "shapes.geojson"
    geojson.write_text(json.dumps({"type": "FeatureCollection", "features": [feature("X", 0)]}))

    code, _out, err = run("import", str(csv_file), "--geometry", str(geojson))

    assert code == 1
    assert err.splitlines() == [
        "match-property: los elementos 1 no tienen la propiedad «name» y ninguna otra propiedad "
        "es la única que coincide con los territorios; elija una con --match-property "
        "(propiedades de todos los elementos: province)",
        "No se importó nada.",
    ]
    assert Territory.objects.count() == 0


def test_a_named_match_property_that_a_feature_lacks_fails_before_anything_is_imported(
    csv_file, tmp_path
):
    geojson = tmp_path / "shapes.geojson"
    geojson.write_text(
        json.dumps({"type": "FeatureCollection", "features": [feature("Imbabura", 0)]})
    )

    code, _out, err = run(
        "import", str(csv_file), "--geometry", str(geojson), "--match-property", "NAME_1"
    )

    assert code == 1
    assert err.splitlines() == [
        "match-property: los elementos 1 no tienen la propiedad «NAME_1»",
        "No se importó nada.",
    ]
    assert Territory.objects.count() == 0


def test_without_a_match_property_the_one_naming_the_territories_is_compared(csv_file, tmp_path):
    geojson = tmp_path / "shapes.geojson"
    features = [feature("Imbabura", 0), feature("Cañar", 2)]
    for f, iso in zip(features, ["EC-I", "EC-F"], strict=True):
        f["properties"].update({"country": "Ecuador", "iso_2": iso})
    geojson.write_text(json.dumps({"type": "FeatureCollection", "features": features}))

    code, out, _err = run("import", str(csv_file), "--geometry", str(geojson), "--match-by", "name")

    assert code == 0
    assert out.splitlines() == [
        "EC: 7 creados, 0 actualizados, 0 sin cambios",
        "contornos: se compara la propiedad «province» de cada elemento",
        "contornos: 2 emparejados en el nivel «provincia», 2 actualizados",
    ]
    assert sorted(
        Territory.objects.filter(geometry__isnull=False).values_list("code", flat=True)
    ) == [
        "03",
        "10",
    ]


def test_two_properties_that_match_equally_well_are_refused_and_nothing_is_imported(
    csv_file, tmp_path
):
    geojson = tmp_path / "shapes.geojson"
    features = [feature("Imbabura", 0)]
    features[0]["properties"]["provincia"] = "IMBABURA"
    geojson.write_text(json.dumps({"type": "FeatureCollection", "features": features}))

    code, _out, err = run("import", str(csv_file), "--geometry", str(geojson))

    assert code == 1
    assert err.splitlines()[-2:] == [
        "match-property: los elementos 1 no tienen la propiedad «name» y ninguna otra propiedad "
        "es la única que coincide con los territorios; elija una con --match-property "
        "(propiedades de todos los elementos: province, provincia)",
        "No se importó nada.",
    ]
    assert Territory.objects.count() == 0


def test_an_unknown_match_level_fails_before_anything_is_imported(csv_file, tmp_path):
    geojson = tmp_path / "shapes.geojson"
    geojson.write_text(json.dumps({"type": "FeatureCollection", "features": [feature("X", 0)]}))

    code, _out, err = run(
        "import",
        str(csv_file),
        "--geometry",
        str(geojson),
        "--match-property",
        "province",
        "--match-level",
        "estado",
    )

    assert code == 1
    assert err.splitlines()[0] == (
        "match-level: nivel desconocido «estado» (niveles: canton, parroquia, provincia)"
    )
    assert Territory.objects.count() == 0


def test_a_too_long_geometry_source_fails_before_anything_is_imported(csv_file, tmp_path):
    geojson = tmp_path / "shapes.geojson"
    geojson.write_text(
        json.dumps({"type": "FeatureCollection", "features": [feature("Imbabura", 0)]})
    )

    code, _out, err = run(
        "import",
        str(csv_file),
        "--geometry",
        str(geojson),
        "--geometry-source",
        "x" * 301,
    )

    assert code == 1
    assert err.splitlines() == [
        "geometry-source: tiene más de 300 caracteres",
        "No se importó nada.",
    ]
    assert Territory.objects.count() == 0
