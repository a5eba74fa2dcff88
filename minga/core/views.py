import csv
import json
from typing import Any

from django.conf import settings
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.defaults import page_not_found

from . import opendata


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {"datasets": opendata.datasets()})


def open_data(request: HttpRequest) -> HttpResponse:
    return render(request, "core/open_data.html", {"datasets": opendata.datasets()})


class _Echo:
    def write(self, value: str) -> str:
        return value


def open_data_download(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    ds = opendata.dataset(slug)
    if ds is None or fmt not in ds.formats:
        raise Http404("no such dataset or format")
    filename = f"minga-{ds.slug}.{fmt}"
    if fmt == "csv":
        writer = csv.DictWriter(_Echo(), fieldnames=list(ds.columns), extrasaction="ignore")

        def lines() -> Any:
            yield writer.writeheader()
            for row in ds.rows():
                yield writer.writerow({k: _csv_cell(v) for k, v in row.items()})

        response: HttpResponse = StreamingHttpResponse(  # type: ignore[assignment] # streamed
            lines(), content_type="text/csv; charset=utf-8"
        )
    else:
        body = {
            "dataset": ds.slug,
            "name": str(ds.name),
            "licence": ds.licence,
            "columns": list(ds.columns),
            "rows": [{c: row.get(c) for c in ds.columns} for row in ds.rows()],
        }
        response = HttpResponse(
            json.dumps(body, ensure_ascii=False, default=str),
            content_type="application/json; charset=utf-8",
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _csv_cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else value


@never_cache
@require_GET
def language_switch(request: HttpRequest, lang: str) -> HttpResponse:
    """GET /i18n/<lang>/?next=<path>: remembers the language in its cookie and goes back to
    `next`. The header links here, so that public pages carry no form and no CSRF token and can
    be cached whole. Choosing a language changes nothing but how pages are shown, so it needs no
    CSRF protection; an unknown language or a `next` off this site is refused and nothing is
    set (an open redirect would let anyone send people elsewhere through a Minga link)."""
    available = [code for code, _name in settings.LANGUAGES]
    if lang not in available:
        return _bad_request(
            "language",
            _("Idioma desconocido: «%(lang)s». Idiomas disponibles: %(available)s.")
            % {"lang": lang, "available": ", ".join(available)},
        )
    next_url = request.GET.get("next", "") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return _bad_request("next", _("La dirección de regreso no es de este sitio."))
    response = HttpResponseRedirect(next_url)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        lang,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


def _bad_request(field: str, message: str) -> HttpResponse:
    return HttpResponseBadRequest(f"{field}: {message}\n", content_type="text/plain; charset=utf-8")


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The 404 handler (`handler404` in minga/urls.py). Under /api/ the answer is JSON with a
    message and the field at fault, like every other API error, so that a client that
    mistypes an address gets something it can parse; elsewhere it is Django's page."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"message": f"no API endpoint at {request.path}", "field": "path"}, status=404
        )
    return page_not_found(request, exception)
