from django.urls import path

from . import views

app_name = "budgeting"
urlpatterns = [
    path("", views.process_list, name="list"),
    path("processes/new/", views.process_new, name="process_new"),
    path("projects/<int:pk>/", views.project_detail, name="project"),
    path("projects/<int:pk>/review/", views.review, name="review"),
    path("projects/<int:pk>/update/", views.project_update, name="project_update"),
    path("projects/<int:pk>/images/<int:image_id>/", views.project_image, name="project_image"),
    path("<slug:slug>/", views.process_detail, name="process"),
    path("<slug:slug>/propose/", views.propose, name="propose"),
    path(
        "<slug:slug>/categories/priority-needs/",
        views.take_priority_needs,
        name="take_priority_needs",
    ),
    path("<slug:slug>/review/", views.review_list, name="review_list"),
    path("<slug:slug>/census/", views.census_import, name="census"),
    path("<slug:slug>/paper/", views.paper_upload, name="paper"),
    path("<slug:slug>/verify/", views.claim, name="claim"),
    path("<slug:slug>/vote/<int:budget_id>/", views.vote, name="vote"),
    path("<slug:slug>/vote/<int:budget_id>/bar/", views.vote_bar, name="vote_bar"),
    path("<slug:slug>/receipt/<int:budget_id>/", views.receipt, name="receipt"),
    path("<slug:slug>/check/", views.receipt_check, name="receipt_check"),
    path("<slug:slug>/results/", views.results, name="results"),
    path("<slug:slug>/ballots/<int:budget_id>.pb", views.ballots_file, name="ballots_file"),
]
