"""Writes of the territories app: defining a country's levels, importing a list of territories
(the shape of INEC's DPA list) and attaching GeoJSON outlines.

An import is all or nothing: every row is checked first, every problem is reported with its
line number, and if any row is bad nothing is written. Re-importing the same file changes
nothing; a file with new names or new rows updates and adds, never duplicates."""

import csv
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from minga.core.services import audit_record

from .geo import Feature, name_fold
from .models import Territory, TerritoryLevel
from .selectors import territory_index, territory_levels, territory_rows_by_name_key

# Ecuador's political-administrative division (INEC DPA), under the country.
ECUADOR_LEVELS: tuple[tuple[str, str], ...] = (
    ("provincia", "Provincia"),
    ("canton", "Cantón"),
    ("parroquia", "Parroquia"),
)
DEFAULT_LEVELS: dict[str, tuple[tuple[str, str], ...]] = {"EC": ECUADOR_LEVELS}

HEADER = ("level", "code", "name", "parent_code")
CODE_MAX = Territory._meta.get_field("code").max_length or 20
NAME_MAX = Territory._meta.get_field("name").max_length or 200
PATH_MAX = Territory._meta.get_field("path").max_length or 500
LEVEL_NAME_MAX = TerritoryLevel._meta.get_field("name").max_length or 100
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_LEVEL_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_CODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]*$")

Progress = Callable[[int, int], None]


class TerritoryInputError(Exception):
    """A bad argument (country, level list, match option): names the field at fault."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True, order=True)
class LineError:
    line: int
    reason: str

    def __str__(self) -> str:
        return _("línea %(line)d: %(reason)s") % {"line": self.line, "reason": self.reason}


class TerritoryImportError(Exception):
    """Bad rows in an import: `errors` has every one, in line order. Nothing was written."""

    def __init__(self, errors: Sequence[LineError]) -> None:
        assert errors, "an import error names at least one bad line"
        self.errors = sorted(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


@dataclass(frozen=True)
class ImportRow:
    line: int
    level: str
    code: str
    name: str
    parent_code: str


@dataclass(frozen=True)
class ImportReport:
    created: int
    updated: int
    unchanged: int
    levels_created: tuple[str, ...] = ()

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.unchanged


def _country(country_code: str) -> str:
    code = (country_code or "").strip().upper()
    if not _COUNTRY.match(code):
        raise TerritoryInputError(
            "country",
            _("«%(value)s» no es un código de país ISO 3166-1 de dos letras")
            % {"value": country_code},
        )
    return code


# -- reading rows -------------------------------------------------------------------------------


def territory_rows_read(
    *, data: bytes | None = None, rows: Iterable[Sequence[str]] | None = None
) -> list[ImportRow]:
    """Turns a CSV file (bytes, UTF-8) or a list of rows into import rows, checking the
    encoding and the number of columns. Rows are level, code, name, parent code, and an
    optional fifth column (INEC's note_or_type) that is ignored. A first row that starts with
    "level" is a header. Line numbers count from 1, the header included."""
    read = _rows_read(data=data, rows=rows)
    if read.errors:
        raise TerritoryImportError(read.errors)
    return read.rows


@dataclass
class _Read:
    rows: list[ImportRow]
    errors: list[LineError]
    # Every cell of the malformed lines: one of them may be a code that good rows name as their
    # parent, and such a row must not be reported for a parent that is merely unreadable.
    stray_cells: set[str]
    # False when the CSV could not be read to its end: the rows after that point are unknown.
    complete: bool = True


def _rows_read(*, data: bytes | None, rows: Iterable[Sequence[str]] | None) -> _Read:
    """The well-formed rows, and a LineError for each of the others."""
    assert (data is None) != (rows is None), "give either data or rows"
    errors: list[LineError] = []
    stray: set[str] = set()
    complete = True
    numbered: list[tuple[int, list[str]]] = []
    if data is not None:
        numbered, complete = _csv_rows(data, errors, stray)
    else:
        assert rows is not None
        numbered = [(n, [str(c) for c in row]) for n, row in enumerate(rows, start=1)]
    result: list[ImportRow] = []
    first = True
    for line, cells in numbered:
        if not cells or all(not c.strip() for c in cells):
            continue  # blank lines carry nothing
        if first and cells[0].strip().lower() == "level":
            first = False
            continue
        first = False
        if len(cells) not in (4, 5):
            errors.append(
                LineError(
                    line,
                    _(
                        "se esperaban 4 o 5 columnas (nivel, código, nombre, código "
                        "del padre[, nota]); hay %(n)d"
                    )
                    % {"n": len(cells)},
                )
            )
            stray.update(c.strip() for c in cells)
            continue
        level, code, name, parent_code = (c.strip() for c in cells[:4])
        result.append(ImportRow(line, level, code, name, parent_code))
    return _Read(result, errors, stray, complete)


def _csv_rows(
    data: bytes, errors: list[LineError], stray: set[str]
) -> tuple[list[tuple[int, list[str]]], bool]:
    """Decodes line by line so that every badly encoded line is reported by number; the csv
    module then splits the good ones (quoted commas allowed). Returns the numbered rows and
    whether the file was read to its end."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    text_lines: list[str] = []
    for number, raw in enumerate(data.splitlines(keepends=True), start=1):
        try:
            text_lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            errors.append(LineError(number, _("el texto no es UTF-8 válido")))
            stray.update(c.strip() for c in raw.decode("utf-8", "replace").split(","))
            text_lines.append("\n")  # keeps the numbering of the lines after it
    reader = csv.reader(io.StringIO("".join(text_lines), newline=""))
    out: list[tuple[int, list[str]]] = []
    try:
        for cells in reader:
            out.append((reader.line_num, cells))
    except csv.Error as exc:
        errors.append(LineError(reader.line_num, _("CSV mal formado: %(msg)s") % {"msg": exc}))
        return out, False
    return out, True


# -- levels -------------------------------------------------------------------------------------


def _levels_plan(
    country_code: str, levels: Sequence[tuple[str, str]] | None
) -> tuple[list[str], list[tuple[str, str, int]]]:
    """Which level keys an import may use, and which levels must be created (key, name, rank).
    Existing levels keep their rank; new ones go below the deepest existing one."""
    existing = territory_levels(country_code=country_code)
    existing_keys = [lv.key for lv in existing]
    if levels is None:
        if existing:
            return existing_keys, []
        default = DEFAULT_LEVELS.get(country_code)
        if default is None:
            raise TerritoryInputError(
                "levels",
                _(
                    "el país %(country)s no tiene niveles definidos: indique la lista de niveles "
                    "(por ejemplo region,municipio,distrito)"
                )
                % {"country": country_code},
            )
        levels = default
    keys = [k for k, _name in levels]
    if not keys:
        raise TerritoryInputError("levels", _("la lista de niveles está vacía"))
    for key, name in levels:
        if not _LEVEL_KEY.match(key):
            raise TerritoryInputError(
                "levels",
                _("«%(key)s» no es una clave de nivel válida (minúsculas, cifras, - o _)")
                % {"key": key},
            )
        if not name.strip() or len(name) > LEVEL_NAME_MAX:
            raise TerritoryInputError(
                "levels",
                _("el nivel «%(key)s» necesita un nombre de 1 a %(max)d caracteres")
                % {"key": key, "max": LEVEL_NAME_MAX},
            )
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise TerritoryInputError(
            "levels", _("el nivel «%(key)s» aparece dos veces") % {"key": duplicates[0]}
        )
    known = [k for k in keys if k in existing_keys]
    if known != sorted(known, key=existing_keys.index):
        raise TerritoryInputError(
            "levels",
            _("el orden de los niveles no coincide con el ya definido (%(existing)s)")
            % {"existing": ", ".join(existing_keys)},
        )
    new = [k for k in keys if k not in existing_keys]
    if new and known and keys.index(new[0]) < keys.index(known[-1]):
        raise TerritoryInputError(
            "levels",
            _("el nivel nuevo «%(key)s» debe ir después de los ya definidos (%(existing)s)")
            % {"key": new[0], "existing": ", ".join(existing_keys)},
        )
    next_rank = (existing[-1].rank + 1) if existing else 0
    names = dict(levels)
    to_create = [(k, names[k], next_rank + i) for i, k in enumerate(new)]
    return keys, to_create


def _levels_create(country_code: str, to_create: list[tuple[str, str, int]]) -> None:
    TerritoryLevel.objects.bulk_create(
        TerritoryLevel(country_code=country_code, key=k, name=n, rank=r) for k, n, r in to_create
    )


@transaction.atomic(durable=True)
def territory_levels_define(
    *, country_code: str, levels: Sequence[tuple[str, str]], actor: Any, now: datetime
) -> list[TerritoryLevel]:
    """Defines a country's levels, top first ([("region", "Región"), ("municipio",
    "Municipio")]). Idempotent: levels already defined are kept; new ones are added below."""
    country_code = _country(country_code)
    _keys, to_create = _levels_plan(country_code, levels)
    if to_create:
        _levels_create(country_code, to_create)
        audit_record(
            actor=actor,
            action="territories.levels_define",
            object_type="territories.TerritoryLevel",
            object_id=country_code,
            before=None,
            after={"created": [k for k, _n, _r in to_create]},
            now=now,
        )
    return territory_levels(country_code=country_code)


# -- importing ----------------------------------------------------------------------------------


@dataclass
class _Plan:
    """What a file says each territory of the country should be, merged over what exists."""

    level: dict[str, str] = field(default_factory=dict)
    name: dict[str, str] = field(default_factory=dict)
    parent: dict[str, str] = field(default_factory=dict)


def _rows_check(
    rows: list[ImportRow],
    *,
    existing: dict[str, dict[str, Any]],
    level_keys: list[str],
    level_rank: dict[str, int],
    all_rank: dict[str, int],
    stray_cells: set[str],
) -> list[LineError]:
    errors: list[LineError] = []
    known_codes = {r.code for r in rows if r.code} | existing.keys()
    existing_folded = {c.upper(): c for c in existing}
    seen: dict[str, ImportRow] = {}
    ok: list[ImportRow] = []
    for row in rows:
        bad = False
        if not row.code:
            errors.append(LineError(row.line, _("el código está vacío")))
            bad = True
        elif len(row.code) > CODE_MAX or not _CODE.match(row.code):
            errors.append(
                LineError(
                    row.line,
                    _("el código «%(code)s» no es válido (hasta %(max)d letras, cifras, . - o _)")
                    % {"code": row.code, "max": CODE_MAX},
                )
            )
            bad = True
        else:
            earlier = seen.get(row.code.upper())
            if earlier is not None:
                errors.append(
                    LineError(
                        row.line,
                        _("el código «%(code)s» está repetido (ya aparece en la línea %(line)d)")
                        % {"code": row.code, "line": earlier.line},
                    )
                )
                continue
            seen[row.code.upper()] = row
            clash = existing_folded.get(row.code.upper())
            if clash is not None and clash != row.code:
                errors.append(
                    LineError(
                        row.line,
                        _(
                            "el código «%(code)s» solo difiere en mayúsculas del existente "
                            "«%(other)s»"
                        )
                        % {"code": row.code, "other": clash},
                    )
                )
                bad = True
        if not row.level:
            errors.append(LineError(row.line, _("el nivel está vacío")))
            bad = True
        elif row.level not in level_rank:
            errors.append(
                LineError(
                    row.line,
                    _("nivel desconocido «%(level)s» (niveles admitidos: %(levels)s)")
                    % {"level": row.level, "levels": ", ".join(level_keys)},
                )
            )
            bad = True
        if not row.name:
            errors.append(LineError(row.line, _("el nombre está vacío")))
            bad = True
        elif len(row.name) > NAME_MAX:
            errors.append(
                LineError(
                    row.line, _("el nombre tiene más de %(max)d caracteres") % {"max": NAME_MAX}
                )
            )
            bad = True
        if row.parent_code in stray_cells and row.parent_code not in known_codes:
            bad = True  # its parent may be on a malformed line, reported already
        elif row.parent_code and row.parent_code not in known_codes:
            errors.append(
                LineError(
                    row.line, _("el padre «%(parent)s» no existe") % {"parent": row.parent_code}
                )
            )
            bad = True
        if not bad:
            ok.append(row)
    # The hierarchy is checked on the good rows, within the hierarchy that every row with a
    # usable code describes, so that one pass reports every bad line.
    return errors + _hierarchy_check(
        ok, context=list(seen.values()), existing=existing, level_rank=all_rank
    )


def _hierarchy_check(
    rows: list[ImportRow],
    *,
    context: list[ImportRow],
    existing: dict[str, dict[str, Any]],
    level_rank: dict[str, int],
) -> list[LineError]:
    """Cycles, levels that do not descend, and paths too long for the database, in `rows`.
    `context` (a superset of `rows`) gives the parents of the file; a parent named by no row
    and no stored territory ends a chain (that row has its own error)."""
    parent = {c: (r["parent__code"] or "") for c, r in existing.items()}
    level = {c: r["level__key"] for c, r in existing.items()}
    for row in context:
        parent[row.code] = row.parent_code
        level[row.code] = row.level
    errors: list[LineError] = []
    in_cycle: set[str] = set()
    for row in rows:
        chain = [row.code]
        cursor = parent[row.code]
        while cursor and cursor not in chain and len(chain) <= len(parent):
            chain.append(cursor)
            cursor = parent.get(cursor, "")
        if cursor == row.code:
            in_cycle.add(row.code)
            shown = " → ".join([*chain, row.code])
            errors.append(
                LineError(row.line, _("ciclo en la jerarquía: %(chain)s") % {"chain": shown})
            )
        elif cursor:
            continue  # leads into a cycle reported on its own members' lines
        elif row.parent_code and level_rank.get(
            level.get(row.parent_code, ""), -1
        ) >= level_rank.get(row.level, -1):
            errors.append(
                LineError(
                    row.line,
                    _(
                        "un territorio de nivel «%(level)s» no puede estar bajo «%(parent)s», "
                        "de nivel «%(parent_level)s»"
                    )
                    % {
                        "level": row.level,
                        "parent": row.parent_code,
                        "parent_level": level[row.parent_code],
                    },
                )
            )
        else:
            path_length = 1 + sum(len(c) + 1 for c in chain)
            if path_length > PATH_MAX:
                errors.append(
                    LineError(
                        row.line,
                        _("la jerarquía es demasiado profunda (la ruta pasa de %(max)d caracteres)")
                        % {"max": PATH_MAX},
                    )
                )
    return errors


def _paths(parent: dict[str, str]) -> dict[str, tuple[str, int]]:
    """Materialised path and depth of every code, from a cycle-free parent map."""
    out: dict[str, tuple[str, int]] = {}

    def resolve(code: str) -> tuple[str, int]:
        stack = []
        cursor = code
        while cursor not in out:
            stack.append(cursor)
            up = parent[cursor]
            if not up:
                out[cursor] = (f"/{cursor}/", 0)
                stack.pop()
                break
            cursor = up
        while stack:
            node = stack.pop()
            up_path, up_depth = out[parent[node]]
            out[node] = (f"{up_path}{node}/", up_depth + 1)
        return out[code]

    for code in parent:
        resolve(code)
    return out


def territories_import(
    *,
    country_code: str,
    actor: Any,
    now: datetime,
    data: bytes | None = None,
    rows: Iterable[Sequence[str]] | None = None,
    levels: Sequence[tuple[str, str]] | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Imports a list of territories (CSV bytes or rows) for one country. `levels` lists the
    levels the file may use, top first, as (key, name); by default the country's existing
    levels (Ecuador's are created on first use). Raises TerritoryImportError with every bad
    line, or TerritoryInputError for a bad argument; either way nothing is written."""
    country_code = _country(country_code)
    read = _rows_read(data=data, rows=rows)
    if not read.rows and not read.errors:
        raise TerritoryImportError([LineError(1, _("el archivo no tiene filas de territorios"))])
    if not read.complete or not read.rows:
        # What follows a CSV syntax error is unknown: checking the rest would guess.
        raise TerritoryImportError(read.errors)
    return _import(
        country_code=country_code,
        rows=read.rows,
        malformed=read.errors,
        stray_cells=read.stray_cells,
        levels=levels,
        actor=actor,
        now=now,
        progress=progress or (lambda done, total: None),
    )


@transaction.atomic(durable=True)
def _import(
    *,
    country_code: str,
    rows: list[ImportRow],
    levels: Sequence[tuple[str, str]] | None,
    actor: Any,
    now: datetime,
    progress: Progress,
    malformed: Sequence[LineError] = (),
    stray_cells: set[str] | None = None,
) -> ImportReport:
    total = len(rows)
    level_keys, levels_to_create = _levels_plan(country_code, levels)
    existing = territory_index(country_code=country_code)
    ranks = {lv.key: lv.rank for lv in territory_levels(country_code=country_code)}
    ranks.update({k: r for k, _n, r in levels_to_create})
    allowed_rank = {k: ranks[k] for k in level_keys}
    # Every bad line is reported at once: rows with the wrong number of columns beside the
    # rows whose contents are wrong.
    errors = [
        *malformed,
        *_rows_check(
            rows,
            existing=existing,
            level_keys=level_keys,
            level_rank=allowed_rank,
            all_rank=ranks,
            stray_cells=stray_cells or set(),
        ),
    ]
    if errors:
        raise TerritoryImportError(errors)
    progress(0, total)

    if levels_to_create:
        _levels_create(country_code, levels_to_create)
    level_obj = {lv.key: lv for lv in territory_levels(country_code=country_code)}

    parent = {c: (r["parent__code"] or "") for c, r in existing.items()}
    for row in rows:
        parent[row.code] = row.parent_code
    paths = _paths(parent)

    new_rows = sorted((r for r in rows if r.code not in existing), key=lambda r: paths[r.code][1])
    ids = {c: r["id"] for c, r in existing.items()}
    done = 0
    # Parents first: one bulk insert per depth, so every parent has its id when its children
    # are inserted.
    for depth in sorted({paths[r.code][1] for r in new_rows}):
        batch = [r for r in new_rows if paths[r.code][1] == depth]
        Territory.objects.bulk_create(
            [
                Territory(
                    country_code=country_code,
                    level=level_obj[r.level],
                    code=r.code,
                    name=r.name,
                    name_key=name_fold(r.name),
                    parent_id=ids[r.parent_code] if r.parent_code else None,
                    path=paths[r.code][0],
                    depth=depth,
                    created_at=now,
                    updated_at=now,
                )
                for r in batch
            ],
            batch_size=500,
        )
        ids.update(
            Territory.objects.filter(
                country_code=country_code, code__in=[r.code for r in batch]
            ).values_list("code", "id")
        )
        done += len(batch)
        progress(done, total)

    in_file = {r.code: r for r in rows}
    updated_codes: list[str] = []
    changed: list[Territory] = []
    for code, old in existing.items():
        in_row = in_file.get(code)
        path, depth = paths[code]
        new_name = in_row.name if in_row else old["name"]
        new_level = in_row.level if in_row else old["level__key"]
        new_parent = parent[code]
        if in_row and (new_name, new_level, new_parent) != (
            old["name"],
            old["level__key"],
            old["parent__code"] or "",
        ):
            updated_codes.append(code)
        elif (path, depth) == (old["path"], old["depth"]):
            continue
        changed.append(
            Territory(
                id=old["id"],
                name=new_name,
                name_key=name_fold(new_name),
                level=level_obj[new_level],
                parent_id=ids[new_parent] if new_parent else None,
                path=path,
                depth=depth,
                updated_at=now,
            )
        )
    Territory.objects.bulk_update(
        changed,
        ["name", "name_key", "level", "parent", "path", "depth", "updated_at"],
        batch_size=500,
    )
    progress(total, total)

    report = ImportReport(
        created=len(new_rows),
        updated=len(updated_codes),
        unchanged=total - len(new_rows) - len(updated_codes),
        levels_created=tuple(k for k, _n, _r in levels_to_create),
    )
    assert report.rows == total, "every row is created, updated or unchanged"
    if report.created or report.updated or report.levels_created:
        audit_record(
            actor=actor,
            action="territories.import",
            object_type="territories.Territory",
            object_id=country_code,
            before=None,
            after={
                "rows": total,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "levels_created": list(report.levels_created),
                "paths_recomputed": len(changed) - len(updated_codes),
            },
            now=now,
        )
    return report


# -- geometry -----------------------------------------------------------------------------------

MATCH_BY = ("name", "code")


@dataclass(frozen=True)
class GeometryReport:
    level: str
    matched: list[tuple[int, str, str]]  # (feature number, feature label, territory code)
    unmatched: list[tuple[int, str]]
    ambiguous: list[tuple[int, str, list[str]]]
    updated: int


def _match(
    features: Sequence[Feature],
    labels: dict[int, str],
    candidates: list[dict[str, Any]],
    match_by: str,
) -> tuple[list[tuple[int, str, str]], list[tuple[int, str]], list[tuple[int, str, list[str]]]]:
    matched: list[tuple[int, str, str]] = []
    unmatched: list[tuple[int, str]] = []
    ambiguous: list[tuple[int, str, list[str]]] = []
    by_key: dict[str, list[str]] = {}
    for c in candidates:
        key = c["code"] if match_by == "code" else c["name_key"]
        by_key.setdefault(key, []).append(c["code"])
    taken: dict[str, int] = {}
    for f in features:
        label = labels[f.number]
        if match_by == "code":
            found = by_key.get(label.strip(), [])
        else:
            key = name_fold(label)
            found = by_key.get(key, [])
            if not found and key:
                # Names differ in places: "Santo Domingo" for "SANTO DOMINGO DE LOS
                # TSÁCHILAS". A whole-word prefix either way counts when it is unique.
                found = [
                    c["code"]
                    for c in candidates
                    if c["name_key"].startswith(key + " ") or key.startswith(c["name_key"] + " ")
                ]
        if not found:
            unmatched.append((f.number, label))
        elif len(found) > 1:
            ambiguous.append((f.number, label, sorted(found)))
        elif found[0] in taken:
            ambiguous.append((f.number, label, [found[0]]))
        else:
            taken[found[0]] = f.number
            matched.append((f.number, label, found[0]))
    return matched, unmatched, ambiguous


@transaction.atomic(durable=True)
def territories_geometry_attach(
    *,
    country_code: str,
    features: Sequence[Feature],
    match_by: str,
    match_property: str,
    source: str,
    actor: Any,
    now: datetime,
    level: str = "",
) -> GeometryReport:
    """Attaches GeoJSON outlines to a country's territories. Matching by name ignores case and
    accents; by code it is exact. Without `level`, names are matched at the level where most
    features find a territory (the shallower one on a tie). Features that match nothing, or
    more than one territory, are reported and left out; a feature without the matching
    property refuses the whole file."""
    country_code = _country(country_code)
    if match_by not in MATCH_BY:
        raise TerritoryInputError(
            "match_by",
            _("«%(value)s» no es un criterio de emparejamiento (name o code)")
            % {"value": match_by},
        )
    keys = [lv.key for lv in territory_levels(country_code=country_code)]
    if level and level not in keys:
        raise TerritoryInputError(
            "level",
            _("nivel desconocido «%(level)s» (niveles: %(levels)s)")
            % {"level": level, "levels": ", ".join(keys) or "—"},
        )
    if len(source) > Territory._meta.get_field("geometry_source").max_length:  # type: ignore[operator] # max_length is set
        raise TerritoryInputError("source", _("la fuente es demasiado larga"))
    missing = [f.number for f in features if not str(f.properties.get(match_property) or "")]
    if missing:
        raise TerritoryInputError(
            "match_property",
            _("los elementos %(numbers)s no tienen la propiedad «%(prop)s»")
            % {"numbers": ", ".join(str(n) for n in missing[:20]), "prop": match_property},
        )
    labels = {f.number: str(f.properties[match_property]) for f in features}

    if level or match_by == "code":
        chosen = level
        candidates = territory_rows_by_name_key(country_code=country_code, level=level)
        result = _match(features, labels, candidates, match_by)
    else:
        best: tuple[int, str, Any, list[dict[str, Any]]] | None = None
        for key in keys:
            candidates = territory_rows_by_name_key(country_code=country_code, level=key)
            attempt = _match(features, labels, candidates, match_by)
            if best is None or len(attempt[0]) > best[0]:
                best = (len(attempt[0]), key, attempt, candidates)
        if best is None:
            raise TerritoryInputError(
                "country", _("el país %(country)s no tiene territorios") % {"country": country_code}
            )
        _count, chosen, result, candidates = best
    matched, unmatched, ambiguous = result

    geometry_of = {f.number: f.geometry for f in features}
    current = {c["code"]: c for c in candidates}
    changed = [
        Territory(
            id=current[code]["id"],
            geometry=geometry_of[number],
            geometry_source=source,
            updated_at=now,
        )
        for number, _label, code in matched
        if (current[code]["geometry"], current[code]["geometry_source"])
        != (geometry_of[number], source)
    ]
    Territory.objects.bulk_update(changed, ["geometry", "geometry_source", "updated_at"])
    report = GeometryReport(
        level=chosen,
        matched=matched,
        unmatched=unmatched,
        ambiguous=ambiguous,
        updated=len(changed),
    )
    if changed:
        audit_record(
            actor=actor,
            action="territories.geometry_attach",
            object_type="territories.Territory",
            object_id=country_code,
            before=None,
            after={
                "source": source,
                "level": chosen,
                "matched": [code for _n, _l, code in matched],
                "unmatched": [label for _n, label in unmatched],
                "ambiguous": [label for _n, label, _c in ambiguous],
            },
            now=now,
        )
    return report
