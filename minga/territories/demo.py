"""Demo territory: Imbabura province, Cotacachi canton and its 11 parishes (INEC DPA codes and
names, written here by hand), with rough hand-drawn outlines so that the map shows.

The outlines are APPROXIMATE: a hand-made sketch of where the parishes lie (Intag to the west,
the town of Cotacachi to the east), not official boundaries."""

from datetime import datetime

from minga.core.accountlist import DemoAccount

from .geo import Feature
from .services import territories_geometry_attach, territories_import

ROWS: list[tuple[str, str, str, str]] = [
    # level, code, name, parent code
    ("provincia", "10", "IMBABURA", ""),
    ("canton", "1003", "COTACACHI", "10"),
    ("parroquia", "100301", "SAGRARIO", "1003"),
    ("parroquia", "100302", "SAN FRANCISCO", "1003"),
    ("parroquia", "100350", "COTACACHI", "1003"),
    ("parroquia", "100351", "APUELA", "1003"),
    ("parroquia", "100352", "GARCIA MORENO (LLURIMAGUA)", "1003"),
    ("parroquia", "100353", "IMANTAG", "1003"),
    ("parroquia", "100354", "PEÑAHERRERA", "1003"),
    ("parroquia", "100355", "PLAZA GUTIERREZ (CALVARIO)", "1003"),
    ("parroquia", "100356", "QUIROGA", "1003"),
    ("parroquia", "100357", "6 DE JULIO DE CUELLAJE", "1003"),
    ("parroquia", "100358", "VACAS GALINDO (EL CHURO)", "1003"),
]

GEOMETRY_SOURCE = "Contorno aproximado, dibujado a mano para la demostración (no oficial)"

# The sketch: six meridians from west to east, and on each the latitude of the canton's
# southern edge, of the line between the northern and southern parishes, and of the northern
# edge. Each parish is a quadrilateral between two meridians.
LONS = (-78.85, -78.62, -78.50, -78.40, -78.30, -78.20)
SOUTH = (0.22, 0.12, 0.14, 0.17, 0.15, 0.20)
MIDDLE = (0.30, 0.34, 0.31, 0.35, 0.32, 0.33)
NORTH = (0.46, 0.50, 0.52, 0.49, 0.47, 0.42)
NORTHERN = ("100357", "100354", "100358", "100355", "100353")  # west to east
SOUTHERN = ("100352", "100351", "100350", "100350")  # Cotacachi spans two columns
# The town (Sagrario, San Francisco) and Quiroga share the south-eastern column.
TOWN_LAT = 0.25
TOWN_LON = -78.25


def _ring(points: list[tuple[float, float]]) -> list[list[float]]:
    return [[lon, lat] for lon, lat in [*points, points[0]]]


def _outlines() -> dict[str, list[list[list[float]]]]:
    shapes: dict[str, list[list[list[float]]]] = {}
    for i, code in enumerate(NORTHERN):
        shapes[code] = [
            _ring(
                [
                    (LONS[i], MIDDLE[i]),
                    (LONS[i + 1], MIDDLE[i + 1]),
                    (LONS[i + 1], NORTH[i + 1]),
                    (LONS[i], NORTH[i]),
                ]
            )
        ]
    shapes["100352"] = [
        _ring(
            [(LONS[0], SOUTH[0]), (LONS[1], SOUTH[1]), (LONS[1], MIDDLE[1]), (LONS[0], MIDDLE[0])]
        )
    ]
    shapes["100351"] = [
        _ring(
            [(LONS[1], SOUTH[1]), (LONS[2], SOUTH[2]), (LONS[2], MIDDLE[2]), (LONS[1], MIDDLE[1])]
        )
    ]
    shapes["100350"] = [
        _ring(
            [
                (LONS[2], SOUTH[2]),
                (LONS[3], SOUTH[3]),
                (LONS[4], SOUTH[4]),
                (LONS[4], MIDDLE[4]),
                (LONS[3], MIDDLE[3]),
                (LONS[2], MIDDLE[2]),
            ]
        )
    ]
    shapes["100356"] = [
        _ring([(LONS[4], SOUTH[4]), (LONS[5], SOUTH[5]), (LONS[5], TOWN_LAT), (LONS[4], TOWN_LAT)])
    ]
    shapes["100301"] = [
        _ring(
            [
                (LONS[4], TOWN_LAT),
                (TOWN_LON, TOWN_LAT),
                (TOWN_LON, MIDDLE[4] + 0.005),
                (LONS[4], MIDDLE[4]),
            ]
        )
    ]
    shapes["100302"] = [
        _ring(
            [
                (TOWN_LON, TOWN_LAT),
                (LONS[5], TOWN_LAT),
                (LONS[5], MIDDLE[5]),
                (TOWN_LON, MIDDLE[4] + 0.005),
            ]
        )
    ]
    # The canton: the outer edge of the parishes, south edge west to east, north edge back.
    outline = [(lon, lat) for lon, lat in zip(LONS, SOUTH, strict=True)]
    outline += [(lon, lat) for lon, lat in reversed(list(zip(LONS, NORTH, strict=True)))]
    shapes["1003"] = [_ring(outline)]
    return shapes


def load(*, now: datetime) -> list[DemoAccount]:
    """Idempotent: a second run finds every row and outline unchanged and writes nothing."""
    territories_import(country_code="EC", rows=ROWS, actor="demo", now=now)
    features = [
        Feature(
            number=n,
            properties={"code": code},
            geometry={"type": "Polygon", "coordinates": rings},
        )
        for n, (code, rings) in enumerate(sorted(_outlines().items()), start=1)
    ]
    territories_geometry_attach(
        country_code="EC",
        features=features,
        match_by="code",
        match_property="code",
        source=GEOMETRY_SOURCE,
        actor="demo",
        now=now,
    )
    return []
