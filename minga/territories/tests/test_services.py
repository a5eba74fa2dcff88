from datetime import timedelta

import pytest

from minga.core.models import AuditEvent
from minga.territories.models import Territory, TerritoryLevel
from minga.territories.services import (
    ImportReport,
    LineError,
    TerritoryImportError,
    TerritoryInputError,
    territories_import,
    territory_levels_define,
)

from .conftest import NOW, SMALL_CSV

pytestmark = pytest.mark.django_db


def snapshot():
    return sorted(
        Territory.objects.values_list("code", "name", "level__key", "parent__code", "path", "depth")
    )


def import_csv(text, **kwargs):
    return territories_import(
        country_code=kwargs.pop("country_code", "EC"),
        data=text.encode() if isinstance(text, str) else text,
        actor="test",
        now=kwargs.pop("now", NOW),
        **kwargs,
    )


def errors_of(text, **kwargs):
    with pytest.raises(TerritoryImportError) as info:
        import_csv(text, **kwargs)
    return [str(e) for e in info.value.errors]


def test_a_valid_file_imports_every_row_with_paths_and_depths(db):
    report = import_csv(SMALL_CSV)

    assert report == ImportReport(
        created=7, updated=0, unchanged=0, levels_created=("provincia", "canton", "parroquia")
    )
    assert snapshot() == [
        ("03", "CAÑAR", "provincia", None, "/03/", 0),
        ("0301", "AZOGUES", "canton", "03", "/03/0301/", 1),
        ("030150", "AZOGUES", "parroquia", "0301", "/03/0301/030150/", 2),
        ("10", "IMBABURA", "provincia", None, "/10/", 0),
        ("1003", "COTACACHI", "canton", "10", "/10/1003/", 1),
        ("100350", "COTACACHI", "parroquia", "1003", "/10/1003/100350/", 2),
        ("100351", "APUELA", "parroquia", "1003", "/10/1003/100351/", 2),
    ]
    assert Territory.objects.get(code="03").name_key == "canar"
    assert list(TerritoryLevel.objects.values_list("country_code", "key", "name", "rank")) == [
        ("EC", "provincia", "Provincia", 0),
        ("EC", "canton", "Cantón", 1),
        ("EC", "parroquia", "Parroquia", 2),
    ]


def test_an_import_writes_one_audit_event_with_the_counts(db):
    import_csv(SMALL_CSV)

    event = AuditEvent.objects.get()
    assert (event.action, event.object_type, event.object_id, event.actor_label) == (
        "territories.import",
        "territories.Territory",
        "EC",
        "test",
    )
    assert event.after == {
        "rows": 7,
        "created": 7,
        "updated": 0,
        "unchanged": 0,
        "levels_created": ["provincia", "canton", "parroquia"],
        "paths_recomputed": 0,
    }


def test_reimporting_the_same_file_changes_nothing_and_records_nothing(small_country):
    before = snapshot()

    report = import_csv(SMALL_CSV, now=NOW + timedelta(days=1))

    assert report == ImportReport(created=0, updated=0, unchanged=7)
    assert snapshot() == before
    assert AuditEvent.objects.count() == 1
    assert Territory.objects.filter(updated_at=NOW).count() == 7


def test_reimporting_updates_names_and_adds_new_rows_without_duplicates(small_country):
    changed = SMALL_CSV.replace("APUELA,1003", "APUELA (INTAG),1003") + (
        "parroquia,100353,IMANTAG,1003,rural\n"
    )

    report = import_csv(changed, now=NOW + timedelta(days=1))

    assert report == ImportReport(created=1, updated=1, unchanged=6)
    assert Territory.objects.count() == 8
    apuela = Territory.objects.get(code="100351")
    assert (apuela.name, apuela.name_key, apuela.updated_at) == (
        "APUELA (INTAG)",
        "apuela intag",
        NOW + timedelta(days=1),
    )
    assert Territory.objects.get(code="100353").path == "/10/1003/100353/"
    assert AuditEvent.objects.last().after["created"] == 1


def test_a_file_may_add_children_to_territories_imported_before(small_country):
    report = import_csv("parroquia,100352,GARCIA MORENO (LLURIMAGUA),1003,rural\n")

    assert report == ImportReport(created=1, updated=0, unchanged=0)
    assert Territory.objects.get(code="100352").path == "/10/1003/100352/"


def test_moving_a_canton_recomputes_the_paths_of_everything_under_it(small_country):
    report = import_csv("canton,1003,COTACACHI,03\n")

    assert report == ImportReport(created=0, updated=1, unchanged=0)
    assert Territory.objects.get(code="100351").path == "/03/1003/100351/"
    assert AuditEvent.objects.last().after["paths_recomputed"] == 2


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (
            "provincia,10,IMBABURA,,\nprovincia,10,IMBABURA OTRA,,\n",
            ["línea 3: el código «10» está repetido (ya aparece en la línea 2)"],
        ),
        (
            "provincia,10,IMBABURA,,\ncanton,1003,COTACACHI,99,\n",
            ["línea 3: el padre «99» no existe"],
        ),
        (
            "provincia,10,IMBABURA,,\ncomarca,1003,COTACACHI,10,\n",
            [
                "línea 3: nivel desconocido «comarca» (niveles admitidos: provincia, canton, "
                "parroquia)"
            ],
        ),
        ("provincia,10,   ,,\n", ["línea 2: el nombre está vacío"]),
        (",10,IMBABURA,,\n", ["línea 2: el nivel está vacío"]),
        ("provincia,,IMBABURA,,\n", ["línea 2: el código está vacío"]),
        (
            "provincia,1/0,IMBABURA,,\n",
            ["línea 2: el código «1/0» no es válido (hasta 20 letras, cifras, . - o _)"],
        ),
        (
            "provincia,10,IMBABURA\n",
            [
                "línea 2: se esperaban 4 o 5 columnas (nivel, código, nombre, código del "
                "padre[, nota]); hay 3"
            ],
        ),
        (
            "provincia,10,IMBABURA,,,extra\n",
            [
                "línea 2: se esperaban 4 o 5 columnas (nivel, código, nombre, código del "
                "padre[, nota]); hay 6"
            ],
        ),
        (
            "canton,1003,COTACACHI,10,\nprovincia,10,IMBABURA,1003,\n",
            [
                "línea 2: ciclo en la jerarquía: 1003 → 10 → 1003",
                "línea 3: ciclo en la jerarquía: 10 → 1003 → 10",
            ],
        ),
        ("provincia,10,IMBABURA,10,\n", ["línea 2: ciclo en la jerarquía: 10 → 10"]),
        (
            "provincia,10,IMBABURA,,\nprovincia,11,LOJA,10,\n",
            [
                "línea 3: un territorio de nivel «provincia» no puede estar bajo «10», de "
                "nivel «provincia»"
            ],
        ),
        ("provincia,10," + "X" * 201 + ",,\n", ["línea 2: el nombre tiene más de 200 caracteres"]),
    ],
    ids=[
        "duplicate code",
        "unknown parent",
        "unknown level",
        "blank name",
        "blank level",
        "blank code",
        "bad code",
        "too few columns",
        "too many columns",
        "cycle",
        "self parent",
        "level not below parent",
        "name too long",
    ],
)
def test_every_kind_of_bad_row_is_reported_with_its_line_and_nothing_is_imported(
    db, rows, expected
):
    assert errors_of("level,code,name,parent_code,note_or_type\n" + rows) == expected
    assert Territory.objects.count() == 0
    assert TerritoryLevel.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_every_bad_row_of_a_file_is_reported_not_only_the_first(db):
    text = (
        "level,code,name,parent_code\n"
        "provincia,10,IMBABURA,,\n"
        "canton,1003,,10\n"
        "canton,1004,OTAVALO,77\n"
        "provincia,10,DUPLICADA,,\n"
        "estado,11,LOJA,,\n"
    )

    assert errors_of(text) == [
        "línea 3: el nombre está vacío",
        "línea 4: el padre «77» no existe",
        "línea 5: el código «10» está repetido (ya aparece en la línea 2)",
        "línea 6: nivel desconocido «estado» (niveles admitidos: provincia, canton, parroquia)",
    ]


def test_short_rows_bad_contents_and_cycles_are_all_reported_in_one_run(db):
    text = (
        "level,code,name,parent_code\n"
        "provincia,10,IMBABURA,,\n"
        "canton,1003,,10\n"
        "parroquia,100301,A,100302\n"
        "parroquia,100302,B,100301\n"
        "provincia,11\n"
    )

    assert errors_of(text) == [
        "línea 3: el nombre está vacío",
        "línea 4: ciclo en la jerarquía: 100301 → 100302 → 100301",
        "línea 5: ciclo en la jerarquía: 100302 → 100301 → 100302",
        "línea 6: se esperaban 4 o 5 columnas (nivel, código, nombre, código del padre[, nota]); "
        "hay 2",
    ]
    assert Territory.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_a_row_whose_parent_is_on_an_unreadable_line_is_not_blamed_for_it(db):
    text = (
        "level,code,name,parent_code\n"
        "provincia,10,IMBABURA\n"
        "canton,1003,COTACACHI,10\n"
        "canton,1004,,10\n"
    )

    assert errors_of(text) == [
        "línea 2: se esperaban 4 o 5 columnas (nivel, código, nombre, código del padre[, nota]); "
        "hay 3",
        "línea 4: el nombre está vacío",
    ]
    assert Territory.objects.count() == 0


def test_rows_after_a_line_the_csv_reader_cannot_read_are_not_checked(db):
    # The csv module stops at a field over its size limit; what follows is unknown.
    text = f'level,code,name,parent_code\nprovincia,10,"{"X" * 140_000}",\ncanton,1003,,77\n'

    assert errors_of(text) == [
        "línea 2: CSV mal formado: field larger than field limit (131072)",
    ]
    assert Territory.objects.count() == 0


def test_a_bad_row_in_a_reimport_leaves_the_earlier_import_untouched(small_country):
    before = snapshot()
    text = SMALL_CSV.replace("APUELA,1003", "APUELA NUEVA,1003") + "parroquia,1,X,404\n"

    assert errors_of(text) == ["línea 9: el padre «404» no existe"]
    assert snapshot() == before
    assert AuditEvent.objects.count() == 1


def test_badly_encoded_lines_are_reported_by_number(db):
    data = "level,code,name,parent_code\nprovincia,03,CAÑAR,,\n".encode("latin-1") + (
        "provincia,10,IMBABURA,,\nprovincia,11,PEÑA,,\n".encode("latin-1")
    )

    assert errors_of(data) == [
        "línea 2: el texto no es UTF-8 válido",
        "línea 4: el texto no es UTF-8 válido",
    ]
    assert Territory.objects.count() == 0


def test_a_byte_order_mark_and_blank_lines_are_accepted(db):
    data = b"\xef\xbb\xbflevel,code,name,parent_code\n\nprovincia,10,IMBABURA,,\n\n"

    assert import_csv(data) == ImportReport(
        created=1, updated=0, unchanged=0, levels_created=("provincia", "canton", "parroquia")
    )


def test_an_empty_file_is_refused(db):
    assert errors_of("level,code,name,parent_code\n") == [
        "línea 1: el archivo no tiene filas de territorios"
    ]


def test_a_code_that_differs_only_in_case_from_an_existing_one_is_refused(db, now):
    territories_import(
        country_code="XA",
        rows=[("region", "AB", "Uno", "")],
        levels=[("region", "Región")],
        actor="t",
        now=now,
    )

    with pytest.raises(TerritoryImportError) as info:
        territories_import(
            country_code="XA", rows=[("region", "ab", "Dos", "")], actor="t", now=now
        )

    assert [str(e) for e in info.value.errors] == [
        "línea 1: el código «ab» solo difiere en mayúsculas del existente «AB»"
    ]


def test_rows_can_be_given_as_lists_with_levels_of_another_country(db, now):
    report = territories_import(
        country_code="pe",
        rows=[
            ("region", "15", "Lima", ""),
            ("provincia", "1501", "Lima", "15"),
            ("distrito", "150101", "Lima", "1501"),
        ],
        levels=[("region", "Región"), ("provincia", "Provincia"), ("distrito", "Distrito")],
        actor="t",
        now=now,
    )

    assert report.created == 3
    assert Territory.objects.get(code="150101").country_code == "PE"
    assert list(TerritoryLevel.objects.filter(country_code="PE").values_list("key", "rank")) == [
        ("region", 0),
        ("provincia", 1),
        ("distrito", 2),
    ]


def test_a_country_without_levels_needs_a_level_list(db, now):
    with pytest.raises(TerritoryInputError) as info:
        territories_import(
            country_code="PE", rows=[("region", "15", "Lima", "")], actor="t", now=now
        )

    assert info.value.field == "levels"
    assert info.value.message == (
        "el país PE no tiene niveles definidos: indique la lista de niveles (por ejemplo "
        "region,municipio,distrito)"
    )
    assert TerritoryLevel.objects.count() == 0


def test_a_bad_country_code_is_refused(db, now):
    with pytest.raises(TerritoryInputError) as info:
        territories_import(country_code="ECU", rows=[("p", "1", "X", "")], actor="t", now=now)

    assert (info.value.field, info.value.message) == (
        "country",
        "«ECU» no es un código de país ISO 3166-1 de dos letras",
    )


def test_levels_are_defined_once_and_extended_below_the_existing_ones(db, now):
    territory_levels_define(
        country_code="PE",
        levels=[("region", "Región"), ("provincia", "Provincia")],
        actor="t",
        now=now,
    )

    levels = territory_levels_define(
        country_code="PE",
        levels=[("region", "Región"), ("provincia", "Provincia"), ("distrito", "Distrito")],
        actor="t",
        now=now,
    )

    assert [(lv.key, lv.rank) for lv in levels] == [
        ("region", 0),
        ("provincia", 1),
        ("distrito", 2),
    ]
    assert [e.after for e in AuditEvent.objects.all()] == [
        {"created": ["region", "provincia"]},
        {"created": ["distrito"]},
    ]


@pytest.mark.parametrize(
    ("levels", "message"),
    [
        (
            [("provincia", "P"), ("region", "R")],
            "el orden de los niveles no coincide con el ya definido (region, provincia)",
        ),
        (
            [("comuna", "C"), ("region", "R")],
            "el nivel nuevo «comuna» debe ir después de los ya definidos (region, provincia)",
        ),
        ([("Región", "R")], "«Región» no es una clave de nivel válida (minúsculas, cifras, - o _)"),
        ([("x", "A"), ("x", "B")], "el nivel «x» aparece dos veces"),
        ([("x", " ")], "el nivel «x» necesita un nombre de 1 a 100 caracteres"),
    ],
)
def test_an_inconsistent_level_list_is_refused_and_changes_nothing(db, now, levels, message):
    territory_levels_define(
        country_code="PE",
        levels=[("region", "Región"), ("provincia", "Provincia")],
        actor="t",
        now=now,
    )

    with pytest.raises(TerritoryInputError) as info:
        territory_levels_define(country_code="PE", levels=levels, actor="t", now=now)

    assert (info.value.field, info.value.message) == ("levels", message)
    assert list(TerritoryLevel.objects.values_list("key", flat=True)) == ["region", "provincia"]


def test_a_line_error_reads_as_line_and_reason():
    assert str(LineError(7, "el nombre está vacío")) == "línea 7: el nombre está vacío"
