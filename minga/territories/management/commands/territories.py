"""`minga territories import FILE.csv [--country EC] [--levels ...] [--geometry FILE.geojson
--match-by name [--match-property NAME] [--match-level KEY]]`.

All or nothing: a bad row prints "línea N: motivo" (one per line) on stderr, the command exits
with status 1, and nothing is imported. Running it twice changes nothing the second time."""

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from minga.territories.geo import (
    Feature,
    GeoJSONError,
    features_parse,
    match_property_guess,
    shared_properties,
)
from minga.territories.selectors import territory_levels, territory_rows_by_name_key
from minga.territories.services import (
    DEFAULT_LEVELS,
    TerritoryImportError,
    TerritoryInputError,
    territories_geometry_attach,
    territories_import,
    territory_rows_read,
)

BAR_WIDTH = 30
GEOMETRY_SOURCE_MAX = 300  # Territory.geometry_source's max_length


def levels_parse(text: str) -> list[tuple[str, str]]:
    """ "provincia,canton,parroquia" or "region:Región,municipio:Municipio" (key:name)."""
    out: list[tuple[str, str]] = []
    for item in text.split(","):
        key, _sep, name = item.strip().partition(":")
        key = key.strip()
        out.append((key, name.strip() or key.replace("-", " ").replace("_", " ").capitalize()))
    return out


class Command(BaseCommand):
    help = (
        "Territorios: `import` lee una lista de territorios (CSV) y, opcionalmente, sus contornos."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser(
            "import", help="importa un CSV: nivel, código, nombre, código del padre"
        )
        imp.add_argument("file", help="archivo CSV (UTF-8)")
        imp.add_argument("--country", default="EC", help="código ISO 3166-1 del país (EC)")
        imp.add_argument(
            "--levels",
            default="",
            help="niveles de arriba abajo: provincia,canton,parroquia (o clave:Nombre,...); por "
            "defecto los ya definidos para el país",
        )
        imp.add_argument("--geometry", default="", help="archivo GeoJSON con los contornos")
        imp.add_argument("--match-by", default="name", choices=["name", "code"])
        imp.add_argument(
            "--match-property",
            default="",
            help="propiedad de cada elemento GeoJSON que se compara (por defecto: name o code "
            "si todos los elementos la tienen; si no, la que coincide con más territorios)",
        )
        imp.add_argument("--match-level", default="", help="nivel de los contornos (opcional)")
        imp.add_argument("--geometry-source", default="", help="fuente o atribución del GeoJSON")

    _bar_open = False
    _guessed_property = ""

    def _known_labels(self, path: Path, country: str, match_by: str) -> set[str]:
        """Names (or codes) of the country's territories, those already stored and those in
        the file about to be imported, to guess which GeoJSON property holds them. A file
        with bad rows gives none of its own: the import reports those rows."""
        key = "code" if match_by == "code" else "name_key"
        known = {str(row[key]) for row in territory_rows_by_name_key(country_code=country)}
        try:
            rows = territory_rows_read(data=path.read_bytes())
        except TerritoryImportError:
            return known
        return known | {row.code if match_by == "code" else row.name for row in rows}

    def _fail(self, lines: list[str]) -> None:
        if self._bar_open:
            self.stderr.write("")
        for line in lines:
            self.stderr.write(line)
        self.stderr.write(_("No se importó nada."))
        sys.exit(1)

    def _bar(self, done: int, total: int) -> None:
        filled = BAR_WIDTH * done // max(total, 1)
        percent = 100 * done // max(total, 1)
        end = "\n" if done >= total else ""
        self._bar_open = done < total
        self.stderr.write(
            f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {percent:3d}% {done}/{total}",
            ending=end,
        )
        self.stderr.flush()

    def _geometry_options_check(
        self,
        features: list[Feature],
        country: str,
        levels: list[tuple[str, str]] | None,
        options: dict[str, Any],
    ) -> None:
        """The matching options are checked before the import, so that a mistake in them
        leaves the database as it was."""
        prop = options["match_property"] or options["match_by"]
        missing = [str(f.number) for f in features if not str(f.properties.get(prop) or "")]
        if missing and options["match_property"]:
            message = _(
                "match-property: los elementos %(numbers)s no tienen la propiedad «%(prop)s»"
            ) % {"numbers": ", ".join(missing[:20]), "prop": prop}
        elif missing:
            # No property named, and none found whose values match the territories.
            message = _(
                "match-property: los elementos %(numbers)s no tienen la propiedad «%(prop)s» y "
                "ninguna otra propiedad es la única que coincide con los territorios; elija una "
                "con --match-property (propiedades de todos los elementos: %(props)s)"
            ) % {
                "numbers": ", ".join(missing[:20]),
                "prop": prop,
                "props": ", ".join(shared_properties(features)) or "—",
            }
        if missing:
            self._fail([message])
        if len(options["geometry_source"]) > GEOMETRY_SOURCE_MAX:
            # Checked here too: refused after the import, it would leave the rows imported.
            self._fail(
                [
                    _("geometry-source: tiene más de %(max)d caracteres")
                    % {"max": GEOMETRY_SOURCE_MAX}
                ]
            )
        level = options["match_level"]
        known = {lv.key for lv in territory_levels(country_code=country)}
        known |= {k for k, _n in (levels or DEFAULT_LEVELS.get(country, ()))}
        if level and level not in known:
            self._fail(
                [
                    _("match-level: nivel desconocido «%(level)s» (niveles: %(levels)s)")
                    % {"level": level, "levels": ", ".join(sorted(known)) or "—"}
                ]
            )

    def handle(self, *args: Any, **options: Any) -> None:
        assert options["action"] == "import", "argparse allows only the known subcommands"
        path = Path(options["file"])
        if not path.is_file():
            self._fail([_("archivo: no existe %(path)s") % {"path": path}])
        country = str(options["country"]).upper()
        levels = levels_parse(options["levels"]) if options["levels"] else None

        features = None
        if options["geometry"]:
            geometry_path = Path(options["geometry"])
            if not geometry_path.is_file():
                self._fail([_("geometry: no existe %(path)s") % {"path": geometry_path}])
            # Read and checked before anything is written, so a bad GeoJSON imports nothing.
            try:
                features = features_parse(geometry_path.read_bytes())
            except GeoJSONError as exc:
                self._fail([f"{geometry_path.name}: {e}" for e in exc.errors])
            assert features is not None
            if not options["match_property"]:
                guessed = match_property_guess(
                    features,
                    match_by=options["match_by"],
                    known=self._known_labels(path, country, options["match_by"]),
                )
                if guessed is not None and guessed != options["match_by"]:
                    self._guessed_property = guessed
                    options["match_property"] = guessed
            self._geometry_options_check(features, country, levels, options)

        now = timezone.now()
        try:
            report = territories_import(
                country_code=country,
                data=path.read_bytes(),
                levels=levels,
                actor="cli",
                now=now,
                progress=self._bar,
            )
        except TerritoryImportError as exc:
            self._fail([str(e) for e in exc.errors])
        except TerritoryInputError as exc:
            self._fail([f"{exc.field}: {exc.message}"])
        self.stdout.write(
            _(
                "%(country)s: %(created)d creados, %(updated)d actualizados, "
                "%(unchanged)d sin cambios"
            )
            % {
                "country": country,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
            }
        )
        if features is None:
            return
        match_by = options["match_by"]
        if self._guessed_property:
            self.stdout.write(
                _("contornos: se compara la propiedad «%(prop)s» de cada elemento")
                % {"prop": self._guessed_property}
            )
        try:
            geo = territories_geometry_attach(
                country_code=country,
                features=features,
                match_by=match_by,
                match_property=options["match_property"] or match_by,
                level=options["match_level"],
                source=options["geometry_source"] or Path(options["geometry"]).name,
                actor="cli",
                now=timezone.now(),
            )
        except TerritoryInputError as exc:
            self._fail([f"{exc.field}: {exc.message}"])
        self.stdout.write(
            _(
                "contornos: %(matched)d emparejados en el nivel «%(level)s», "
                "%(updated)d actualizados"
            )
            % {"matched": len(geo.matched), "level": geo.level or "—", "updated": geo.updated}
        )
        for number, label in geo.unmatched:
            self.stdout.write(
                _("elemento %(n)d «%(label)s»: no coincide con ningún territorio")
                % {"n": number, "label": label}
            )
        for number, label, codes in geo.ambiguous:
            self.stdout.write(
                _("elemento %(n)d «%(label)s»: ambiguo (%(codes)s), no se usó")
                % {"n": number, "label": label, "codes": ", ".join(codes)}
            )
