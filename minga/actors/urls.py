from django.urls import path

from . import views

app_name = "actors"
urlpatterns = [
    path("", views.organization_list, name="organization_list"),
    path("organizations/new/", views.organization_register, name="organization_register"),
    path("organizations/<int:pk>/", views.organization_detail, name="organization_detail"),
    path("people/<int:pk>/", views.person_detail, name="person_detail"),
    path("popolo.json", views.popolo_export, name="popolo"),
]
