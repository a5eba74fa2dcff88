from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from . import sections
from .forms import SearchForm
from .geo import svg_map
from .selectors import (
    territory_ancestors,
    territory_by_code,
    territory_children,
    territory_countries,
    territory_roots,
    territory_search,
)

PAGE_SIZE = 50


def territory_list(request: HttpRequest) -> HttpResponse:
    """Top-level territories of each country, and a search by name."""
    form = SearchForm(request.GET or None)
    page = None
    if form.is_valid():
        results = territory_search(query=form.cleaned_data["q"])
        page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    countries = [
        (country, list(territory_roots(country_code=country))) for country in territory_countries()
    ]
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(
        request,
        "territories/list.html",
        {"form": form, "page": page, "countries": countries},
        status=status,
    )


def territory_detail(request: HttpRequest, country_code: str, code: str) -> HttpResponse:
    territory = territory_by_code(country_code=country_code, code=code)
    if territory is None:
        raise Http404("no such territory")
    children = list(territory_children(territory))
    shapes = [("self", territory.geometry)] if territory.geometry else []
    shapes += [("child", c.geometry) for c in children if c.geometry]
    sources = sorted(
        {territory.geometry_source} | {c.geometry_source for c in children if c.geometry} - {""}
    )
    return render(
        request,
        "territories/detail.html",
        {
            "territory": territory,
            "ancestors": territory_ancestors(territory),
            "children": children,
            "child_level": children[0].level
            if children and len({c.level_id for c in children}) == 1
            else None,
            "map": svg_map(shapes),
            "mapped_children": sum(1 for c in children if c.geometry),
            "geometry_sources": sources,
            "sections": sections.sections_for(territory),
        },
    )
