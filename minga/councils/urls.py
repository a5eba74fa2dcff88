from django.urls import path

from . import views

app_name = "councils"
urlpatterns = [
    path("", views.council_list, name="list"),
    path("new/", views.council_create, name="create"),
    path("popolo.json", views.popolo_export, name="popolo"),
    path("<int:council_id>/", views.council_detail, name="detail"),
    path("<int:council_id>/terms/", views.term_list, name="terms"),
    path("<int:council_id>/terms/new/", views.term_create, name="term_create"),
    path("<int:council_id>/meetings/new/", views.meeting_create, name="meeting_create"),
    path("terms/<int:term_id>/officers/", views.officers_appoint, name="officers"),
    path("terms/<int:term_id>/election/", views.election_open, name="election_open"),
    path("seats/<int:seat_id>/designate/", views.seat_designate, name="designate"),
    path("seats/<int:seat_id>/recount/", views.seat_recount, name="recount"),
    path("mandates/<int:mandate_id>/end/", views.mandate_end, name="mandate_end"),
    path("mandates/<int:mandate_id>/recount/", views.recount_sheet, name="recount_sheet"),
    path("elections/<int:election_id>/", views.election_detail, name="election"),
    path("elections/<int:election_id>/ballots.blt", views.election_blt, name="election_blt"),
    path("elections/<int:election_id>/ballot/", views.ballot, name="ballot"),
    path("elections/<int:election_id>/nominate/", views.nomination_create, name="nominate"),
    path("elections/<int:election_id>/voting/", views.election_voting_open, name="voting_open"),
    path("elections/<int:election_id>/count/", views.election_count, name="count"),
    path("nominations/<int:nomination_id>/accept/", views.nomination_accept, name="accept"),
    path("meetings/<int:meeting_id>/", views.meeting_detail, name="meeting"),
    path("meetings/<int:meeting_id>/attendance/", views.meeting_attendance, name="attendance"),
    path("meetings/<int:meeting_id>/motions/", views.motion_create, name="motion_create"),
    path("meetings/<int:meeting_id>/minutes/", views.minutes_publish, name="minutes"),
    path("motions/<int:motion_id>/votes/", views.motion_votes, name="motion_votes"),
    path("motions/<int:motion_id>/decision/", views.decision_publish, name="decision"),
]
