from django.urls import path

from . import views

app_name = "ledger"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:number>/", views.ledger_detail, name="detail"),
    path("accounts/<str:account_id>/", views.account_detail, name="account"),
    path("journal/", views.journal, name="journal"),
    path("verify/", views.verify, name="verify"),
]
