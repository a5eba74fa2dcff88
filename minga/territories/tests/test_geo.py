import json

import pytest

from minga.territories.geo import (
    Feature,
    GeoJSONError,
    features_parse,
    match_property_guess,
    name_fold,
    svg_map,
)

SQUARE = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}


def collection(*geometries, properties=None):
    return json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "properties": properties or {"name": "x"}, "geometry": g}
                for g in geometries
            ],
        }
    ).encode()


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("SANTO DOMINGO DE LOS TSÁCHILAS", "santo domingo de los tsachilas"),
        ("Cañar", "canar"),
        ("GARCIA MORENO (LLURIMAGUA)", "garcia moreno llurimagua"),
        ("  Los  Ríos ", "los rios"),
        ("6 DE JULIO DE CUELLAJE", "6 de julio de cuellaje"),
    ],
)
def test_names_fold_to_lower_case_without_accents_or_punctuation(name, key):
    assert name_fold(name) == key


def test_a_feature_collection_is_read_with_its_properties():
    features = features_parse(collection(SQUARE, properties={"province": "Imbabura"}))

    assert [(f.number, f.properties, f.geometry) for f in features] == [
        (1, {"province": "Imbabura"}, SQUARE)
    ]


def test_bare_rings_inside_a_multipolygon_are_wrapped_into_polygons():
    ring = SQUARE["coordinates"][0]
    features = features_parse(collection({"type": "MultiPolygon", "coordinates": [[ring], ring]}))

    assert features[0].geometry["coordinates"] == [[ring], [ring]]


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        (
            b"{not json",
            [
                "el archivo no es JSON válido (línea 1): Expecting property name "
                "enclosed in double quotes"
            ],
        ),
        (b"\xff\xfe", ["el archivo GeoJSON no es UTF-8 válido"]),
        (b'{"type": "Point"}', ["el archivo no es un FeatureCollection ni un Feature de GeoJSON"]),
        (
            b'{"type": "FeatureCollection", "features": []}',
            ["el FeatureCollection no tiene elementos (features)"],
        ),
        (
            collection(
                {"type": "Point", "coordinates": [0, 0]},
                SQUARE,
                {"type": "Polygon", "coordinates": [[[0, 0], [200, 0], [1, 1], [0, 0]]]},
            ),
            [
                "elemento 1: la geometría Point no se admite (solo Polygon o MultiPolygon)",
                "elemento 3: la posición [200, 0] está fuera de rango",
            ],
        ),
        (collection(None), ["elemento 1: no tiene geometría"]),
        (
            collection({"type": "Polygon", "coordinates": [[["a", 0]]]}),
            ["elemento 1: una coordenada no es un número"],
        ),
    ],
    ids=[
        "not json",
        "not utf-8",
        "not a collection",
        "empty",
        "bad geometries",
        "no geometry",
        "not numbers",
    ],
)
def test_a_bad_geojson_file_reports_every_problem(data, errors):
    with pytest.raises(GeoJSONError) as info:
        features_parse(data)

    assert info.value.errors == errors


def test_an_outline_is_projected_into_the_svg_box_north_up():
    tall = {"type": "Polygon", "coordinates": [[[0, -1], [1, -1], [1, 1], [0, 1], [0, -1]]]}

    svg = svg_map([("self", tall)])

    assert svg is not None
    assert svg.view_box == "0 0 500 1000"
    assert svg.paths == [("self", "M0 1000L500 1000L500 0L0 0Z")]


def test_children_are_drawn_in_the_frame_of_their_parent():
    big = {"type": "Polygon", "coordinates": [[[0, -1], [2, -1], [2, 1], [0, 1], [0, -1]]]}
    small = {"type": "Polygon", "coordinates": [[[0, -1], [1, -1], [1, 0], [0, 0], [0, -1]]]}

    svg = svg_map([("self", big), ("child", small)])

    assert svg is not None
    assert svg.paths[1] == ("child", "M0 1000L500 1000L500 500L0 500Z")


def test_longitude_shrinks_with_the_cosine_of_latitude():
    at_60 = {
        "type": "Polygon",
        "coordinates": [[[0, 59.5], [1, 59.5], [1, 60.5], [0, 60.5], [0, 59.5]]],
    }

    svg = svg_map([("self", at_60)])

    assert svg is not None
    assert svg.view_box == "0 0 500 1000"


def test_there_is_no_map_without_a_drawable_shape():
    assert svg_map([]) is None
    assert svg_map([("self", {"type": "Point", "coordinates": [0, 0]})]) is None


def outline(number, **properties):
    return Feature(number=number, properties=properties, geometry=SQUARE)


def test_the_name_property_is_compared_when_every_feature_has_one():
    features = [outline(1, name="x", province="Imbabura")]

    assert match_property_guess(features, match_by="name", known=["IMBABURA"]) == "name"


def test_the_property_with_the_most_distinct_matching_names_is_guessed():
    # "country" matches a parish called ECUADOR on every feature, but only with one value.
    features = [
        outline(1, country="Ecuador", province="Azuay", iso_2="EC-A"),
        outline(2, country="Ecuador", province="Bolívar", iso_2="EC-B"),
    ]
    known = ["AZUAY", "BOLIVAR", "ECUADOR"]

    assert match_property_guess(features, match_by="name", known=known) == "province"


def test_codes_are_guessed_from_a_property_holding_them():
    features = [outline(1, DPA_PROVIN="10", label="Imbabura"), outline(2, DPA_PROVIN="03")]

    assert match_property_guess(features, match_by="code", known=["10", "03"]) == "DPA_PROVIN"


def test_no_property_is_guessed_when_none_matches_or_two_tie():
    features = [outline(1, a="Imbabura", b="IMBABURA")]

    assert match_property_guess(features, match_by="name", known=["PICHINCHA"]) is None
    assert match_property_guess(features, match_by="name", known=["IMBABURA"]) is None
    assert match_property_guess([], match_by="name", known=["IMBABURA"]) is None
