"""HTML pages of people and organisations: the public directory (HTMX-enhanced, works without
JavaScript), organisation and person pages (public fields only), the Popolo export, and the
form with which officials and administrators register an organisation."""

import hashlib
import json
import time
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from . import selectors, services
from .forms import DirectoryFilterForm, OrganizationRegisterForm


def _page_number(raw: str | None) -> int:
    try:
        return max(1, int(raw or "1"))
    except ValueError:
        return 1


# Rendered directory results are cached per process for this long, keyed on the data version
# (selectors.directory_version); the TTL only bounds memory.
DIRECTORY_CACHE_S = 300
# The data version itself is re-read at most this often per process: the directory may lag a
# write by up to this long, which a public listing can afford (the organisation's own page,
# where a registration lands, is never cached).
DIRECTORY_VERSION_TTL_S = 2.0
_version_memo: tuple[float, str] = (0.0, "")


def _directory_version() -> str:
    global _version_memo
    now = time.monotonic()
    read_at, version = _version_memo
    if not version or now - read_at > DIRECTORY_VERSION_TTL_S:
        version = selectors.directory_version()
        _version_memo = (now, version)
    return version


# The query parameters the directory reads, in the order of its cache keys and links.
DIRECTORY_PARAMS = ("q", "territory", "classification", "page")


def _directory_query(request: HttpRequest) -> str:
    """The query string reduced to what the directory reads, in a fixed order: the cache key
    of a page (parameters it ignores, like a tracker's, do not multiply the entries) and the
    address the language links come back to."""
    return urlencode([(k, v) for k in DIRECTORY_PARAMS if (v := request.GET.get(k, "").strip())])


def _cache_key(kind: str, request: HttpRequest) -> str:
    source = "|".join(
        [_directory_version(), translation.get_language() or "", kind, _directory_query(request)]
    )
    return f"actors:directory:{kind}:" + hashlib.sha256(source.encode()).hexdigest()


def _filter_territories() -> list[Any]:
    """The territory filter's choices, read once per data version (the heaviest query of a
    directory page rendered afresh, and the same for every query and language)."""
    key = (
        "actors:directory:territories:" + hashlib.sha256(_directory_version().encode()).hexdigest()
    )
    territories = cache.get(key)
    if not isinstance(territories, list):
        territories = selectors.territories_with_organizations()
        cache.set(key, territories, DIRECTORY_CACHE_S)
    return territories


def _directory_html(request: HttpRequest, *, htmx: bool) -> str:
    """The directory's filter form and results (or, for HTMX, the results and the count),
    rendered once per data version, language and query: the page is the busiest of the
    site (bench/http.py). Nothing user-specific is in it: the form is a GET form, no token."""
    key = _cache_key("htmx" if htmx else "body", request)
    cached = cache.get(key)
    if isinstance(cached, str):
        return cached
    form = DirectoryFilterForm(request.GET, territories=_filter_territories())
    territory = None
    classification = ""
    query = ""
    if form.is_valid():
        query = form.cleaned_data["q"]
        classification = form.cleaned_data["classification"]
        if form.cleaned_data["territory"] is not None:
            territory = selectors.territory_by_id(territory_id=form.cleaned_data["territory"])
    directory = selectors.organization_directory(
        territory=territory,
        classification=classification,
        query=query,
        page=_page_number(request.GET.get("page")),
    )
    params = {
        k: v
        for k, v in (
            ("q", query),
            ("territory", territory.pk if territory is not None else ""),
            ("classification", classification),
        )
        if v
    }
    context = {
        "form": form,
        "directory": directory,
        "query_string": urlencode(params),
        "filtered": bool(params),
        "oob": htmx,
    }
    template = "actors/_directory_results.html" if htmx else "actors/_directory.html"
    html = render_to_string(template, context)
    cache.set(key, html, DIRECTORY_CACHE_S)
    return html


def _page_is_shared(request: HttpRequest) -> bool:
    """Whether the whole page is the same for everyone who asks in this language: an anonymous
    visitor with no message waiting. The base template then holds nothing of theirs: no name,
    no logout form, no CSRF token (core/base.html renders those for signed-in people only)."""
    return not request.user.is_authenticated and len(messages.get_messages(request)) == 0


def _page_html(request: HttpRequest) -> str:
    body = mark_safe(_directory_html(request, htmx=False))  # noqa: S308 - our own template's output
    query = _directory_query(request)
    context = {
        "directory_body": body,
        # The language links come back to the page as cached, not as this request spelled it.
        "language_next": request.path + (f"?{query}" if query else ""),
    }
    return render_to_string("actors/organization_list.html", context, request=request)


@require_GET
def organization_list(request: HttpRequest) -> HttpResponse:
    # HTMX asks for the results region only; everyone else gets the whole page.
    if request.headers.get("HX-Request") == "true":
        response = HttpResponse(_directory_html(request, htmx=True))
    elif _page_is_shared(request):
        # The busiest page of the site: anonymous visitors get the whole page from the cache,
        # rendered once per data version, language and query, with no template work.
        # Kept as bytes: the response sends them as they are, with no encoding per request.
        key = _cache_key("page", request)
        page = cache.get(key)
        if not isinstance(page, bytes):
            page = _page_html(request).encode()
            cache.set(key, page, DIRECTORY_CACHE_S)
        response = HttpResponse(page)
    else:
        response = HttpResponse(_page_html(request))
    # The same URL answers with a fragment or a page: caches must keep them apart.
    response["Vary"] = "HX-Request"
    return response


@require_GET
def organization_detail(request: HttpRequest, pk: int) -> HttpResponse:
    detail = selectors.organization_detail(organization_id=pk)
    if detail is None:
        raise Http404(_("No existe esa organización."))
    return render(request, "actors/organization_detail.html", {"detail": detail})


@require_GET
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = selectors.person_public(person_id=pk)
    if person is None:
        raise Http404(_("No existe esa persona."))
    return render(request, "actors/person_detail.html", {"person": person})


@require_GET
def popolo_export(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(
        json.dumps(selectors.popolo_document(), ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = 'inline; filename="minga-popolo.json"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def organization_register(request: HttpRequest) -> HttpResponse:
    territories = selectors.territories_for_registration(user=request.user)
    if not territories:
        # Neither an administrator nor an official of any territory.
        raise PermissionDenied(
            _("Solo funcionarios/as y administradores registran organizaciones.")
        )
    form = OrganizationRegisterForm(request.POST or None, territories=territories)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        territory = selectors.territory_by_id(territory_id=data["area"])
        if not selectors.access_organization_register(user=request.user, territory=territory):
            form.add_error("area", _("No puede registrar organizaciones en ese territorio."))
        else:
            try:
                org = services.organization_create(
                    actor=request.user,
                    now=timezone.now(),
                    name=data["name"],
                    classification=data["classification"],
                    size=data["size"],
                    area_id=data["area"],
                    founding_date=data["founding_date"],
                    summary=data["summary"],
                    identifiers=[("EC-RUC", data["ruc"])] if data["ruc"] else [],
                )
            except services.ActorsError as e:
                field = e.field if e.field in form.fields else None
                form.add_error(field, e.message)
            else:
                messages.success(request, _("Organización registrada."))
                return redirect("actors:organization_detail", pk=org.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "actors/organization_register.html", {"form": form}, status=status)
