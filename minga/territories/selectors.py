"""Reads of the territories app. Other apps reach territories only through these functions (and
the services); `territory_is_within` is the one their object-level permissions use."""

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.db.models import Count, Max, QuerySet

from .geo import name_fold
from .models import Territory, TerritoryLevel


def territory_by_code(*, country_code: str, code: str) -> Territory | None:
    return (
        Territory.objects.select_related("level", "parent")
        .filter(country_code=country_code.upper(), code=code)
        .first()
    )


def territory_ancestors(territory: Territory) -> list[Territory]:
    """The chain of parents, the root first and the direct parent last (one query: the codes
    are in the materialised path)."""
    codes = [c for c in territory.path.split("/") if c][:-1]
    if not codes:
        return []
    by_code = {
        t.code: t
        for t in Territory.objects.select_related("level").filter(
            country_code=territory.country_code, code__in=codes
        )
    }
    chain = [by_code[c] for c in codes]
    assert len(chain) == territory.depth, "the path holds one code per level above"
    return chain


def territory_children(territory: Territory) -> QuerySet[Territory]:
    return (
        Territory.objects.select_related("level")
        .filter(parent=territory)
        .annotate(children_count=Count("children"))
        .order_by("name", "code")
    )


def territory_descendants(territory: Territory) -> QuerySet[Territory]:
    """Everything under a territory, at any depth: one indexed prefix query on the path. Codes
    are unique per country regardless of case (the importer enforces it), so the prefix
    "/10/" cannot catch another branch even where LIKE ignores case."""
    return (
        Territory.objects.select_related("level")
        .filter(country_code=territory.country_code, path__startswith=territory.path)
        .exclude(pk=territory.pk)
        .order_by("path")
    )


def territory_is_within(territory: Territory, ancestor: Territory) -> bool:
    """True when `territory` is `ancestor` itself or lies anywhere under it. An official of
    Cotacachi acts for Cotacachi and for each of its parishes, never for Imbabura."""
    return territory.country_code == ancestor.country_code and territory.path.startswith(
        ancestor.path
    )


def territory_search(
    *, query: str = "", country_code: str = "", level: str = "", parent_code: str = ""
) -> QuerySet[Territory]:
    """Territories whose name contains the query, ignoring case and accents ("canar" finds
    CAÑAR), higher levels first."""
    qs = Territory.objects.select_related("level", "parent")
    if country_code:
        qs = qs.filter(country_code=country_code.upper())
    if level:
        qs = qs.filter(level__key=level)
    if parent_code:
        qs = qs.filter(parent__code=parent_code)
    key = name_fold(query)
    if key:
        qs = qs.filter(name_key__contains=key)
    return qs.order_by("country_code", "depth", "name", "code")


def territory_roots(*, country_code: str = "") -> QuerySet[Territory]:
    qs = Territory.objects.select_related("level").filter(parent__isnull=True)
    if country_code:
        qs = qs.filter(country_code=country_code.upper())
    return qs.annotate(children_count=Count("children")).order_by("country_code", "name", "code")


def territory_countries() -> list[str]:
    return list(
        Territory.objects.order_by("country_code").values_list("country_code", flat=True).distinct()
    )


def territory_levels(*, country_code: str) -> list[TerritoryLevel]:
    return list(TerritoryLevel.objects.filter(country_code=country_code.upper()).order_by("rank"))


def territory_index(*, country_code: str) -> dict[str, dict[str, Any]]:
    """Every territory of a country by code, as plain values: what the importer compares a file
    against."""
    rows = Territory.objects.filter(country_code=country_code).values(
        "id", "code", "name", "level__key", "parent__code", "path", "depth"
    )
    return {r["code"]: dict(r) for r in rows}


def territory_rows_by_name_key(*, country_code: str, level: str = "") -> list[dict[str, Any]]:
    qs = Territory.objects.filter(country_code=country_code)
    if level:
        qs = qs.filter(level__key=level)
    rows = qs.order_by("code").values(
        "id", "code", "name_key", "level__key", "geometry", "geometry_source"
    )
    return [dict(r) for r in rows]


def territories_open_data_rows() -> Iterator[dict[str, Any]]:
    """The public list of territories: country, level, code, name and parent code."""
    rows = (
        Territory.objects.order_by("country_code", "path")
        .values_list("country_code", "level__key", "code", "name", "parent__code")
        .iterator(chunk_size=2000)
    )
    for country_code, level, code, name, parent_code in rows:
        yield {
            "country_code": country_code,
            "level": level,
            "code": code,
            "name": name,
            "parent_code": parent_code or "",
        }


def territories_updated_at() -> datetime | None:
    value: datetime | None = Territory.objects.aggregate(at=Max("updated_at"))["at"]
    return value
