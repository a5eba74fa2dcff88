"""URLs. Each app with a `urls` module is included at /<app label>/ (the core at /)."""

from importlib.util import find_spec

from django.apps import apps
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from .api import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("minga.core.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]

for _config in apps.get_app_configs():
    if (
        _config.name.startswith("minga.")
        and _config.name != "minga.core"
        and find_spec(f"{_config.name}.urls") is not None
    ):
        urlpatterns.append(path(f"{_config.label}/", include(f"{_config.name}.urls")))

# Under /api/ an unknown address answers JSON, like every other API error.
handler404 = "minga.core.views.not_found"
