"""/api/v1/territories/: public reads of the territories (no token needed)."""

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Query, Router, Schema
from pydantic import Field

from minga.apierrors import FieldError

from .models import Territory
from .selectors import (
    territory_ancestors,
    territory_by_code,
    territory_children,
    territory_search,
)

router = Router(tags=["territories"])

MAX_PAGE_SIZE = 200


class TerritoryOut(Schema):
    country_code: str
    level: str
    code: str
    name: str
    parent_code: str | None
    depth: int
    has_geometry: bool
    url: str


class TerritoryPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[TerritoryOut]


class TerritoryDetail(TerritoryOut):
    level_name: str
    ancestors: list[TerritoryOut]
    children: list[TerritoryOut]
    geometry_source: str


class ListFilters(Schema):
    q: str = Field("", max_length=100, description="part of the name; case and accents ignored")
    country: str = Field("", pattern=r"^([A-Za-z]{2})?$", description="ISO 3166-1 alpha-2")
    level: str = Field("", max_length=40, description="level key, e.g. canton")
    parent: str = Field("", max_length=20, description="code of the parent territory")
    page: int = Field(1, ge=1, le=100_000)
    page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE)


def _out(t: Territory, parent_code: str | None = None) -> dict[str, Any]:
    if parent_code is None and t.parent_id is not None:
        parent_code = t.parent.code if t.parent else None
    return {
        "country_code": t.country_code,
        "level": t.level.key,
        "code": t.code,
        "name": t.name,
        "parent_code": parent_code,
        "depth": t.depth,
        "has_geometry": t.geometry is not None,
        "url": reverse("territories:detail", args=[t.country_code, t.code]),
    }


def _get(country: str, code: str) -> Territory:
    territory = territory_by_code(country_code=country, code=code)
    if territory is None:
        raise FieldError(
            404, f"no territory with code {code!r} in country {country.upper()!r}", "code"
        )
    return territory


@router.get("/", response=TerritoryPage, summary="List or search territories")
def territory_list(request: HttpRequest, filters: Query[ListFilters]) -> dict[str, Any]:
    qs = territory_search(
        query=filters.q,
        country_code=filters.country,
        level=filters.level,
        parent_code=filters.parent,
    )
    count = qs.count()
    start = (filters.page - 1) * filters.page_size
    if start and start >= count:
        raise FieldError(404, f"page {filters.page} is past the last page", "page")
    rows = qs[start : start + filters.page_size]
    return {
        "count": count,
        "page": filters.page,
        "page_size": filters.page_size,
        "results": [_out(t) for t in rows],
    }


@router.get(
    "/{country}/{code}", response=TerritoryDetail, summary="A territory, its parents and children"
)
def territory_detail(request: HttpRequest, country: str, code: str) -> dict[str, Any]:
    territory = _get(country, code)
    ancestors = territory_ancestors(territory)
    # The chain itself gives each ancestor's parent code: no query per ancestor.
    ancestors_out = [
        _out(a, parent_code=ancestors[i - 1].code if i else None) for i, a in enumerate(ancestors)
    ]
    children = [_out(c, parent_code=territory.code) for c in territory_children(territory)]
    return {
        **_out(territory),
        "level_name": territory.level.name,
        "ancestors": ancestors_out,
        "children": children,
        "geometry_source": territory.geometry_source,
    }


@router.get("/{country}/{code}/geometry", summary="A territory's outline as a GeoJSON Feature")
def territory_geometry(request: HttpRequest, country: str, code: str) -> dict[str, Any]:
    territory = _get(country, code)
    if territory.geometry is None:
        raise FieldError(404, f"territory {code!r} has no geometry", "code")
    return {
        "type": "Feature",
        "geometry": territory.geometry,
        "properties": {
            "country_code": territory.country_code,
            "code": territory.code,
            "name": territory.name,
            "level": territory.level.key,
            "source": territory.geometry_source,
        },
    }
