from django.urls import path

from . import views

app_name = "socialincome"
urlpatterns = [
    path("", views.index, name="index"),
    path("wallet/", views.wallet, name="wallet"),
    path("code/", views.code, name="code"),
    path("services/<int:service_id>/<str:action>/", views.service_action, name="service_action"),
    path("<slug:slug>/", views.books, name="books"),
    path("<slug:slug>/manage/", views.programme_manage, name="manage"),
    path("<slug:slug>/provider/", views.provider, name="provider"),
    path(
        "<slug:slug>/settlements/<int:batch_id>/<str:fmt>/",
        views.payment_file,
        name="payment_file",
    ),
    path(
        "<slug:slug>/households/<int:household_id>/",
        views.household_record,
        name="household",
    ),
]
