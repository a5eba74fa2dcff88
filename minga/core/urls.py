from django.urls import path, re_path

from . import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("open-data/", views.open_data, name="open_data"),
    path(
        "open-data/<slug:slug>.<str:fmt>",
        views.open_data_download,
        name="open_data_download",
    ),
    # Before Django's own i18n/ URLs (minga/urls.py includes the core first); the pattern
    # cannot match "setlang", so Django's POST view stays reachable at i18n/setlang/.
    re_path(
        r"^i18n/(?P<lang>[a-z]{2,3}(?:-[a-z0-9]{2,8})?)/$",
        views.language_switch,
        name="language",
    ),
]
