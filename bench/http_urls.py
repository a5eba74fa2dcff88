"""The URLs of the benchmark's site: Minga's own, plus one minimal Django view
(`/bench/minimal`) that exists only here, so that the directory is measured beside the cheapest
page that the same server, middleware and settings can give."""

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, include, path


def minimal(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns: list[URLPattern | URLResolver] = [
    path("bench/minimal", minimal),
    path("", include("minga.urls")),
]
