"""Pure helpers of the territories app: folding names for matching, reading GeoJSON, and
projecting outlines into an SVG viewBox. No database here, so they are easy to test."""

import json
import math
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

# Outlines are drawn in a box this wide (or tall); coordinates are rounded to 0.1 of a unit, so
# a province with 10,000 points shrinks to the few hundred that still show on a phone screen.
SVG_SIZE = 1000
SVG_DECIMALS = 1
GEOMETRY_TYPES = ("Polygon", "MultiPolygon")
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def name_fold(name: str) -> str:
    """The matching key of a name: accents removed, lower case, every run of punctuation or
    spaces made one space. "SANTO DOMINGO DE LOS TSÁCHILAS" and "Santo Domingo de los
    Tsachilas" fold to the same key; "Cañar" and "CANAR" too."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return _NOT_ALNUM.sub(" ", bare).strip()


@dataclass(frozen=True)
class Feature:
    number: int  # 1-based position in the file, for messages
    properties: dict[str, Any]
    geometry: dict[str, Any]


def _label_matches(label: str, match_by: str, known: set[str]) -> bool:
    """The same test as the attach service: a code exactly; a name folded, or as a whole-word
    prefix either way ("Santo Domingo" for "SANTO DOMINGO DE LOS TSÁCHILAS")."""
    if match_by == "code":
        return label.strip() in known
    key = name_fold(label)
    if not key:
        return False
    return key in known or any(k.startswith(key + " ") or key.startswith(k + " ") for k in known)


def match_property_guess(
    features: Sequence[Feature], *, match_by: str, known: Iterable[str]
) -> str | None:
    """The feature property to compare when none is named: `match_by` itself ("name" or
    "code") when every feature has it; otherwise the property, carried by every feature, with
    the most distinct values that match known territory labels (folded names, or codes). None
    when no property matches any territory, or when two match equally many: then the user must
    name one. Outline files name their property as they like ("province", "NAME_1",
    "DPA_PROVIN")."""
    assert match_by in ("name", "code"), "match_by is checked by the caller"

    def present(feature: Feature, prop: str) -> bool:
        value = feature.properties.get(prop)
        return isinstance(value, str | int) and not isinstance(value, bool) and str(value) != ""

    if features and all(present(f, match_by) for f in features):
        return match_by
    candidates = [p for p in shared_properties(features) if all(present(f, p) for f in features)]
    wanted = set(known) if match_by == "code" else {name_fold(k) for k in known} - {""}
    # Distinct values count, not features: a property that says "Ecuador" on every outline
    # matches a parish called ECUADOR 24 times, and is still no way to tell the outlines apart.
    scores = {
        p: len(
            {
                str(f.properties[p])
                for f in features
                if _label_matches(str(f.properties[p]), match_by, wanted)
            }
        )
        for p in candidates
    }
    best = max(scores.values(), default=0)
    winners = [p for p, score in scores.items() if score == best]
    if best == 0 or len(winners) > 1:
        return None
    return winners[0]


def shared_properties(features: Sequence[Feature]) -> list[str]:
    """The properties that every feature carries with a value, sorted: named in the message
    that asks for --match-property."""
    if not features:
        return []
    common = set.intersection(*(set(f.properties) for f in features))
    return sorted(p for p in common if all(str(f.properties.get(p) or "") for f in features))


class GeoJSONError(Exception):
    """A GeoJSON file that cannot be used; `errors` lists every problem found, one per item."""

    def __init__(self, errors: list[str]) -> None:
        assert errors, "a GeoJSONError names at least one problem"
        self.errors = errors
        super().__init__("\n".join(errors))


def _position_error(position: Any) -> str | None:
    if not isinstance(position, list | tuple) or len(position) < 2:
        return _("una posición no es un par [longitud, latitud]")
    lon, lat = position[0], position[1]
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lon, lat)):
        return _("una coordenada no es un número")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return _("la posición [%(lon)s, %(lat)s] está fuera de rango") % {"lon": lon, "lat": lat}
    return None


def _polygon_error(polygon: Any) -> str | None:
    if not isinstance(polygon, list) or not polygon:
        return _("un polígono no tiene anillos")
    for ring in polygon:
        # GeoJSON asks for 4 positions or more; real files (OpenStreetMap exports) carry a few
        # degenerate slivers, which are accepted here and simply not drawn.
        if not isinstance(ring, list) or not ring:
            return _("un anillo está vacío")
        for position in ring:
            reason = _position_error(position)
            if reason is not None:
                return reason
    return None


def geometry_error(geometry: Any) -> str | None:
    """Why a GeoJSON geometry cannot be drawn as an outline, or None when it can."""
    if not isinstance(geometry, dict):
        return _("no tiene geometría")
    kind = geometry.get("type")
    if kind not in GEOMETRY_TYPES:
        return _("la geometría %(kind)s no se admite (solo Polygon o MultiPolygon)") % {
            "kind": kind
        }
    coordinates = geometry.get("coordinates")
    if not isinstance(coordinates, list) or not coordinates:
        return _("la geometría no tiene coordenadas")
    polygons = [coordinates] if kind == "Polygon" else coordinates
    for polygon in polygons:
        reason = _polygon_error(polygon)
        if reason is not None:
            return reason
    return None


def _is_position(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    )


def geometry_repair(geometry: Any) -> Any:
    """Wraps the bare rings that some exports put straight into a MultiPolygon (a list of
    positions where a polygon, a list of rings, belongs) so that what is stored is valid
    GeoJSON. Anything else is returned as it came."""
    if not isinstance(geometry, dict) or geometry.get("type") != "MultiPolygon":
        return geometry
    coordinates = geometry.get("coordinates")
    if not isinstance(coordinates, list):
        return geometry
    fixed = [
        [item] if isinstance(item, list) and item and _is_position(item[0]) else item
        for item in coordinates
    ]
    return {**geometry, "coordinates": fixed}


def features_parse(data: bytes) -> list[Feature]:
    """Reads a GeoJSON FeatureCollection (or a single Feature). Every feature must carry a
    Polygon or MultiPolygon; every problem is reported, numbered from 1."""
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise GeoJSONError([_("el archivo GeoJSON no es UTF-8 válido")]) from None
    except json.JSONDecodeError as exc:
        raise GeoJSONError(
            [
                _("el archivo no es JSON válido (línea %(line)d): %(msg)s")
                % {"line": exc.lineno, "msg": exc.msg}
            ]
        ) from None
    if isinstance(document, dict) and document.get("type") == "Feature":
        raw_features: Any = [document]
    elif isinstance(document, dict) and document.get("type") == "FeatureCollection":
        raw_features = document.get("features")
    else:
        raise GeoJSONError([_("el archivo no es un FeatureCollection ni un Feature de GeoJSON")])
    if not isinstance(raw_features, list) or not raw_features:
        raise GeoJSONError([_("el FeatureCollection no tiene elementos (features)")])
    features: list[Feature] = []
    errors: list[str] = []
    for number, raw in enumerate(raw_features, start=1):
        if not isinstance(raw, dict) or raw.get("type") != "Feature":
            errors.append(_("elemento %(n)d: no es un Feature") % {"n": number})
            continue
        properties = raw.get("properties") or {}
        if not isinstance(properties, dict):
            errors.append(_("elemento %(n)d: las propiedades no son un objeto") % {"n": number})
            continue
        geometry = geometry_repair(raw.get("geometry"))
        reason = geometry_error(geometry)
        if reason is not None:
            errors.append(_("elemento %(n)d: %(reason)s") % {"n": number, "reason": reason})
            continue
        features.append(Feature(number=number, properties=properties, geometry=geometry))
    if errors:
        raise GeoJSONError(errors)
    return features


def _rings(geometry: dict[str, Any]) -> Iterator[Sequence[Sequence[float]]]:
    polygons = (
        [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    )
    for polygon in polygons:
        yield from polygon


@dataclass(frozen=True)
class SvgMap:
    width: float
    height: float
    paths: list[tuple[str, str]]  # (role, d): role is "self" or "child"

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width:g} {self.height:g}"


def svg_map(shapes: Sequence[tuple[str, dict[str, Any]]]) -> SvgMap | None:
    """Projects outlines into one SVG box. `shapes` are (role, GeoJSON geometry); the first
    shapes set the frame. Longitude is scaled by the cosine of the middle latitude
    (equirectangular projection), which is faithful enough at the scale of a province."""
    drawable = [(role, g) for role, g in shapes if geometry_error(g) is None]
    if not drawable:
        return None
    frame = [g for role, g in drawable if role == "self"] or [g for _r, g in drawable]
    lons = [p[0] for g in frame for ring in _rings(g) for p in ring]
    lats = [p[1] for g in frame for ring in _rings(g) for p in ring]
    min_lon, max_lon, min_lat, max_lat = min(lons), max(lons), min(lats), max(lats)
    x_scale = math.cos(math.radians((min_lat + max_lat) / 2))
    span_x = max((max_lon - min_lon) * x_scale, 1e-9)
    span_y = max(max_lat - min_lat, 1e-9)
    unit = SVG_SIZE / max(span_x, span_y)
    width, height = round(span_x * unit, SVG_DECIMALS), round(span_y * unit, SVG_DECIMALS)

    def point(p: Sequence[float]) -> tuple[float, float]:
        x = (p[0] - min_lon) * x_scale * unit
        y = (max_lat - p[1]) * unit  # SVG's y grows downwards; latitude grows upwards
        return round(x, SVG_DECIMALS), round(y, SVG_DECIMALS)

    paths: list[tuple[str, str]] = []
    for role, geometry in drawable:
        parts: list[str] = []
        for ring in _rings(geometry):
            points: list[tuple[float, float]] = []
            for p in ring:
                q = point(p)
                if not points or points[-1] != q:
                    points.append(q)
            if len(points) > 1 and points[-1] == points[0]:
                points.pop()  # "Z" closes the ring
            if len(points) < 3:
                continue  # a ring smaller than the rounding step does not show
            parts.append("M" + "L".join(f"{x:g} {y:g}" for x, y in points) + "Z")
        if parts:
            paths.append((role, "".join(parts)))
    if not paths:
        return None
    return SvgMap(width=width, height=height, paths=paths)
