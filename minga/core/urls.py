from django.urls import path

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
]
